"""A small periodic-job scheduler: apps declare `PERIODIC = [Periodic(...)]` in their tasks.py.

The scheduler process (`kycuong scheduler`, started by `make run`) enqueues each job when it is
due; the worker runs it. Jobs must be idempotent, so a restart that enqueues again is harmless.
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .periods import TZ


@dataclass(frozen=True)
class Periodic:
    task: Any  # a django_tasks Task
    every: dt.timedelta | None = None  # e.g. every minute
    daily_at: dt.time | None = None  # e.g. nightly at 01:30 local time
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.task.name

    def next_after(self, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        if self.every is not None:
            return now if last is None else last + self.every
        assert self.daily_at is not None
        local = now.astimezone(TZ)
        today_at = dt.datetime.combine(local.date(), self.daily_at, tzinfo=TZ)
        if last is None:
            return today_at if today_at > now else today_at + dt.timedelta(days=1)
        last_local = last.astimezone(TZ)
        candidate = dt.datetime.combine(last_local.date() + dt.timedelta(days=1), self.daily_at, tzinfo=TZ)
        return candidate


def periodic_jobs() -> list[Periodic]:
    jobs: list[Periodic] = []
    for app in settings.KYCUONG_APPS:
        try:
            module = importlib.import_module(f"{app}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.tasks":
                raise
            continue
        jobs.extend(getattr(module, "PERIODIC", []))
    return jobs
