"""JSON Lines interchange helpers shared by every module (docs/interchange.md).

Imports are all-or-nothing: importers parse and validate every line first, then write in one
transaction; any error raises ImportFailed naming the line, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ImportFailed


def clock_tolerance() -> dt.timedelta:
    """How far after the server's clock an imported event may lie (clocks of other systems drift):
    setting DOSSIER_CLOCK_TOLERANCE_SECONDS, default 5 minutes. Every import path bounds its times
    with it (dossiers, work items)."""
    return dt.timedelta(seconds=getattr(settings, "DOSSIER_CLOCK_TOLERANCE_SECONDS", 300))

Importer = Callable[..., int]
Exporter = Callable[..., Iterable[dict[str, Any]]]


def read_jsonl(stream: IO[str] | Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object); blank lines are skipped; malformed JSON names its line."""
    for number, raw in enumerate(stream, start=1):
        text = raw.strip()
        if not text:
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFailed(_("JSON không hợp lệ: %(error)s") % {"error": exc.msg}, line=number) from exc
        if not isinstance(obj, dict):
            raise ImportFailed(_("Mỗi dòng phải là một đối tượng JSON."), line=number)
        yield number, obj


def check_keys(obj: dict[str, Any], *, line: int, required: set[str], optional: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    missing = sorted(required - obj.keys())
    if missing:
        raise ImportFailed(_("Thiếu trường: %(fields)s") % {"fields": ", ".join(missing)}, line=line)
    unknown = sorted(obj.keys() - required - optional)
    if unknown:
        raise ImportFailed(_("Trường không được hỗ trợ: %(fields)s") % {"fields": ", ".join(unknown)}, line=line)


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, separators=(", ", ": ")))
        out.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], flatten: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    import csv

    writer = None
    count = 0
    for row in rows:
        flat = flatten(row)
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(flat.keys()), lineterminator="\n")
            writer.writeheader()
        writer.writerow(flat)
        count += 1
    return count


def csv_flatteners() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    result: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
    for app in settings.KYCUONG_APPS:
        try:
            module = importlib.import_module(f"{app}.interchange")
        except ModuleNotFoundError as exc:
            if exc.name == f"{app}.interchange":
                continue
            raise
        result.update(getattr(module, "CSV_ROWS", {}))
    return result


def registry() -> tuple[dict[str, Importer], dict[str, Exporter]]:
    """Collect IMPORTERS / EXPORTERS from each app's `interchange` module."""
    importers: dict[str, Importer] = {}
    exporters: dict[str, Exporter] = {}
    for app in settings.KYCUONG_APPS:
        try:
            module = importlib.import_module(f"{app}.interchange")
        except ModuleNotFoundError as exc:
            if exc.name == f"{app}.interchange":
                continue
            raise
        importers.update(getattr(module, "IMPORTERS", {}))
        exporters.update(getattr(module, "EXPORTERS", {}))
    return importers, exporters
