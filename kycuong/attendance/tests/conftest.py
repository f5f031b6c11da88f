from __future__ import annotations

from typing import Any

import pytest

from kycuong.attendance.models import Device, PinMapping


@pytest.fixture
def device(org: Any) -> Device:
    """A terminal at Phường Hoàn Kiếm (ward_a) with PINs 1 (officer_a), 2 (onestop_a), 3 (head_a)."""
    dev = Device.objects.create(serial_number="CJDE123456789", unit=org.ward_a, location="Sảnh tầng 1")
    for pin, name in (("1", "officer_a"), ("2", "onestop_a"), ("3", "head_a")):
        PinMapping.objects.create(staff=org.staff[name], pin=pin, unit=org.ward_a)
    return dev
