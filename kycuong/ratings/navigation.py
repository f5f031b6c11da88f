from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

NAV_ITEMS = [
    {"label": gettext_lazy("Đánh giá hài lòng"), "url_name": "ratings:stats",
     "roles": {"head", "deputy", "admin", "city_leader", "inspector"}, "order": 40},
    {"label": gettext_lazy("Đánh giá cần xử lý"), "url_name": "ratings:followups", "roles": {"head", "deputy", "admin"}, "order": 41},
]

PUBLIC_LINKS = [
    {"label": gettext_lazy("Đánh giá sự hài lòng"), "url_name": "ratings:online",
     "hint": gettext_lazy("Đánh giá việc giải quyết hồ sơ của bạn bằng mã hồ sơ và mã tra cứu"), "order": 40},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    """For unit heads: "Không hài lòng" ratings with a comment still waiting to be looked into."""
    from kycuong.org.scoping import scope_for

    from .models import FollowUp

    scope = scope_for(user)
    if not (scope.manages_all or scope.managed_unit_ids):
        return []
    qs = FollowUp.objects.open()
    if not scope.manages_all:
        qs = qs.filter(unit_id__in=scope.managed_unit_ids)
    n = qs.count()
    return [{"title": _("Đánh giá không hài lòng cần xử lý"), "value": n,
             "hint": _("Ý kiến của người dân chờ lãnh đạo đơn vị xem xét"), "url": reverse("ratings:followups"),
             "tone": "danger" if n else "ok"}]
