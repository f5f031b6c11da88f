"""Background work: parse uploads left unparsed, compute daily attendance. All idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from kycuong.core.scheduling import Periodic

from . import services


@task()
def recompute_days(*, staff_ids: list[int], start: str, end: str) -> int:
    """Recompute staff × days after a late punch, a correction, a PIN mapping or an approval."""
    return services.attendance_compute(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
                                       staff_ids=staff_ids)


@task()
def recompute_units(*, unit_ids: list[int], start: str, end: str) -> int:
    """Recompute everyone of these units (and their subtrees) after a rule change."""
    return services.attendance_compute(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
                                       unit_ids=unit_ids)


@task()
def compute_recent() -> int:
    """Today (so far) and yesterday for everyone under timekeeping."""
    today = timezone.localdate()
    return services.attendance_compute(start=today - dt.timedelta(days=1), end=today)


@task()
def parse_pending() -> int:
    """Safety net for uploads stored but not parsed (the process died between the two steps)."""
    return services.pending_pushes_parse()


PERIODIC = [
    Periodic(task=parse_pending, every=dt.timedelta(minutes=1)),
    Periodic(task=compute_recent, every=dt.timedelta(minutes=10)),
]
