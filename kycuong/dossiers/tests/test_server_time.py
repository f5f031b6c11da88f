"""Issue 10, item 1: time comes from the server. A client cannot backdate or postdate a dossier
event through the API; only the import replay takes times from its input, bounded by the
dossier's previous event and by now plus a small tolerance."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client

from kycuong.core.errors import ImportFailed
from kycuong.core.models import AuditEvent
from kycuong.dossiers.interchange import import_dossiers
from kycuong.dossiers.models import Dossier, DossierEvent, EventSource, Outcome

from .factories import at, clock


def post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json")


def receive(c: Client, proc: Any, when: str, **extra: Any) -> Any:
    body = {"procedure": proc.code, "unit": "H26.P04", "applicant": {"name": "Phạm Văn Dũng"}, **extra}
    with clock(at(when)):
        return post(c, "/api/v1/dossiers/", body)


def test_finish_with_a_client_time_is_refused_and_an_overdue_dossier_stays_late(org: Any, proc: Any,
                                                                                  api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    code = receive(c, proc, "2026-11-16 09:00").json()["code"]  # due 2026-11-19 09:00
    with clock(at("2026-11-25 10:00")):  # long overdue
        r = post(c, f"/api/v1/dossiers/{code}/finish", {"at": "2026-11-02T09:00:00+07:00"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["details"]["errors"]] == ["at"]
        assert Dossier.objects.get(code=code).status == "received"  # nothing changed
        r = post(c, f"/api/v1/dossiers/{code}/finish", {})
    assert r.status_code == 200 and r.json()["outcome"] == Outcome.LATE
    assert r.json()["finished_at"].startswith("2026-11-25T10:00:00")


def test_a_backdated_finish_cannot_make_processing_time_zero(org: Any, proc: Any, api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    code = receive(c, proc, "2026-11-16 09:00").json()["code"]
    with clock(at("2026-11-17 09:00")):
        r = post(c, f"/api/v1/dossiers/{code}/finish", {"at": "2020-01-01T09:00:00+07:00"})
        assert r.status_code == 422 and "at" in r.json()["message"]
        post(c, f"/api/v1/dossiers/{code}/finish", {})
    d = Dossier.objects.get(code=code)
    assert d.finished_at == at("2026-11-17 09:00") and d.processing_seconds == 8 * 3600


@pytest.mark.parametrize("action", ["hand_over", "request_supplement", "stop", "withdraw", "accept", "return"])
def test_every_transition_refuses_a_client_time(org: Any, proc: Any, api_client_for: Any, action: str) -> None:
    c = api_client_for(org.user("onestop_a"))
    code = receive(c, proc, "2026-11-16 09:00").json()["code"]
    body = {"reason": "x"} if action in ("request_supplement", "stop", "withdraw") else {}
    r = post(c, f"/api/v1/dossiers/{code}/{action}", {**body, "at": "2026-11-16T10:00:00+07:00"})
    assert r.status_code == 422 and [e["field"] for e in r.json()["details"]["errors"]] == ["at"]


def test_a_future_received_at_is_refused_and_the_code_uses_the_server_day(org: Any, proc: Any,
                                                                           api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    r = receive(c, proc, "2026-11-16 09:00", received_at="2030-01-01T09:00:00+07:00")
    assert r.status_code == 422 and r.json()["details"]["errors"][0]["field"] == "received_at"
    assert not Dossier.objects.exists()
    r = receive(c, proc, "2026-11-16 09:00")
    assert r.status_code == 201 and r.json()["code"] == "H26.P04-261116-0001"


def test_events_and_audit_rows_carry_the_server_time(org: Any, proc: Any, api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    code = receive(c, proc, "2026-11-16 09:00").json()["code"]
    with clock(at("2026-11-16 10:30")):
        post(c, f"/api/v1/dossiers/{code}/hand_over", {})
    event = DossierEvent.objects.get(dossier__code=code, type="handed_over")
    assert event.at == event.recorded_at == at("2026-11-16 10:30") and event.source == EventSource.LIVE
    audit = AuditEvent.objects.get(action="dossier.hand_over")
    assert audit.at == at("2026-11-16 10:30")


def _line(proc: Any, *events: tuple[str, str]) -> str:
    return json.dumps({"code": "H26.P04-261116-0099", "procedure": proc.code, "unit": "H26.P04",
                       "applicant": {"name": "Lê Văn Cường"},
                       "events": [{"type": t, "at": when} for t, when in events]})


def test_import_refuses_an_event_after_now_plus_the_tolerance_with_its_line(org: Any, proc: Any,
                                                                             settings: Any) -> None:
    settings.DOSSIER_CLOCK_TOLERANCE_SECONDS = 300
    now = at("2026-11-20 10:00")
    late = (now + dt.timedelta(minutes=6)).isoformat()
    with clock(now), pytest.raises(ImportFailed) as err:
        import_dossiers(io.StringIO("\n" + _line(proc, ("received", "2026-11-16T09:00:00+07:00"), ("finished", late))))
    assert err.value.line == 2 and "sự kiện 2" in str(err.value)
    assert not Dossier.objects.exists()


def test_import_accepts_a_time_within_the_tolerance_and_marks_events_imported(org: Any, proc: Any) -> None:
    now = at("2026-11-20 10:00")
    soon = (now + dt.timedelta(minutes=4)).isoformat()
    with clock(now):
        assert import_dossiers(io.StringIO(_line(proc, ("received", "2026-11-16T09:00:00+07:00"), ("finished", soon)))) == 1
    events = list(DossierEvent.objects.order_by("at"))
    assert [e.source for e in events] == [EventSource.IMPORTED] * 2
    assert all(e.recorded_at == now for e in events) and events[0].at == at("2026-11-16 09:00")


def test_import_refuses_an_event_earlier_than_the_previous_one(org: Any, proc: Any) -> None:
    with clock(at("2026-11-20 10:00")), pytest.raises(ImportFailed) as err:
        import_dossiers(io.StringIO(_line(proc, ("received", "2026-11-16T09:00:00+07:00"),
                                          ("finished", "2026-11-15T09:00:00+07:00"))))
    assert err.value.line == 1
