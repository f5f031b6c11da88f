"""Navigation and dashboard card for work programs (chương trình công tác)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: One header entry; the module's pages are reached from its own tab bar (my week, day, month,
#: unit outline, approval inbox, not-submitted board, month chart).
NAV_ITEMS = [
    {"label": gettext_lazy("Chương trình công tác"), "url_name": "workplans:week", "roles": None, "order": 20},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    from kycuong.core.periods import period_containing
    from kycuong.org.selectors import staff_for_user

    from .selectors.lists import person_items

    staff = staff_for_user(user) if getattr(user, "is_authenticated", False) else None
    if staff is None:
        return []
    now = timezone.now()
    week = period_containing(timezone.localdate(), "week")
    items = person_items(staff=staff, start=week.start, end=week.end, at=now)
    overdue = sum(1 for i in items if getattr(i, "overdue", False))
    return [{"title": _("Chương trình công tác tuần"), "value": len(items),
             "hint": _("%(overdue)s việc quá hạn") % {"overdue": overdue}, "url": reverse("workplans:week"),
             "tone": "danger" if overdue else "ok"}]
