from __future__ import annotations

from typing import Any

import pytest

from .factories import birth_registration, make_procedure


@pytest.fixture
def khai_sinh(db: Any) -> Any:
    return birth_registration()


@pytest.fixture
def catalogue(db: Any) -> dict[str, Any]:
    """A small catalogue with look-alike names to check ranking."""
    return {
        "khai_sinh": birth_registration(),
        "khai_sinh_nn": make_procedure(code="1.001695", name="Thủ tục đăng ký khai sinh có yếu tố nước ngoài"),
        "lai_khai_sinh": make_procedure(code="1.004884", name="Thủ tục đăng ký lại khai sinh"),
        "ket_hon": make_procedure(code="1.000894", name="Thủ tục đăng ký kết hôn"),
        "khai_tu": make_procedure(code="1.000656", name="Thủ tục đăng ký khai tử"),
        "gpxd": make_procedure(code="1.009972", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
                               sector="Hoạt động xây dựng", processing_value=15, fee=75000, online_level="partial",
                               deciding_unit_kinds=["department"]),
        "sao_y": make_procedure(code="2.000815", name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
                                sector="Chứng thực", fee=2000, online_level="none"),
    }
