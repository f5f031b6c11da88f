from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NAV_ITEMS = [
    {"label": gettext_lazy("Quầy giao dịch"), "url_name": "ticketing:counters", "roles": {"one_stop_officer", "head", "deputy", "admin"},
     "order": 30},
    {"label": gettext_lazy("Xếp hàng"), "url_name": "ticketing:metrics", "roles": {"head", "deputy", "admin", "city_leader", "inspector"},
     "order": 31},
    {"label": gettext_lazy("Thiết bị"), "url_name": "ticketing:devices", "roles": {"head", "deputy", "admin"}, "order": 33},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    """For an officer sitting at a counter: how many wait for it now."""
    from kycuong.org.selectors import staff_for_user

    from .models import Counter, Ticket, TicketStatus

    staff = staff_for_user(user)
    if staff is None:
        return []
    counter = Counter.objects.filter(staff=staff).first()
    if counter is None:
        return []
    waiting = Ticket.objects.filter(area__in=counter.areas.all(), day=timezone.localdate()).aggregate(
        n=Count("id", filter=Q(status=TicketStatus.WAITING)))["n"]
    return [{"title": _("Đang chờ tại %(c)s") % {"c": counter.label}, "value": waiting,
             "hint": _("Mở bảng điều khiển quầy"), "url": reverse("ticketing:console", args=[counter.pk]),
             "tone": "warning" if waiting > 10 else ""}]
