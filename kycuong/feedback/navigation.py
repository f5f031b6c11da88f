from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    {"label": _("Phản ánh"), "url_name": "feedback:inbox", "roles": None, "order": 40},
]

PUBLIC_LINKS = [
    {"label": _("Gửi phản ánh, kiến nghị"), "url_name": "feedback:intake",
     "hint": _("Báo sự cố hạ tầng, môi trường, thủ tục, thái độ cán bộ"), "order": 30},
    {"label": _("Hỏi đáp"), "url_name": "feedback:kb", "hint": _("Tra cứu câu trả lời đã công khai, đặt câu hỏi"), "order": 31},
    {"label": _("Theo dõi phản ánh"), "url_name": "feedback:lookup", "hint": _("Bằng mã phản ánh và mã bí mật"), "order": 32},
]


def dashboard_cards(user: Any) -> list[dict[str, Any]]:
    from .selectors import counts_for_dashboard

    counts = counts_for_dashboard(user=user, now=timezone.now())
    if not any(counts.values()):
        return []
    url = reverse("feedback:inbox")
    return [
        {"title": _("Phản ánh đang mở"), "value": counts["open"], "hint": _("Hộp thư đơn vị"), "url": url + "?trang_thai=mo",
         "tone": ""},
        {"title": _("Phản ánh quá hạn"), "value": counts["overdue"], "hint": _("Đã hoặc sẽ chuyển lên cấp trên"),
         "url": url + "?qua_han=1", "tone": "danger" if counts["overdue"] else "ok"},
    ]
