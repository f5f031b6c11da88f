"""Procedures as JSON Lines (docs/interchange.md §procedures), replayed through the services.

One procedure per line:
`{"code", "name", "sector", "units", "processing_time": {"value", "unit"}, "fee", "online_level",
"documents", "steps": [{"name", "role", "share"}]}`. Three optional keys carry what the shared
format leaves out and are written only when set: `unit_kinds` (deciding unit kinds when `units` is
empty), `cutoff` ("HH:MM") and `form_fields`; a step may carry `unit_kind`.
Import creates or updates by code; it is all-or-nothing and errors name the line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import DomainError, ImportFailed
from kycuong.core.interchange import check_keys, read_jsonl

from .models import OnlineLevel, Procedure, TimeUnit
from .services import procedure_create, procedure_update

Progress = Callable[..., None] | None

REQUIRED = {"code", "name", "sector", "units", "processing_time", "fee", "online_level", "documents", "steps"}
OPTIONAL = {"unit_kinds", "cutoff", "form_fields"}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _parse(line: int, obj: dict[str, Any]) -> dict[str, Any]:
    check_keys(obj, line=line, required=REQUIRED, optional=OPTIONAL)
    for key in ("code", "name", "sector"):
        if not isinstance(obj[key], str) or not obj[key].strip():
            raise ImportFailed(_("Trường %(key)s phải là chuỗi không rỗng.") % {"key": key}, line=line)
    pt = obj["processing_time"]
    if not isinstance(pt, dict):
        raise ImportFailed(_("processing_time phải là một đối tượng {value, unit}."), line=line)
    check_keys(pt, line=line, required={"value", "unit"})
    if isinstance(pt["value"], bool) or not isinstance(pt["value"], int | float) or pt["value"] < 0:
        raise ImportFailed(_("Thời hạn giải quyết phải là số không âm."), line=line)
    if pt["unit"] not in TimeUnit.values:
        raise ImportFailed(_("Đơn vị thời hạn không hợp lệ: %(unit)s") % {"unit": pt["unit"]}, line=line)
    if isinstance(obj["fee"], bool) or not isinstance(obj["fee"], int) or obj["fee"] < 0:
        raise ImportFailed(_("fee phải là số nguyên không âm (đồng)."), line=line)
    if obj["online_level"] not in OnlineLevel.values:
        raise ImportFailed(_("online_level không hợp lệ: %(level)s") % {"level": obj["online_level"]}, line=line)
    if not isinstance(obj["units"], list) or not all(isinstance(u, str) for u in obj["units"]):
        raise ImportFailed(_("units phải là danh sách mã đơn vị."), line=line)
    if not isinstance(obj["documents"], list):
        raise ImportFailed(_("documents phải là một danh sách."), line=line)
    if not isinstance(obj["steps"], list):
        raise ImportFailed(_("steps phải là một danh sách."), line=line)
    for step in obj["steps"]:
        if not isinstance(step, dict):
            raise ImportFailed(_("Mỗi bước phải là một đối tượng."), line=line)
        check_keys(step, line=line, required={"name", "role", "share"}, optional={"unit_kind"})
    fields: dict[str, Any] = {
        "code": obj["code"].strip(), "name": obj["name"], "sector": obj["sector"], "units": obj["units"],
        "processing_value": Decimal(str(pt["value"])), "processing_unit": pt["unit"], "fee": obj["fee"],
        "online_level": obj["online_level"], "documents": obj["documents"], "steps": obj["steps"],
    }
    if "unit_kinds" in obj:
        fields["deciding_unit_kinds"] = obj["unit_kinds"]
    if "cutoff" in obj:
        fields["cutoff"] = obj["cutoff"]
    if "form_fields" in obj:
        fields["form_fields"] = obj["form_fields"]
    return fields


def import_procedures(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None,
                      actor: Any = None) -> int:
    """All-or-nothing import: every line is checked, then replayed through procedure_create /
    procedure_update in one transaction; the first refusal names its line and nothing stays."""
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, obj in read_jsonl(stream):
        fields = _parse(line, obj)
        if fields["code"] in seen:
            raise ImportFailed(_("Mã thủ tục %(code)s lặp lại (dòng %(first)s).") % {"code": fields["code"],
                                                                                   "first": seen[fields["code"]]}, line=line)
        seen[fields["code"]] = line
        parsed.append((line, fields))
    existing = {p.code: p for p in Procedure.objects.filter(code__in=seen)}
    with transaction.atomic():
        for done, (line, fields) in enumerate(parsed, start=1):
            try:
                current = existing.get(fields["code"])
                if current is None:
                    procedure_create(actor=actor, **fields)
                else:
                    code = fields.pop("code")
                    procedure_update(procedure=current, actor=actor, **fields)
                    fields["code"] = code
            except ImportFailed:
                raise
            except DomainError as exc:
                raise ImportFailed(exc.message, line=line, details=exc.details) from exc
            if progress:
                progress(done, len(parsed))
        audit_record(action="procedures.import", object_type="procedures.procedure", object_id="*", actor=actor,
                     changes={"count": len(parsed)})
    return len(parsed)


def procedure_as_row(p: Procedure) -> dict[str, Any]:
    units = sorted(u.code for u in p.units.all())
    row: dict[str, Any] = {
        "code": p.code, "name": p.name, "sector": p.sector.name, "units": units,
        "processing_time": {"value": _number(p.processing_value), "unit": p.processing_unit},
        "fee": p.fee, "online_level": p.online_level, "documents": list(p.documents or []),
        "steps": [],
    }
    for s in sorted(p.steps.all(), key=lambda s: s.order):
        step: dict[str, Any] = {"name": s.name, "role": s.role, "share": _number(s.share)}
        if s.unit_kind:
            step["unit_kind"] = s.unit_kind
        row["steps"].append(step)
    if p.deciding_unit_kinds:
        row["unit_kinds"] = list(p.deciding_unit_kinds)
    if p.cutoff is not None:
        row["cutoff"] = p.cutoff.strftime("%H:%M")
    if p.form_fields:
        row["form_fields"] = list(p.form_fields)
    return row


def export_procedures(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    """Every procedure (active or not) by code; `unit` keeps those that unit decides."""
    qs = Procedure.objects.select_related("sector").prefetch_related("steps", "units").order_by("code")
    decider = None
    if unit:
        from kycuong.org.selectors import unit_by_code

        decider = unit_by_code(unit)
    for p in qs.iterator(chunk_size=500):
        if decider is not None:
            listed = [u.pk for u in p.units.all()]
            if (listed and decider.pk not in listed) or (not listed and decider.kind not in (p.deciding_unit_kinds or [])):
                continue
        yield procedure_as_row(p)


IMPORTERS = {"procedures": import_procedures}
EXPORTERS = {"procedures": export_procedures}
