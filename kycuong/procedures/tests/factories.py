"""Procedures for tests of every module, created through the services (search key, steps)."""

from __future__ import annotations

from typing import Any

from kycuong.procedures.models import Procedure
from kycuong.procedures.services import procedure_create

STEPS = [
    {"name": "Tiếp nhận hồ sơ", "role": "one_stop_officer", "share": 0.125},
    {"name": "Thẩm định hồ sơ", "role": "officer", "share": 0.625},
    {"name": "Phê duyệt", "role": "head", "share": 0.25},
]
_seq = iter(range(1, 10**6))


def make_procedure(**overrides: Any) -> Procedure:
    n = next(_seq)
    data: dict[str, Any] = {
        "code": f"9.{n:06d}", "name": f"Thủ tục thử nghiệm {n}", "sector": "Hộ tịch", "processing_value": 3,
        "processing_unit": "working_days", "fee": 0, "online_level": "full",
        "documents": ["Tờ khai theo mẫu", "Giấy tờ tùy thân"], "steps": STEPS,
        "deciding_unit_kinds": ["ward", "commune"],
    }
    data.update(overrides)
    return procedure_create(**data)


def birth_registration(**overrides: Any) -> Procedure:
    return make_procedure(**{
        "code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "sector": "Hộ tịch", "processing_value": 1,
        "form_fields": [
            {"name": "child_name", "label": "Họ tên người được khai sinh", "type": "text", "required": True},
            {"name": "birth_date", "label": "Ngày sinh", "type": "date", "required": True},
            {"name": "sex", "label": "Giới tính", "type": "choice", "required": True, "choices": ["Nam", "Nữ"]},
        ],
        **overrides,
    })
