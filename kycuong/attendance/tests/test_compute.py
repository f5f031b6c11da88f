"""Daily computation against the real working calendar: lunch, holidays, a swapped Saturday,
leave and a business trip; and the evidence selectors other modules call."""

from __future__ import annotations

import datetime as dt

import pytest

from kycuong.attendance.models import Absence, DailyAttendance
from kycuong.attendance.selectors import attendance_evidence, attendance_unit_summary
from kycuong.attendance.services import absence_decide, absence_request, attendance_compute, policy_set
from kycuong.core.errors import Conflict, Forbidden
from kycuong.core.periods import TZ

from .factories import punch

D = dt.date
NOW = dt.datetime(2026, 9, 10, 9, 0, tzinfo=TZ)


@pytest.fixture
def august(device, org, django_capture_on_commit_callbacks):
    """officer_a from Thu 20/8 to Fri 4/9/2026 (Sat 22/8 is a swapped working day; 31/8, 1/9, 2/9 are off)."""
    me = org.staff["officer_a"]
    punch(device, me, D(2026, 8, 20), "07:55"); punch(device, me, D(2026, 8, 20), "17:02")  # noqa: E702
    # Fri 21/8: nothing → absent.
    punch(device, me, D(2026, 8, 22), "08:30"); punch(device, me, D(2026, 8, 22), "17:00")  # noqa: E702  swapped Saturday
    punch(device, me, D(2026, 8, 27), "13:20"); punch(device, me, D(2026, 8, 27), "17:10")  # noqa: E702  after lunch
    punch(device, me, D(2026, 8, 28), "08:00")  # forgot to punch out
    punch(device, me, D(2026, 9, 3), "08:02"); punch(device, me, D(2026, 9, 3), "16:30")  # noqa: E702  early
    with django_capture_on_commit_callbacks(execute=True):
        leave = absence_request(staff=me, kind="annual", start=D(2026, 8, 24), end=D(2026, 8, 25), reason="Việc gia đình",
                                actor=org.user("officer_a"))
        trip = absence_request(staff=me, kind="business_trip", start=D(2026, 8, 26), end=D(2026, 8, 26),
                               reason="Làm việc tại Sở Tư pháp", actor=org.user("officer_a"))
        absence_decide(absence=leave, approve=True, actor=org.user("head_a"))
        absence_decide(absence=trip, approve=True, actor=org.user("head_a"))
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 9, 4), staff_ids=[me.pk], now=NOW)
    return {r.day: r for r in DailyAttendance.objects.filter(staff=me)}


def test_each_day_is_classified_by_the_calendar(august):
    symbols = {d.isoformat(): r.symbol for d, r in august.items()}
    assert symbols == {
        "2026-08-20": "+", "2026-08-21": "V", "2026-08-22": "M",  # Saturday 22/8 is a swapped working day
        "2026-08-24": "P", "2026-08-25": "P", "2026-08-26": "CT", "2026-08-27": "½", "2026-08-28": "Q",
        "2026-08-31": "L", "2026-09-01": "L", "2026-09-02": "L",
        "2026-09-03": "M", "2026-09-04": "V",
    }
    assert august[D(2026, 8, 22)].late_minutes == 30 and august[D(2026, 8, 22)].is_working_day
    assert august[D(2026, 8, 27)].late_minutes == 260
    assert august[D(2026, 9, 3)].early_minutes == 30
    assert not august[D(2026, 8, 31)].is_working_day


def test_evidence_for_the_period(august, org):
    ev = attendance_evidence(staff_ids=[org.staff["officer_a"].pk, org.staff["officer_b"].pk],
                             start=D(2026, 8, 20), end=D(2026, 9, 5))
    mine = ev[org.staff["officer_a"].pk]
    # Working days: 20, 21, 22 (swapped Sat), 24–28, 3, 4 = 10.
    assert mine["working_days"] == 10
    assert mine["present_days"] == 6  # 20, 22, 26 (trip), 27, 28, 3
    assert mine["late_count"] == 1 and mine["late_minutes"] == 30 + 260
    assert mine["early_leave_count"] == 1 and mine["half_days"] == 1 and mine["missing_punch_count"] == 1
    assert mine["unjustified_absences"] == 2
    assert mine["justified_days"] == 3 and mine["expected_days"] == 7 and mine["compliant_days"] == 1
    assert mine["compliance_rate"] == round(1 / 7, 4) and mine["has_data"] is True
    other = ev[org.staff["officer_b"].pk]
    assert other["has_data"] is False and other["compliance_rate"] is None


