"""Navigation and dashboard cards for dossiers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NAV_ITEMS = [
    {"label": gettext_lazy("Hồ sơ của tôi"), "url_name": "dossiers:my", "roles": None, "order": 10},
    {"label": gettext_lazy("Tiếp nhận hồ sơ"), "url_name": "dossiers:intake",
     "roles": {"one_stop_officer", "head", "deputy", "admin"}, "order": 11},
    {"label": gettext_lazy("Hồ sơ đơn vị"), "url_name": "dossiers:unit",
     "roles": {"head", "deputy", "city_leader", "inspector", "admin"}, "order": 12},
    {"label": gettext_lazy("Thống kê hồ sơ"), "url_name": "dossiers:stats", "roles": None, "order": 13},
    {"label": gettext_lazy("Thông báo"), "url_name": "dossiers:notifications", "roles": None, "order": 14},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    from .selectors import dossier_counts_for, unread_notification_count

    if not getattr(user, "is_authenticated", False):
        return []
    counts = dossier_counts_for(user=user)
    cards = [{
        "title": _("Hồ sơ của tôi"), "value": counts["open"],
        "hint": (_("%(overdue)s quá hạn, %(today)s đến hạn hôm nay") % counts
                 + (_("; %(submitted)s hồ sơ trực tuyến chờ tiếp nhận") % counts if counts["submitted"] else "")),
        "url": reverse("dossiers:my"),
        "tone": "danger" if counts["overdue"] else ("warning" if counts["today"] else "ok"),
    }]
    unread = unread_notification_count(user=user)
    cards.append({"title": _("Thông báo chưa đọc"), "value": unread, "hint": _("Cảnh báo hạn xử lý hồ sơ"),
                  "url": reverse("dossiers:notifications"), "tone": "warning" if unread else ""})
    return cards
