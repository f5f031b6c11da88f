"""Service-hall fixtures for tests: areas, counters, a kiosk and a tablet, and a small dossier factory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kycuong.dossiers.models import Dossier, DossierEvent, EventType, Status
from kycuong.org.models import Staff, Unit
from kycuong.procedures.models import Procedure, Sector
from kycuong.ticketing.models import Counter, Device, DeviceKind, ServiceArea
from kycuong.ticketing.services import area_create, counter_create, counter_take, device_pair


@dataclass
class Hall:
    unit: Unit
    area_a: ServiceArea
    area_b: ServiceArea
    counter1: Counter
    counter2: Counter
    officer1: Staff
    officer2: Staff
    kiosk: Device
    kiosk_token: str
    tablet1: Device
    tablet1_token: str
    tablet2: Device
    tablet2_token: str


def build_hall(unit: Unit, officer1: Staff, officer2: Staff) -> Hall:
    a = area_create(unit=unit, letter="A", name="Hộ tịch, chứng thực", order=1, default_service_minutes=6)
    b = area_create(unit=unit, letter="B", name="Đất đai, xây dựng", order=2, default_service_minutes=12)
    c1 = counter_create(unit=unit, number=1, areas=[a])
    c2 = counter_create(unit=unit, number=2, areas=[a, b])
    counter_take(counter=c1, staff=officer1)
    counter_take(counter=c2, staff=officer2)
    kiosk, kt = device_pair(kind=DeviceKind.KIOSK, unit=unit, name="Máy lấy số sảnh")
    t1, tt1 = device_pair(kind=DeviceKind.TABLET, unit=unit, counter=c1, name="Bảng quầy 1")
    t2, tt2 = device_pair(kind=DeviceKind.TABLET, unit=unit, counter=c2, name="Bảng quầy 2")
    c1.refresh_from_db()
    c2.refresh_from_db()
    return Hall(unit, a, b, c1, c2, officer1, officer2, kiosk, kt, t1, tt1, t2, tt2)


_seq = {"n": 0}


def make_procedure(unit: Unit | None = None) -> Procedure:
    sector, _ = Sector.objects.get_or_create(code="ho-tich", defaults={"name": "Hộ tịch"})
    _seq["n"] += 1
    return Procedure.objects.create(code=f"T.{_seq['n']:06d}", name="Đăng ký khai sinh", sector=sector,
                                    processing_value=Decimal("3"))


def make_dossier(*, unit: Unit, received_unit: Unit | None = None, status: str = Status.RETURNED,
                 returned_by: Staff | None = None, returned_at: dt.datetime | None = None, secret: str = "ABC123",
                 accountable: Staff | None = None) -> Dossier:
    """A dossier created directly (no dossiers services), optionally with its RETURNED event."""
    now = timezone.now()
    _seq["n"] += 1
    received = now - dt.timedelta(days=3)
    dossier = Dossier.objects.create(
        code=f"{unit.code}-261120-{_seq['n']:04d}", procedure=make_procedure(), unit=unit,
        received_unit=received_unit or unit, current_unit=unit, status=status, applicant_name="Nguyễn Văn Bình",
        applicant_id_number="001099012345", applicant_phone="0912345678", secret=secret, received_at=received,
        due_at=now + dt.timedelta(days=1), accountable=accountable,
        finished_at=now - dt.timedelta(hours=1) if status in (Status.RESULT_READY, Status.RETURNED) else None,
        returned_at=(returned_at or now) if status == Status.RETURNED else None,
    )
    if status == Status.RETURNED:
        DossierEvent.objects.create(dossier=dossier, type=EventType.RETURNED, at=returned_at or now, actor=returned_by)
    return dossier


def device_client(token: str) -> Any:
    from django.test import Client

    return Client(HTTP_X_DEVICE_TOKEN=token)
