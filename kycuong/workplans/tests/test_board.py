"""The "who has not submitted" board: deadlines (policy, working calendar), people in force, scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.org.models import Membership, Role
from kycuong.org.tests.factories import StaffFactory
from kycuong.workdays.models import OverrideKind
from kycuong.workdays.services import calendar_override_set
from kycuong.workplans.models import ProgramPolicy
from kycuong.workplans.selectors.board import not_submitted_board
from kycuong.workplans.tests.rows import local, program

pytestmark = pytest.mark.django_db

WEEK = "2026-W47"  # Monday 2026-11-16
MONDAY_10 = local(2026, 11, 16, 10)
SECOND = dt.timedelta(seconds=1)


def rows_by_staff(board: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["staff_id"]: r for r in board["rows"]}


def board(org: Any, *, user: str = "head_a", unit: Any = None, period: str = WEEK, at: Any = None) -> Any:
    return not_submitted_board(user=org.user(user), unit=unit or org.ward_a, period=period,
                               at=at or local(2026, 11, 20, 12))


def test_weekly_deadline_monday_10_exactly_is_on_time(org: Any) -> None:
    officer, onestop, head = org.staff["officer_a"], org.staff["onestop_a"], org.staff["head_a"]
    program(org.ward_a, WEEK, owner=officer, status="approved", submitted_at=MONDAY_10, approved_at=MONDAY_10)
    program(org.ward_a, WEEK, owner=onestop, status="submitted", submitted_at=MONDAY_10 + SECOND)
    rows = rows_by_staff(b := board(org))
    assert b["deadline"] == MONDAY_10
    assert rows[officer.id]["submitted_on_time"] and rows[officer.id]["approved_on_time"]
    assert not rows[officer.id]["late"] and not rows[officer.id]["not_approved"]
    assert rows[onestop.id]["status"] == "submitted" and rows[onestop.id]["late"]
    assert rows[head.id]["status"] == "none" and rows[head.id]["late"]
    assert b["totals"]["late"] == 2 and b["totals"]["none"] == 1 and b["totals"]["people"] == 3
    # before the deadline nobody is late yet
    early = board(org, at=MONDAY_10)
    assert early["totals"]["late"] == 0


def test_returned_and_draft_programs_are_not_submitted(org: Any) -> None:
    officer, onestop = org.staff["officer_a"], org.staff["onestop_a"]
    program(org.ward_a, WEEK, owner=officer, status="returned", submitted_at=MONDAY_10 - SECOND)
    program(org.ward_a, WEEK, owner=onestop, status="draft")
    rows = rows_by_staff(board(org))
    assert rows[officer.id]["status"] == "returned" and rows[officer.id]["late"]
    assert rows[onestop.id]["status"] == "draft" and rows[onestop.id]["late"]


def test_a_holiday_monday_moves_the_deadline_to_the_next_working_day(org: Any) -> None:
    calendar_override_set(date=dt.date(2026, 11, 16), kind=OverrideKind.DAY_OFF, reason="Nghỉ bù")
    officer = org.staff["officer_a"]
    program(org.ward_a, WEEK, owner=officer, status="submitted", submitted_at=local(2026, 11, 17, 9))
    b = board(org)
    assert b["deadline"] == local(2026, 11, 17, 10)
    assert rows_by_staff(b)[officer.id]["submitted_on_time"]


def test_policy_is_configurable(org: Any) -> None:
    ProgramPolicy.objects.create(weekly_weekday=4, weekly_time=dt.time(16, 30))
    assert board(org)["deadline"] == local(2026, 11, 20, 16, 30)


def test_monthly_deadline_end_of_third_working_day(org: Any) -> None:
    # 2026-11-01 is a Sunday: the working days are Mon 2, Tue 3, Wed 4
    officer = org.staff["officer_a"]
    program(org.ward_a, "2026-11", owner=officer, status="submitted", submitted_at=local(2026, 11, 4, 17))
    b = board(org, period="2026-11")
    assert b["deadline"] == local(2026, 11, 4, 17)
    assert rows_by_staff(b)[officer.id]["submitted_on_time"]


def test_people_in_force_during_the_period_and_one_who_joined_mid_week(org: Any) -> None:
    joined = StaffFactory(full_name="Người mới")
    Membership.objects.create(staff=joined, unit=org.ward_a, role=Role.OFFICER, active_from=dt.date(2026, 11, 18))
    left_before = StaffFactory(full_name="Đã chuyển")
    Membership.objects.create(staff=left_before, unit=org.ward_a, role=Role.OFFICER, active_to=dt.date(2026, 11, 16))
    left_during = StaffFactory(full_name="Chuyển giữa tuần")
    Membership.objects.create(staff=left_during, unit=org.ward_a, role=Role.OFFICER, active_to=dt.date(2026, 11, 17))
    later = StaffFactory(full_name="Tuần sau")
    Membership.objects.create(staff=later, unit=org.ward_a, role=Role.OFFICER, active_from=dt.date(2026, 11, 23))
    rows = rows_by_staff(board(org, at=local(2026, 11, 18, 9)))
    assert joined.id in rows and left_during.id in rows
    assert left_before.id not in rows and later.id not in rows
    # the newcomer's deadline is 10:00 of their first working day, not Monday's
    assert rows[joined.id]["deadline"] == local(2026, 11, 18, 10)
    assert not rows[joined.id]["late"] and rows[left_during.id]["late"]


def test_scope_head_sees_subtree_outside_is_not_found(org: Any) -> None:
    program(org.dept_office, WEEK, owner=org.staff["dept_officer"], status="approved",
            submitted_at=MONDAY_10, approved_at=MONDAY_10)
    rows = rows_by_staff(board(org, user="dept_head", unit=org.dept))
    assert rows[org.staff["dept_officer"].id]["approved_on_time"]
    with pytest.raises(NotFound):
        board(org, user="head_b", unit=org.ward_a)
    city = rows_by_staff(board(org, user="leader", unit=org.city))
    assert {org.staff["officer_a"].id, org.staff["officer_b"].id, org.staff["dept_officer"].id} <= set(city)


def test_only_week_or_month(org: Any) -> None:
    with pytest.raises(ValidationFailed):
        board(org, period="2026-Q4")


def test_set_based_same_queries_for_more_people(org: Any) -> None:
    board(org)  # warm the scope and calendar caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            board(org)
        return len(ctx.captured_queries)

    before = count()
    for n in range(5):
        s = StaffFactory()
        Membership.objects.create(staff=s, unit=org.ward_a, role=Role.OFFICER)
        program(org.ward_a, WEEK, owner=s, status="submitted", submitted_at=MONDAY_10)
    assert count() == before
