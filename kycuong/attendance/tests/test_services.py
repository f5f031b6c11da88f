from __future__ import annotations

import datetime as dt

import pytest

from kycuong.attendance import selectors
from kycuong.attendance.models import Absence, DailyAttendance, Device, PinMapping, Punch
from kycuong.attendance.services import (
    attendance_compute,
    device_register,
    parse_attlog_line,
    pin_mapping_set,
    punch_void,
    zk_datetime,
)
from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.core.periods import TZ

from .factories import punch

D = dt.date


def test_register_device_needs_the_unit_head(org):
    with pytest.raises(Forbidden):
        device_register(serial_number="SN1", unit=org.ward_a, actor=org.user("officer_a"))
    device = device_register(serial_number="SN1", unit=org.ward_a, location="Cổng", actor=org.user("head_a"))
    assert AuditEvent.objects.filter(action="attendance.device.register", object_id=str(device.pk)).exists()
    with pytest.raises(Conflict):
        device_register(serial_number="SN1", unit=org.ward_a, actor=org.user("head_a"))
    with pytest.raises(ValidationFailed):
        device_register(serial_number="S N", unit=org.ward_a, actor=org.user("head_a"))


def test_pin_mapping_attaches_earlier_punches_and_device_mapping_wins(org, device, django_capture_on_commit_callbacks):
    orphan = punch(device, None, D(2026, 8, 20), "07:59", pin="77")
    punch(device, None, D(2026, 8, 20), "17:01", pin="77")
    from kycuong.org.models import Role
    from kycuong.org.tests.factories import staff_with_role

    newcomer = staff_with_role(org.ward_a, Role.OFFICER, "newcomer")
    with django_capture_on_commit_callbacks(execute=True):
        pin_mapping_set(staff=newcomer, pin="77", unit=org.ward_a, actor=org.user("head_a"))
    orphan.refresh_from_db()
    assert orphan.staff == newcomer
    assert DailyAttendance.objects.get(staff=newcomer, day=D(2026, 8, 20)).status == "present"
    with pytest.raises(Conflict):
        pin_mapping_set(staff=org.staff["officer_a"], pin="77", unit=org.ward_a, actor=org.user("head_a"))
    # A device-specific mapping overrides the unit's for that device only.
    pin_mapping_set(staff=org.staff["head_a"], pin="1", device=device, actor=org.user("head_a"))
    from kycuong.attendance.services import _pin_resolver

    assert _pin_resolver(device)["1"] == org.staff["head_a"].pk
    other = Device.objects.create(serial_number="OTHER", unit=org.ward_a)
    assert _pin_resolver(other)["1"] == org.staff["officer_a"].pk
    assert PinMapping.objects.count() == 5


