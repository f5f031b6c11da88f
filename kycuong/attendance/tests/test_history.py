"""History as of its date: each day is counted in the unit the person belonged to ON THAT DAY.

officer_a moves from Phường Hoàn Kiếm (ward_a) to Phường Ba Đình (ward_b) on Wed 11/11/2026
(`active_to` of the old membership = `active_from` of the new one = the first day in the new unit);
onestop_a leaves ward_a on the same day."""

from __future__ import annotations

import datetime as dt

import pytest

from kycuong.attendance.models import DailyAttendance
from kycuong.attendance.selectors import attendance_evidence, attendance_unit_summary, timesheet
from kycuong.attendance.services import attendance_compute
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Role
from kycuong.org.services import membership_end

from .factories import punch

D = dt.date
MOVE = D(2026, 11, 11)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
WEEKDAYS = [D(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13)]


def _on_time_every_day(device, staff, pin):
    for day in WEEKDAYS:
        punch(device, staff, day, "07:55", pin=pin)
        punch(device, staff, day, "17:05", pin=pin)


def _move(org, name):
    me = org.staff[name]
    membership_end(membership=Membership.objects.get(staff=me, unit=org.ward_a), on=MOVE)
    Membership.objects.create(staff=me, unit=org.ward_b, role=Role.OFFICER, active_from=MOVE)
    return me


@pytest.fixture
def mover(org, device):
    me = org.staff["officer_a"]
    _on_time_every_day(device, me, "1")
    return _move(org, "officer_a")


def test_a_person_who_moves_is_counted_in_each_unit_on_its_days(mover, org):
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[mover.pk], now=NOW)
    units = dict(DailyAttendance.objects.filter(staff=mover).values_list("day", "unit_id"))
    assert {d for d, u in units.items() if u == org.ward_a.pk} == {d for d in WEEKDAYS if d < MOVE}
    assert {d for d, u in units.items() if u == org.ward_b.pk} == {d for d in WEEKDAYS if d >= MOVE}
    assert set(DailyAttendance.objects.filter(staff=mover).values_list("symbol", flat=True)) == {"+"}
    # The unit figures follow: 7 days in ward_a, 3 in ward_b (the move day itself is in the new unit).
    summary = attendance_unit_summary(unit_ids=[org.ward_a.pk, org.ward_b.pk], start=D(2026, 11, 1), end=D(2026, 12, 1))
    assert summary[org.ward_a.pk]["working_days"] == 7
    assert summary[org.ward_b.pk]["working_days"] == 3
    assert attendance_evidence(unit_ids=[org.ward_b.pk], start=D(2026, 11, 1), end=D(2026, 12, 1))[mover.pk][
        "compliant_days"] == 3


def test_recomputing_only_the_move_day_puts_it_in_the_new_unit(mover, org):
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[mover.pk], now=NOW)
    attendance_compute(start=MOVE, end=MOVE, staff_ids=[mover.pk], now=NOW)
    assert DailyAttendance.objects.get(staff=mover, day=MOVE).unit_id == org.ward_b.pk
    before = MOVE - dt.timedelta(days=1)
    attendance_compute(start=before, end=before, staff_ids=[mover.pk], now=NOW)
    assert DailyAttendance.objects.get(staff=mover, day=before).unit_id == org.ward_a.pk


def test_the_timesheets_of_both_units_show_their_own_days(mover, org):
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[mover.pk], now=NOW)

    def symbols(unit):
        sheet = timesheet(unit=unit, year=2026, month=11)
        row = next(r for r in sheet["rows"] if r["staff"] == mover)
        return {c["day"]: c["symbol"] for c in row["cells"] if c["symbol"]}, row["totals"][0]

    old, old_days = symbols(org.ward_a)
    new, new_days = symbols(org.ward_b)
    assert set(old) == {d for d in WEEKDAYS if d < MOVE} and old_days == 7
    assert set(new) == {d for d in WEEKDAYS if d >= MOVE} and new_days == 3


def test_the_unit_recomputation_takes_the_people_counted_there_on_any_day(mover, org):
    # A grace-minutes change in the old unit recomputes the mover too (the days before the move).
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], unit_ids=[org.ward_a.pk], staff_ids=[mover.pk], now=NOW)
    assert DailyAttendance.objects.filter(staff=mover, unit=org.ward_a).count() == 7


def test_a_person_who_leaves_is_counted_until_leaving_and_not_absent_after(org, device):
    me = org.staff["onestop_a"]
    _on_time_every_day(device, me, "2")
    DailyAttendance.objects.all().delete()
    # Computed while still a member (the last three days would be absences after leaving) ...
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[me.pk], now=NOW)
    membership_end(membership=Membership.objects.get(staff=me, unit=org.ward_a), on=MOVE)
    me.is_active = False
    me.save(update_fields=["is_active"])
    # ... then recomputed after the departure was recorded: the days after leaving keep no row.
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[me.pk], now=NOW)
    days = set(DailyAttendance.objects.filter(staff=me).values_list("day", flat=True))
    assert days == {d for d in WEEKDAYS if d < MOVE}
    DailyAttendance.objects.all().delete()
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], now=NOW)  # the periodic run over everyone tracked
    mine = DailyAttendance.objects.filter(staff=me)
    assert set(mine.values_list("day", flat=True)) == {d for d in WEEKDAYS if d < MOVE}
    assert not mine.filter(status="absent").exists()
    ev = attendance_evidence(staff_ids=[me.pk], start=D(2026, 11, 1), end=D(2026, 12, 1))[me.pk]
    assert ev["working_days"] == 7 and ev["unjustified_absences"] == 0
    sheet = timesheet(unit=org.ward_a, year=2026, month=11)
    row = next(r for r in sheet["rows"] if r["staff"] == me)
    assert row["totals"][0] == 7


def test_a_deactivated_person_with_an_open_membership_is_left_as_computed(org, device):
    me = org.staff["onestop_a"]
    _on_time_every_day(device, me, "2")
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[me.pk], now=NOW)
    me.is_active = False
    me.save(update_fields=["is_active"])
    attendance_compute(start=WEEKDAYS[0], end=WEEKDAYS[-1], staff_ids=[me.pk], now=NOW)
    assert DailyAttendance.objects.filter(staff=me).count() == len(WEEKDAYS)  # no known end: nothing erased
