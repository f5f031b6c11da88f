from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from kycuong.ticketing import services
from kycuong.ticketing.models import Device, Ticket, TicketStatus

from .factories import device_client


def test_kiosk_lists_areas_and_issues_with_device_token(hall):
    client = device_client(hall.kiosk_token)
    areas = client.get("/api/v1/ticketing/kiosk/areas")
    assert areas.status_code == 200
    assert [a["letter"] for a in areas.json()] == ["A", "B"]
    r = client.post("/api/v1/ticketing/kiosk/tickets", {"area_id": hall.area_a.pk}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["code"] == "A-001" and body["status"] == "waiting" and body["ahead"] == 0
    assert "/so-thu-tu/" in body["status_url"]


def test_kiosk_without_or_with_wrong_token_is_refused(hall):
    assert Client().post("/api/v1/ticketing/kiosk/tickets", {"area_id": hall.area_a.pk},
                         content_type="application/json").status_code == 401
    # A tablet token is not a kiosk token.
    r = device_client(hall.tablet1_token).post("/api/v1/ticketing/kiosk/tickets", {"area_id": hall.area_a.pk},
                                                 content_type="application/json")
    assert r.status_code == 401
    assert Ticket.objects.count() == 0


def test_kiosk_cannot_issue_for_another_reception_point(hall, org):
    from kycuong.ticketing.services import area_create

    other = area_create(unit=org.ward_a, letter="A", name="Hộ tịch")
    r = device_client(hall.kiosk_token).post("/api/v1/ticketing/kiosk/tickets", {"area_id": other.pk},
                                              content_type="application/json")
    assert r.status_code == 404 and Ticket.objects.count() == 0


def test_revoked_kiosk_token_stops_working(hall):
    services.device_revoke(device=hall.kiosk)
    assert device_client(hall.kiosk_token).get("/api/v1/ticketing/kiosk/areas").status_code == 401


def test_public_status_has_no_personal_data(hall):
    t = services.ticket_issue(area=hall.area_a)
    r = Client().get(f"/api/v1/ticketing/public/tickets/{t.public_token}")
    assert r.status_code == 200
    assert set(r.json()) == {"code", "unit", "area", "status", "status_label", "is_priority", "issued_at", "ahead",
                             "estimated_wait_minutes", "counter"}
    assert Client().get("/api/v1/ticketing/public/tickets/nope").status_code == 404


def test_board_shows_now_serving_and_version_changes_on_recall(hall, time_machine):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    b1 = Client().get(f"/api/v1/ticketing/public/board/{hall.unit.code}").json()
    assert b1["serving"][0]["ticket"] == "A-001" and b1["serving"][0]["counter"] == "Quầy 1"
    assert b1["latest"] == {"ticket": "A-001", "counter": "Quầy 1"}
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=5), tick=False)
    services.ticket_recall(counter=hall.counter1, staff=hall.officer1)
    b2 = Client().get(f"/api/v1/ticketing/public/board/{hall.unit.code}").json()
    assert b2["version"] != b1["version"]


def test_console_api_flow(hall, org, api_client_for):
    client = api_client_for(org.user("onestop_rp"))
    services.ticket_issue(area=hall.area_a)
    r = client.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/call-next")
    assert r.status_code == 200 and r.json()["current"]["code"] == "A-001"
    assert client.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/start").json()["current"]["status"] == "serving"
    r = client.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/finish")
    assert r.status_code == 200 and r.json()["current"] is None
    assert Ticket.objects.get().status == TicketStatus.DONE
    r = client.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/recall")
    assert r.status_code == 409 and r.json()["code"] == "no_current_ticket"


def test_counters_outside_scope_are_404(hall, org, api_client_for):
    client = api_client_for(org.user("officer_b"))
    assert client.get(f"/api/v1/ticketing/counters/{hall.counter1.pk}").status_code == 404
    assert client.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/call-next").status_code == 404


def test_pairing_needs_a_manager_and_shows_token_once(hall, org, api_client_for):
    officer = api_client_for(org.user("onestop_rp"))
    r = officer.post("/api/v1/ticketing/devices", {"kind": "kiosk", "unit": hall.unit.code}, content_type="application/json")
    assert r.status_code == 403
    admin = api_client_for(org.user("admin"))
    r = admin.post("/api/v1/ticketing/devices", {"kind": "tablet", "unit": hall.unit.code, "counter_number": 2},
                   content_type="application/json")
    assert r.status_code == 201
    token = r.json()["token"]
    device = Device.objects.get(pk=r.json()["id"])
    assert device.digest == Device.hash(token) and token not in device.digest
    listed = admin.get("/api/v1/ticketing/devices").json()
    assert all("token" not in d for d in listed)
    assert admin.post(f"/api/v1/ticketing/devices/{device.pk}/revoke").json()["revoked_at"]


def test_metrics_api(hall, org, api_client_for, time_machine):
    now = timezone.now()
    time_machine.move_to(now - dt.timedelta(minutes=30), tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(now - dt.timedelta(minutes=29), tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(now - dt.timedelta(minutes=20), tick=False)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    time_machine.move_to(now - dt.timedelta(minutes=10), tick=False)
    services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    time_machine.move_to(now - dt.timedelta(minutes=9), tick=False)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    time_machine.move_to(now - dt.timedelta(minutes=8), tick=False)
    services.ticket_no_show(counter=hall.counter1, staff=hall.officer1)
    client = api_client_for(org.user("admin"))
    day = timezone.localdate().isoformat()
    rows = client.get(f"/api/v1/ticketing/metrics?date_from={day}&date_to={day}&group_by=area").json()
    assert rows[0]["issued"] == 2 and rows[0]["served"] == 1 and rows[0]["no_show"] == 1
    assert rows[0]["no_show_rate"] == 0.5
    assert rows[0]["avg_wait_minutes"] == 15.0  # (10 + 20) / 2
    assert rows[0]["avg_service_minutes"] == 10.0
    for group in ("counter", "officer", "hour", "unit"):
        assert client.get(f"/api/v1/ticketing/metrics?date_from={day}&date_to={day}&group_by={group}").status_code == 200
    assert client.get(f"/api/v1/ticketing/metrics?date_from={day}&date_to={day}&group_by=nope").status_code == 422


def test_openapi_lists_ticketing_endpoints(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/ticketing/kiosk/tickets" in paths
    assert "/api/v1/ticketing/counters/{counter_id}/call-next" in paths
    assert "/api/v1/ratings/device/ratings" in paths
