from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def categories(db: Any) -> dict[str, Any]:
    from kycuong.feedback.tests.factories import CategoryFactory

    return {
        "duong": CategoryFactory(code="duong-sa", name="Đường sá, vỉa hè", group="Hạ tầng", order=1),
        "chieusang": CategoryFactory(code="chieu-sang", name="Chiếu sáng công cộng", group="Hạ tầng", order=2),
        "tthc": CategoryFactory(code="thu-tuc-hanh-chinh", name="Thủ tục hành chính", group="Hành chính", order=5),
    }
