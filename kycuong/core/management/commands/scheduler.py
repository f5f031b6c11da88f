from __future__ import annotations

import datetime as dt
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from kycuong.core.scheduling import periodic_jobs


class Command(BaseCommand):
    help = "Enqueue periodic jobs (every minute, nightly, ...) declared in each app's tasks.PERIODIC."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once and exit")
        parser.add_argument("--tick", type=float, default=5.0)

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = periodic_jobs()
        if options["once"]:
            for job in jobs:
                job.task.enqueue()
                self.stdout.write(f"enqueued {job.label}")
            return
        stop = False

        def _stop(*_a: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        now = timezone.now()
        due: dict[str, dt.datetime] = {job.label: job.next_after(None, now) for job in jobs}
        self.stdout.write(f"scheduler: {len(jobs)} periodic jobs: {', '.join(sorted(due))}")
        while not stop:
            now = timezone.now()
            for job in jobs:
                if due[job.label] <= now:
                    try:
                        job.task.enqueue()
                    except Exception as exc:  # keep the scheduler alive; the next tick retries
                        self.stderr.write(f"scheduler: could not enqueue {job.label}: {exc}")
                        continue
                    due[job.label] = job.next_after(now, now)
            time.sleep(options["tick"])
