"""Background entry points: debounced near-real-time refresh, every-minute catch-up, nightly run."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic

from . import services


@task()
def scorecard_refresh_task() -> int:
    """Recompute the running week and month (enqueued by `scorecard_touch`, debounced)."""
    return len(services.scorecard_refresh_current())


@task()
def scorecard_refresh_if_dirty_task() -> int:
    """Every minute: refresh the running week and month if an event marked them dirty."""
    return len(services.scorecard_refresh_if_dirty())


@task()
def scorecard_nightly_task() -> int:
    """Nightly: running and previous week, month, quarter, year of every indicator set."""
    return len(services.scorecard_nightly())


PERIODIC = [
    Periodic(task=scorecard_refresh_if_dirty_task, every=dt.timedelta(minutes=1), name="scorecard.refresh_if_dirty"),
    Periodic(task=scorecard_nightly_task, daily_at=dt.time(1, 30), name="scorecard.nightly"),
]
