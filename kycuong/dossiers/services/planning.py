"""Pure helpers of the dossier life cycle, shared by the services, the import replay and the demo:
codes, the appointment with the afternoon cut-off, clock start, step plans, the 80 % warning moment,
processing time and supplement shifts (domain.md §2)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from kycuong.core.periods import TZ
from kycuong.org.models import Role
from kycuong.procedures.models import Procedure, TimeUnit
from kycuong.workdays.engine import DEFAULT_CUTOFF, WorkCalendar

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def secret_new() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))


def code_format(*, unit_code: str, day: dt.date, number: int) -> str:
    return f"{unit_code}-{day:%y%m%d}-{number:04d}"


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def procedure_cutoff(procedure: Procedure) -> dt.time:
    return procedure.cutoff or DEFAULT_CUTOFF


def procedure_due_at(*, procedure: Procedure, calendar: WorkCalendar, at: dt.datetime) -> dt.datetime:
    """The appointment for a receipt at `at`: the procedure's processing time on the deciding
    unit's calendar, with its afternoon cut-off (domain.md §2). Services, import replay and the
    demo all compute due dates here, so they cannot drift apart."""
    return calendar.due_at(at, value=float(procedure.processing_value), unit=procedure.processing_unit,
                           cutoff=procedure_cutoff(procedure))


def clock_start(*, procedure: Procedure, calendar: WorkCalendar, at: dt.datetime) -> dt.datetime:
    """When the clock starts for a receipt at `at` (cut-off for day-based times only)."""
    if procedure.processing_unit == TimeUnit.WORKING_HOURS:
        return calendar.next_working_moment(at)
    return calendar.clock_start(at, cutoff=procedure_cutoff(procedure))


@dataclass(frozen=True)
class StepPlan:
    order: int
    name: str
    role: str
    unit_kind: str
    share: Decimal
    allotted_seconds: int
    due_at: dt.datetime


def step_plans(*, procedure: Procedure, steps: Iterable[Any], calendar: WorkCalendar, start: dt.datetime,
               due_at: dt.datetime) -> list[StepPlan]:
    """Split the working time between clock start and due_at by the steps' shares; the last step's
    due time is the dossier's appointment. Without steps: one "Xử lý hồ sơ" step."""
    steps = list(steps)
    if not steps:
        return [StepPlan(1, _("Xử lý hồ sơ"), Role.OFFICER, "", Decimal(1),
                         max(calendar.working_seconds_between(start, due_at), 0), due_at)]
    total = max(calendar.working_seconds_between(start, due_at), 0)
    share_sum = sum((Decimal(s.share) for s in steps), Decimal(0)) or Decimal(len(steps))
    plans: list[StepPlan] = []
    cumulative = Decimal(0)
    used = 0
    for i, s in enumerate(steps):
        share = Decimal(s.share) if share_sum else Decimal(1)
        cumulative += share
        if i == len(steps) - 1:
            upto, step_due = total, due_at
        else:
            upto = int(round(total * cumulative / share_sum))
            step_due = calendar.add_working_seconds(start, upto) if upto > 0 else calendar.next_working_moment(start)
        plans.append(StepPlan(i + 1, s.name, s.role, s.unit_kind or "", share, upto - used, step_due))
        used = upto
    return plans


WARN_SHARE = 0.8


def warn_at_for(*, calendar: WorkCalendar, due_at: dt.datetime, total_seconds: int) -> dt.datetime:
    """The moment `WARN_SHARE` (80 %) of `total_seconds` of working time ending at `due_at` is used."""
    remaining = round(total_seconds * (1 - WARN_SHARE))
    if remaining <= 0:
        return due_at
    return calendar.from_ordinal(max(calendar.ordinal(due_at) - remaining, 0), at_end=True)


def processing_seconds_for(*, calendar: WorkCalendar, start: dt.datetime, finished_at: dt.datetime, paused: int) -> int:
    return max(calendar.working_seconds_between(start, finished_at) - paused, 0)


def shifted_due(*, calendar: WorkCalendar, due_at: dt.datetime, paused_seconds: int) -> dt.datetime:
    return calendar.add_working_seconds(due_at, paused_seconds) if paused_seconds > 0 else due_at
