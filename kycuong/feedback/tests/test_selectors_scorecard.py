"""feedback_scorecard_counts: populations and the once-only counting of unsatisfactory items."""

from __future__ import annotations

import datetime as dt

from kycuong.feedback.models import Satisfaction, Status
from kycuong.feedback.selectors import feedback_scorecard_counts, feedback_scorecard_counts_by_unit
from kycuong.feedback.tests.factories import at, item

START, END = at(1, 0, month=10), at(1, 0, month=11)


def test_given_mixed_items_when_counted_then_each_population_matches_the_scorecard_definition(org):
    a, b = org.ward_a, org.ward_b
    # resolved on time, satisfied → satisfactory
    item(unit=a, status=Status.PUBLISHED, received_at=at(1), resolved_at=at(10), satisfaction=Satisfaction.SATISFIED)
    # resolved on time but rated not satisfied
    item(unit=a, status=Status.PUBLISHED, received_at=at(2), resolved_at=at(12), satisfaction=Satisfaction.NOT_SATISFIED)
    # resolved late AND rated not satisfied AND reopened: counted once, as not satisfied
    item(unit=a, status=Status.PUBLISHED, received_at=at(1), resolve_due_at=at(5), resolved_at=at(20),
         satisfaction=Satisfaction.NOT_SATISFIED, reopen_count=1)
    # resolved on time, reopened (and not satisfied): counted once, as not satisfied
    item(unit=a, status=Status.RESOLVED, received_at=at(3), resolved_at=at(15), reopen_count=1,
         satisfaction=Satisfaction.NOT_SATISFIED)
    # resolved on time, reopened without a mark: reopened
    item(unit=a, status=Status.IN_PROGRESS, received_at=at(3), resolved_at=at(14), reopen_count=1)
    # resolved late, no mark: late
    item(unit=a, status=Status.PUBLISHED, received_at=at(1), resolve_due_at=at(5), resolved_at=at(8))
    # open, past deadline at end
    item(unit=a, status=Status.IN_PROGRESS, received_at=at(1), resolve_due_at=at(25))
    # open, deadline after end: not in population
    item(unit=a, status=Status.IN_PROGRESS, received_at=at(25), resolve_due_at=at(15, month=11))
    # resolved after end, but its deadline passed before end: open past deadline at end
    item(unit=a, status=Status.RESOLVED, received_at=at(2), resolve_due_at=at(20), resolved_at=at(3, month=11))
    # refused before end: not in population
    item(unit=a, status=Status.REFUSED, received_at=at(2), resolve_due_at=at(20), refused_at=at(3), closed_at=at(3))
    # merged duplicate: not in population
    item(unit=a, status=Status.MERGED, received_at=at(2), resolve_due_at=at(20), closed_at=at(4))
    # resolved before the period: not in population
    item(unit=a, status=Status.PUBLISHED, received_at=at(1, month=9), resolve_due_at=at(20, month=9),
         resolved_at=at(15, month=9))
    # other unit
    item(unit=b, status=Status.PUBLISHED, received_at=at(1), resolved_at=at(5))

    counts = feedback_scorecard_counts(unit_ids=[a.pk], start=START, end=END)

    assert counts == {"resolved": 6, "resolved_on_time": 4, "open_past_deadline": 2, "rated_not_satisfied": 3,
                      "reopened": 1, "late": 3, "has_data": True}
    satisfactory = 6 + 2 - counts["rated_not_satisfied"] - counts["reopened"] - counts["late"]
    assert satisfactory == 1
    everyone = feedback_scorecard_counts(unit_ids=None, start=START, end=END)
    assert everyone["resolved"] == 7


def test_given_no_items_when_counted_then_has_data_is_false(org):
    counts = feedback_scorecard_counts(unit_ids=[org.ward_a.pk], start=START, end=END)

    assert counts == {"resolved": 0, "resolved_on_time": 0, "open_past_deadline": 0, "rated_not_satisfied": 0,
                      "reopened": 0, "late": 0, "has_data": False}


def test_given_two_units_when_counted_by_unit_then_one_query_matches_the_single_unit_counts(org, django_assert_num_queries):
    a, b = org.ward_a, org.ward_b
    item(unit=a, status=Status.PUBLISHED, received_at=at(1), resolved_at=at(5))
    item(unit=b, status=Status.IN_PROGRESS, received_at=at(1), resolve_due_at=at(10))
    item(unit=b, status=Status.PUBLISHED, received_at=at(1), resolve_due_at=at(4), resolved_at=at(6))

    with django_assert_num_queries(1):
        by_unit = feedback_scorecard_counts_by_unit(start=START, end=END)

    assert set(by_unit) == {a.pk, b.pk}
    for unit in (a, b):
        assert by_unit[unit.pk] == feedback_scorecard_counts(unit_ids=[unit.pk], start=START, end=END)
    assert by_unit[b.pk]["late"] == 2 and by_unit[b.pk]["resolved_on_time"] == 0


def test_given_item_resolved_exactly_at_deadline_then_on_time(org):
    due = at(10, 17)
    item(unit=org.ward_a, status=Status.RESOLVED, received_at=at(1), resolve_due_at=due, resolved_at=due)
    item(unit=org.ward_a, status=Status.RESOLVED, received_at=at(1), resolve_due_at=due,
         resolved_at=due + dt.timedelta(seconds=1))

    counts = feedback_scorecard_counts(unit_ids=[org.ward_a.pk], start=START, end=END)

    assert counts["resolved_on_time"] == 1 and counts["late"] == 1
