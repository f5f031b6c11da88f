"""One vocabulary of timeliness for dossiers (issue 10, item 4): `outcome`, `overdue(at)` and
`is_late`, defined here once — as Q objects for querysets (`DossierQuerySet.overdue(at)`, the
scorecard, statistics, work lists, notifications) and as pure functions for one object (the API,
the public lookup, the detail screen).

The rules (domain.md §2, Circular 01/2018/TT-VPCP art. 19 and Decree 61/2018/NĐ-CP art. 19 as
amended by Decree 107/2021/NĐ-CP: a supplement request stops the processing time, which resumes
when the applicant supplies the documents):

- **outcome** of a finished dossier: *trễ hạn* (late) when finished after `due_at`; *trước hạn*
  (early) when finished on a working day before the appointment day; otherwise *đúng hạn* (on time).
- **overdue at `at`** (quá hạn): received before `at`, neither finished nor closed (withdrawn,
  stopped) by `at`, and `due_at` (after supplement shifts) is before `at` — except a dossier
  *waiting for a supplement that was requested before its due date*: its clock is stopped, the due
  date will move by the pause, so it is not overdue while it waits. A supplement requested after
  the due date had already passed does not cure the delay: that dossier stays overdue.
- **late at `at`**: finished late, or overdue at `at` (domain.md: an open dossier past its due
  date "counts as late in every index").

The national scorecard's extra rule (more than one supplement request counts as late) is an
indicator rule applied by the scorecard from `supplement_count`, not part of these definitions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q

from kycuong.core.periods import TZ

from .models import Outcome


def _local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def outcome_for(*, finished_at: dt.datetime, due_at: dt.datetime) -> str:
    """Early / on time / late of something finished at `finished_at` against `due_at` (dossiers and steps)."""
    if finished_at > due_at:
        return Outcome.LATE
    if _local_day(finished_at) < _local_day(due_at):
        return Outcome.EARLY
    return Outcome.ON_TIME


def overdue_q(at: dt.datetime, *, finished: str = "finished_at") -> Q:
    """Dossiers overdue at `at` (see the module docstring). `finished` names the finish-moment
    column (the scorecard annotates `finish_moment` = finished, else returned)."""
    return (Q(received_at__lt=at, due_at__lt=at)
            & (Q(**{f"{finished}__isnull": True}) | Q(**{f"{finished}__gte": at}))
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=at))
            & (Q(paused_at__isnull=True) | Q(paused_at__gt=F("due_at"))))


def late_q(at: dt.datetime) -> Q:
    """Finished late, or overdue at `at`."""
    return Q(outcome=Outcome.LATE) | overdue_q(at)


def is_overdue(d: Any, *, at: dt.datetime) -> bool:
    """`overdue_q` for one dossier (any object with the dossier's date attributes)."""
    due, received = d.due_at, d.received_at
    if due is None or received is None or not (received < at and due < at):
        return False
    if d.finished_at is not None and d.finished_at < at:
        return False
    if d.closed_at is not None and d.closed_at < at:
        return False
    return d.paused_at is None or d.paused_at > due


def step_is_overdue(step: Any, dossier: Any, *, at: dt.datetime) -> bool:
    """An active step past its own due time — with the dossier's pause rule: while the dossier waits
    for a supplement requested before the step's due time, the step's clock is stopped too."""
    if step.status != "active" or step.due_at is None or not step.due_at < at:
        return False
    return dossier.paused_at is None or dossier.paused_at > step.due_at


def is_late(d: Any, *, at: dt.datetime) -> bool:
    """`late_q` for one dossier: finished after its due date, or overdue at `at`."""
    if d.finished_at is not None and d.due_at is not None and d.finished_at <= at:
        return d.finished_at > d.due_at
    return is_overdue(d, at=at)
