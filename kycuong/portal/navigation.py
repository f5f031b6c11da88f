"""Navigation items by role. Apps add items via `NAV_ITEMS` in their `navigation.py` module.

Each item: {"label", "url_name", "roles": set of roles or None for any staff, "public": bool, "order": int}.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

PORTAL_NAV: list[dict[str, Any]] = [
    {"label": _("Trang của tôi"), "url_name": "portal:dashboard", "roles": None, "order": 0},
    {"label": _("Nhật ký thao tác"), "url_name": "portal:audit", "roles": {"admin", "inspector", "city_leader"}, "order": 90},
    {"label": _("Lịch làm việc"), "url_name": "workdays:calendar", "roles": None, "order": 80},
    {"label": _("Đơn vị"), "url_name": "org:units", "roles": None, "order": 85},
]


@cache
def _modules() -> list[Any]:
    modules = []
    for app in settings.KYCUONG_APPS:
        if app == "kycuong.portal":
            continue
        try:
            modules.append(importlib.import_module(f"{app}.navigation"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.navigation":
                raise
    return modules


def _all_items() -> list[dict[str, Any]]:
    items = list(PORTAL_NAV)
    for module in _modules():
        items.extend(getattr(module, "NAV_ITEMS", []))
    return sorted(items, key=lambda i: i.get("order", 50))


def public_links() -> list[dict[str, Any]]:
    """Links on the public home page: apps list `PUBLIC_LINKS` = [{"label", "url_name", "hint", "order"}]."""
    links = []
    for module in _modules():
        for item in getattr(module, "PUBLIC_LINKS", []):
            try:
                links.append({**item, "url": reverse(item["url_name"])})
            except NoReverseMatch:
                continue
    return sorted(links, key=lambda i: i.get("order", 50))


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    """Cards on a user's landing page: apps define `dashboard_cards(user) -> list[dict]`
    with keys title, value, hint, url, tone ("danger", "warning", "ok", "")."""
    cards: list[dict[str, Any]] = []
    for module in _modules():
        fn = getattr(module, "dashboard_cards", None)
        if fn is not None:
            cards.extend(fn(user))
    return cards


def navigation_for(user: Any) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False):
        return []
    from kycuong.org.selectors import roles_of

    roles = getattr(user, "_kycuong_roles", None)
    if roles is None:
        roles = roles_of(user)
        user._kycuong_roles = roles
    result = []
    for item in _all_items():
        if item.get("roles") is not None and not (roles & item["roles"]) and not user.is_superuser:
            continue
        try:
            url = reverse(item["url_name"])
        except NoReverseMatch:
            continue
        result.append({"label": item["label"], "url": url})
    return result
