from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def kycuong(request: HttpRequest) -> dict[str, Any]:
    from kycuong.portal.navigation import grouped_navigation_for

    return {
        "CITY_NAME": settings.KYCUONG_CITY_NAME,
        "nav_items": grouped_navigation_for(request.user) if hasattr(request, "user") else [],
    }
