"""Public API: the procedure catalogue (/api/v1/procedures), anonymous (auth=None). The public
dossier lookup (/api/v1/public/dossiers/{code}) lives in kycuong/dossiers/public_api.py."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from kycuong.core.api import ERRORS

from .interchange import _number
from .models import Procedure
from .selectors import procedure_by_code, procedure_search, sectors_with_counts

router = Router(tags=["procedures"])


class ProcessingTimeOut(Schema):
    value: float
    unit: str


class StepOut(Schema):
    order: int
    name: str
    role: str
    unit_kind: str
    share: float


class ProcedureSummaryOut(Schema):
    code: str
    name: str
    sector: str
    processing_time: ProcessingTimeOut
    fee: int
    online_level: str


class ProcedureOut(ProcedureSummaryOut):
    units: list[str]
    unit_kinds: list[str]
    documents: list[str]
    steps: list[StepOut]
    form_fields: list[dict]
    cutoff: str | None
    result: str
    legal_basis: str


class ProcedurePageOut(Schema):
    count: int
    items: list[ProcedureSummaryOut]


class SectorOut(Schema):
    code: str
    name: str
    procedures: int


def _summary(p: Procedure) -> dict:
    return {"code": p.code, "name": p.name, "sector": p.sector.name,
            "processing_time": {"value": _number(p.processing_value), "unit": p.processing_unit},
            "fee": p.fee, "online_level": p.online_level}


@router.get("/", auth=None, response={200: ProcedurePageOut, **ERRORS}, operation_id="procedures_search")
def procedures_search(request: HttpRequest, q: str = "", sector: str = "", online_level: str = "",
                      limit: int = 20, offset: int = 0) -> dict:
    """Search the public catalogue: diacritics- and case-insensitive, best match first.
    `sector` is a sector code (see /sectors); `online_level` full | partial | none."""
    qs = procedure_search(q[:200], sector=sector or None, online=online_level or None)
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    return {"count": qs.count(), "items": [_summary(p) for p in qs[offset:offset + limit]]}


@router.get("/sectors", auth=None, response={200: list[SectorOut], **ERRORS}, operation_id="procedures_sectors")
def procedures_sectors(request: HttpRequest) -> list[dict]:
    return [{"code": s.code, "name": s.name, "procedures": s.n} for s in sectors_with_counts()]


@router.get("/{code}", auth=None, response={200: ProcedureOut, **ERRORS}, operation_id="procedures_get")
def procedures_get(request: HttpRequest, code: str) -> dict:
    p = procedure_by_code(code)
    return {
        **_summary(p), "units": sorted(u.code for u in p.units.all()), "unit_kinds": list(p.deciding_unit_kinds or []),
        "documents": list(p.documents or []),
        "steps": [{"order": s.order, "name": s.name, "role": s.role, "unit_kind": s.unit_kind, "share": float(s.share)}
                  for s in p.steps.all()],
        "form_fields": list(p.form_fields or []), "cutoff": p.cutoff.strftime("%H:%M") if p.cutoff else None,
        "result": p.result, "legal_basis": p.legal_basis,
    }


ROUTERS = [("procedures", router)]
