"""Issue 10, item 4: one meaning of "overdue" / "late" on every screen. A dossier waiting for a
supplement requested before its due date has its clock stopped (not overdue); one requested after
the due date had passed stays overdue; an open dossier past its due date is overdue. Every screen
— work list (urgency and the overdue filter), dashboard card, officers' statistics, the API, the
public lookup, the notifications and the scorecard — must agree (docs/modules/dossiers.md § Timeliness)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kycuong.core.periods import parse_period
from kycuong.dossiers import public
from kycuong.dossiers import selectors as sel
from kycuong.dossiers import services as s
from kycuong.dossiers.models import Dossier, Notification, NotificationKind, Outcome
from kycuong.dossiers.notifications import notifications_scan
from kycuong.dossiers.timeliness import is_late, is_overdue, outcome_for
from kycuong.scorecard.engine import dossier_counts_by_unit

from .factories import APPLICANT, at, clock

JUDGED_AT = "2026-11-25 10:00"  # received Mon 16/11 09:00, 3 working days: due Thu 19/11 09:00

CASES = [
    pytest.param("2026-11-18 10:00", False, id="paused-before-due-not-overdue"),
    pytest.param("2026-11-20 10:00", True, id="paused-after-due-stays-overdue"),
    pytest.param(None, True, id="open-past-due-overdue"),
]


def _dossier(org: Any, proc: Any, paused: str | None) -> Dossier:
    with clock(at("2026-11-16 09:00")):
        d = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                              received_by=org.staff["onestop_a"])
    assert d.due_at == at("2026-11-19 09:00")
    if paused:
        with clock(at(paused)):
            d = s.dossier_request_supplement(dossier=d, reason="Thiếu bản sao", actor=org.staff["officer_a"])
    return Dossier.objects.get(pk=d.pk)


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_pure_function_and_queryset_agree(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    assert is_overdue(d, at=at(JUDGED_AT)) is overdue
    assert is_late(d, at=at(JUDGED_AT)) is overdue
    assert Dossier.objects.overdue(at=at(JUDGED_AT)).filter(pk=d.pk).exists() is overdue
    assert Dossier.objects.late(at=at(JUDGED_AT)).filter(pk=d.pk).exists() is overdue


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_work_list_urgency_filter_and_card(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    rows = list(sel.dossiers_of_units(user=org.user("head_a"), at=at(JUDGED_AT)))
    assert [r.pk for r in rows] == [d.pk]
    assert (rows[0].urgency == sel.URGENCY_OVERDUE) is overdue
    only_overdue = sel.dossiers_of_units(user=org.user("head_a"), at=at(JUDGED_AT), filters=sel.DossierFilters(overdue=True))
    assert only_overdue.count() == int(overdue)
    assert sel.dossier_counts_for(user=org.user("officer_a"), at=at(JUDGED_AT))["overdue"] == int(overdue)


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_officer_statistics(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    _dossier(org, proc, paused)
    _rows, total = sel.dossier_statistics(user=org.user("head_a"), period="2026-11", at=at(JUDGED_AT))
    assert total.in_progress == 1 and total.overdue == int(overdue)


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_api_flag(org: Any, proc: Any, api_client_for: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    with clock(at(JUDGED_AT)):
        body = api_client_for(org.user("head_a")).get(f"/api/v1/dossiers/{d.code}").json()
    assert body["overdue"] is overdue


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_public_lookup(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    found = public.dossier_public_lookup(code=d.code, secret=d.secret, at=at(JUDGED_AT))
    assert found.is_late is overdue
    with clock(at(JUDGED_AT)):  # and by the server clock, the default
        assert public.dossier_public_lookup(code=d.code, secret=d.secret).is_late is overdue


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_overdue_notification(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    notifications_scan(at=at(JUDGED_AT))
    assert Notification.objects.filter(dossier=d, kind=NotificationKind.DOSSIER_OVERDUE).exists() is overdue


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_scorecard_overdue_open(org: Any, proc: Any, paused: str | None, overdue: bool) -> None:
    _dossier(org, proc, paused)
    counts = dossier_counts_by_unit(parse_period("2026-11"), now=at(JUDGED_AT))
    assert counts[org.ward_a.pk]["overdue_open"] == int(overdue)


@pytest.mark.parametrize(("paused", "overdue"), CASES)
def test_detail_screen_tag(org: Any, proc: Any, client: Any, paused: str | None, overdue: bool) -> None:
    d = _dossier(org, proc, paused)
    client.force_login(org.user("head_a"))
    with clock(at(JUDGED_AT)):
        html = client.get(f"/ho-so/{d.code}/").content.decode()
    assert ('id="dossier-overdue"' in html) is overdue


@pytest.mark.parametrize(("status", "step_due", "paused", "overdue"), [
    pytest.param("active", "2026-11-24 10:00", None, True, id="active-past-due"),
    pytest.param("active", "2026-11-25 11:00", None, False, id="active-not-yet-due"),
    pytest.param("active", "2026-11-25 10:00", None, False, id="due-exactly-now-is-not-overdue"),
    pytest.param("done", "2026-11-24 10:00", None, False, id="done-step-never-overdue"),
    pytest.param("active", "2026-11-24 10:00", "2026-11-23 10:00", False, id="paused-before-step-due"),
    pytest.param("active", "2026-11-24 10:00", "2026-11-24 12:00", True, id="paused-after-step-due"),
])
def test_step_overdue_follows_the_dossier_pause_rule(status: str, step_due: str, paused: str | None,
                                                     overdue: bool) -> None:
    from types import SimpleNamespace

    from kycuong.dossiers.timeliness import step_is_overdue

    step = SimpleNamespace(status=status, due_at=at(step_due))
    dossier = SimpleNamespace(paused_at=at(paused) if paused else None)
    assert step_is_overdue(step, dossier, at=at(JUDGED_AT)) is overdue


def test_a_finished_dossier_is_late_only_when_finished_after_its_due_date(org: Any, proc: Any) -> None:
    d = _dossier(org, proc, None)
    with clock(at("2026-11-19 09:00")):
        d = s.dossier_finish(dossier=d, actor=org.staff["officer_a"])
    assert d.outcome == Outcome.ON_TIME and not is_late(d, at=at(JUDGED_AT)) and not is_overdue(d, at=at(JUDGED_AT))
    assert outcome_for(finished_at=at("2026-11-19 09:00") + dt.timedelta(seconds=1), due_at=d.due_at) == Outcome.LATE
    assert outcome_for(finished_at=at("2026-11-18 16:59"), due_at=d.due_at) == Outcome.EARLY
