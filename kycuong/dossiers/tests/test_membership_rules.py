"""Issue 10, item 2: work on a dossier goes only to staff with a membership in force in the unit
that does the work (or a unit under it), through the API too (the HTML forms already restrict the
choice): assignee, hand-over target, transfer target, accountable officer. Otherwise 422 naming
the field, and nothing changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kycuong.core.periods import TZ
from kycuong.dossiers import selectors as sel
from kycuong.dossiers.models import Dossier, DossierEvent
from kycuong.org.models import Membership, Role
from kycuong.org.tests.factories import staff_with_role


def post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def code(org: Any, proc: Any, api_client_for: Any) -> str:
    r = post(api_client_for(org.user("onestop_a")), "/api/v1/dossiers/",
             {"procedure": proc.code, "unit": "H26.P04", "applicant": {"name": "Phạm Văn Dũng"}})
    assert r.status_code == 201, r.content
    return str(r.json()["code"])


def _snapshot(code: str) -> tuple[Any, ...]:
    d = Dossier.objects.get(code=code)
    steps = tuple(d.steps.order_by("order").values_list("assignee_id", "unit_id", "status"))
    return d.version, d.status, d.accountable_id, d.current_unit_id, steps, DossierEvent.objects.filter(dossier=d).count()


def _refused(r: Any, field: str) -> None:
    assert r.status_code == 422, r.content
    assert r.json()["details"]["field"] == field


def _today() -> dt.date:
    return timezone.now().astimezone(TZ).date()


@pytest.mark.parametrize("who", ["officer_b", "dept_officer", "ended", "not_yet"])
def test_assign_refuses_staff_without_a_membership_in_force_in_the_step_unit(org: Any, code: str, api_client_for: Any,
                                                                            who: str) -> None:
    if who in ("ended", "not_yet"):
        staff = staff_with_role(org.ward_a, Role.OFFICER, who)
        m = Membership.objects.get(staff=staff)
        if who == "ended":  # left yesterday: today is the first day it no longer applies
            m.active_to = _today()
        else:  # joins tomorrow
            m.active_from = _today() + dt.timedelta(days=1)
        m.save()
    else:
        staff = org.staff[who]
    before = _snapshot(code)
    r = post(api_client_for(org.user("head_a")), f"/api/v1/dossiers/{code}/assign", {"assignee": staff.code})
    _refused(r, "assignee")
    assert _snapshot(code) == before
    assert staff not in sel.staff_choices_for(org.ward_a)  # the form offers the same people


def test_assign_accepts_staff_of_the_step_unit(org: Any, code: str, api_client_for: Any) -> None:
    r = post(api_client_for(org.user("head_a")), f"/api/v1/dossiers/{code}/assign",
             {"assignee": org.staff["officer_a"].code})
    assert r.status_code == 200
    assert r.json()["steps"][0]["assignee"] == org.staff["officer_a"].code


def test_hand_over_refuses_a_target_outside_the_next_step_unit(org: Any, code: str, api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    before = _snapshot(code)
    _refused(post(c, f"/api/v1/dossiers/{code}/hand_over", {"to_staff": org.staff["officer_b"].code}), "to_staff")
    assert _snapshot(code) == before
    r = post(c, f"/api/v1/dossiers/{code}/hand_over", {"to_staff": org.staff["officer_a"].code})
    assert r.status_code == 200 and r.json()["steps"][1]["assignee"] == org.staff["officer_a"].code


def test_transfer_refuses_a_target_outside_the_target_unit(org: Any, code: str, api_client_for: Any) -> None:
    c = api_client_for(org.user("head_a"))
    before = _snapshot(code)
    r = post(c, f"/api/v1/dossiers/{code}/transfer", {"to_unit": "H26.P01", "to_staff": org.staff["officer_a"].code})
    _refused(r, "to_staff")
    assert _snapshot(code) == before
    r = post(c, f"/api/v1/dossiers/{code}/transfer", {"to_unit": "H26.P01", "to_staff": org.staff["officer_b"].code})
    assert r.status_code == 200 and r.json()["current_unit"] == "H26.P01"


def test_transfer_to_a_department_accepts_staff_of_its_office(org: Any, proc: Any, code: str,
                                                              api_client_for: Any) -> None:
    r = post(api_client_for(org.user("head_a")), f"/api/v1/dossiers/{code}/transfer",
             {"to_unit": "H26.STP", "to_staff": org.staff["dept_officer"].code})  # office under the department
    assert r.status_code == 200


def test_reassign_refuses_an_accountable_officer_of_another_unit(org: Any, code: str, api_client_for: Any) -> None:
    c = api_client_for(org.user("head_a"))
    before = _snapshot(code)
    _refused(post(c, f"/api/v1/dossiers/{code}/reassign", {"accountable": org.staff["officer_b"].code}), "accountable")
    assert _snapshot(code) == before
    r = post(c, f"/api/v1/dossiers/{code}/reassign", {"accountable": org.staff["head_a"].code})
    assert r.status_code == 200 and r.json()["accountable"] == org.staff["head_a"].code


def test_automatic_assignment_skips_a_membership_that_has_ended(org: Any, proc: Any, api_client_for: Any) -> None:
    Membership.objects.filter(staff=org.staff["officer_a"]).update(active_to=_today())
    r = post(api_client_for(org.user("onestop_a")), "/api/v1/dossiers/",
             {"procedure": proc.code, "unit": "H26.P04", "applicant": {"name": "Phạm Văn Dũng"}})
    assert r.status_code == 201
    assert org.staff["officer_a"].code not in [s["assignee"] for s in
                                               api_client_for(org.user("head_a")).get(
                                                   f"/api/v1/dossiers/{r.json()['code']}").json()["steps"]]
