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

Set-based: three queries for everyone (one grouped join of items and events, then the few
rescheduled or quality-failed items' events), whatever the number of people (no per-person query), benchmarked in bench/workplans.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from django.db.models import Count, F, FilteredRelation, FloatField, Max, Min, Q
from django.db.models.functions import Cast

from kycuong.core.periods import parse_period
from kycuong.workplans.models import Completion, EventType, ItemStatus, WorkItem, WorkItemEvent
from kycuong.workplans.selectors.fetch import fetch_rows

DEDUCTION = 0.25
_EVIDENCE_ORDER = itemgetter("first_due_at", "item")


def _items(period: Any, staff_ids: list[int] | None, unit: Any) -> Any:
    qs = WorkItem.objects.filter(first_due_at__gte=period.start_at, first_due_at__lt=period.end_at).exclude(
        status=ItemStatus.CANCELLED)
    if staff_ids is not None:
        qs = qs.filter(owner_id__in=staff_ids)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def _annotated(items: Any, period: Any) -> Any:
    """One grouped join of the items with their events (no per-item subquery): the last quality
    failure, the failures without objective cause and the first standing completion report."""
    failed = Q(ev__type=EventType.QUALITY_FAILED)
    completed = Q(ev__type=EventType.COMPLETED, ev__at__lte=period.end_at) & ~Q(ev__completion=Completion.NOT_DONE)
    return (items.annotate(ev=FilteredRelation("events", condition=Q(
        events__type__in=(EventType.QUALITY_FAILED, EventType.COMPLETED)))).annotate(
        last_failed=Max("ev__at", filter=failed),
        f=Count("ev", filter=failed & Q(ev__objective_cause=False)),
        first_done=Min("ev__at", filter=completed),
        last_done=Max("ev__at", filter=completed),
        w=Cast(F("weight"), FloatField()))
        .order_by()
        .values_list("pk", "owner_id", "code", "title", "w", "first_due_at", "first_done", "last_done",
                     "last_failed", "f"))


def _done_after_failure(items: Any, period: Any) -> dict[int, list[Any]]:
    """Completion reports of the (few) items that failed quality at least once, in time order."""
    out: dict[int, list[Any]] = defaultdict(list)
    failed = WorkItemEvent.objects.filter(type=EventType.QUALITY_FAILED, item__in=items.values("pk")).values("item_id")
    rows = (WorkItemEvent.objects.filter(type=EventType.COMPLETED, at__lte=period.end_at, item_id__in=failed)
            .exclude(completion=Completion.NOT_DONE).order_by("item_id", "at").values_list("item_id", "at"))
    for item_id, at in rows:
        out[item_id].append(at)
    return out


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
    rows = fetch_rows(_annotated(items, p))
    moved = _reschedules(items)
    redone = _done_after_failure(items, p)
    for pk, owner_id, code, title, w, first_due, first_done, last_done, last_failed, f in rows:
        if last_failed is None or first_done is None or first_done > last_failed:
            done_at = first_done
        elif last_done is not None and last_done > last_failed:
            done_at = next(at for at in redone[pk] if at > last_failed)
        else:
            done_at = None
        o = out.get(owner_id)
        if o is None:
            o = out[owner_id] = _empty(owner_id)
        o["assigned_units"] += w
        o["items"] += 1
        d = None
        resched = moved.get(pk)
        if done_at is not None:
            d = delays(first_due, resched, done_at) if resched else int(first_due < done_at)
            o["completed_units"] += w
            o["completed_items"] += 1
            o["_q"] += w * max(0.0, 1 - DEDUCTION * f)
            o["_t"] += w * max(0.0, 1 - DEDUCTION * d)
        if evidence:
            o["evidence"].append({
                "item": code, "title": title, "w": w, "completed": done_at is not None, "completed_at": done_at,
                "d": d, "f": f, "first_due_at": first_due,
                "due_dates": [first_due, *(r[1] for r in resched)] if resched else [first_due]})
    for o in out.values():
        o["evidence"].sort(key=_EVIDENCE_ORDER)
        total = o["assigned_units"]
        q, t = o.pop("_q"), o.pop("_t")
        if total > 0:
            o["quantity"] = o["completed_units"] / total
            o["quality"] = q / total
            o["timeliness"] = t / total
    return out
