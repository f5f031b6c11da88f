"""Unit figures for the `kycuong` scorecard: programs on time, items due / done on time / overdue,
and the scorecard's work-program indicators fed by them."""

from __future__ import annotations

from typing import Any

import pytest

from kycuong.core.periods import parse_period
from kycuong.workplans.models import ItemStatus
from kycuong.workplans.selectors.figures import personal_periods_in, unit_workplan_figures
from kycuong.workplans.tests.rows import complete, item, local, program

pytestmark = pytest.mark.django_db

NOV = parse_period("2026-11")
AFTER = local(2026, 12, 5, 12)


@pytest.fixture
def world(org: Any) -> Any:
    officer, onestop = org.staff["officer_a"], org.staff["onestop_a"]
    # officer: W47 and the month approved on time; W48 submitted on time but approved late
    program(org.ward_a, "2026-W47", owner=officer, status="approved", submitted_at=local(2026, 11, 16, 9),
            approved_at=local(2026, 11, 16, 10))
    program(org.ward_a, "2026-11", owner=officer, status="approved", submitted_at=local(2026, 11, 2, 9),
            approved_at=local(2026, 11, 4, 17))
    program(org.ward_a, "2026-W48", owner=officer, status="approved", submitted_at=local(2026, 11, 23, 9),
            approved_at=local(2026, 11, 23, 10, 0, 1))
    # one-stop officer: W45 submitted and approved after Monday 10:00
    program(org.ward_a, "2026-W45", owner=onestop, status="approved", submitted_at=local(2026, 11, 2, 11),
            approved_at=local(2026, 11, 2, 12))
    prog = program(org.ward_a, "2026-11", owner=onestop)
    complete(item(prog, due=local(2026, 11, 10, 17)), local(2026, 11, 9, 9))  # on time
    complete(item(prog, due=local(2026, 11, 12, 17)), local(2026, 11, 14, 9))  # late
    item(prog, due=local(2026, 11, 20, 17))  # overdue
    item(prog, due=local(2026, 11, 20, 17), status=ItemStatus.CANCELLED)  # no class
    unit_prog = program(org.ward_a, "2026-11")
    parent = item(unit_prog, due=local(2026, 11, 25, 17), owner=org.staff["head_a"])  # not a leaf
    complete(item(prog, due=local(2026, 11, 24, 17), parent=parent), local(2026, 11, 24, 17))  # on time
    item(prog, due=local(2026, 12, 2, 17))  # due next month
    return org


def test_periods_each_program_counts_once() -> None:
    labels = [p.label for p in personal_periods_in(NOV)]
    assert labels == ["2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49", "2026-11"]
    # week 49 (Monday 30 November) holds 1 December: the December program counts in that week
    assert [p.label for p in personal_periods_in(parse_period("2026-W49"))] == ["2026-W49", "2026-12"]
    assert [p.label for p in personal_periods_in(parse_period("2026-W48"))] == ["2026-W48"]


def test_figures_by_hand(world: Any) -> None:
    data = unit_workplan_figures(period=NOV, as_of=AFTER)
    assert data["has_data"]
    ward = data["units"][world.ward_a.pk]
    # 3 people × (5 weeks + 1 month) expected; on time: officer's W47 and month
    assert (ward["programs_expected"], ward["programs_on_time"]) == (18, 2)
    assert (ward["items_due"], ward["items_done_on_time"], ward["items_overdue"]) == (4, 2, 1)
    ward_b = data["units"][world.ward_b.pk]
    assert (ward_b["programs_expected"], ward_b["programs_on_time"], ward_b["items_due"]) == (12, 0, 0)


def test_running_period_judges_only_passed_deadlines_and_due_items(world: Any) -> None:
    ward = unit_workplan_figures(period=NOV, as_of=local(2026, 11, 17, 9))["units"][world.ward_a.pk]
    # deadlines passed: W45, W46, W47 (Monday 16 10:00) and the month (Wed 4): 3 people × 4
    assert (ward["programs_expected"], ward["programs_on_time"]) == (12, 2)
    assert (ward["items_due"], ward["items_done_on_time"], ward["items_overdue"]) == (2, 1, 0)


def test_no_program_at_all_is_no_data(org: Any) -> None:
    assert unit_workplan_figures(period=NOV, as_of=AFTER)["has_data"] is False


def test_scorecard_indicators_fed_by_the_figures(world: Any) -> None:
    from kycuong.scorecard.selectors import unit_scorecard
    from kycuong.scorecard.services import scorecard_compute
    from kycuong.scorecard.tests.conftest import ensure_builtin_sets

    ensure_builtin_sets()
    scorecard_compute(set_code="kycuong", period="2026-11", now=AFTER)
    ward = {r["code"]: r for r in unit_scorecard(set_code="kycuong", period="2026-11", unit_code="H26.P04")["indicators"]}
    programs, done, not_overdue = ward["workplan.programs_on_time"], ward["workplan.completion"], ward["workplan.not_overdue"]
    assert (programs["numerator"], programs["denominator"], programs["points"]) == (2, 18, pytest.approx(5 * 2 / 18))
    assert (done["numerator"], done["denominator"], done["points"]) == (2, 4, pytest.approx(10 * 0.5))
    assert (not_overdue["numerator"], not_overdue["denominator"], not_overdue["points"]) == (3, 4, pytest.approx(5 * 0.75))
    assert programs["applicable"] and not programs.get("note")
    city = {r["code"]: r for r in unit_scorecard(set_code="kycuong", period="2026-11", unit_code="H26")["indicators"]}
    assert city["workplan.completion"]["denominator"] == 4  # the subtree's sum


def test_scorecard_says_no_data_before_anyone_uses_work_programs(org: Any) -> None:
    from kycuong.scorecard.models import Result
    from kycuong.scorecard.services import scorecard_compute
    from kycuong.scorecard.tests.conftest import ensure_builtin_sets

    ensure_builtin_sets()
    scorecard_compute(set_code="kycuong", period="2026-11", now=AFTER)
    row = Result.objects.get(unit=org.ward_a, period="2026-11", indicator__code="workplan.programs_on_time")
    assert row.applicable is False and row.source_has_data is False and row.note
