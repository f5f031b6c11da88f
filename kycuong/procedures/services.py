"""Procedure catalogue writes (domain.md §2–§3).

Every procedure is published with its processing time, fee, online level, required documents
and internal process ("5 rõ": who does which step, in which share of the time). The services
keep `Procedure.search_key` current so search works alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ValidationFailed
from kycuong.core.text import fold
from kycuong.org.models import Role, Unit, UnitKind

from .models import OnlineLevel, Procedure, ProcedureStep, Sector, TimeUnit

FIELD_TYPES = ("text", "date", "number", "choice")
#: Shares of the steps must add up to the whole processing time (tolerance for 3 decimals).
SHARE_TOLERANCE = Decimal("0.01")


def search_key_for(*, name: str, code: str, sector: str) -> str:
    """Folded "name | code | sector": diacritics- and case-insensitive, the name first so that
    prefix and phrase ranking look at the name."""
    return f"{fold(name)} | {fold(code)} | {fold(sector)}"


def sector_get_or_create(*, name: str) -> Sector:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Lĩnh vực không được để trống."), details={"field": "sector"})
    sector = Sector.objects.filter(name=name).first()
    if sector is None:
        base = slugify(fold(name)) or "linh-vuc"
        code, n = base[:80], 1
        while Sector.objects.filter(code=code).exists():
            n += 1
            code = f"{base[:75]}-{n}"
        sector = Sector.objects.create(code=code, name=name)
    return sector


def _clean_steps(steps: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if not steps:
        return []
    if not isinstance(steps, list):
        raise ValidationFailed(_("Các bước xử lý phải là một danh sách."), details={"field": "steps"})
    cleaned = []
    total = Decimal(0)
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ValidationFailed(_("Bước %(n)s không hợp lệ.") % {"n": i}, details={"field": "steps"})
        name = str(step.get("name") or "").strip()
        if not name:
            raise ValidationFailed(_("Bước %(n)s thiếu tên.") % {"n": i}, details={"field": "steps"})
        role = step.get("role") or ""
        if role not in Role.values:
            raise ValidationFailed(_("Bước %(n)s: vai trò không hợp lệ: %(role)s") % {"n": i, "role": role},
                                   details={"field": "steps"})
        unit_kind = step.get("unit_kind") or ""
        if unit_kind and unit_kind not in UnitKind.values:
            raise ValidationFailed(_("Bước %(n)s: loại đơn vị không hợp lệ: %(kind)s") % {"n": i, "kind": unit_kind},
                                   details={"field": "steps"})
        try:
            share = Decimal(str(step.get("share"))).quantize(Decimal("0.001"))
        except (InvalidOperation, ValueError, TypeError):
            raise ValidationFailed(_("Bước %(n)s: tỷ lệ thời gian không hợp lệ.") % {"n": i},
                                   details={"field": "steps"}) from None
        if share < 0 or share > 1:
            raise ValidationFailed(_("Bước %(n)s: tỷ lệ thời gian phải từ 0 đến 1.") % {"n": i}, details={"field": "steps"})
        total += share
        cleaned.append({"name": name[:200], "role": role, "unit_kind": unit_kind, "share": share})
    if abs(total - 1) > SHARE_TOLERANCE:
        raise ValidationFailed(_("Tổng tỷ lệ thời gian các bước phải bằng 1 (hiện là %(total)s).") % {"total": total},
                               details={"field": "steps"})
    return cleaned


def _clean_form_fields(fields: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if not fields:
        return []
    if not isinstance(fields, list):
        raise ValidationFailed(_("Thông tin cần khai phải là một danh sách."), details={"field": "form_fields"})
    seen: set[str] = set()
    cleaned = []
    for f in fields:
        if not isinstance(f, dict) or not f.get("name") or not f.get("label"):
            raise ValidationFailed(_("Mỗi trường cần khai phải có name và label."), details={"field": "form_fields"})
        name = slugify(str(f["name"])).replace("-", "_")
        if not name or name in seen:
            raise ValidationFailed(_("Tên trường cần khai lặp lại hoặc không hợp lệ: %(name)s") % {"name": f["name"]},
                                   details={"field": "form_fields"})
        seen.add(name)
        kind = f.get("type", "text")
        if kind not in FIELD_TYPES:
            raise ValidationFailed(_("Kiểu trường không hợp lệ: %(type)s") % {"type": kind}, details={"field": "form_fields"})
        item: dict[str, Any] = {"name": name, "label": str(f["label"]), "type": kind, "required": bool(f.get("required"))}
        if f.get("hint"):
            item["hint"] = str(f["hint"])
        if kind == "choice":
            choices = f.get("choices") or []
            if not isinstance(choices, list) or not choices:
                raise ValidationFailed(_("Trường lựa chọn %(name)s cần danh sách choices.") % {"name": name},
                                       details={"field": "form_fields"})
            item["choices"] = [str(c) for c in choices]
        cleaned.append(item)
    return cleaned


def _clean(data: dict[str, Any], *, instance: Procedure | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "code" in data or instance is None:
        code = str(data.get("code") or "").strip()
        if not code:
            raise ValidationFailed(_("Mã thủ tục không được để trống."), details={"field": "code"})
        clash = Procedure.objects.filter(code=code)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise ValidationFailed(_("Mã thủ tục %(code)s đã tồn tại.") % {"code": code}, details={"field": "code"})
        out["code"] = code[:30]
    if "name" in data or instance is None:
        name = " ".join(str(data.get("name") or "").split())
        if not name:
            raise ValidationFailed(_("Tên thủ tục không được để trống."), details={"field": "name"})
        out["name"] = name[:500]
    if "processing_value" in data or instance is None:
        try:
            value = Decimal(str(data.get("processing_value"))).quantize(Decimal("0.001"))
        except (InvalidOperation, ValueError, TypeError):
            raise ValidationFailed(_("Thời hạn giải quyết không hợp lệ."), details={"field": "processing_value"}) from None
        if value < 0:
            raise ValidationFailed(_("Thời hạn giải quyết không được âm."), details={"field": "processing_value"})
        out["processing_value"] = value
    if "processing_unit" in data:
        if data["processing_unit"] not in TimeUnit.values:
            raise ValidationFailed(_("Đơn vị thời hạn không hợp lệ: %(unit)s") % {"unit": data["processing_unit"]},
                                   details={"field": "processing_unit"})
        out["processing_unit"] = data["processing_unit"]
    if "fee" in data:
        fee = data["fee"]
        if isinstance(fee, bool) or not isinstance(fee, int | Decimal) or fee < 0:
            if isinstance(fee, float) and fee.is_integer() and fee >= 0:
                fee = int(fee)
            else:
                raise ValidationFailed(_("Phí, lệ phí phải là số nguyên không âm (đồng)."), details={"field": "fee"})
        out["fee"] = int(fee)
    if "online_level" in data:
        if data["online_level"] not in OnlineLevel.values:
            raise ValidationFailed(_("Mức dịch vụ trực tuyến không hợp lệ: %(level)s") % {"level": data["online_level"]},
                                   details={"field": "online_level"})
        out["online_level"] = data["online_level"]
    if "documents" in data:
        docs = data["documents"] or []
        if not isinstance(docs, list) or not all(isinstance(d, str) and d.strip() for d in docs):
            raise ValidationFailed(_("Thành phần hồ sơ phải là danh sách tên giấy tờ."), details={"field": "documents"})
        out["documents"] = [d.strip() for d in docs]
    if "deciding_unit_kinds" in data:
        kinds = data["deciding_unit_kinds"] or []
        if not isinstance(kinds, list) or any(k not in UnitKind.values for k in kinds):
            raise ValidationFailed(_("Cấp giải quyết không hợp lệ."), details={"field": "deciding_unit_kinds"})
        out["deciding_unit_kinds"] = list(dict.fromkeys(kinds))
    if "form_fields" in data:
        out["form_fields"] = _clean_form_fields(data["form_fields"])
    if "cutoff" in data:
        cutoff = data["cutoff"]
        if isinstance(cutoff, str) and cutoff:
            try:
                cutoff = dt.time.fromisoformat(cutoff)
            except ValueError:
                raise ValidationFailed(_("Giờ chốt không hợp lệ (HH:MM)."), details={"field": "cutoff"}) from None
        if cutoff not in (None, "") and not isinstance(cutoff, dt.time):
            raise ValidationFailed(_("Giờ chốt không hợp lệ (HH:MM)."), details={"field": "cutoff"})
        out["cutoff"] = cutoff or None
    for key in ("legal_basis", "result"):
        if key in data:
            out[key] = str(data[key] or "")
    if "is_active" in data:
        out["is_active"] = bool(data["is_active"])
    if "demo_assumed" in data:
        out["demo_assumed"] = list(data["demo_assumed"] or [])
    return out


def _units(codes: list[str] | None) -> list[Unit] | None:
    if codes is None:
        return None
    if not isinstance(codes, list):
        raise ValidationFailed(_("Cơ quan giải quyết phải là danh sách mã đơn vị."), details={"field": "units"})
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(_("Đơn vị không tồn tại: %(codes)s") % {"codes": ", ".join(map(str, missing))},
                               details={"field": "units"})
    return [found[c] for c in dict.fromkeys(codes)]


def _write_steps(procedure: Procedure, steps: list[dict[str, Any]]) -> None:
    procedure.steps.all().delete()
    ProcedureStep.objects.bulk_create(
        [ProcedureStep(procedure=procedure, order=i, name=s["name"], role=s["role"], unit_kind=s["unit_kind"], share=s["share"])
         for i, s in enumerate(steps, start=1)]
    )


@transaction.atomic
def procedure_create(
    *,
    code: str,
    name: str,
    sector: str,
    processing_value: Any,
    processing_unit: str = TimeUnit.WORKING_DAYS,
    fee: int = 0,
    online_level: str = OnlineLevel.NONE,
    documents: list[str] | None = None,
    steps: list[dict[str, Any]] | None = None,
    deciding_unit_kinds: list[str] | None = None,
    units: list[str] | None = None,
    form_fields: list[dict[str, Any]] | None = None,
    cutoff: dt.time | str | None = None,
    legal_basis: str = "",
    result: str = "",
    actor: Any = None,
) -> Procedure:
    """Publish a procedure. Steps (`[{name, role, unit_kind?, share}]`) must share the whole time."""
    data = {"code": code, "name": name, "processing_value": processing_value, "processing_unit": processing_unit,
            "fee": fee, "online_level": online_level, "documents": documents or [],
            "deciding_unit_kinds": deciding_unit_kinds or [], "form_fields": form_fields or [], "cutoff": cutoff,
            "legal_basis": legal_basis, "result": result}
    fields = _clean(data, instance=None)
    clean_steps = _clean_steps(steps)
    unit_objs = _units(units) or []
    sector_obj = sector_get_or_create(name=sector)
    procedure = Procedure(sector=sector_obj, **fields)
    procedure.search_key = search_key_for(name=procedure.name, code=procedure.code, sector=sector_obj.name)
    procedure.save()
    procedure.units.set(unit_objs)
    _write_steps(procedure, clean_steps)
    audit_record(action="procedure.create", obj=procedure, actor=actor,
                 changes={"code": procedure.code, "name": procedure.name, "steps": len(clean_steps)})
    return procedure


@transaction.atomic
def procedure_update(
    *,
    procedure: Procedure,
    actor: Any = None,
    sector: str | None = None,
    steps: list[dict[str, Any]] | None = None,
    units: list[str] | None = None,
    **fields: Any,
) -> Procedure:
    """Change a published procedure; `steps` / `units` when given replace the whole list.

    Dossiers already received keep the steps they were created with (they copy them).
    """
    allowed = {"code", "name", "processing_value", "processing_unit", "fee", "online_level", "documents",
               "deciding_unit_kinds", "form_fields", "cutoff", "legal_basis", "result", "is_active", "demo_assumed"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("Trường không được hỗ trợ: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    procedure = Procedure.objects.select_for_update().select_related("sector").get(pk=procedure.pk)
    cleaned = _clean(fields, instance=procedure)
    clean_steps = _clean_steps(steps) if steps is not None else None
    unit_objs = _units(units)
    changes: dict[str, Any] = {}
    for key, value in cleaned.items():
        if getattr(procedure, key) != value:
            changes[key] = {"from": getattr(procedure, key), "to": value}
            setattr(procedure, key, value)
    if sector is not None:
        sector_obj = sector_get_or_create(name=sector)
        if sector_obj.pk != procedure.sector_id:
            changes["sector"] = {"from": procedure.sector.name, "to": sector_obj.name}
            procedure.sector = sector_obj
    procedure.search_key = search_key_for(name=procedure.name, code=procedure.code, sector=procedure.sector.name)
    procedure.save()
    if unit_objs is not None:
        before = sorted(procedure.units.values_list("code", flat=True))
        after = sorted(u.code for u in unit_objs)
        if before != after:
            changes["units"] = {"from": before, "to": after}
            procedure.units.set(unit_objs)
    if clean_steps is not None:
        before_steps = list(procedure.steps.values("name", "role", "unit_kind", "share"))
        if before_steps != clean_steps:
            changes["steps"] = {"from": len(before_steps), "to": len(clean_steps)}
            _write_steps(procedure, clean_steps)
    if changes:
        audit_record(action="procedure.update", obj=procedure, actor=actor, changes=changes)
    return procedure


def procedure_search_keys_refresh() -> int:
    """Recompute every search key (after a sector rename or a change of the folding rule)."""
    rows = list(Procedure.objects.select_related("sector"))
    for p in rows:
        p.search_key = search_key_for(name=p.name, code=p.code, sector=p.sector.name)
    Procedure.objects.bulk_update(rows, ["search_key"], batch_size=500)
    return len(rows)
