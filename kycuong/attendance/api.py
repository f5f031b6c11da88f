"""Timekeeping API (/api/v1/attendance/): evidence, timesheet, devices' health, justifications."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound
from kycuong.core.periods import parse_period
from kycuong.org.models import Staff
from kycuong.org.scoping import ensure_unit_visible, scope_for
from kycuong.org.selectors import staff_for_user, unit_by_code

from . import selectors, services
from .models import Absence

router = Router(tags=["attendance"])


class EvidenceOut(Schema):
    staff_code: str
    working_days: int
    present_days: int
    late_count: int
    late_minutes: int
    early_leave_count: int
    early_leave_minutes: int
    missing_punch_count: int
    half_days: int
    unjustified_absences: int
    justified_days: int
    expected_days: int
    compliant_days: int
    compliance_rate: float | None
    has_data: bool


class TimesheetRowOut(Schema):
    staff_code: str
    full_name: str
    symbols: list[str]
    totals: list[float]


class TimesheetOut(Schema):
    unit: str
    month: str
    days: list[dt.date]
    totals_labels: list[str]
    rows: list[TimesheetRowOut]


class DeviceOut(Schema):
    serial_number: str
    unit: str
    location: str
    is_active: bool
    last_contact_at: dt.datetime | None
    clock_drift_seconds: int | None
    pending_commands: int


class AbsenceIn(Schema):
    kind: str
    start: dt.date
    end: dt.date
    reason: str


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class AbsenceOut(Schema):
    id: int
    staff_code: str
    kind: str
    start: dt.date
    end: dt.date
    reason: str
    status: str


def _absence_out(a: Absence) -> AbsenceOut:
    return AbsenceOut(id=a.pk, staff_code=a.staff.code, kind=a.kind, start=a.start, end=a.end, reason=a.reason, status=a.status)


@router.get("/evidence/{unit_code}/{period}", response={200: list[EvidenceOut], **ERRORS}, operation_id="attendance_evidence")
def evidence(request: HttpRequest, unit_code: str, period: str) -> list[EvidenceOut]:
    """Per-person attendance evidence of a unit (its subtree) for a period (2026-11, 2026-Q4, ...)."""
    unit = unit_by_code(unit_code)
    ensure_unit_visible(request.user, unit.pk)
    if not selectors.can_oversee(request.user, unit.pk):
        raise NotFound("not found")
    p = parse_period(period)
    data = selectors.attendance_evidence(unit_ids=[unit.pk], start=p.start, end=p.end)
    codes = dict(Staff.objects.filter(pk__in=list(data)).values_list("pk", "code"))
    return [EvidenceOut(staff_code=codes[sid], **values) for sid, values in sorted(data.items(), key=lambda kv: codes[kv[0]])]


@router.get("/timesheet/{unit_code}/{month}", response={200: TimesheetOut, **ERRORS}, operation_id="attendance_timesheet")
def timesheet(request: HttpRequest, unit_code: str, month: str) -> TimesheetOut:
    unit = unit_by_code(unit_code)
    ensure_unit_visible(request.user, unit.pk)
    if not selectors.can_oversee(request.user, unit.pk):
        raise NotFound("not found")
    p = parse_period(month)
    if p.kind != "month":
        raise NotFound("month expected: YYYY-MM")
    sheet = selectors.timesheet(unit=unit, year=p.start.year, month=p.start.month)
    return TimesheetOut(unit=unit.code, month=p.label, days=sheet["days"], totals_labels=sheet["totals_labels"],
                        rows=[TimesheetRowOut(staff_code=r["staff"].code, full_name=r["staff"].full_name,
                                              symbols=[c["symbol"] for c in r["cells"]], totals=r["totals"])
                              for r in sheet["rows"]])


@router.get("/devices", response={200: list[DeviceOut], **ERRORS}, operation_id="attendance_devices")
def devices(request: HttpRequest) -> list[DeviceOut]:
    return [DeviceOut(serial_number=d.serial_number, unit=d.unit.code, location=d.location, is_active=d.is_active,
                      last_contact_at=d.last_contact_at, clock_drift_seconds=d.clock_drift_seconds,
                      pending_commands=d.pending_commands)
            for d in selectors.devices_visible_to(request.user)[:1000]]


@router.post("/absences", response={201: AbsenceOut, **ERRORS}, operation_id="attendance_absence_request")
def absence_request(request: HttpRequest, payload: AbsenceIn) -> tuple[int, AbsenceOut]:
    """The signed-in person asks for leave, a business trip or training."""
    staff = staff_for_user(request.user)
    if staff is None:
        raise NotFound("no staff record")
    absence = services.absence_request(staff=staff, actor=request.user, **payload.dict())
    return 201, _absence_out(absence)


@router.post("/absences/{absence_id}/decision", response={200: AbsenceOut, **ERRORS}, operation_id="attendance_absence_decide")
def absence_decide(request: HttpRequest, absence_id: int, payload: DecisionIn) -> AbsenceOut:
    absence = get_object_or_404(Absence.objects.visible_to(request.user).select_related("staff"), pk=absence_id)
    if not scope_for(request.user).allows(absence.unit_id):
        raise NotFound("not found")
    return _absence_out(services.absence_decide(absence=absence, approve=payload.approve, actor=request.user,
                                                note=payload.note))
