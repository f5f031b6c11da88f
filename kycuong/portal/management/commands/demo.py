from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kycuong.core.demodata import DEMO_PASSWORD, DemoContext, build_demo
from kycuong.org.models import Unit


class Command(BaseCommand):
    help = "Build the deterministic Hanoi demo city (units, staff, demo accounts, and each module's data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing when units already exist")
        parser.add_argument("--today", default="2026-11-20", help="reference date of the demo (YYYY-MM-DD)")
        parser.add_argument("--scale", type=float, default=1.0, help="volume multiplier for generated records")
        parser.add_argument("--only", default="", help="comma-separated app names to build (others skipped)")

    def handle(self, *args: Any, **options: Any) -> None:
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("demo: database already has data, skipped")
                return
            raise CommandError("the database already has units; the demo builds on an empty database (use a new one)")
        ctx = DemoContext(today=dt.date.fromisoformat(options["today"]), scale=options["scale"], log=self.stdout.write)
        started = time.monotonic()
        self.stdout.write("Building the Hanoi demo city…")
        with transaction.atomic():
            build_demo(ctx, only={s.strip() for s in options["only"].split(",") if s.strip()} or None)
        self.stdout.write(self.style.SUCCESS(f"demo city built in {time.monotonic() - started:.1f}s"))
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for account in ctx.accounts:
            self.stdout.write(f"  {account['username']:<24} {account['role']}")
