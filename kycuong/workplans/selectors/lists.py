"""The screens' reads: my week / month / day, the unit outline with progress rolled up by weight,
the approval inbox of a head, the Gantt month. Every list marks overdue items through the one
rule (selectors.status.is_overdue) and shows the official status class at `at`.

Query counts do not grow with the number of items: each list is a fixed number of queries
(select_related / prefetch_related), decorated in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from kycuong.core.periods import TZ, Period
from kycuong.org.models import Membership, Staff, Unit
from kycuong.org.scoping import scope_for

from ..lifecycle import cause_pending_exists, item_actions
from ..models import (
    Completion,
    ItemStatus,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)

#: Share of an item's weight counted as done in a unit item's roll-up: accepted output counts in
#: full (partly done: half); reported but not yet accepted, or not done, counts nothing.
DONE_SHARE = {Completion.DONE: Decimal("1"), Completion.PARTLY: Decimal("0.5"), Completion.NOT_DONE: Decimal("0")}


def items_qs() -> QuerySet[WorkItem]:
    """Items with what every list shows, in a fixed number of queries (`cause_pending` annotated:
    lifecycle.item_actions would ask it once per item)."""
    return (WorkItem.objects.select_related("product_type", "owner", "parent", "program", "unit")
            .prefetch_related("co_workers", "evidence__dossier").annotate(cause_pending=cause_pending_exists()))


def actions_of(item: WorkItem) -> list[str]:
    """The buttons of an item of `items_qs()` (lifecycle.item_actions, answered by the annotation)."""
    return item_actions(item)


def decorate(items: list[WorkItem], at: dt.datetime) -> list[WorkItem]:
    """Attach `overdue` (the one rule) and `status_class` (the four official classes) to each item."""
    from .status import is_overdue, status_class_at

    for item in items:
        item.overdue = is_overdue(item, at)  # type: ignore[attr-defined]
        item.status_class = status_class_at(item, at)  # type: ignore[attr-defined]
    return items


def personal_program(*, staff: Staff, unit: Unit | None, period: Period) -> Program | None:
    qs = Program.objects.select_related("unit", "owner", "approved_by").filter(
        kind=ProgramKind.PERSONAL, owner=staff, period=period.label)
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.first()


def program_items(program: Program, at: dt.datetime) -> list[WorkItem]:
    return decorate(list(items_qs().filter(program=program).order_by("due_at", "id")), at)


def _mine_ids(staff: Staff, *conditions: Q) -> list[int]:
    """Ids of the items `staff` presides over or co-works on that meet `conditions`: two index
    lookups (by owner; through the co-worker table) instead of an OR over a join, which makes
    PostgreSQL scan every item of the city (bench/workplans.py, the week page)."""
    co = WorkItem.co_workers.through.objects.filter(staff_id=staff.pk).values("workitem_id")
    own = WorkItem.objects.filter(*conditions, owner=staff).values_list("pk", flat=True)
    with_others = WorkItem.objects.filter(*conditions, pk__in=co).values_list("pk", flat=True)
    return sorted(set(own) | set(with_others))


def person_items(*, staff: Staff, start: dt.date, end: dt.date, at: dt.datetime) -> list[WorkItem]:
    """Items the person presides over or works on, due in [start, end) (local dates)."""
    start_at = dt.datetime.combine(start, dt.time(0), tzinfo=TZ)
    end_at = dt.datetime.combine(end, dt.time(0), tzinfo=TZ)
    ids = _mine_ids(staff, Q(due_at__gte=start_at, due_at__lt=end_at))
    return decorate(list(items_qs().filter(pk__in=ids).order_by("due_at", "id")), at)


def week_items(*, staff: Staff, program: Program | None, start: dt.date, end: dt.date,
               at: dt.datetime) -> tuple[list[WorkItem], list[WorkItem]]:
    """A personal page in one pass: the program's items, and the person's other items due in
    [start, end) (presided or co-worked on in other programs) — one items query, not two."""
    start_at = dt.datetime.combine(start, dt.time(0), tzinfo=TZ)
    end_at = dt.datetime.combine(end, dt.time(0), tzinfo=TZ)
    ids = _mine_ids(staff, Q(due_at__gte=start_at, due_at__lt=end_at))
    wanted = Q(pk__in=ids) | Q(program=program) if program is not None else Q(pk__in=ids)
    rows = decorate(list(items_qs().filter(wanted).order_by("due_at", "id")), at)
    mine = [i for i in rows if program is not None and i.program_id == program.pk]
    return mine, [i for i in rows if program is None or i.program_id != program.pk]


def day_items(*, staff: Staff, day: dt.date, at: dt.datetime) -> list[WorkItem]:
    """The day view: the person's items due that day or worked on that day (an event by them)."""
    start_at = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    end_at = start_at + dt.timedelta(days=1)
    worked = WorkItemEvent.objects.filter(item=OuterRef("pk"), actor=staff, at__gte=start_at, at__lt=end_at)
    ids = _mine_ids(staff, Q(due_at__gte=start_at, due_at__lt=end_at) | Q(Exists(worked)))
    return decorate(list(items_qs().filter(pk__in=ids).order_by("due_at", "id")), at)


# --- unit outline ------------------------------------------------------------------------------

@dataclass
class OutlineRow:
    item: WorkItem
    children: list[WorkItem] = field(default_factory=list)
    progress: int = 0  # percent, by weight


def item_done_share(item: WorkItem) -> Decimal:
    if item.status == ItemStatus.ACCEPTED:
        return DONE_SHARE.get(item.completion, Decimal("1"))  # type: ignore[call-overload]
    return Decimal("0")


