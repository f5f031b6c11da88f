"""Background work for dossiers: deadline notifications every few minutes (idempotent)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic

from .notifications import notifications_scan
from .online import uploads_orphaned_purge


@task()
def scan_deadlines() -> int:
    """Notify 80 % used and overdue steps/dossiers, each once."""
    return notifications_scan()


@task()
def purge_orphaned_uploads() -> int:
    """Online-submission uploads with no dossier after two days are deleted (idempotent)."""
    return uploads_orphaned_purge()


PERIODIC = [Periodic(task=scan_deadlines, every=dt.timedelta(minutes=5), name="dossiers.scan_deadlines"),
            Periodic(task=purge_orphaned_uploads, daily_at=dt.time(2, 30), name="dossiers.purge_orphaned_uploads")]
