"""Due dates (domain.md §2) through the service and the public API endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from kycuong.workdays.models import OverrideKind
from kycuong.workdays.services import calendar_for, calendar_override_set, due_at_compute

T = dt.datetime.fromisoformat

CASES = [
    # (receipt, value, unit, expected due, why)
    ("2026-03-02T12:30:00+07:00", 1, "working_days", "2026-03-03T12:00:00+07:00", "lunch break: clock starts 13:00"),
    ("2026-03-06T15:30:00+07:00", 1, "working_days", "2026-03-09T17:00:00+07:00", "Friday after the 15:00 cut-off"),
    ("2026-03-06T14:59:00+07:00", 1, "working_days", "2026-03-09T14:59:00+07:00", "Friday just before the cut-off"),
    ("2026-02-13T10:00:00+07:00", 1, "working_days", "2026-02-23T10:00:00+07:00", "just before Tết 2026"),
    ("2026-02-13T10:00:00+07:00", 3, "working_days", "2026-02-25T10:00:00+07:00", "across Tết"),
    ("2026-08-21T10:00:00+07:00", 1, "working_days", "2026-08-22T10:00:00+07:00", "swapped Saturday 22/8/2026 works"),
    ("2026-08-28T10:00:00+07:00", 2, "working_days", "2026-09-04T10:00:00+07:00", "31/8 in lieu, 1–2/9 National Day"),
    ("2026-03-02T20:00:00+07:00", 1, "working_days", "2026-03-03T17:00:00+07:00", "outside working hours (evening)"),
    ("2026-03-07T09:00:00+07:00", 1, "working_days", "2026-03-09T17:00:00+07:00", "received on Saturday"),
    ("2026-03-02T06:30:00+07:00", 1, "working_days", "2026-03-02T17:00:00+07:00", "before office opens"),
    ("2026-03-02T08:00:00+07:00", 0.5, "working_days", "2026-03-02T12:00:00+07:00", "ends exactly at 12:00, not 13:00"),
    ("2026-03-02T10:00:00+07:00", 4, "working_hours", "2026-03-02T15:00:00+07:00", "hours across lunch"),
    ("2026-03-02T16:00:00+07:00", 3, "working_hours", "2026-03-03T10:00:00+07:00", "hours overnight, no cut-off"),
    ("2026-03-02T10:00:00+07:00", 3, "calendar_days", "2026-03-05T17:00:00+07:00", "calendar days end 17:00"),
    ("2026-03-04T10:00:00+07:00", 3, "calendar_days", "2026-03-09T17:00:00+07:00", "calendar day on Saturday → Monday"),
    ("2026-11-23T09:00:00+07:00", 1, "working_days", "2026-11-25T09:00:00+07:00", "24/11 Vietnam Culture Day"),
    ("2025-04-25T09:00:00+07:00", 1, "working_days", "2025-04-26T09:00:00+07:00", "swapped Saturday 26/4/2025"),
]


@pytest.mark.parametrize(("start", "value", "unit", "expected", "why"), CASES, ids=[c[4] for c in CASES])
def test_due_at_compute(db, start, value, unit, expected, why):
    assert due_at_compute(received_at=T(start), value=value, unit_of_time=unit) == T(expected)


@pytest.mark.parametrize(("start", "value", "unit", "expected", "why"), CASES, ids=[c[4] for c in CASES])
def test_due_endpoint(client, db, start, value, unit, expected, why):
    response = client.get("/api/v1/workdays/due", {"start": start, unit: value})
    assert response.status_code == 200, response.content
    assert response.json()["due_at"] == expected


def test_due_endpoint_accepts_plus_sign_decoded_as_space(client, db):
    response = client.get("/api/v1/workdays/due?start=2026-03-02T12:30:00+07:00&working_days=1")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2026-03-03T12:00:00+07:00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday", "working_days": 1}, "start"),
        ({"start": "2026-03-02T10:00:00", "working_days": 1}, "start"),
        ({"start": "2026-03-02T10:00:00+07:00"}, "working_days"),
        ({"start": "2026-03-02T10:00:00+07:00", "working_days": 1, "working_hours": 2}, "working_days"),
        ({"start": "2026-03-02T10:00:00+07:00", "working_days": -1}, "working_days"),
        ({"start": "2026-03-02T10:00:00+07:00", "working_days": "abc"}, "working_days"),
    ],
)
def test_due_endpoint_rejects_bad_input_with_422(client, db, params, field):
    response = client.get("/api/v1/workdays/due", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["message"]
    assert field in str(body["details"])


def test_due_endpoint_message_in_english(client, db):
    response = client.get("/api/v1/workdays/due", {"start": "nope", "working_days": 1}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "ISO 8601" in response.json()["message"]


def test_unknown_unit_is_404(client, db):
    response = client.get("/api/v1/workdays/due", {"start": "2026-03-02T10:00:00+07:00", "working_days": 1, "unit": "NOPE"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_admin_override_changes_due_dates_and_is_audited(org):
    from kycuong.core.models import AuditEvent

    start = T("2026-03-02T10:00:00+07:00")
    assert due_at_compute(received_at=start, value=1) == T("2026-03-03T10:00:00+07:00")
    calendar_override_set(date=dt.date(2026, 3, 3), kind=OverrideKind.DAY_OFF, reason="Nghỉ đột xuất", actor=org.user("admin"))
    assert due_at_compute(received_at=start, value=1) == T("2026-03-04T10:00:00+07:00")
    calendar_override_set(date=dt.date(2026, 3, 7), kind=OverrideKind.WORKING_DAY, reason="Làm bù", actor=org.user("admin"))
    assert calendar_for(None).is_working_day(dt.date(2026, 3, 7))
    assert AuditEvent.objects.filter(action="calendar.override.set").count() == 2


def test_unit_override_applies_to_its_subtree_only(org):
    calendar_override_set(date=dt.date(2026, 3, 3), kind=OverrideKind.DAY_OFF, reason="Bầu cử", unit=org.ward_a)
    start = T("2026-03-02T10:00:00+07:00")
    assert due_at_compute(received_at=start, value=1, unit=org.ward_a) == T("2026-03-04T10:00:00+07:00")
    assert due_at_compute(received_at=start, value=1, unit=org.ward_b) == T("2026-03-03T10:00:00+07:00")
