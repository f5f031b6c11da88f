"""Test helpers: punches straight into the table (the ADMS path is tested in test_adms.py)."""

from __future__ import annotations

import datetime as dt

from kycuong.attendance.models import Device, Punch
from kycuong.core.periods import TZ


def punch(device: Device, staff, day: dt.date, hhmm: str, *, pin: str = "1", status: int = 0) -> Punch:
    h, m = (int(x) for x in hhmm.split(":"))
    at = dt.datetime.combine(day, dt.time(h, m), tzinfo=TZ)
    return Punch.objects.create(device=device, pin=pin, punched_at=at, day=day, seconds=h * 3600 + m * 60,
                                status=status, staff=staff,
                                raw=f"{pin}\t{at:%Y-%m-%d %H:%M:%S}\t{status}", received_at=at)
