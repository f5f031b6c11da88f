"""Issue 10, item 3: one dossier state machine (`lifecycle.TRANSITIONS`). The services, the import
replay and the detail screen's buttons all follow it — change the table and all three change with
it (each test below breaks the table on purpose with monkeypatch and sees every consumer follow)."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kycuong.core.errors import Conflict, ImportFailed
from kycuong.dossiers import lifecycle
from kycuong.dossiers import services as s
from kycuong.dossiers.interchange import EVENT_TYPES, import_dossiers
from kycuong.dossiers.models import Dossier, EventType, Status
from kycuong.dossiers.views import ACTIONS

from .factories import APPLICANT, at, clock

ACTION_RE = re.compile(r'id="action-([a-z_]+)"')


def _buttons(user: Any, code: str) -> set[str]:
    c = Client()
    c.force_login(user)
    html = c.get(reverse("dossiers:detail", args=[code])).content.decode()
    return set(ACTION_RE.findall(html)) - {"panel"}  # id="action-panel" is the form's container


def _received(org: Any, proc: Any) -> Dossier:
    with clock(at("2026-11-16 09:00")):
        return s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                 received_by=org.staff["onestop_a"])


def _line(proc: Any, *events: str) -> str:
    times = ["2026-11-16T09:00:00+07:00", "2026-11-16T10:00:00+07:00", "2026-11-17T10:00:00+07:00"]
    return json.dumps({"code": "H26.P04-261116-0077", "procedure": proc.code, "unit": "H26.P04",
                       "applicant": {"name": "Lê Văn Cường"},
                       "events": [{"type": t, "at": times[i], "reason": "x"} for i, t in enumerate(events)]})


def test_the_table_is_the_specification() -> None:
    assert lifecycle.actions_from(Status.RECEIVED) == [
        "assign", "hand_over", "transfer", "request_supplement", "apologize", "finish", "withdraw", "stop", "reassign"]
    assert lifecycle.actions_from(Status.WAITING_SUPPLEMENT) == [
        "assign", "complete_supplement", "apologize", "withdraw", "stop", "reassign"]
    assert lifecycle.actions_from(Status.SUBMITTED) == ["accept", "refuse", "withdraw", "reassign"]
    assert lifecycle.actions_from(Status.RESULT_READY) == ["return"]
    for closed in (Status.RETURNED, Status.WITHDRAWN, Status.STOPPED, Status.REFUSED):
        assert lifecycle.actions_from(closed) == []
    # every screen action, every imported event type has its row in the table
    assert {a.name for a in ACTIONS} <= set(lifecycle.TRANSITIONS)
    assert all(lifecycle.action_for_event(t, lifecycle.NEW) in lifecycle.TRANSITIONS for t in EVENT_TYPES)


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.WAITING_SUPPLEMENT, Status.RESULT_READY])
def test_detail_buttons_are_the_tables_actions(org: Any, proc: Any, status: str) -> None:
    d = _received(org, proc)
    if status != Status.RECEIVED:
        with clock(at("2026-11-16 10:00")):
            d = s.dossier_request_supplement(dossier=d, reason="Thiếu", actor=org.staff["officer_a"])
    if status == Status.RESULT_READY:
        with clock(at("2026-11-17 10:00")):
            d = s.dossier_complete_supplement(dossier=d, actor=org.staff["onestop_a"])
            d = s.dossier_finish(dossier=d, actor=org.staff["officer_a"])
    assert d.status == status
    assert _buttons(org.user("head_a"), d.code) == set(lifecycle.actions_from(status))


def test_breaking_the_table_changes_the_buttons_the_services_and_the_replay(org: Any, proc: Any,
                                                                           monkeypatch: Any) -> None:
    d = _received(org, proc)
    assert "request_supplement" in _buttons(org.user("head_a"), d.code)
    # the rule changes in ONE place: no supplement request straight after receipt
    monkeypatch.setitem(lifecycle.TRANSITIONS, "request_supplement",
                        lifecycle.Transition(frozenset({Status.IN_PROGRESS}), Status.WAITING_SUPPLEMENT))
    assert "request_supplement" not in _buttons(org.user("head_a"), d.code)
    with pytest.raises(Conflict) as err:
        s.dossier_request_supplement(dossier=d, reason="Thiếu", actor=org.staff["officer_a"])
    assert err.value.code == "invalid_transition"
    Dossier.objects.all().delete()
    with clock(at("2026-11-20 10:00")), pytest.raises(ImportFailed) as imported:
        import_dossiers(io.StringIO(_line(proc, EventType.RECEIVED, EventType.SUPPLEMENT_REQUESTED)))
    assert "sự kiện 2" in str(imported.value)


def test_widening_the_table_is_followed_too(org: Any, proc: Any, monkeypatch: Any) -> None:
    """A result straight from waiting for a supplement: not allowed today; allowed by the table,
    the screen offers it, the service does it, and the replay accepts such a history."""
    d = _received(org, proc)
    with clock(at("2026-11-16 10:00")):
        d = s.dossier_request_supplement(dossier=d, reason="Thiếu", actor=org.staff["officer_a"])
    assert "finish" not in _buttons(org.user("head_a"), d.code)
    with clock(at("2026-11-20 10:00")), pytest.raises(ImportFailed):
        import_dossiers(io.StringIO(_line(proc, EventType.RECEIVED, EventType.SUPPLEMENT_REQUESTED,
                                          EventType.FINISHED)))
    monkeypatch.setitem(lifecycle.TRANSITIONS, "finish", lifecycle.Transition(
        frozenset({Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPPLEMENT}), Status.RESULT_READY))
    assert "finish" in _buttons(org.user("head_a"), d.code)
    with clock(at("2026-11-17 10:00")):
        assert s.dossier_finish(dossier=d, actor=org.staff["officer_a"]).status == Status.RESULT_READY
    Dossier.objects.all().delete()
    with clock(at("2026-11-20 10:00")):
        assert import_dossiers(io.StringIO(_line(proc, EventType.RECEIVED, EventType.SUPPLEMENT_REQUESTED,
                                                 EventType.FINISHED))) == 1
    assert Dossier.objects.get().status == Status.RESULT_READY
