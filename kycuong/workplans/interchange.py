"""Product types and work items as JSON Lines (docs/modules/workplans.md § Interchange; the shared
contract `product_types` and `work_items`).

All-or-nothing: every line is parsed, checked with the services' own rules (`services._common`:
quantity, product type of the unit or an ancestor, due date in working time inside the period,
people with a membership during the period, parent in the same or an ancestor unit) and its events
replayed through the one table (`lifecycle.py`) in memory first; any error raises ImportFailed
naming the line and nothing is written. Event times are bounded (not before the previous event,
not after now + DOSSIER_CLOCK_TOLERANCE_SECONDS) and stored with source=imported. Export writes
what import reads, so export → import into an empty database → export is byte-identical.

Extensions to the contract (optional, so contract files import unchanged): item `program`
("unit" for a week/month unit program; the default is personal for week/month, unit for quarter/year),
`description`, `co_workers` (staff codes); event types `submitted`, `returned`, `reopened`,
`accepted`, `cause_confirmed`, `carried_over`; event `completion` (done|partly|not_done, default
done) and `note`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import DomainError, ImportFailed
from kycuong.core.interchange import check_keys, clock_tolerance, read_jsonl
from kycuong.core.periods import TZ, Period, parse_period
from kycuong.org.models import Staff, Unit
from kycuong.org.selectors import memberships_overlapping

from . import lifecycle
from .models import (
    Completion,
    EventSource,
    EventType,
    ItemStatus,
    ProductType,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)
from .services._common import clean_quantity, due_in_working_time, weight_of
from .services.catalogue import clean_code, clean_factor, clean_name

Progress = Callable[..., None] | None
PERSONAL_KINDS = {"week", "month"}
EVENT_TYPES = [EventType.SUBMITTED, EventType.RETURNED, EventType.APPROVED, EventType.REOPENED, EventType.COMPLETED,
               EventType.ACCEPTED, EventType.QUALITY_FAILED, EventType.RESCHEDULED, EventType.CAUSE_CONFIRMED,
               EventType.CANCELLED, EventType.CARRIED_OVER]
ITEM_REQUIRED = {"code", "unit", "owner", "period", "title", "product", "quantity", "due_at"}
ITEM_OPTIONAL = {"parent", "events", "program", "description", "co_workers"}


def _iso(at: dt.datetime) -> str:
    return at.astimezone(TZ).isoformat()


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _moment(value: Any, *, line: int, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ImportFailed(_("%(what)s phải là thời điểm ISO 8601.") % {"what": what}, line=line)
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ImportFailed(_("%(what)s không hợp lệ: %(v)s") % {"what": what, "v": value}, line=line) from exc
    if at.tzinfo is None:
        raise ImportFailed(_("%(what)s phải có múi giờ (ví dụ +07:00): %(v)s") % {"what": what, "v": value}, line=line)
    return at


def _rule(line: int, call: Callable[..., Any], *args: Any) -> Any:
    """A service rule applied to an import line: its error names the line."""
    try:
        return call(*args)
    except DomainError as exc:
        raise ImportFailed(exc.message, line=line, details=exc.details) from exc


# --- product_types ----------------------------------------------------------------------------

def import_product_types(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None,
                         actor: Any = None) -> int:
    """All-or-nothing; a (unit, code) already in the catalogue or repeated in the file is an error."""
    if fmt != "jsonl":
        raise ImportFailed(_("Danh mục sản phẩm chỉ nhập từ JSON Lines."), line=0)
    units = {u.code: u for u in Unit.objects.all()}
    rows: list[ProductType] = []
    seen: dict[tuple[int, str], int] = {}
    for line, obj in read_jsonl(stream):
        check_keys(obj, line=line, required={"unit", "code", "name", "factor"}, optional={"is_active"})
        unit = units.get(obj["unit"]) if isinstance(obj["unit"], str) else None
        if unit is None:
            raise ImportFailed(_("Không có đơn vị mã %(code)s.") % {"code": obj["unit"]}, line=line)
        if isinstance(obj["factor"], bool) or not isinstance(obj["factor"], int | float | str):
            raise ImportFailed(_("Hệ số quy đổi phải là số lớn hơn 0."), line=line)
        code = _rule(line, clean_code, obj["code"])
        name = _rule(line, clean_name, obj["name"])
        factor = _rule(line, clean_factor, obj["factor"])
        active = obj.get("is_active", True)
        if not isinstance(active, bool):
            raise ImportFailed(_("is_active phải là true hoặc false."), line=line)
        key = (unit.pk, code)
        if key in seen:
            raise ImportFailed(_("Mã sản phẩm %(code)s lặp lại (dòng %(first)s).") % {"code": code, "first": seen[key]},
                               line=line)
        if ProductType.objects.filter(unit=unit, code=code).exists():
            raise ImportFailed(_("Mã sản phẩm %(code)s đã có trong danh mục của %(unit)s.")
                               % {"code": code, "unit": unit.name}, line=line)
        seen[key] = line
        rows.append(ProductType(unit=unit, code=code, name=name, factor=factor, is_active=active))
    with transaction.atomic():
        ProductType.objects.bulk_create(rows)
        audit_record(action="workplans.product_types_import", object_type="workplans.producttype", object_id="*",
                     actor=actor, changes={"count": len(rows)})
    return len(rows)


def export_product_types(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    qs = ProductType.objects.select_related("unit")
    if unit:
        from kycuong.org.selectors import unit_by_code

        qs = qs.filter(unit__path__startswith=unit_by_code(unit).path)
    for pt in qs.order_by("unit__code", "code"):
        row: dict[str, Any] = {"unit": pt.unit.code, "code": pt.code, "name": pt.name, "factor": float(pt.factor)}
        if not pt.is_active:
            row["is_active"] = False
        yield row


# --- work_items -------------------------------------------------------------------------------

@dataclass
class _Built:
    line: int
    item: WorkItem
    program_key: tuple[str, int, int | None, str]
    period: Period
    parent_code: str | None
    co_workers: list[Staff]
    events: list[WorkItemEvent] = field(default_factory=list)


class _Lookup:
    def __init__(self) -> None:
        self.units = {u.code: u for u in Unit.objects.all()}
        self.units_by_id = {u.pk: u for u in self.units.values()}
        self.staff = {s.code: s for s in Staff.objects.all()}
        self.products: dict[tuple[int, str], ProductType | None] = {}

    def unit(self, code: Any, *, line: int) -> Unit:
        unit = self.units.get(code) if isinstance(code, str) else None
        if unit is None:
            raise ImportFailed(_("Không có đơn vị mã %(code)s.") % {"code": code}, line=line)
        return unit

    def person(self, code: Any, *, line: int) -> Staff:
        staff = self.staff.get(code) if isinstance(code, str) else None
        if staff is None:
            raise ImportFailed(_("Không có cán bộ mã %(code)s.") % {"code": code}, line=line)
        return staff

    def product(self, unit: Unit, code: Any, *, line: int) -> ProductType:
        """The unit's own product type `code`, else the nearest ancestor's (in use or not: history)."""
        key = (unit.pk, str(code))
        if key not in self.products:
            ids = [unit.pk, *reversed(unit.ancestor_ids)]
            found = {p.unit_id: p for p in ProductType.objects.filter(unit_id__in=ids, code=str(code))}
            self.products[key] = next((found[i] for i in ids if i in found), None)
        pt = self.products[key]
        if pt is None:
            raise ImportFailed(_("Loại sản phẩm %(code)s không có trong danh mục của %(unit)s.")
                               % {"code": code, "unit": unit.name}, line=line)
        return pt

    def member(self, staff: Staff, unit: Unit, period: Period, *, line: int, what: str) -> None:
        """A membership in the unit (or under it) in force on some day of the period."""
        ok = memberships_overlapping(start=period.start, end=period.end - dt.timedelta(days=1), staff_ids=[staff.pk]) \
            .filter(unit__path__startswith=unit.path).exists()
        if not ok:
            raise ImportFailed(_("%(what)s %(name)s không công tác tại %(unit)s trong kỳ %(period)s.")
                               % {"what": what, "name": staff.full_name, "unit": unit.name, "period": period.label},
                               line=line)


def _replay(b: _Built, raw: Any, look: _Lookup, *, ceiling: dt.datetime) -> None:
    """Each event through the one table (lifecycle.actions_for_event → ITEM_TRANSITIONS)."""
    line, item = b.line, b.item
    if not isinstance(raw, list):
        raise ImportFailed(_("events phải là một danh sách."), line=line)
    previous: dt.datetime | None = None
    for n, e in enumerate(raw, start=1):
        if not isinstance(e, dict):
            raise ImportFailed(_("Sự kiện %(n)s phải là một đối tượng.") % {"n": n}, line=line)
        t = e.get("type")
        optional = {"by", "objective_cause", "note"} | ({"new_due_at"} if t == EventType.RESCHEDULED else set()) \
            | ({"completion"} if t == EventType.COMPLETED else set())
        check_keys(e, line=line, required={"type", "at"}, optional=optional)
        if t not in EVENT_TYPES:
            raise ImportFailed(_("Sự kiện %(n)s: loại không hợp lệ “%(t)s”.") % {"n": n, "t": t}, line=line)
        at = _moment(e["at"], line=line, what=f"events[{n}].at")
        if previous is not None and at < previous:
            raise ImportFailed(_("Sự kiện %(n)s: thời điểm trước sự kiện liền trước.") % {"n": n}, line=line)
        if at > ceiling:
            raise ImportFailed(_("Sự kiện %(n)s: thời điểm ở tương lai.") % {"n": n}, line=line)
        previous = at
        cause = e.get("objective_cause", False)
        if not isinstance(cause, bool):
            raise ImportFailed(_("Sự kiện %(n)s: objective_cause phải là true hoặc false.") % {"n": n}, line=line)
        ev = WorkItemEvent(type=t, at=at, source=EventSource.IMPORTED, note=str(e.get("note") or ""),
                           objective_cause=cause, actor=look.person(e["by"], line=line) if e.get("by") else None)
        actions = lifecycle.actions_for_event(t, item.status)
        for action in actions:
            try:
                item.status = lifecycle.item_next(item, action)
            except lifecycle.InvalidTransition as exc:
                raise ImportFailed(_("Sự kiện %(n)s (%(t)s) không hợp lệ khi công việc đang ở trạng thái “%(s)s”.")
                                   % {"n": n, "t": t, "s": ItemStatus(exc.status).label}, line=line) from exc
        if actions[-1] == "complete":
            completion = e.get("completion", Completion.DONE)
            if completion not in Completion.values:
                raise ImportFailed(_("Sự kiện %(n)s: kết quả không hợp lệ.") % {"n": n}, line=line)
            ev.completion = item.completion = completion
            item.completed_at, item.completion_note = at, ev.note
        elif t == EventType.ACCEPTED:
            item.accepted_at = at
        elif t == EventType.QUALITY_FAILED:
            item.quality_failures += 1
            item.completion, item.completed_at = "", None
        elif t == EventType.RESCHEDULED:
            if not e.get("new_due_at"):
                raise ImportFailed(_("Sự kiện %(n)s: thiếu new_due_at.") % {"n": n}, line=line)
            ev.new_due_at = item.due_at = _moment(e["new_due_at"], line=line, what=f"events[{n}].new_due_at")
            ev.cause_claimed = cause
            item.reschedules += 1
            item.objective_cause = item.objective_cause or cause
        if len(actions) == 2:  # approved from a draft: the implicit submission first
            b.events.append(WorkItemEvent(type=EventType.SUBMITTED, at=at, source=EventSource.IMPORTED, actor=ev.actor))
        b.events.append(ev)


def _parse(line: int, obj: dict[str, Any], look: _Lookup, built: dict[str, _Built], *,
           ceiling: dt.datetime) -> _Built:
    check_keys(obj, line=line, required=ITEM_REQUIRED, optional=ITEM_OPTIONAL)
    code = obj["code"]
    if not isinstance(code, str) or not code.strip() or len(code) > 60:
        raise ImportFailed(_("Mã công việc không hợp lệ."), line=line)
    if code in built:
        raise ImportFailed(_("Mã công việc %(code)s lặp lại (dòng %(first)s).") % {"code": code, "first": built[code].line},
                           line=line)
    unit = look.unit(obj["unit"], line=line)
    owner = look.person(obj["owner"], line=line)
    period = _rule(line, parse_period, obj["period"] if isinstance(obj["period"], str) else "")
    kind = obj.get("program", ProgramKind.PERSONAL if period.kind in PERSONAL_KINDS else ProgramKind.UNIT)
    if kind not in ProgramKind.values or (kind == ProgramKind.PERSONAL and period.kind not in PERSONAL_KINDS):
        raise ImportFailed(_("Chương trình không hợp lệ (cá nhân chỉ theo tuần hoặc tháng)."), line=line)
    look.member(owner, unit, period, line=line, what=_("Người chủ trì"))
    title = obj["title"].strip() if isinstance(obj["title"], str) else ""
    if not title or len(title) > 300:
        raise ImportFailed(_("Phải nhập nội dung công việc (tối đa 300 ký tự)."), line=line)
    if isinstance(obj["quantity"], bool):
        raise ImportFailed(_("Số lượng sản phẩm phải là số lớn hơn 0."), line=line)
    qty = _rule(line, clean_quantity, obj["quantity"])
    product = look.product(unit, obj["product"], line=line)
    probe = Program(kind=kind, unit=unit, owner=owner if kind == ProgramKind.PERSONAL else None,
                    period=period.label, period_kind=period.kind, period_start=period.start, period_end=period.end)
    due = _rule(line, due_in_working_time, _moment(obj["due_at"], line=line, what="due_at"), probe)
    co_raw = obj.get("co_workers", [])
    if not isinstance(co_raw, list):
        raise ImportFailed(_("co_workers phải là danh sách mã cán bộ."), line=line)
    co_workers = [look.person(c, line=line) for c in co_raw]
    for person in co_workers:
        look.member(person, unit, period, line=line, what=_("Người phối hợp"))
    parent_code = obj.get("parent")
    if parent_code is not None:
        parent_unit = built[parent_code].item.unit if parent_code in built else None
        if parent_unit is None:
            found = WorkItem.objects.filter(code=parent_code).select_related("unit").first()
            if found is None:
                raise ImportFailed(_("Không có việc cấp trên %(code)s (phải ở dòng trước hoặc đã có).")
                                   % {"code": parent_code}, line=line)
            parent_unit = found.unit
        if not unit.path.startswith(parent_unit.path):
            raise ImportFailed(_("Việc cấp trên %(code)s thuộc đơn vị khác (%(unit)s).")
                               % {"code": parent_code, "unit": parent_unit.name}, line=line)
    item = WorkItem(code=code, unit=unit, owner=owner, title=title, description=str(obj.get("description") or ""),
                    product_type=product, quantity=qty, weight=weight_of(qty, product), first_due_at=due, due_at=due,
                    status=ItemStatus.DRAFT)
    b = _Built(line=line, item=item, period=period, parent_code=parent_code, co_workers=co_workers,
               program_key=(kind, unit.pk, owner.pk if kind == ProgramKind.PERSONAL else None, period.label))
    _replay(b, obj.get("events", []), look, ceiling=ceiling)
    return b


def _program_status(items: list[WorkItem]) -> str:
    statuses = {i.status for i in items}
    if statuses - {ItemStatus.DRAFT, ItemStatus.SUBMITTED, ItemStatus.RETURNED}:
        return ProgramStatus.APPROVED
    for item_status, program_status in ((ItemStatus.SUBMITTED, ProgramStatus.SUBMITTED),
                                        (ItemStatus.RETURNED, ProgramStatus.RETURNED)):
        if item_status in statuses:
            return program_status
    return ProgramStatus.DRAFT


def _programs(built: list[_Built]) -> dict[tuple[str, int, int | None, str], Program]:
    """The program of each key: the existing one (left as it is) or a new one whose status follows
    its imported items (approved as soon as one of them was)."""
    result: dict[tuple[str, int, int | None, str], Program] = {}
    groups: dict[tuple[str, int, int | None, str], list[_Built]] = {}
    for b in built:
        groups.setdefault(b.program_key, []).append(b)
    for key, members in groups.items():
        kind, unit_id, owner_id, label = key
        lookup: dict[str, Any] = {"kind": kind, "unit_id": unit_id, "period": label}
        if kind == ProgramKind.PERSONAL:
            lookup["owner_id"] = owner_id
        program = Program.objects.filter(**lookup).first()
        if program is None:
            p = members[0].period
            items = [m.item for m in members]
            status = _program_status(items)
            approvals = [e.at for m in members for e in m.events if e.type == EventType.APPROVED]
            submissions = [e.at for m in members for e in m.events if e.type == EventType.SUBMITTED]
            program = Program.objects.create(
                **lookup, period_kind=p.kind, period_start=p.start, period_end=p.end, status=status,
                submitted_at=min(submissions) if submissions and status != ProgramStatus.DRAFT else None,
                approved_at=min(approvals) if approvals and status == ProgramStatus.APPROVED else None)
        result[key] = program
    return result


def import_work_items(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None,
                      actor: Any = None) -> int:
    """All-or-nothing; a code already in the database or repeated in the file is an error; a parent
    comes from an earlier line or the database."""
    if fmt != "jsonl":
        raise ImportFailed(_("Công việc chỉ nhập từ JSON Lines."), line=0)
    look = _Lookup()
    ceiling = timezone.now() + clock_tolerance()
    built: dict[str, _Built] = {}
    for line, obj in read_jsonl(stream):
        b = _parse(line, obj, look, built, ceiling=ceiling)
        built[b.item.code] = b
        if progress and len(built) % 500 == 0:
            progress(len(built))
    existing = set(WorkItem.objects.filter(code__in=list(built)).values_list("code", flat=True)) if built else set()
    if existing:
        first = min(existing, key=lambda c: built[c].line)
        raise ImportFailed(_("Mã công việc %(code)s đã có trong hệ thống.") % {"code": first}, line=built[first].line)
    rows = list(built.values())
    with transaction.atomic():
        programs = _programs(rows)
        saved: dict[str, WorkItem] = {}
        for b in rows:
            b.item.program = programs[b.program_key]
            if b.parent_code is not None:
                b.item.parent = saved.get(b.parent_code) or WorkItem.objects.get(code=b.parent_code)
            b.item.save()
            saved[b.item.code] = b.item
            if b.co_workers:
                b.item.co_workers.set(b.co_workers)
            for ev in b.events:
                ev.item = b.item
        WorkItemEvent.objects.bulk_create([ev for b in rows for ev in b.events], batch_size=2000)
        audit_record(action="workplans.work_items_import", object_type="workplans.workitem", object_id="*",
                     actor=actor, changes={"count": len(rows)})
    return len(rows)


def export_work_items(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    """Items of programs of `period` (all periods by default), of `unit`'s subtree, in creation order."""
    qs = WorkItem.objects.select_related("unit", "owner", "program", "product_type", "parent")
    if period:
        qs = qs.filter(program__period=parse_period(period).label)
    if unit:
        from kycuong.org.selectors import unit_by_code

        qs = qs.filter(unit__path__startswith=unit_by_code(unit).path)
    ids = list(qs.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        events: dict[int, list[WorkItemEvent]] = {}
        for e in (WorkItemEvent.objects.filter(item_id__in=chunk, type__in=EVENT_TYPES)
                  .select_related("actor").order_by("item_id", "at", "id")):
            events.setdefault(e.item_id, []).append(e)
        co: dict[int, list[str]] = {}
        for item_id, staff_code in WorkItem.co_workers.through.objects.filter(workitem_id__in=chunk) \
                .values_list("workitem_id", "staff__code"):
            co.setdefault(item_id, []).append(staff_code)
        for item in qs.filter(id__in=chunk).order_by("id"):
            yield _export_one(item, events.get(item.pk, []), sorted(co.get(item.pk, [])))


def _export_one(item: WorkItem, events: list[WorkItemEvent], co_workers: list[str]) -> dict[str, Any]:
    program = item.program
    row: dict[str, Any] = {"code": item.code, "unit": item.unit.code, "owner": item.owner.code, "period": program.period}
    default_kind = ProgramKind.PERSONAL if program.period_kind in PERSONAL_KINDS else ProgramKind.UNIT
    if program.kind != default_kind:
        row["program"] = program.kind
    if item.parent is not None:
        row["parent"] = item.parent.code
    row.update({"title": item.title, "product": item.product_type.code, "quantity": _number(item.quantity),
                "due_at": _iso(item.first_due_at)})
    if item.description:
        row["description"] = item.description
    if co_workers:
        row["co_workers"] = co_workers
    out = []
    for e in events:
        ev: dict[str, Any] = {"type": e.type, "at": _iso(e.at)}
        if e.actor is not None:
            ev["by"] = e.actor.code
        if e.type == EventType.RESCHEDULED and e.new_due_at is not None:
            ev["new_due_at"] = _iso(e.new_due_at)
        if e.type in (EventType.RESCHEDULED, EventType.QUALITY_FAILED) or e.objective_cause:
            ev["objective_cause"] = e.objective_cause
        if e.type == EventType.COMPLETED and e.completion:
            ev["completion"] = e.completion
        if e.note:
            ev["note"] = e.note
        out.append(ev)
    row["events"] = out
    return row


IMPORTERS = {"product_types": import_product_types, "work_items": import_work_items}
EXPORTERS = {"product_types": export_product_types, "work_items": export_work_items}
