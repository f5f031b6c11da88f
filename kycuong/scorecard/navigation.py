"""Scorecard entries in the staff navigation, the public home page and the landing page."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Chỉ số phục vụ"), "url_name": "scorecard:ranking", "roles": None, "order": 60},
]

PUBLIC_LINKS = [
    {"label": _("Chỉ số phục vụ người dân, doanh nghiệp"), "url_name": "scorecard:public",
     "hint": _("Xếp hạng sở, ngành, phường, xã theo Bộ chỉ số 766 — cập nhật hằng tuần"), "order": 40},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    """The user's primary unit's index this month (stored results only: never computes on the landing page)."""
    from kycuong.core.periods import period_containing
    from kycuong.org.selectors import primary_unit_of, staff_for_user

    from .models import Result
    from .selectors import total_of

    staff = staff_for_user(user)
    unit = primary_unit_of(staff) if staff else None
    if unit is None:
        return []
    period = period_containing(timezone.localdate(), "month")
    agg = Result.objects.filter(indicator_set__code="dvc766", period=period.label, unit=unit).aggregate(
        points=Sum("points", filter=Q(applicable=True)), maxp=Sum("indicator__max_points", filter=Q(applicable=True)))
    total = total_of(float(agg["points"] or 0), float(agg["maxp"] or 0))
    if total is None:
        return []
    tone = "ok" if total >= 90 else "warning" if total >= 70 else "danger"
    return [{"title": _("Chỉ số phục vụ tháng %(p)s") % {"p": period.label}, "value": f"{total:.1f}",
             "hint": unit.name, "url": reverse("scorecard:unit", args=[unit.code]), "tone": tone}]
