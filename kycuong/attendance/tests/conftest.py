from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kycuong.attendance.models import Device, PinMapping
from kycuong.core.periods import TZ


@pytest.fixture
def device(org: Any) -> Device:
    """A terminal at Phường Hoàn Kiếm (ward_a) with PINs 1 (officer_a), 2 (onestop_a), 3 (head_a),
    registered on 1/10/2026 and pushing from 127.0.0.1 (the test client's address)."""
    dev = Device.objects.create(serial_number="CJDE123456789", unit=org.ward_a, location="Sảnh tầng 1",
                                allowed_ips="127.0.0.1/32")
    Device.objects.filter(pk=dev.pk).update(registered_at=dt.datetime(2026, 10, 1, 8, 0, tzinfo=TZ))
    dev.refresh_from_db()
    for pin, name in (("1", "officer_a"), ("2", "onestop_a"), ("3", "head_a")):
        PinMapping.objects.create(staff=org.staff[name], pin=pin, unit=org.ward_a)
    return dev
