from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kycuong.core.errors import DomainError
from kycuong.core.interchange import csv_flatteners, registry, write_csv, write_jsonl


class Command(BaseCommand):
    help = "Export as JSON Lines to standard output: kycuong export <kind> [--period 2026-10]"

    def add_arguments(self, parser: CommandParser) -> None:
        _, exporters = registry()
        parser.add_argument("kind", choices=sorted(exporters))
        parser.add_argument("--period", default=None, help="e.g. 2026-10, 2026-W43, 2026-Q4, 2026")
        parser.add_argument("--unit", default=None, help="unit code (its subtree)")
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")

    def handle(self, *args: Any, **options: Any) -> None:
        _, exporters = registry()
        try:
            rows = exporters[options["kind"]](period=options["period"], unit=options["unit"])
            if options["format"] == "csv":
                flatteners = csv_flatteners()
                if options["kind"] not in flatteners:
                    raise CommandError(f"{options['kind']} has no CSV form; use --format jsonl")
                write_csv(rows, sys.stdout, flatteners[options["kind"]])
            else:
                write_jsonl(rows, sys.stdout)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
