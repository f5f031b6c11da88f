"""Menu entries and dashboard cards for timekeeping."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Chấm công"), "url_name": "attendance:today", "roles": {"head", "deputy", "admin", "city_leader", "inspector"},
     "order": 40},
    {"label": _("Chấm công của tôi"), "url_name": "attendance:mine", "roles": None, "order": 41},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    from .selectors import pending_absences_for

    count = pending_absences_for(user).count()
    if not count:
        return []
    return [{"title": _("Đơn nghỉ chờ duyệt"), "value": count, "hint": _("Nghỉ phép, công tác, học tập"),
             "url": reverse("attendance:requests"), "tone": "warning"}]
