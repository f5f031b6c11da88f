"""Units and staff as JSON Lines (docs/interchange.md) or CSV. Imports create or update by code."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import check_keys, read_jsonl

from .models import Membership, Role, Staff, Unit, UnitKind
from .services import _set_path

Progress = Callable[..., None] | None


def _rows(stream: IO[str] | Iterable[str], fmt: str, csv_map: Callable[[dict[str, str]], dict[str, Any]]
          ) -> Iterator[tuple[int, dict[str, Any]]]:
    if fmt == "csv":
        reader = csv.DictReader(stream)
        for row in reader:
            yield reader.line_num, csv_map({k: (v or "").strip() for k, v in row.items() if k})
    else:
        yield from read_jsonl(stream)


def _unit_from_csv(row: dict[str, str]) -> dict[str, Any]:
    return {"code": row.get("code", ""), "name": row.get("name", ""), "kind": row.get("kind", ""),
            "parent": row.get("parent") or None}


def import_units(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None, actor: Any = None) -> int:
    """All-or-nothing import of units; a parent may appear anywhere in the file or already exist."""
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, obj in _rows(stream, fmt, _unit_from_csv):
        check_keys(obj, line=line, required={"code", "name", "kind"}, optional={"parent"})
        code, name, kind = obj["code"], obj["name"], obj["kind"]
        if not isinstance(code, str) or not code.strip():
            raise ImportFailed(_("Mã đơn vị trống."), line=line)
        if not isinstance(name, str) or not name.strip():
            raise ImportFailed(_("Tên đơn vị trống."), line=line)
        if kind not in UnitKind.values:
            raise ImportFailed(_("Loại đơn vị không hợp lệ: %(kind)s") % {"kind": kind}, line=line)
        if code in seen:
            raise ImportFailed(_("Mã đơn vị %(code)s lặp lại (dòng %(first)s).") % {"code": code, "first": seen[code]}, line=line)
        seen[code] = line
        parsed.append((line, obj))
    existing = {u.code: u for u in Unit.objects.all()}
    for line, obj in parsed:
        parent = obj.get("parent")
        if parent is not None and parent not in seen and parent not in existing:
            raise ImportFailed(_("Đơn vị cấp trên %(code)s không tồn tại.") % {"code": parent}, line=line)
        if parent == obj["code"]:
            raise ImportFailed(_("Đơn vị không thể là cấp trên của chính nó."), line=line)
    # Order so that parents come before children; detect cycles.
    by_code = {obj["code"]: (line, obj) for line, obj in parsed}
    ordered: list[tuple[int, dict[str, Any]]] = []
    state: dict[str, int] = {}

    def visit(code: str) -> None:
        if state.get(code) == 2 or code not in by_code:
            return
        if state.get(code) == 1:
            raise ImportFailed(_("Vòng lặp cấp trên tại đơn vị %(code)s.") % {"code": code}, line=by_code[code][0])
        state[code] = 1
        parent = by_code[code][1].get("parent")
        if parent:
            visit(parent)
        state[code] = 2
        ordered.append(by_code[code])

    for code in by_code:
        visit(code)
    with transaction.atomic():
        for done, (_line, obj) in enumerate(ordered, start=1):
            parent = existing.get(obj["parent"]) if obj.get("parent") else None
            unit = existing.get(obj["code"])
            if unit is None:
                unit = Unit(code=obj["code"])
            unit.name, unit.kind, unit.parent = obj["name"], obj["kind"], parent
            unit.save()
            _set_path(unit)
            unit.save(update_fields=["path", "depth"])
            existing[unit.code] = unit
            if progress:
                progress(done, len(ordered))
        audit_record(action="units.import", object_type="org.unit", object_id="*", actor=actor,
                     changes={"count": len(ordered)})
    return len(ordered)


def export_units(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    qs = Unit.objects.select_related("parent").order_by("path")
    if unit:
        from .selectors import unit_by_code

        qs = qs.filter(path__startswith=unit_by_code(unit).path)
    for u in qs:
        yield {"code": u.code, "name": u.name, "kind": u.kind, "parent": u.parent.code if u.parent else None}


def _staff_from_csv(row: dict[str, str]) -> dict[str, Any]:
    memberships = []
    for item in filter(None, (row.get("memberships") or "").split(";")):
        unit, _sep, role = item.partition(":")
        memberships.append({"unit": unit.strip(), "role": role.strip()})
    return {"code": row.get("code", ""), "name": row.get("name", ""), "email": row.get("email", ""),
            "memberships": memberships}


def import_staff(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None, actor: Any = None) -> int:
    """All-or-nothing import of staff and their memberships (replaced by the file's list)."""
    units = {u.code: u for u in Unit.objects.all()}
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: set[str] = set()
    for line, obj in _rows(stream, fmt, _staff_from_csv):
        check_keys(obj, line=line, required={"code", "name"}, optional={"email", "memberships"})
        if not isinstance(obj["code"], str) or not obj["code"].strip():
            raise ImportFailed(_("Mã cán bộ trống."), line=line)
        if obj["code"] in seen:
            raise ImportFailed(_("Mã cán bộ %(code)s lặp lại.") % {"code": obj["code"]}, line=line)
        seen.add(obj["code"])
        if not isinstance(obj["name"], str) or not obj["name"].strip():
            raise ImportFailed(_("Họ tên trống."), line=line)
        memberships = obj.get("memberships") or []
        if not isinstance(memberships, list):
            raise ImportFailed(_("memberships phải là một danh sách."), line=line)
        for m in memberships:
            if not isinstance(m, dict):
                raise ImportFailed(_("Mỗi vị trí công tác phải là một đối tượng."), line=line)
            check_keys(m, line=line, required={"unit", "role"})
            if m["unit"] not in units:
                raise ImportFailed(_("Đơn vị %(code)s không tồn tại.") % {"code": m["unit"]}, line=line)
            if m["role"] not in Role.values:
                raise ImportFailed(_("Vai trò không hợp lệ: %(role)s") % {"role": m["role"]}, line=line)
        parsed.append((line, obj))
    with transaction.atomic():
        existing = {s.code: s for s in Staff.objects.filter(code__in=seen)}
        for done, (_line, obj) in enumerate(parsed, start=1):
            staff = existing.get(obj["code"]) or Staff(code=obj["code"])
            staff.full_name = obj["name"]
            staff.email = obj.get("email") or ""
            staff.save()
            staff.memberships.all().delete()
            Membership.objects.bulk_create(
                [Membership(staff=staff, unit=units[m["unit"]], role=m["role"], is_primary=i == 0)
                 for i, m in enumerate(obj.get("memberships") or [])]
            )
            if progress:
                progress(done, len(parsed))
        audit_record(action="staff.import", object_type="org.staff", object_id="*", actor=actor,
                     changes={"count": len(parsed)})
    return len(parsed)


def export_staff(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    qs = Staff.objects.prefetch_related("memberships__unit").order_by("code")
    for s in qs:
        memberships = sorted(s.memberships.all(), key=lambda m: (not m.is_primary, m.id))
        yield {"code": s.code, "name": s.full_name, "email": s.email,
               "memberships": [{"unit": m.unit.code, "role": m.role} for m in memberships]}


def _staff_to_csv(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "memberships": ";".join(f"{m['unit']}:{m['role']}" for m in row["memberships"])}


IMPORTERS = {"units": import_units, "staff": import_staff}
#: Flatteners for `kycuong export <kind> --format csv` (the CSV import reads the same columns).
CSV_ROWS = {"units": lambda row: {**row, "parent": row["parent"] or ""}, "staff": _staff_to_csv}
EXPORTERS = {"units": export_units, "staff": export_staff}
