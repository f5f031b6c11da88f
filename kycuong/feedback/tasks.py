"""Background jobs: the deadline watcher (reminders and escalation), every minute, idempotent."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic

from . import services


@task()
def feedback_deadlines_check() -> dict[str, int]:
    return services.feedback_deadlines_process()


PERIODIC = [Periodic(task=feedback_deadlines_check, every=dt.timedelta(minutes=1))]
