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


#: Menu groups by URL namespace: the header shows one entry per group (a disclosure menu when the
#: group has several pages), so the bar stays one line however many modules are installed.
GROUPS: list[tuple[str, Any, set[str]]] = [
    ("dossiers", _("Hồ sơ TTHC"), {"dossiers", "procedures", "citizen", "dossier_documents"}),
    ("hall", _("Quầy phục vụ"), {"ticketing", "ratings"}),
    ("feedback", _("Phản ánh, kiến nghị"), {"feedback"}),
    ("attendance", _("Chấm công"), {"attendance"}),
    ("scorecard", _("Chỉ số"), {"scorecard"}),
    ("system", _("Hệ thống"), {"org", "workdays", "portal_admin"}),
]


def grouped_navigation_for(user: Any) -> list[dict[str, Any]]:
    """[{"label", "url"} for a single page, or {"label", "children": [...]} for a group], in menu order.

    (Not "items": Django templates would resolve `group.items` to dict.items.)"""
    items = navigation_for(user)
    top: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        namespace = item["url_name"].split(":", 1)[0]
        if item["url_name"] == "portal:audit":
            namespace = "portal_admin"
        key = next((g for g, _label, spaces in GROUPS if namespace in spaces), None)
        if key is None:
            top.append(item)
            continue
        if key not in groups:
            label = next(label for g, label, _spaces in GROUPS if g == key)
            groups[key] = {"label": label, "children": [], "key": key}
        groups[key]["children"].append(item)
    ordered = [groups[g] for g, _label, _spaces in GROUPS if g in groups]
    for group in ordered:
        if len(group["children"]) == 1:
            group.update(group.pop("children")[0])
    return top + ordered


def navigation_for(user: Any) -> list[dict[str, Any]]:
    if not getattr(user, "is_authenticated", False):
        return []
    from kycuong.org.selectors import roles_of

    roles = roles_of(user)
    result = []
    for item in _all_items():
        if item.get("roles") is not None and not (roles & item["roles"]) and not user.is_superuser:
            continue
        try:
            url = reverse(item["url_name"])
        except NoReverseMatch:
            continue
        result.append({"label": item["label"], "url": url, "url_name": item["url_name"]})
    return result
