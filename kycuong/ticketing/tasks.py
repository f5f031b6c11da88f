"""Background work for the service hall. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from kycuong.core.scheduling import Periodic

from . import services


@task()
def close_day() -> dict[str, int]:
    """Nightly: close yesterday's tickets left at a counter (see services.tickets_close_day)."""
    return services.tickets_close_day(before=timezone.localdate())


PERIODIC = [Periodic(task=close_day, daily_at=dt.time(22, 30), name="ticketing.close_day")]
