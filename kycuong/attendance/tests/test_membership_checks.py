"""Actions naming a person need the person to hold a membership, in force on the days concerned,
in a unit the actor manages: a head's correction, leave entered or approved for someone, a PIN."""

from __future__ import annotations

import datetime as dt

import pytest

from kycuong.attendance.models import Absence, PinMapping, Punch
from kycuong.attendance.services import (
    absence_decide,
    absence_request,
    pin_mapping_set,
    punch_add_manual,
    punch_void,
)
from kycuong.core.errors import Forbidden, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Role
from kycuong.org.services import membership_end

from .factories import punch

D = dt.date
MOVE = D(2026, 11, 11)


def _move_to_ward_b(org):
    me = org.staff["officer_a"]
    membership_end(membership=Membership.objects.get(staff=me, unit=org.ward_a), on=MOVE)
    Membership.objects.create(staff=me, unit=org.ward_b, role=Role.OFFICER, active_from=MOVE)
    return me


def test_a_correction_follows_the_unit_of_the_day_corrected(org, device):
    me = _move_to_ward_b(org)
    before = dt.datetime(2026, 11, 10, 8, 0, tzinfo=TZ)
    after = dt.datetime(2026, 11, 12, 8, 0, tzinfo=TZ)
    assert punch_add_manual(staff=me, at=before, reason="Máy hỏng", actor=org.user("head_a")).staff == me
    with pytest.raises(Forbidden, match="không thuộc đơn vị bạn quản lý"):
        punch_add_manual(staff=me, at=after, reason="Máy hỏng", actor=org.user("head_a"))
    assert punch_add_manual(staff=me, at=after, reason="Máy hỏng", actor=org.user("head_b")).staff == me
    with pytest.raises(Forbidden):
        punch_void(punch=punch(device, me, D(2026, 11, 12), "07:00"), reason="Sai", actor=org.user("head_a"))
    assert Punch.objects.filter(source="manual").count() == 2


def test_no_correction_for_a_day_after_the_person_left(org):
    me = org.staff["onestop_a"]
    membership_end(membership=Membership.objects.get(staff=me, unit=org.ward_a), on=MOVE)
    with pytest.raises(ValidationFailed, match="không có vị trí công tác"):
        punch_add_manual(staff=me, at=dt.datetime(2026, 11, 12, 8, 0, tzinfo=TZ), reason="Máy hỏng",
                         actor=org.user("head_a"))
    assert not Punch.objects.exists()


def test_leave_entered_by_a_head_needs_the_person_in_the_unit_during_the_leave(org):
    me = _move_to_ward_b(org)
    with pytest.raises(Forbidden):
        absence_request(staff=me, kind="annual", start=D(2026, 11, 16), end=D(2026, 11, 17), reason="Việc riêng",
                        actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        absence_request(staff=org.staff["officer_b"], kind="annual", start=D(2026, 11, 16), end=D(2026, 11, 16),
                        reason="Việc riêng", actor=org.user("head_a"))
    absence = absence_request(staff=me, kind="annual", start=D(2026, 11, 16), end=D(2026, 11, 17), reason="Việc riêng",
                              actor=org.user("head_b"))
    assert absence.unit == org.ward_b
    earlier = absence_request(staff=me, kind="business_trip", start=D(2026, 11, 2), end=D(2026, 11, 3),
                              reason="Công tác", actor=org.user("head_a"))
    assert earlier.unit == org.ward_a  # the unit of the days of the absence, not today's


def test_approval_needs_the_person_still_in_the_heads_unit(org):
    me = org.staff["officer_a"]
    absence = absence_request(staff=me, kind="annual", start=D(2026, 11, 16), end=D(2026, 11, 17), reason="Việc riêng",
                              actor=org.user("officer_a"))
    assert absence.unit == org.ward_a
    _move_to_ward_b(org)  # moved before the head decided
    with pytest.raises(Forbidden):
        absence_decide(absence=absence, approve=True, actor=org.user("head_a"))
    assert Absence.objects.get(pk=absence.pk).status == "pending"
    absence_decide(absence=absence, approve=False, actor=org.user("head_a"), note="Đã chuyển đơn vị")
    assert Absence.objects.get(pk=absence.pk).status == "rejected"


def test_a_pin_only_for_someone_working_in_a_managed_unit(org, device):
    with pytest.raises(Forbidden):
        pin_mapping_set(staff=org.staff["officer_b"], pin="50", unit=org.ward_a, actor=org.user("head_a"))
    left = org.staff["onestop_a"]
    Membership.objects.filter(staff=left).update(active_to=D(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        pin_mapping_set(staff=left, pin="51", device=device, actor=org.user("head_a"))
    assert not PinMapping.objects.filter(pin__in=["50", "51"]).exists()
