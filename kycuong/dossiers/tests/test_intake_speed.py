"""Intake cost (issue 3, Speed): a bounded number of queries per receipt, whatever the number of
steps; every transition tells the scorecard (near-real-time refresh) after commit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kycuong.core.errors import Conflict
from kycuong.dossiers import services as s
from kycuong.dossiers.models import Dossier, StepStatus
from kycuong.scorecard import tasks as scorecard_tasks
from kycuong.scorecard.models import RefreshState
from kycuong.scorecard.services import REFRESH_KEY

from .factories import APPLICANT, at, clock, procedure_create


def receive(org: Any, proc: Any, when: str) -> Dossier:
    with clock(at(when)):
        return s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                 received_by=org.staff["onestop_a"])


def test_receive_uses_a_constant_small_number_of_queries(org: Any, proc: Any,
                                                         django_assert_max_num_queries: Any) -> None:
    receive(org, proc, "2026-11-16 08:00")  # warms the unit's calendar (built once per calendar revision)
    # steps + unit check, calendar revision, assignees of all steps, sequence upsert, 4 INSERTs,
    # the audit chain head UPDATE (+ the test transaction's SAVEPOINT / RELEASE)
    with django_assert_max_num_queries(11):
        d = receive(org, proc, "2026-11-16 09:00")
    assert d.code == "H26.P04-261116-0002"
    steps = list(d.steps.order_by("order"))
    assert [st.assignee for st in steps] == [org.staff["onestop_a"], org.staff["officer_a"], org.staff["head_a"],
                                             org.staff["onestop_a"]]
    assert d.accountable == org.staff["officer_a"] and steps[0].status == StepStatus.ACTIVE


def test_receive_query_count_does_not_grow_with_the_steps(org: Any, django_assert_max_num_queries: Any) -> None:
    many = procedure_create(steps=[(f"Bước {i}", role, "", 0.1) for i, role in
                                   enumerate(["one_stop_officer", "officer", "officer", "head", "officer",
                                              "head", "officer", "officer", "head", "one_stop_officer"])])
    receive(org, many, "2026-11-16 08:00")
    with django_assert_max_num_queries(11):
        d = receive(org, many, "2026-11-16 09:00")
    assert d.steps.count() == 10 and d.steps.exclude(assignee=None).count() == 10


def test_default_assignee_balances_the_load(org: Any, proc: Any) -> None:
    # A second officer in ward A with no active step gets the next dossier's processing step.
    from kycuong.org.tests.factories import staff_with_role

    busy = receive(org, proc, "2026-11-16 08:00")
    with clock(at("2026-11-16 08:30")):
        s.dossier_hand_over(dossier=busy, actor=org.staff["onestop_a"])
    other = staff_with_role(org.ward_a, "officer", "officer_a2")
    d = receive(org, proc, "2026-11-16 09:00")
    assert d.steps.get(order=2).assignee == other and d.accountable == other


def test_api_create_uses_a_bounded_number_of_queries(org: Any, proc: Any, api_client_for: Any,
                                                     django_assert_max_num_queries: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    body = {"procedure": proc.code, "unit": "H26.P04", "applicant": APPLICANT}
    with clock(at("2026-11-16 09:00")):
        assert c.post("/api/v1/dossiers/", json.dumps(body), content_type="application/json").status_code == 201
        # token (2), staff, procedure, unit, scope (3) + the receipt itself
        with django_assert_max_num_queries(18):
            r = c.post("/api/v1/dossiers/", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["code"] == "H26.P04-261116-0002" and r.json()["accountable"] == org.staff["officer_a"].code


def test_a_dossier_transition_marks_the_scorecard_dirty(org: Any, proc: Any, monkeypatch: Any,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    refreshes: list[Any] = []  # the (immediate) refresh task would recompute and clear the mark: record it instead
    monkeypatch.setattr(scorecard_tasks.services, "scorecard_refresh_current", lambda **kw: refreshes.append(kw) or [])
    d = receive(org, proc, "2026-11-16 08:00")
    RefreshState.objects.filter(key=REFRESH_KEY).update(dirty=False, touches=0, last_unit_id=None,
                                                        enqueued_at=None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, clock(at("2026-11-16 08:30")):
        s.dossier_hand_over(dossier=d, actor=org.staff["onestop_a"])
    assert not RefreshState.objects.filter(key=REFRESH_KEY, dirty=True).exists()  # nothing before commit
    for callback in callbacks:
        callback()
    state = RefreshState.objects.get(key=REFRESH_KEY)
    assert state.dirty is True and state.touches == 1 and state.last_unit_id == org.ward_a.pk
    assert len(refreshes) == 1  # a (debounced) refresh was enqueued


def test_a_refused_transition_does_not_touch_the_scorecard(org: Any, proc: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    d = receive(org, proc, "2026-11-16 08:00")
    # not result_ready: nothing changes, nothing is touched
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(Conflict):
        s.dossier_return(dossier=d, actor=org.staff["onestop_a"])
    assert callbacks == []
