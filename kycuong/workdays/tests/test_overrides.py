"""Conflicting calendar overrides: the override of the nearest unit wins (city < parent < unit)."""

from __future__ import annotations

import datetime as dt

from kycuong.org.models import UnitKind
from kycuong.org.services import _set_path
from kycuong.org.tests.factories import UnitFactory
from kycuong.workdays.models import OverrideKind
from kycuong.workdays.services import calendar_for, calendar_override_set

TUESDAY = dt.date(2026, 3, 3)   # an ordinary working day
SATURDAY = dt.date(2026, 3, 7)  # an ordinary day off


def test_a_unit_override_beats_the_city_wide_one(org):
    calendar_override_set(date=TUESDAY, kind=OverrideKind.DAY_OFF, reason="Nghỉ toàn thành phố")
    calendar_override_set(date=TUESDAY, kind=OverrideKind.WORKING_DAY, reason="Phường trực", unit=org.ward_a)
    assert calendar_for(org.ward_a).is_working_day(TUESDAY)
    assert not calendar_for(org.ward_b).is_working_day(TUESDAY)
    assert not calendar_for(None).is_working_day(TUESDAY)


def test_the_nearest_ancestor_wins_over_a_farther_one(org):
    sub_office = UnitFactory(code="H26.STP.01.01", name="Tổ một cửa", kind=UnitKind.OFFICE, parent=org.dept_office)
    # the department works on Saturday; its office does not; the office's team inherits the office's rule
    calendar_override_set(date=SATURDAY, kind=OverrideKind.WORKING_DAY, reason="Sở làm bù", unit=org.dept)
    calendar_override_set(date=SATURDAY, kind=OverrideKind.DAY_OFF, reason="Văn phòng nghỉ", unit=org.dept_office)
    assert calendar_for(org.dept).is_working_day(SATURDAY)
    assert not calendar_for(org.dept_office).is_working_day(SATURDAY)
    assert not calendar_for(sub_office).is_working_day(SATURDAY)


def test_nearness_follows_the_tree_not_the_order_units_were_created(org):
    """A unit created before its new parent (ids out of tree order) still follows the parent over the city."""
    team = UnitFactory(code="H26.TO", name="Tổ công tác", kind=UnitKind.OFFICE, parent=org.city)
    board = UnitFactory(code="H26.BAN", name="Ban chỉ đạo", kind=UnitKind.OFFICE, parent=org.city)
    team.parent = board
    _set_path(team)
    team.save(update_fields=["parent", "path", "depth"])
    assert team.pk < board.pk and team.ancestor_ids == [org.city.pk, board.pk]
    calendar_override_set(date=SATURDAY, kind=OverrideKind.WORKING_DAY, reason="Tổ trực", unit=team)
    calendar_override_set(date=SATURDAY, kind=OverrideKind.DAY_OFF, reason="Ban nghỉ", unit=board)
    assert calendar_for(team).is_working_day(SATURDAY)
    assert not calendar_for(board).is_working_day(SATURDAY)


def test_the_order_overrides_were_entered_does_not_matter(org):
    # the nearer unit's override is entered first, the farther one afterwards
    calendar_override_set(date=SATURDAY, kind=OverrideKind.DAY_OFF, reason="Văn phòng nghỉ", unit=org.dept_office)
    calendar_override_set(date=SATURDAY, kind=OverrideKind.WORKING_DAY, reason="Sở làm bù", unit=org.dept)
    calendar_override_set(date=SATURDAY, kind=OverrideKind.WORKING_DAY, reason="Toàn thành phố làm bù")
    assert not calendar_for(org.dept_office).is_working_day(SATURDAY)
    assert calendar_for(org.dept).is_working_day(SATURDAY)
    assert calendar_for(org.ward_a).is_working_day(SATURDAY)


def test_a_unit_moved_under_another_parent_gets_that_parents_calendar_at_once(org):
    board = UnitFactory(code="H26.BAN", name="Ban chỉ đạo", kind=UnitKind.OFFICE, parent=org.city)
    team = UnitFactory(code="H26.TO", name="Tổ công tác", kind=UnitKind.OFFICE, parent=org.city)
    calendar_override_set(date=SATURDAY, kind=OverrideKind.WORKING_DAY, reason="Ban làm bù", unit=board)
    assert not calendar_for(team).is_working_day(SATURDAY)  # now cached
    team.parent = board
    _set_path(team)
    team.save(update_fields=["parent", "path", "depth"])
    assert calendar_for(team).is_working_day(SATURDAY)
