"""Unit figures of work programs for the `kycuong` discipline scorecard (counts per unit, leaf level;
the scorecard sums them over each subtree).

For a scorecard period P judged at `as_of` (P's end, or now for the running period):
- Programs: the personal programs expected in P are, for each week whose Monday falls in P and each
  month whose first day falls in P (so each program counts in exactly one period of each kind), one
  per (person, unit) of the not-submitted board (selectors/board.py: memberships in force during the
  week/month, deadline from ProgramPolicy and the working calendar, a joiner's own deadline). Only
  those whose deadline has passed at `as_of` are judged. `programs_on_time` = submitted AND approved
  by the deadline (exactly at it is on time).
- Items: the leaf items (no child items: a unit item's progress is its children's) that have a status
  class (not cancelled / carried over) and whose due date in force (`due_at`) falls in P before
  `as_of`: `items_due`; `items_done_on_time` = done on time at `as_of`, `items_overdue` = overdue at
  `as_of` (selectors/status.py: the one meaning of overdue).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db.models import Count, Exists, OuterRef

from kycuong.core.periods import Period, period_containing
from kycuong.workdays.services import calendar_for
from kycuong.workplans.models import Program, StatusClass, WorkItem
from kycuong.workplans.selectors.board import policy, program_rows
from kycuong.workplans.selectors.status import has_class_q, overdue_q, status_class_q

KEYS = ("programs_expected", "programs_on_time", "items_due", "items_done_on_time", "items_overdue")


def personal_periods_in(period: Period) -> list[Period]:
    """The weeks whose Monday and the months whose first day fall in `period`."""
    out: list[Period] = []
    day = period.start + dt.timedelta(days=(7 - period.start.weekday()) % 7)
    while day < period.end:
        out.append(period_containing(day, "week"))
        day += dt.timedelta(days=7)
    day = period.start if period.start.day == 1 else period_containing(period.start, "month").end
    while day < period.end:
        month = period_containing(day, "month")
        out.append(month)
        day = month.end
    return out


def programs_on_time_by_unit(period: Period, as_of: dt.datetime) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = {}
    pol, cal = policy(), calendar_for(None)
    for sub in personal_periods_in(period):
        if sub.start_at > as_of:
            continue
        for row in program_rows(unit=None, period=sub, at=as_of, cal=cal, pol=pol):
            if not row["deadline_passed"]:
                continue
            c = out.setdefault(row["unit_id"], Counter())
            c["programs_expected"] += 1
            c["programs_on_time"] += row["submitted_on_time"] and row["approved_on_time"]
    return out


def items_by_unit(period: Period, as_of: dt.datetime) -> dict[int, dict[str, int]]:
    end = min(period.end_at, as_of)
    children = WorkItem.objects.filter(parent=OuterRef("pk"))
    rows = (WorkItem.objects.filter(has_class_q(), due_at__gte=period.start_at, due_at__lt=end)
            .filter(~Exists(children)).order_by().values("unit_id")
            .annotate(items_due=Count("pk"),
                      items_done_on_time=Count("pk", filter=status_class_q(StatusClass.DONE_ON_TIME, as_of)),
                      items_overdue=Count("pk", filter=overdue_q(as_of))))
    return {r["unit_id"]: {k: int(r[k]) for k in ("items_due", "items_done_on_time", "items_overdue")} for r in rows}


def unit_workplan_figures(*, period: Period, as_of: dt.datetime) -> dict[str, Any]:
    """{"has_data": bool, "units": {unit_id: {key: count for key in KEYS}}} (leaf counts per unit).

    `has_data` is False while nobody uses work programs yet (no program at all): the scorecard then
    shows "no data from the source module", never a silent zero."""
    units: dict[int, dict[str, int]] = {}
    for uid, programs in programs_on_time_by_unit(period, as_of).items():
        units.setdefault(uid, dict.fromkeys(KEYS, 0)).update(programs)
    for uid, items in items_by_unit(period, as_of).items():
        units.setdefault(uid, dict.fromkeys(KEYS, 0)).update(items)
    return {"has_data": Program.objects.exists(), "units": units}
