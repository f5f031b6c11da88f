"""Background work of the citizen pages: nightly removal of uploads never submitted."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from kycuong.core.scheduling import Periodic


@task()
def purge_orphaned_uploads() -> int:
    """Online-submission uploads with no dossier after two days are deleted (idempotent)."""
    from kycuong.dossiers.online import uploads_orphaned_purge

    return uploads_orphaned_purge()


PERIODIC = [Periodic(task=purge_orphaned_uploads, daily_at=dt.time(2, 30), name="procedures.purge_orphaned_uploads")]
