"""Display helpers: one decimal for points (stored unrounded), percentages, dict lookup."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

register = template.Library()


@register.filter
def one_decimal(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f}".replace(".", ",")


@register.filter
def pct(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}".replace(".", ",") + "%"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def add_days(value: dt.date, days: int) -> dt.date:
    return value + dt.timedelta(days=int(days))


@register.filter
def signed(value: Any) -> str:
    if value is None:
        return "—"
    v = round(float(value), 1)
    if v == 0:
        return "0,0"
    return f"{v:+.1f}".replace(".", ",")


@register.filter
def index(sequence: Any, i: int) -> Any:
    try:
        return sequence[int(i)]
    except (IndexError, TypeError, ValueError):
        return None
