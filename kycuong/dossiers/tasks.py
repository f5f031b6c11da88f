"""Background work for dossiers: deadline notifications every few minutes (idempotent)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic

from .notifications import notifications_scan


@task()
def scan_deadlines() -> int:
    """Notify 80 % used and overdue steps/dossiers, each once."""
    return notifications_scan()


PERIODIC = [Periodic(task=scan_deadlines, every=dt.timedelta(minutes=5), name="dossiers.scan_deadlines")]
