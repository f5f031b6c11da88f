from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kycuong.core.errors import DomainError
from kycuong.core.interchange import registry


class Command(BaseCommand):
    help = "Import a JSON Lines (or CSV where supported) file, all-or-nothing: kycuong import <kind> FILE"

    def add_arguments(self, parser: CommandParser) -> None:
        importers, _ = registry()
        parser.add_argument("kind", choices=sorted(importers))
        parser.add_argument("file", help="path, or - for standard input")
        parser.add_argument("--format", choices=["jsonl", "csv"], default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        importers, _ = registry()
        path = options["file"]
        fmt = options["format"] or ("csv" if path.endswith(".csv") else "jsonl")
        try:
            if path == "-":
                count = importers[options["kind"]](sys.stdin, fmt=fmt, progress=self._progress)
            else:
                with open(path, encoding="utf-8-sig", newline="") as fh:
                    count = importers[options["kind"]](fh, fmt=fmt, progress=self._progress)
        except DomainError as exc:
            raise CommandError(f"{exc} — nothing was imported") from exc
        self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"imported {count} {options['kind']}"))

    def _progress(self, done: int, total: int | None = None) -> None:
        if total:
            width = 30
            filled = int(width * done / max(total, 1))
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
        else:
            self.stderr.write(f"\r{done}", ending="")
