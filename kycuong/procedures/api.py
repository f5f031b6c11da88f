"""Public API: the procedure catalogue (/api/v1/procedures) and the public dossier lookup
(/api/v1/public/dossiers/{code}?secret=...). Both are anonymous (auth=None)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from kycuong.core.api import ERRORS
from kycuong.core.middleware import client_ip
from kycuong.dossiers.public import dossier_public_lookup, rate_limit_check

from .interchange import _number
from .models import Procedure
from .selectors import procedure_by_code, procedure_search, sectors_with_counts

router = Router(tags=["procedures"])
public_router = Router(tags=["public"])


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


class PublicEventOut(Schema):
    type: str
    label: str
    at: dt.datetime
    unit: str
    step: str
    reason: str
    new_due_at: dt.datetime | None


class PublicDossierOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    unit: str
    received_unit: str
    current_unit: str
    applicant: str
    status: str
    status_label: str
    channel: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    apology_due_at: dt.datetime | None
    apology_reason: str
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    is_late: bool
    fee_amount: int
    fee_payment: str
    timeline: list[PublicEventOut]


@public_router.get("/dossiers/{code}", auth=None, response={200: PublicDossierOut, **ERRORS},
                   operation_id="public_dossier_lookup")
def public_dossier_lookup(request: HttpRequest, code: str, secret: str = "") -> dict:
    """A dossier's public status by code and secret (printed on the receipt). Unknown code, wrong
    or missing secret all answer the same 404; more than the allowed lookups per minute and IP → 429."""
    rate_limit_check(ip=client_ip(request))
    return dossier_public_lookup(code=code, secret=secret).as_dict()


ROUTERS = [("procedures", router), ("public", public_router)]