def rolled_up_progress(item: WorkItem, children: list[WorkItem]) -> int:
    """Percent done of a unit item: Σ(child weight × done share) / Σ child weight (cancelled
    children left out); without children, the item's own done share."""
    live = [c for c in children if c.status != ItemStatus.CANCELLED]
    total = sum((c.weight for c in live), Decimal("0"))
    if not live or total <= 0:
        return int(item_done_share(item) * 100)
    done = sum((c.weight * item_done_share(c) for c in live), Decimal("0"))
    return int((done * 100 / total).quantize(Decimal("1")))


def unit_outline(*, unit: Unit, period: Period, at: dt.datetime) -> dict[str, Any]:
    """The unit's program of `period` as an outline: unit item → personal items → status, plus the
    personal items of the unit's people due in the period that hang under no unit item."""
    program = Program.objects.filter(kind=ProgramKind.UNIT, unit=unit, period=period.label).first()
    top = decorate(list(items_qs().filter(program=program).order_by("due_at", "id")), at) if program else []
    children = decorate(list(items_qs().filter(parent__in=[i.pk for i in top]).order_by("due_at", "id")), at) \
        if top else []
    by_parent: dict[int, list[WorkItem]] = {}
    for child in children:
        by_parent.setdefault(child.parent_id, []).append(child)  # type: ignore[arg-type]
    rows = [OutlineRow(item=i, children=by_parent.get(i.pk, []),
                       progress=rolled_up_progress(i, by_parent.get(i.pk, []))) for i in top]
    loose = decorate(list(
        items_qs().filter(unit=unit, program__kind=ProgramKind.PERSONAL, parent__isnull=True,
                          due_at__gte=period.start_at, due_at__lt=period.end_at).order_by("owner__full_name", "due_at")
    ), at)
    all_items = top + children + loose
    return {"program": program, "rows": rows, "loose": loose,
            "overdue": sum(1 for i in all_items if getattr(i, "overdue", False)), "count": len(all_items)}


# --- approval inbox ---------------------------------------------------------------------------

def managed_units_q(user: Any, field_name: str = "unit") -> Q | None:
    """Units whose programs `user` decides on (head/deputy of the unit or an ancestor); None: none."""
    scope = scope_for(user)
    if scope.manages_all:
        return Q()
    if not scope.managed_unit_ids:
        return None
    return Q(**{f"{field_name}__in": scope.managed_unit_ids})


def approval_inbox(*, user: Any, staff: Staff | None, at: dt.datetime) -> dict[str, Any]:
    """Submitted programs of the user's managed subtree (never their own), items reported and
    awaiting acceptance, and reschedules claiming an objective cause not yet confirmed."""
    q = managed_units_q(user)
    if q is None:
        return {"programs": [], "reported": [], "causes": []}
    programs = Program.objects.filter(q, status=ProgramStatus.SUBMITTED).select_related("unit", "owner")
    reported = items_qs().filter(q, status=ItemStatus.REPORTED)
    causes = items_qs().filter(q).filter(cause_pending_exists()).exclude(
        status__in=[ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER])
    if staff is not None:
        programs = programs.exclude(owner=staff)
        reported = reported.exclude(owner=staff)
        causes = causes.exclude(owner=staff)
    return {"programs": list(programs.order_by("submitted_at", "id")[:200]),
            "reported": decorate(list(reported.order_by("completed_at", "id")[:200]), at),
            "causes": decorate(list(causes.order_by("due_at", "id")[:200]), at)}


# --- Gantt month ------------------------------------------------------------------------------

def gantt_month(*, unit: Unit, period: Period, at: dt.datetime, staff: Staff | None = None) -> dict[str, Any]:
    """Items of the unit (or of one person) touching the month, as bars over its days: from the
    start of the item's program period (or the month) to its due day, both clipped to the month."""
    days = [period.start + dt.timedelta(days=n) for n in range((period.end - period.start).days)]
    qs = items_qs().filter(due_at__gte=period.start_at, program__period_start__lt=period.end)
    qs = qs.filter(owner=staff) if staff is not None else qs.filter(unit=unit)
    items = decorate(list(qs.exclude(status=ItemStatus.CANCELLED).order_by("due_at", "id")[:300]), at)
    bars = []
    for item in items:
        start = max(item.program.period_start, period.start)
        due = item.due_at.astimezone(TZ).date()
        end = min(due, period.end - dt.timedelta(days=1))
        if end < start:
            start = end
        bars.append({"item": item, "col_start": (start - period.start).days + 2,
                     "col_end": (end - period.start).days + 3, "due_outside": due >= period.end})
    return {"days": days, "bars": bars, "today": at.astimezone(TZ).date()}


def unit_people(unit: Unit, day: dt.date) -> QuerySet[Staff]:
    """People with a membership in force in `unit` on `day` (co-worker choices)."""
    ids = Membership.objects.in_force(day).filter(unit=unit).values("staff_id")
    return Staff.objects.filter(pk__in=ids).order_by("full_name")


def unit_item_choices(unit: Unit, period: Period) -> QuerySet[WorkItem]:
    """Unit items (of the unit or its ancestors) whose program overlaps `period`: parents a
    personal item may hang under."""
    ids = [*unit.ancestor_ids, unit.pk]
    return (WorkItem.objects.filter(program__kind=ProgramKind.UNIT, unit_id__in=ids,
                                    program__period_start__lt=period.end, program__period_end__gt=period.start)
            .exclude(status__in=[ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER])
            .select_related("unit").order_by("due_at"))


def visible_programs(user: Any) -> QuerySet[Program]:
    return Program.objects.visible_to(user).select_related("unit", "owner", "approved_by")


def program_prefetch() -> Prefetch:
    return Prefetch("items", queryset=items_qs())
