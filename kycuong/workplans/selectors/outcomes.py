"""Work-item outcomes of people over a period, for evaluations (Decree 335/2025/NĐ-CP task results).

The rules are the "Evaluation proposal" contract (docs/modules/workplans.md), over the person's items
(the items they preside, `owner`) whose FIRST due date falls in the period (local time,
`period.start_at <= first_due_at < period.end_at`) and that are not cancelled; w = quantity × factor
(the stored `weight`):

- completed: a `completed` event at or before the period's end (`at <= period.end_at`) that comes after
  the last `quality_failed` event, if any (strictly after). A report of `not_done` is not a completion.
  The completion time C is the earliest such event.
- delays d: the number of the item's due dates (the first one, then each `rescheduled` event's
  `new_due_at`, in event order) earlier than C (strictly), not counting a due date that a
  `rescheduled` event with `objective_cause = true` replaced before it passed (the reschedule's `at` at
  or before that due date: a due date passes after its exact time, as "exactly at the due time is on
  time"). d is only defined for a completed item (null otherwise).
- quality failures f: the `quality_failed` events without `objective_cause`.
- quantity = Σ_completed w ÷ Σ w; quality = Σ_completed w·max(0, 1 − 0.25 f) ÷ Σ w;
  timeliness = Σ_completed w·max(0, 1 − 0.25 d) ÷ Σ w; unrounded; null when Σ w = 0.

Set-based: two queries for everyone, whatever the number of people (no per-person query), benchmarked in bench/workplans.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, FloatField, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce

from kycuong.core.periods import parse_period
from kycuong.workplans.models import Completion, EventType, ItemStatus, WorkItem, WorkItemEvent

DEDUCTION = 0.25
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _items(period: Any, staff_ids: list[int] | None, unit: Any) -> Any:
    qs = WorkItem.objects.filter(first_due_at__gte=period.start_at, first_due_at__lt=period.end_at).exclude(
        status=ItemStatus.CANCELLED)
    if staff_ids is not None:
        qs = qs.filter(owner_id__in=staff_ids)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def _annotated(items: Any, period: Any) -> Any:
    events = WorkItemEvent.objects.filter(item=OuterRef("pk"))
    failed = events.filter(type=EventType.QUALITY_FAILED)
    last_failed = Subquery(failed.order_by("-at").values("at")[:1])
    failures = Subquery(failed.filter(objective_cause=False).values("item").annotate(n=Count("pk")).values("n"),
                        output_field=IntegerField())
    completed = Subquery(
        events.filter(type=EventType.COMPLETED, at__lte=period.end_at,
                      at__gt=Coalesce(OuterRef("last_failed"), Value(_EPOCH)))
        .exclude(completion=Completion.NOT_DONE).order_by("at").values("at")[:1])
    return (items.annotate(last_failed=last_failed).annotate(
        done_at=completed, f=Coalesce(failures, 0), w=Cast(F("weight"), FloatField()))
        .order_by("owner_id", "first_due_at", "code")
        .values_list("pk", "owner_id", "code", "title", "w", "first_due_at", "done_at", "f"))


def _reschedules(items: Any) -> dict[int, list[tuple[Any, Any, bool]]]:
    out: dict[int, list[tuple[Any, Any, bool]]] = defaultdict(list)
    rows = (WorkItemEvent.objects.filter(type=EventType.RESCHEDULED, new_due_at__isnull=False,
                                         item__in=items.values("pk"))
            .order_by("item_id", "at", "pk").values_list("item_id", "at", "new_due_at", "objective_cause"))
    for item_id, at, new_due, objective in rows:
        out[item_id].append((at, new_due, objective))
    return out


def delays(first_due: dt.datetime, reschedules: list[tuple[Any, Any, bool]], completed_at: dt.datetime) -> int:
    """d: due dates earlier than the completion, except one an objective reschedule replaced before it passed."""
    d, due = 0, first_due
    for at, new_due, objective in reschedules:
        if due < completed_at and not (objective and at <= due):
            d += 1
        due = new_due
    return d + (due < completed_at)


def _empty(staff_id: int) -> dict[str, Any]:
    return {"staff_id": staff_id, "assigned_units": 0.0, "completed_units": 0.0, "items": 0, "completed_items": 0,
            "quantity": None, "quality": None, "timeliness": None, "evidence": [], "_q": 0.0, "_t": 0.0}


def work_item_outcomes(*, period: str, staff_ids: Iterable[int] | None = None, unit: Any = None,
                       evidence: bool = True) -> dict[int, dict[str, Any]]:
    """Outcomes per staff id: `assigned_units` (Σ w), `completed_units`, `quantity`, `quality`,
    `timeliness` (unrounded floats, None with nothing assigned) and `evidence` (one row per item:
    item code, title, w, completed, completed_at, d, f, first_due_at, due_dates).

    `staff_ids` limits to those people (each appears, with nothing assigned if they have no item);
    `unit` limits to items of that unit's subtree. `evidence=False` leaves the rows out."""
    p = parse_period(period)
    ids = sorted({int(s) for s in staff_ids}) if staff_ids is not None else None
    items = _items(p, ids, unit)
    out: dict[int, dict[str, Any]] = {i: _empty(i) for i in ids or ()}
    rows = list(_annotated(items, p))
    moved = _reschedules(items)
    for pk, owner_id, code, title, w, first_due, done_at, f in rows:
        o = out.get(owner_id)
        if o is None:
            o = out[owner_id] = _empty(owner_id)
        o["assigned_units"] += w
        o["items"] += 1
        d = None
        if done_at is not None:
            d = delays(first_due, moved.get(pk, []), done_at)
            o["completed_units"] += w
            o["completed_items"] += 1
            o["_q"] += w * max(0.0, 1 - DEDUCTION * f)
            o["_t"] += w * max(0.0, 1 - DEDUCTION * d)
        if evidence:
            o["evidence"].append({
                "item": code, "title": title, "w": w, "completed": done_at is not None, "completed_at": done_at,
                "d": d, "f": f, "first_due_at": first_due,
                "due_dates": [first_due, *(new_due for _at, new_due, _o in moved.get(pk, []))]})
    for o in out.values():
        total = o["assigned_units"]
        q, t = o.pop("_q"), o.pop("_t")
        if total > 0:
            o["quantity"] = o["completed_units"] / total
            o["quality"] = q / total
            o["timeliness"] = t / total
    return out
