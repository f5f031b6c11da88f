from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def vnd(value: Any) -> str:
    """Money the Vietnamese way: 75000 -> "75.000"."""
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
