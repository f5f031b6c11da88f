"""work_item_outcomes: the "Evaluation proposal" rules, each clause with a hand-computed expectation."""

from __future__ import annotations

from typing import Any

import pytest

from kycuong.workplans.models import EventType, ItemStatus
from kycuong.workplans.selectors.outcomes import work_item_outcomes
from kycuong.workplans.tests.rows import event, item, local, product_type, program

pytestmark = pytest.mark.django_db

Q, R, D = EventType.QUALITY_FAILED, EventType.RESCHEDULED, EventType.COMPLETED


def done(it: Any, at: Any, completion: str = "done") -> None:
    event(it, D, at, completion=completion)


@pytest.fixture
def world(org: Any) -> dict[str, Any]:
    officer = org.staff["officer_a"]
    prog = program(org.ward_a, "2026-11", owner=officer)
    pt15, pt10 = product_type(org.ward_a, "1.5"), product_type(org.ward_a, "1.0")
    items: dict[str, Any] = {}

    def mk(key: str, due: Any, *, pt: Any = pt10, quantity: str = "1", **kw: Any) -> Any:
        items[key] = item(prog, due=due, pt=pt, quantity=quantity, **kw)
        return items[key]

    # A: on time
    done(mk("A", local(2026, 11, 10, 17), pt=pt15), local(2026, 11, 9, 9))
    # B: w = 2 × 1.0, two days late: d = 1
    done(mk("B", local(2026, 11, 12, 17), quantity="2"), local(2026, 11, 14, 9))
    # C: objective reschedule before the first due date (not a delay), then a plain one after the
    #    second due date passed; completed after the third: d = 2
    c = mk("C", local(2026, 11, 5, 17))
    event(c, R, local(2026, 11, 4, 9), new_due_at=local(2026, 11, 15, 17), objective_cause=True)
    event(c, R, local(2026, 11, 16, 9), new_due_at=local(2026, 11, 20, 17))
    done(c, local(2026, 11, 21, 9))
    # D: completed, failed quality (counts), failed again with an objective cause (does not count),
    #    completed again after the last failure, after its due date: f = 1, d = 1
    d = mk("D", local(2026, 11, 20, 17))
    done(d, local(2026, 11, 18, 9))
    event(d, Q, local(2026, 11, 19, 9))
    event(d, Q, local(2026, 11, 22, 9), objective_cause=True)
    done(d, local(2026, 11, 25, 9))
    # E: completed then sent back, never completed again: not completed
    e = mk("E", local(2026, 11, 25, 17))
    done(e, local(2026, 11, 24, 9))
    event(e, Q, local(2026, 11, 26, 9))
    # F: completed after the period's end: not completed
    done(mk("F", local(2026, 11, 28, 17)), local(2026, 12, 2, 9))
    # G: cancelled: leaves the assigned set
    done(mk("G", local(2026, 11, 3, 17), status=ItemStatus.CANCELLED), local(2026, 11, 3, 9))
    # H: first due date at the period's first instant (local time): in the set, not completed
    mk("H", local(2026, 11, 1, 0))
    # outside the period by first due date (local time), although rescheduled into it
    mk("out1", local(2026, 10, 31, 23, 59))
    mk("out2", local(2026, 12, 1, 0), first_due=local(2026, 12, 1, 0))
    mk("out3", local(2026, 11, 20, 17), first_due=local(2026, 10, 30, 17))
    # I: objective reschedule made after the due date had passed: that due date counts; d = 2
    i = mk("I", local(2026, 11, 6, 17))
    event(i, R, local(2026, 11, 7, 9), new_due_at=local(2026, 11, 8, 17), objective_cause=True)
    done(i, local(2026, 11, 9, 9))
    # J: objective reschedule exactly at the due time (not yet passed); completed exactly at the new
    #    due time (not earlier than it): d = 0
    j = mk("J", local(2026, 11, 6, 17))
    event(j, R, local(2026, 11, 6, 17), new_due_at=local(2026, 11, 10, 17), objective_cause=True)
    done(j, local(2026, 11, 10, 17))
    # K: a report of "not done" is not a completion
    done(mk("K", local(2026, 11, 26, 17)), local(2026, 11, 26, 9), completion="not_done")
    # L: five failures, completed after the last: f = 5, quality clamps at 0
    ll = mk("L", local(2026, 11, 27, 17))
    for day in range(20, 25):
        event(ll, Q, local(2026, 11, day, 9))
    done(ll, local(2026, 11, 27, 9))
    # someone else's item
    other = program(org.ward_b, "2026-11", owner=org.staff["officer_b"])
    done(item(other, due=local(2026, 11, 10, 17), pt=pt10), local(2026, 11, 9, 9))
    return {"officer": officer, "items": items, "org": org}


