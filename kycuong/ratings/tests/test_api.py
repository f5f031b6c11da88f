from __future__ import annotations

import contextlib
import json
import uuid
from unittest import mock

from django.db import DatabaseError
from django.test import Client

from kycuong.ratings.models import Rating
from kycuong.ticketing import services as ticketing
from kycuong.ticketing.tests.factories import device_client, make_dossier


def served(hall):
    ticketing.ticket_issue(area=hall.area_a)
    ticketing.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    return ticketing.ticket_finish(counter=hall.counter1, staff=hall.officer1)


def post(client, body):
    return client.post("/api/v1/ratings/device/ratings", json.dumps(body), content_type="application/json")


def test_tablet_state_shows_officer_and_pending_ticket(hall):
    ticket = served(hall)
    state = device_client(hall.tablet1_token).get("/api/v1/ratings/device/state").json()
    assert state["officer"]["name"] == hall.officer1.full_name
    assert state["pending"][0]["ticket_id"] == ticket.pk and state["pending"][0]["label"] == "A-001"
    # The other counter's tablet does not see it.
    assert device_client(hall.tablet2_token).get("/api/v1/ratings/device/state").json()["pending"] == []


def test_offline_resend_with_same_idempotency_key_counts_once_and_returns_same_response(hall):
    """Must-show: the tablet sent a rating, the response was lost (network drop), the tablet resends
    the same stored rating with the same key: same response, one rating counted."""
    ticket = served(hall)
    client = device_client(hall.tablet1_token)
    body = {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk, "level": "very_satisfied",
            "criteria": {"civil_servant": "very_satisfied"}, "comment": "", "rated_at": None}
    first = post(client, body)
    assert first.status_code == 201, first.content
    resend = post(client, body)
    assert resend.status_code == 201
    assert resend.json() == first.json()
    assert resend["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Rating.objects.count() == 1
    # A new rating (new key) for the same ticket is refused with a clear reason.
    second = post(client, {**body, "idempotency_key": str(uuid.uuid4())})
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated" and "A-001" in second.json()["message"]
    assert Rating.objects.count() == 1


def test_failed_first_attempt_then_resend_saves_once(hall):
    """The first attempt failed on the server side (nothing saved); the queued resend saves it once."""
    ticket = served(hall)
    client = device_client(hall.tablet1_token)
    body = {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk, "level": "satisfied"}
    with mock.patch("kycuong.ratings.services.audit_record", side_effect=DatabaseError("down")), \
            contextlib.suppress(DatabaseError):
        post(client, body)
    assert Rating.objects.count() == 0
    assert post(client, body).status_code == 201
    assert post(client, body).status_code == 201
    assert Rating.objects.count() == 1


def test_device_token_works_only_for_its_counter(hall):
    ticket = served(hall)
    r = post(device_client(hall.tablet2_token), {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk,
                                                 "level": "satisfied"})
    assert r.status_code == 403 and r.json()["code"] == "wrong_counter"
    r = post(device_client(hall.kiosk_token), {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk,
                                               "level": "satisfied"})
    assert r.status_code == 401
    r = post(Client(), {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk, "level": "satisfied"})
    assert r.status_code == 401
    assert Rating.objects.count() == 0


def test_forged_ticket_id_is_refused(hall):
    r = post(device_client(hall.tablet1_token), {"idempotency_key": str(uuid.uuid4()), "ticket_id": 999999,
                                                 "level": "satisfied"})
    assert r.status_code == 404


def test_missing_idempotency_key_is_a_validation_error(hall):
    ticket = served(hall)
    r = post(device_client(hall.tablet1_token), {"ticket_id": ticket.pk, "level": "satisfied"})
    assert r.status_code == 422 and Rating.objects.count() == 0


def test_online_api(hall, org):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP")
    c = Client()
    bad = c.post("/api/v1/ratings/online", {"code": dossier.code, "secret": "nope", "level": "satisfied"},
                 content_type="application/json")
    assert bad.status_code == 404
    ok = c.post("/api/v1/ratings/online", {"code": dossier.code, "secret": "K7Q2ZP", "level": "satisfied",
                                            "criteria": {"result": "satisfied"}}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["channel"] == "online" and ok.json()["dossier"] == dossier.code


def test_aggregates_and_followups_api(hall, org, api_client_for):
    ticket = served(hall)
    post(device_client(hall.tablet1_token), {"idempotency_key": str(uuid.uuid4()), "ticket_id": ticket.pk,
                                             "level": "dissatisfied", "comment": "Cán bộ thiếu niềm nở"})
    admin = api_client_for(org.user("admin"))
    from django.utils import timezone

    period = timezone.localdate().strftime("%Y-%m")
    for group in ("officer", "counter", "unit", "procedure", "channel"):
        rows = admin.get(f"/api/v1/ratings/aggregates?period={period}&group_by={group}").json()
        assert rows[0]["total"] == 1 and rows[0]["dissatisfied"] == 1 and rows[0]["satisfaction_rate"] == 0.0
    assert admin.get("/api/v1/ratings/aggregates?period=bad&group_by=unit").status_code == 422
    fus = admin.get("/api/v1/ratings/follow-ups").json()
    assert fus[0]["comment"] == "Cán bộ thiếu niềm nở" and fus[0]["ticket"] == "A-001"
    closed = admin.post(f"/api/v1/ratings/follow-ups/{fus[0]['id']}/close", {"resolution": "Đã nhắc nhở"},
                        content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # Officer outside the reception point's scope sees nothing.
    outsider = api_client_for(org.user("officer_b"))
    assert outsider.get("/api/v1/ratings/follow-ups?status=").json() == []
    assert outsider.get(f"/api/v1/ratings/aggregates?period={period}").json() == []
