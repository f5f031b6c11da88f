"""The four official status classes (Decision 42/2014/QĐ-TTg) and the one meaning of overdue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kycuong.workplans.models import ItemStatus, StatusClass, WorkItem
from kycuong.workplans.selectors.status import is_overdue, overdue_q, status_class_at, status_class_q
from kycuong.workplans.tests.rows import complete, item, local, program

pytestmark = pytest.mark.django_db

DUE = local(2026, 11, 20, 17, 0)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def prog(org: Any) -> Any:
    return program(org.ward_a, "2026-W47", owner=org.staff["officer_a"])


def classes_both_ways(it: WorkItem, at: dt.datetime) -> StatusClass | None:
    """The pure function and the queryset form must agree on every item and date."""
    pure = status_class_at(it, at)
    in_db = [c for c in StatusClass if WorkItem.objects.filter(status_class_q(c, at), pk=it.pk).exists()]
    assert in_db == ([pure] if pure else [])
    assert is_overdue(it, at) == WorkItem.objects.filter(overdue_q(at), pk=it.pk).exists()
    return pure


def test_not_done_in_time_up_to_and_including_the_due_time(prog: Any) -> None:
    it = item(prog, due=DUE)
    assert classes_both_ways(it, DUE - SECOND) == StatusClass.NOT_DONE_IN_TIME
    assert classes_both_ways(it, DUE) == StatusClass.NOT_DONE_IN_TIME
    assert not is_overdue(it, DUE)
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.NOT_DONE_OVERDUE
    assert is_overdue(it, DUE + SECOND)


def test_completed_exactly_at_the_due_time_is_on_time(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE)
    assert classes_both_ways(it, DUE) == StatusClass.DONE_ON_TIME
    assert classes_both_ways(it, DUE + dt.timedelta(days=30)) == StatusClass.DONE_ON_TIME


def test_completed_one_second_late_is_done_late(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE + SECOND)
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.DONE_LATE
    assert not is_overdue(it, DUE + dt.timedelta(days=1))
    # before the report was made it was not done (and after the due time, overdue)
    assert classes_both_ways(it, DUE) == StatusClass.NOT_DONE_IN_TIME
    assert classes_both_ways(it, DUE + SECOND / 2) == StatusClass.NOT_DONE_OVERDUE


def test_judged_against_the_due_date_in_force_after_a_reschedule(prog: Any) -> None:
    it = item(prog, first_due=DUE, due=DUE + dt.timedelta(days=3), reschedules=1)
    assert classes_both_ways(it, DUE + dt.timedelta(days=1)) == StatusClass.NOT_DONE_IN_TIME
    complete(it, DUE + dt.timedelta(days=2))
    assert classes_both_ways(it, DUE + dt.timedelta(days=2)) == StatusClass.DONE_ON_TIME


def test_accepted_counts_as_done(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE - SECOND)
    it.status = ItemStatus.ACCEPTED
    it.save(update_fields=["status"])
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.DONE_ON_TIME


def test_a_report_of_not_done_is_not_a_completion(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE - SECOND, completion="not_done")
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.NOT_DONE_OVERDUE


def test_partly_done_report_counts_as_done(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE, completion="partly")
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.DONE_ON_TIME


def test_sent_back_for_quality_is_not_done(prog: Any) -> None:
    it = item(prog, due=DUE)
    complete(it, DUE - SECOND)
    it.status = ItemStatus.IN_PROGRESS  # quality_failed sends it back
    it.save(update_fields=["status"])
    assert classes_both_ways(it, DUE + SECOND) == StatusClass.NOT_DONE_OVERDUE


@pytest.mark.parametrize("status", [ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER])
def test_cancelled_and_carried_over_have_no_class_and_are_never_overdue(prog: Any, status: str) -> None:
    it = item(prog, due=DUE, status=status)
    assert classes_both_ways(it, DUE + dt.timedelta(days=10)) is None
    assert not is_overdue(it, DUE + dt.timedelta(days=10))


def test_status_class_q_rejects_an_unknown_class() -> None:
    with pytest.raises(ValueError):
        status_class_q("late-ish", DUE)
