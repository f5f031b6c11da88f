"""Demo city framework: `kycuong demo` runs each app's `demo.build(ctx)` in KYCUONG_APPS order.

Everything is deterministic (seeded RNG, fixed reference date), so two runs build the same city.
Apps add their own demo data by defining `build(ctx: DemoContext) -> str` in `<app>/demo.py`
(returning a one-line summary); they find the city through `ctx` and the org selectors.
"""

from __future__ import annotations

import datetime as dt
import importlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from .periods import TZ

DEMO_PASSWORD = "kycuong2026"  # noqa: S105 - printed by `make run`; demo databases only


@dataclass
class DemoContext:
    seed: int = 2026
    today: dt.date = dt.date(2026, 11, 20)
    data_dir: Path = field(default_factory=lambda: Path(settings.KYCUONG_SHARED_DATA_DIR))
    scale: float = 1.0
    log: Callable[[str], None] = print
    accounts: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        """An independent deterministic RNG per app, so adding data in one app changes no other."""
        return random.Random(f"{self.seed}:{name}")

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(16, 30), tzinfo=TZ)


def demo_modules() -> list[tuple[str, Any]]:
    modules = []
    for app in settings.KYCUONG_APPS:
        try:
            modules.append((app, importlib.import_module(f"{app}.demo")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
    return modules


def build_demo(ctx: DemoContext, *, only: set[str] | None = None) -> DemoContext:
    for app, module in demo_modules():
        short = app.rsplit(".", 1)[-1]
        if only and short not in only:
            continue
        started = time.monotonic()
        summary = module.build(ctx)
        ctx.log(f"  {short:<12} {time.monotonic() - started:6.1f}s  {summary or ''}")
    return ctx