def test_rates_by_hand(world: dict[str, Any]) -> None:
    officer = world["officer"]
    o = work_item_outcomes(period="2026-11", staff_ids=[officer.id])[officer.id]
    # Σw = A 1.5 + B 2 + C..L (9 items of 1, G cancelled) = 12.5
    assert o["assigned_units"] == pytest.approx(12.5)
    assert o["items"] == 11
    # completed: A B C D I J L = 1.5 + 2 + 5 = 8.5
    assert o["completed_units"] == pytest.approx(8.5)
    assert o["quantity"] == pytest.approx(8.5 / 12.5)
    # quality: A 1.5, B 2, C 1, D 0.75 (f=1), I 1, J 1, L 0 (f=5) = 7.25
    assert o["quality"] == pytest.approx(7.25 / 12.5)
    # timeliness: A 1.5, B 2×0.75, C 0.5 (d=2), D 0.75, I 0.5, J 1, L 1 = 6.75
    assert o["timeliness"] == pytest.approx(6.75 / 12.5)


def test_evidence_rows_show_each_number(world: dict[str, Any]) -> None:
    officer, items = world["officer"], world["items"]
    rows = {r["item"]: r for r in work_item_outcomes(period="2026-11", staff_ids=[officer.id])[officer.id]["evidence"]}
    code = {k: v.code for k, v in items.items()}
    assert set(rows) == {code[k] for k in "ABCDEFHIJKL"}
    expect = {"A": (True, 0, 0), "B": (True, 1, 0), "C": (True, 2, 0), "D": (True, 1, 1), "E": (False, None, 1),
              "F": (False, None, 0), "H": (False, None, 0), "I": (True, 2, 0), "J": (True, 0, 0),
              "K": (False, None, 0), "L": (True, 0, 5)}
    for k, (completed, d, f) in expect.items():
        r = rows[code[k]]
        assert (r["completed"], r["d"], r["f"]) == (completed, d, f), k
    assert rows[code["A"]]["w"] == pytest.approx(1.5)
    assert rows[code["C"]]["due_dates"] == [local(2026, 11, 5, 17), local(2026, 11, 15, 17), local(2026, 11, 20, 17)]
    assert rows[code["D"]]["completed_at"] == local(2026, 11, 25, 9)


def test_nothing_assigned_has_no_rates_and_others_are_separate(world: dict[str, Any]) -> None:
    org = world["org"]
    lonely = org.staff["onestop_a"]
    out = work_item_outcomes(period="2026-11", staff_ids=[lonely.id, org.staff["officer_b"].id])
    assert out[lonely.id]["assigned_units"] == 0 and out[lonely.id]["quantity"] is None
    assert out[org.staff["officer_b"].id]["quantity"] == pytest.approx(1.0)
    assert world["officer"].id not in out


def test_unit_subtree_and_three_queries_for_everyone(world: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    org = world["org"]
    with django_assert_max_num_queries(3):  # the first runs on a raw cursor on PostgreSQL
        everyone = work_item_outcomes(period="2026-11")
    assert set(everyone) == {world["officer"].id, org.staff["officer_b"].id}
    in_b = work_item_outcomes(period="2026-11", unit=org.ward_b, evidence=False)
    assert set(in_b) == {org.staff["officer_b"].id} and in_b[org.staff["officer_b"].id]["evidence"] == []
    assert set(work_item_outcomes(period="2026-11", unit=org.city)) == set(everyone)