def test_void_punch_recomputes_and_is_audited(org, device, django_capture_on_commit_callbacks):
    me = org.staff["officer_a"]
    wrong = punch(device, me, D(2026, 8, 20), "07:30")
    punch(device, me, D(2026, 8, 20), "08:20")
    punch(device, me, D(2026, 8, 20), "17:00")
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 8, 20), staff_ids=[me.pk])
    assert DailyAttendance.objects.get(staff=me).status == "present"
    with pytest.raises(ValidationFailed):
        punch_void(punch=wrong, reason=" ", actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        punch_void(punch=wrong, reason="Chấm hộ", actor=org.user("head_b"))
    with django_capture_on_commit_callbacks(execute=True):
        punch_void(punch=wrong, reason="Chấm hộ người khác", actor=org.user("head_a"))
    row = DailyAttendance.objects.get(staff=me)
    assert row.status == "late" and row.late_minutes == 20
    assert AuditEvent.objects.filter(action="attendance.punch.void").exists()
    assert Punch.objects.filter(voided_at__isnull=False).count() == 1  # kept, marked


def test_today_board_groups(org, device):
    day = D(2026, 8, 20)
    punch(device, org.staff["officer_a"], day, "07:55")
    punch(device, org.staff["onestop_a"], day, "08:25", pin="2")
    Absence.objects.create(staff=org.staff["head_a"], unit=org.ward_a, kind="business_trip", start=day, end=day,
                           reason="Họp tại Sở", status="approved", requested_at=dt.datetime(2026, 8, 1, tzinfo=TZ))
    board = selectors.today_board(unit=org.ward_a, now=dt.datetime.combine(day, dt.time(9, 30), tzinfo=TZ))
    names = {k: [i["staff"].pk for i in v] for k, v in board["groups"].items()}
    assert names["in"] == [org.staff["officer_a"].pk]
    assert names["late"] == [org.staff["onestop_a"].pk] and board["groups"]["late"][0]["late_minutes"] == 25
    assert names["away"] == [org.staff["head_a"].pk]
    assert board["present"] == 2 and board["total"] == 3
    evening = selectors.today_board(unit=org.ward_a, now=dt.datetime.combine(day, dt.time(18, 0), tzinfo=TZ))
    # Day over, one punch each: shown as missing punch-out, never guessed.
    assert sorted(i["staff"].pk for i in evening["groups"]["missing"]) == sorted([org.staff["officer_a"].pk,
                                                                                 org.staff["onestop_a"].pk])


def test_people_views_are_for_heads_and_city_roles(client, org, device):
    client.force_login(org.user("officer_a"))
    assert client.get("/cham-cong/", {"don-vi": "H26.P04"}).status_code == 404
    assert client.get("/cham-cong/bang-cham-cong/", {"don-vi": "H26.P04"}).status_code == 404
    assert client.get("/cham-cong/cua-toi/").status_code == 200
    client.force_login(org.user("leader"))
    assert client.get("/cham-cong/bang-cham-cong/", {"don-vi": "H26.P04"}).status_code == 200


def test_tasks_compute_recent_and_recompute(org, device):
    import time_machine

    from kycuong.attendance.tasks import compute_recent, recompute_days

    me = org.staff["officer_a"]
    punch(device, me, D(2026, 8, 20), "07:50")
    with time_machine.travel(dt.datetime(2026, 8, 20, 10, 0, tzinfo=TZ), tick=False):
        compute_recent.call()
    rows = {r.day: r for r in DailyAttendance.objects.filter(staff=me)}
    assert rows[D(2026, 8, 19)].status == "absent"
    assert rows[D(2026, 8, 20)].status == "present" and rows[D(2026, 8, 20)].symbol == "+"  # day still running
    punch(device, me, D(2026, 8, 20), "16:30")
    recompute_days.call(staff_ids=[me.pk], start="2026-08-20", end="2026-08-20")
    row = DailyAttendance.objects.get(staff=me, day=D(2026, 8, 20))
    assert (row.status, row.early_minutes) == ("early", 30)


def test_parse_attlog_line_by_position():
    pin, at, status, verify, workcode = parse_attlog_line("0012\t2026-11-18 07:58:12\t1\t15\t3\t0\t0\t255\t36.5")
    assert (pin, status, verify, workcode) == ("0012", 1, 15, "3")
    assert at == dt.datetime(2026, 11, 18, 7, 58, 12, tzinfo=TZ)
    for bad in ("", "12", "12\t2026-13-01 07:00:00", "12\t2026-11-18 07:58:12\tx", f"{'9' * 40}\t2026-11-18 07:58:12"):
        with pytest.raises(ValueError):
            parse_attlog_line(bad)


def test_zk_datetime_encoding():
    at = dt.datetime(2026, 11, 20, 8, 30, 15, tzinfo=TZ)
    assert zk_datetime(at) == ((26 * 12 * 31 + 10 * 31 + 19) * 86400) + (8 * 60 + 30) * 60 + 15


def test_demo_builds_quickly(db):
    from kycuong.core.demodata import DemoContext, build_demo

    build_demo(DemoContext(log=lambda s: None), only={"org", "attendance"})
    assert Device.objects.count() >= 20
    assert Punch.objects.count() > 10_000
    assert Absence.objects.filter(kind="business_trip", status="approved").exists()
    assert Absence.objects.filter(kind="maternity").exists() or Absence.objects.filter(kind="sick").exists()
    symbols = set(DailyAttendance.objects.values_list("symbol", flat=True))
    assert {"+", "M", "V", "CT", "P"} <= symbols
