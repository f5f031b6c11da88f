"""Configuration of a service hall: areas, counters, the officer at a counter, paired devices."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for

from ..models import (
    Counter,
    Device,
    DeviceKind,
    ServiceArea,
)
from ._common import HALL_UNIT_KINDS, ensure_member, server_now, user_of

# --- configuration -------------------------------------------------------------------------------

def area_create(*, unit: Unit, letter: str, name: str, sector: Any = None, order: int = 0,
                default_service_minutes: int = 10, actor: Any = None) -> ServiceArea:
    """Create a service area (by sector) at a reception point or a ward/commune one-stop desk."""
    letter = (letter or "").strip().upper()
    if unit.kind not in HALL_UNIT_KINDS:
        raise ValidationFailed(_("Chỉ điểm tiếp nhận hoặc bộ phận một cửa cấp xã mới có khu vực lấy số."))
    if not letter or not letter.isalnum() or len(letter) > 3:
        raise ValidationFailed(_("Ký hiệu khu vực phải là 1–3 chữ cái hoặc chữ số."), details={"field": "letter"})
    if not (name or "").strip():
        raise ValidationFailed(_("Tên khu vực là bắt buộc."), details={"field": "name"})
    if not 1 <= int(default_service_minutes) <= 240:
        raise ValidationFailed(_("Thời gian phục vụ bình quân phải từ 1 đến 240 phút."))
    with transaction.atomic():
        if ServiceArea.objects.filter(unit=unit, letter=letter).exists():
            raise Conflict(_("Khu vực %(letter)s đã có tại điểm này.") % {"letter": letter})
        area = ServiceArea.objects.create(unit=unit, letter=letter, name=name.strip(), sector=sector, order=order,
                                          default_service_minutes=default_service_minutes)
        audit_record(action="ticketing.area.create", obj=area, actor=actor, changes={"letter": letter, "name": name})
    return area


def counter_create(*, unit: Unit, number: int, areas: Iterable[ServiceArea], name: str = "", actor: Any = None) -> Counter:
    """Create a counter serving `areas` (all of the same reception point)."""
    areas = list(areas)
    if unit.kind not in HALL_UNIT_KINDS:
        raise ValidationFailed(_("Chỉ điểm tiếp nhận hoặc bộ phận một cửa cấp xã mới có quầy."))
    if not areas:
        raise ValidationFailed(_("Quầy phải phục vụ ít nhất một khu vực."), details={"field": "areas"})
    if any(a.unit_id != unit.pk for a in areas):
        raise ValidationFailed(_("Khu vực phục vụ phải thuộc cùng điểm tiếp nhận với quầy."))
    with transaction.atomic():
        if Counter.objects.filter(unit=unit, number=number).exists():
            raise Conflict(_("Quầy số %(n)s đã có tại điểm này.") % {"n": number})
        counter = Counter.objects.create(unit=unit, number=number, name=name)
        counter.areas.set(areas)
        audit_record(action="ticketing.counter.create", obj=counter, actor=actor,
                     changes={"number": number, "areas": [a.letter for a in areas]})
    return counter


def counter_take(*, counter: Counter, staff: Staff) -> Counter:
    """The officer sits down at `counter` (and leaves any other counter): the tablet now shows
    them. Only an active officer with a membership in force at the counter's reception point (or
    one-stop desk) may: seeing the unit (a city-wide role) is not enough to serve there."""
    user = user_of(staff)
    if user is not None and not scope_for(user).allows(counter.unit_id):
        raise NotFound(_("Không tìm thấy hoặc bạn không có quyền xem."))
    now = server_now()
    with transaction.atomic():
        counter = Counter.objects.select_for_update().select_related("unit").get(pk=counter.pk)
        ensure_member(staff, counter)
        previous = counter.staff_id
        for other in Counter.objects.select_for_update().filter(staff=staff).exclude(pk=counter.pk):
            other.staff = None
            other.staffed_since = None
            other.save(update_fields=["staff", "staffed_since"])
            audit_record(action="ticketing.counter.leave", obj=other, actor=user, at=now)
        counter.staff = staff
        counter.staffed_since = now
        counter.save(update_fields=["staff", "staffed_since"])
        audit_record(action="ticketing.counter.take", obj=counter, actor=user, at=now,
                     changes={"staff": staff.code, "previous": previous})
    return counter


def counter_leave(*, counter: Counter, staff: Staff) -> Counter:
    with transaction.atomic():
        counter = Counter.objects.select_for_update().get(pk=counter.pk)
        if counter.staff_id != staff.pk:
            raise Conflict(_("Bạn không phải cán bộ đang phục vụ tại quầy này."))
        counter.staff = None
        counter.staffed_since = None
        counter.save(update_fields=["staff", "staffed_since"])
        audit_record(action="ticketing.counter.leave", obj=counter, actor=user_of(staff), at=server_now())
    return counter



# --- devices -------------------------------------------------------------------------------------

def device_pair(*, kind: str, unit: Unit, name: str, counter: Counter | None = None, actor: Any = None) -> tuple[Device, str]:
    """Pair a kiosk (bound to a reception point) or a rating tablet (bound to one counter).
    Returns (device, clear token); only the token's SHA-256 is stored, so it is shown once."""
    if kind not in DeviceKind.values:
        raise ValidationFailed(_("Loại thiết bị không hợp lệ."), details={"field": "kind"})
    if actor is not None and not scope_for(actor).manages(unit.pk):
        raise Forbidden(_("Chỉ lãnh đạo đơn vị hoặc quản trị mới ghép nối thiết bị."))
    if kind == DeviceKind.TABLET and counter is None:
        raise ValidationFailed(_("Máy tính bảng đánh giá phải gắn với một quầy."), details={"field": "counter"})
    if counter is not None and counter.unit_id != unit.pk:
        raise ValidationFailed(_("Quầy không thuộc điểm tiếp nhận này."), details={"field": "counter"})
    name = (name or "").strip() or (f"Máy tính bảng {counter.label}" if counter else "Máy lấy số")
    raw = "kd_" + secrets.token_urlsafe(24)
    with transaction.atomic():
        device = Device.objects.create(kind=kind, unit=unit, counter=counter if kind == DeviceKind.TABLET else None,
                                       name=name[:100], prefix=raw[:10], digest=Device.hash(raw),
                                       created_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit_record(action="ticketing.device.pair", obj=device, actor=actor,
                     changes={"kind": kind, "counter": counter.number if counter else None, "prefix": device.prefix})
    return device, raw


def device_revoke(*, device: Device, actor: Any = None) -> Device:
    if actor is not None and not scope_for(actor).manages(device.unit_id):
        raise Forbidden(_("Chỉ lãnh đạo đơn vị hoặc quản trị mới thu hồi thiết bị."))
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.revoked_at is None:
            device.revoked_at = timezone.now()
            device.save(update_fields=["revoked_at"])
            audit_record(action="ticketing.device.revoke", obj=device, actor=actor)
    return device
