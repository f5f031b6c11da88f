"""The "who has not submitted" board: every person of a unit's subtree and their personal program of
the week or month against its submission deadline (Directive 2018: day/week/month programs of every
civil servant, followed up by the head).

Rules (docs/modules/workplans.md):
- People: each (person, unit) with a membership in the unit's subtree in force on at least one day of
  the period (the one reading of `active_from`/`active_to` of kycuong.org.models.in_force_q: from
  `active_from`, up to but excluding `active_to`), of active staff. A person with roles in two units
  of the subtree has a row per unit (a personal program belongs to one unit).
- Deadline (ProgramPolicy; defaults when no row): the weekly program by `weekly_time` (10:00) of the
  week's `weekly_weekday` (Monday); when that day is not a working day in the unit's calendar
  (kycuong.workdays.services.calendar_for(unit) of the board's unit), the deadline moves to the same
  time of the next working day (a holiday Monday → Tuesday 10:00). The monthly program by
  `monthly_time` (17:00, the end of the working day) of the month's `monthly_working_day`-th (3rd)
  working day. A person who joined after the deadline's day counts from their first day: the weekly
  deadline is `weekly_time` of their first working day on or after it, the monthly one the end of
  their N-th working day from it.
- Status: none / draft / submitted / returned / approved. `submitted_on_time`: submitted or approved
  with `submitted_at` at or before the deadline (a resubmission after a return counts at its time);
  `approved_on_time`: approved with `approved_at` at or before it. Once `at` (now) is past the
  deadline, `late` = not submitted on time (the person's delay) and `not_approved` = not approved on
  time (the head's delay shows there). Exactly at the deadline is on time.
- Scoped: a unit outside the user's scope is a NotFound (no enumeration). Set-based: three queries
  whatever the number of people. `program_rows` is the unscoped core (also used by
  selectors/figures.py for the scorecard).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kycuong.core.errors import ValidationFailed
from kycuong.core.periods import Period, parse_period
from kycuong.org.models import Membership, in_force_during_q
from kycuong.org.scoping import ensure_unit_visible
from kycuong.workdays.services import calendar_for
from kycuong.workplans.models import Program, ProgramKind, ProgramPolicy, ProgramStatus
from kycuong.workplans.selectors.fetch import fetch_rows

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NONE = "none"


def policy() -> ProgramPolicy:
    """The one ProgramPolicy row (the model's defaults when there is none)."""
    return ProgramPolicy.objects.order_by("pk").first() or ProgramPolicy()


def _as_time(value: Any) -> dt.time:
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value))


def deadline_for(period: Period, cal: Any, pol: ProgramPolicy, *, joined: dt.date | None = None) -> dt.datetime:
    """The submission deadline of a personal program of `period` (see the module docstring)."""
    if period.kind == "week":
        day = period.start + dt.timedelta(days=pol.weekly_weekday)
        if joined is not None and joined > day:
            day = joined
        if not cal.is_working_day(day):
            day = cal.next_working_day(day)
        return dt.datetime.combine(day, _as_time(pol.weekly_time), tzinfo=TZ)
    first = period.start if joined is None or joined <= period.start else joined
    day, n = first, 0
    while True:
        if cal.is_working_day(day):
            n += 1
            if n >= pol.monthly_working_day:
                break
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, _as_time(pol.monthly_time), tzinfo=TZ)


def _personal_period(period: str) -> Period:
    p = parse_period(period)
    if p.kind not in ("week", "month"):
        raise ValidationFailed(_("Chương trình cá nhân chỉ lập theo tuần hoặc tháng."), details={"errors": {"period": "invalid_period"}})
    return p


def program_rows(*, unit: Any, period: Period, at: dt.datetime, cal: Any = None,
                 pol: ProgramPolicy | None = None) -> list[dict[str, Any]]:
    """The board's rows for `unit`'s subtree (None: every unit), without scoping (callers scope)."""
    pol = pol or policy()
    cal = cal or calendar_for(unit)
    regular = deadline_for(period, cal, pol)
    path = unit.path if unit is not None else ""

    @cache
    def deadline(joined: dt.date | None) -> dt.datetime:
        if joined is None or joined <= regular.date():
            return regular
        return deadline_for(period, cal, pol, joined=joined)

    members = fetch_rows(Membership.objects.filter(in_force_during_q(period.start, period.end), unit__path__startswith=path,
                                         staff__is_active=True)
               .values_list("staff_id", "staff__code", "staff__full_name", "unit_id", "unit__name", "active_from"))
    people: dict[tuple[int, int], list[Any]] = {}
    for staff_id, code, name, unit_id, unit_name, active_from in members:
        key = (staff_id, unit_id)
        joined = active_from if active_from and active_from > period.start else None
        if key in people:  # several roles in one unit: the earliest start counts
            prev = people[key][5]
            joined = None if prev is None or joined is None else min(prev, joined)
        people[key] = [staff_id, code, name, unit_id, unit_name, joined]
    programs = {(o, u): (pk, status, sub, appr) for pk, o, u, status, sub, appr in fetch_rows(
        Program.objects.filter(kind=ProgramKind.PERSONAL, period=period.label, unit__path__startswith=path)
        .values_list("pk", "owner_id", "unit_id", "status", "submitted_at", "approved_at"))}
    rows = []
    for key, (staff_id, code, name, unit_id, unit_name, joined) in people.items():
        due = deadline(joined)
        pk, status, submitted_at, approved_at = programs.get(key, (None, NONE, None, None))
        submitted_on_time = (status in (ProgramStatus.SUBMITTED, ProgramStatus.APPROVED)
                             and submitted_at is not None and submitted_at <= due)
        approved_on_time = status == ProgramStatus.APPROVED and approved_at is not None and approved_at <= due
        passed = at > due
        rows.append({"staff_id": staff_id, "staff_code": code, "staff_name": name, "unit_id": unit_id,
                     "unit_name": unit_name, "program_id": pk, "status": status, "submitted_at": submitted_at,
                     "approved_at": approved_at, "deadline": due, "deadline_passed": passed,
                     "submitted_on_time": submitted_on_time, "approved_on_time": approved_on_time,
                     "late": passed and not submitted_on_time, "not_approved": passed and not approved_on_time})
    return rows


def not_submitted_board(*, user: Any, unit: Any, period: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """Rows per (person, unit) of `unit`'s subtree with their personal program's status and deadline."""
    ensure_unit_visible(user, unit.pk if unit is not None else None)
    p = _personal_period(period)
    at = at or timezone.now()
    pol, cal = policy(), calendar_for(unit)
    rows = program_rows(unit=unit, period=p, at=at, cal=cal, pol=pol)
    totals = {"people": len(rows), NONE: 0, **{s.value: 0 for s in ProgramStatus}, "late": 0, "not_approved": 0}
    for row in rows:
        totals[row["status"]] += 1
        totals["late"] += row["late"]
        totals["not_approved"] += row["not_approved"]
    rows.sort(key=lambda r: (not r["late"], r["unit_name"], r["staff_name"], r["staff_id"]))
    return {"unit": unit, "period": p.label, "kind": p.kind, "deadline": deadline_for(p, cal, pol), "at": at,
            "rows": rows, "totals": totals}
