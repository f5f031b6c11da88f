"""Background work for work programs: recurring items every morning, reminders every 15 minutes
(both idempotent: a restart that enqueues again creates nothing twice)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic

from .services.recurring import recurring_generate
from .services.reminders import reminders_scan


@task()
def generate_recurring_items() -> int:
    """Items of the active templates for the current and the next week / month / quarter."""
    return recurring_generate().created


@task()
def send_reminders() -> int:
    """Program submission reminders, the head's summary after the deadline, items due and overdue."""
    return reminders_scan()


PERIODIC = [Periodic(task=generate_recurring_items, daily_at=dt.time(6, 0), name="workplans.generate_recurring_items"),
            Periodic(task=send_reminders, every=dt.timedelta(minutes=15), name="workplans.send_reminders")]