def test_unit_summary_covers_the_subtree(august, org):
    summary = attendance_unit_summary(unit_ids=[org.ward_a.pk, org.city.pk, org.ward_b.pk],
                                      start=D(2026, 8, 1), end=D(2026, 9, 1))
    assert summary[org.ward_a.pk]["staff_count"] == 1
    assert summary[org.city.pk]["unjustified_absences"] == summary[org.ward_a.pk]["unjustified_absences"] == 1
    assert summary[org.ward_b.pk]["has_data"] is False
    assert summary[org.ward_a.pk]["unjustified_absence_rate"] == round(1 / 5, 4)  # 8 working days − 3 justified


def test_recompute_is_idempotent(august, org):
    me = org.staff["officer_a"]
    before = list(DailyAttendance.objects.filter(staff=me).order_by("day").values_list("day", "status", "late_minutes"))
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 9, 4), staff_ids=[me.pk], now=NOW)
    after = list(DailyAttendance.objects.filter(staff=me).order_by("day").values_list("day", "status", "late_minutes"))
    assert before == after and len(after) == 13  # 16 days less three weekend days without a row


def test_a_day_that_becomes_a_day_off_loses_its_row(august, org):
    from kycuong.workdays.services import calendar_override_set

    me = org.staff["officer_a"]
    calendar_override_set(date=D(2026, 8, 22), kind="day_off", reason="Điều chỉnh lịch", actor=org.user("admin"))
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 9, 4), staff_ids=[me.pk], now=NOW)
    assert not DailyAttendance.objects.filter(staff=me, day=D(2026, 8, 22)).exists()


def test_grace_minutes_per_unit(device, org):
    me = org.staff["officer_a"]
    punch(device, me, D(2026, 8, 20), "08:08"); punch(device, me, D(2026, 8, 20), "17:00")  # noqa: E702
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 8, 20), staff_ids=[me.pk], now=NOW)
    assert DailyAttendance.objects.get(staff=me).status == "late"
    policy_set(unit=org.ward_a, grace_late_minutes=10, grace_early_minutes=5, actor=org.user("head_a"))
    attendance_compute(start=D(2026, 8, 20), end=D(2026, 8, 20), staff_ids=[me.pk], now=NOW)
    assert DailyAttendance.objects.get(staff=me).status == "present"


def test_overlapping_requests_are_refused(org):
    me = org.staff["officer_a"]
    absence_request(staff=me, kind="sick", start=D(2026, 8, 24), end=D(2026, 8, 26), reason="Sốt", actor=org.user("officer_a"))
    with pytest.raises(Conflict):
        absence_request(staff=me, kind="training", start=D(2026, 8, 26), end=D(2026, 8, 28), reason="Lớp bồi dưỡng",
                        actor=org.user("officer_a"))
    assert Absence.objects.count() == 1


def test_only_the_head_approves_and_not_their_own(org):
    me = org.staff["officer_a"]
    req = absence_request(staff=me, kind="annual", start=D(2026, 8, 24), end=D(2026, 8, 24), reason="Nghỉ phép",
                          actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        absence_decide(absence=req, approve=True, actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        absence_decide(absence=req, approve=True, actor=org.user("head_b"))
    own = absence_request(staff=org.staff["head_a"], kind="annual", start=D(2026, 8, 24), end=D(2026, 8, 24),
                          reason="Nghỉ phép", actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        absence_decide(absence=own, approve=True, actor=org.user("head_a"))
    assert absence_decide(absence=req, approve=False, actor=org.user("head_a"), note="Trùng lịch tiếp dân").status == "rejected"
