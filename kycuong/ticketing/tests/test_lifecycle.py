"""One state machine for a ticket (issue 10, item 3): services and console buttons follow
`lifecycle.TRANSITIONS`. Membership checks (item 2) and server time (item 1) through the API."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kycuong.core.errors import Conflict, Forbidden
from kycuong.org.models import Membership
from kycuong.ticketing import lifecycle, services
from kycuong.ticketing.lifecycle import Action
from kycuong.ticketing.models import Counter, Ticket, TicketStatus

from .factories import device_client


@pytest.fixture
def table(monkeypatch):
    broken = copy.deepcopy(lifecycle.TRANSITIONS)
    monkeypatch.setattr(lifecycle, "TRANSITIONS", broken)
    return broken


def _console(client: Client, hall) -> str:
    resp = client.get(reverse("ticketing:console", args=[hall.counter1.pk]))
    assert resp.status_code == 200
    return resp.content.decode()


def test_every_status_is_in_the_table():
    assert set(lifecycle.TRANSITIONS) == set(TicketStatus.values)
    for actions in lifecycle.TRANSITIONS.values():
        assert set(actions) <= set(Action.values) and set(actions.values()) <= set(TicketStatus.values)


def test_console_buttons_and_services_follow_the_table(hall, client, table):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    client.force_login(hall.officer1.user)
    page = _console(client, hall)
    assert "vang-mat" in page and "goi-lai" in page and "bat-dau" in page

    del table[TicketStatus.CALLED][Action.NO_SHOW]
    table[TicketStatus.CALLED][Action.RECALL] = TicketStatus.CALLED

    page = _console(client, hall)
    assert "vang-mat" not in page and "goi-lai" in page
    with pytest.raises(Conflict):
        services.ticket_no_show(counter=hall.counter1, staff=hall.officer1)
    assert Ticket.objects.get().status == TicketStatus.CALLED

    services.ticket_start(counter=hall.counter1, staff=hall.officer1)
    page = _console(client, hall)
    assert "bat-dau" not in page and "goi-lai" not in page and "hoan-thanh" in page
    table[TicketStatus.SERVING][Action.NO_SHOW] = TicketStatus.NO_SHOW
    assert "vang-mat" in _console(client, hall)
    assert services.ticket_no_show(counter=hall.counter1, staff=hall.officer1).status == TicketStatus.NO_SHOW


def test_a_transition_the_table_refuses_is_a_409_through_the_api(hall, api_client_for):
    services.ticket_issue(area=hall.area_a)
    api = api_client_for(hall.officer1.user)
    api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/call-next")
    api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/start")

    resp = api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/recall")

    assert resp.status_code == 409 and resp.json()["code"] == "ticket_transition"
    assert Ticket.objects.get().call_count == 1


# --- membership checks (through the API) --------------------------------------------------------
def test_only_a_member_in_force_of_the_counters_unit_can_take_it(hall, org, api_client_for):
    leader = api_client_for(org.user("leader"))  # city-wide: sees the counter, does not work there

    resp = leader.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/take")

    assert resp.status_code == 403 and resp.json()["code"] == "not_member_of_counter_unit"
    assert Counter.objects.get(pk=hall.counter1.pk).staff_id == hall.officer1.pk
    ok = api_client_for(hall.officer2.user).post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/take")
    assert ok.status_code == 200 and ok.json()["staff"] == hall.officer2.full_name


def test_only_the_officer_signed_in_at_the_counter_calls_there(hall, api_client_for):
    services.ticket_issue(area=hall.area_a)
    other = api_client_for(hall.officer2.user)  # same reception point, signed in at counter 2

    resp = other.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/call-next")

    assert resp.status_code == 403 and resp.json()["code"] == "not_at_counter"
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_an_officer_whose_membership_ended_cannot_serve_at_the_counter_still_held(hall):
    services.ticket_issue(area=hall.area_a)
    Membership.objects.filter(staff=hall.officer1).update(active_to=timezone.localdate() - dt.timedelta(days=1))

    with pytest.raises(Forbidden):
        services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    hall.officer2.is_active = False
    hall.officer2.save()
    with pytest.raises(Forbidden):
        services.ticket_call_next(counter=hall.counter2, staff=hall.officer2)
    assert Ticket.objects.get().status == TicketStatus.WAITING


def test_transfer_only_to_an_area_a_counter_serves(hall, api_client_for):
    from kycuong.ticketing.services import area_create

    lonely = area_create(unit=hall.unit, letter="C", name="Khu chưa có quầy")
    services.ticket_issue(area=hall.area_a)
    api = api_client_for(hall.officer1.user)
    api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/call-next")

    resp = api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/transfer", {"area_id": lonely.pk},
                    content_type="application/json")

    assert resp.status_code == 422 and resp.json()["code"] == "area_without_counter"
    assert Ticket.objects.get().area_id == hall.area_a.pk
    ok = api.post(f"/api/v1/ticketing/counters/{hall.counter1.pk}/transfer", {"area_id": hall.area_b.pk},
                  content_type="application/json")
    assert ok.status_code == 200 and Ticket.objects.get().area_id == hall.area_b.pk


# --- server time --------------------------------------------------------------------------------
def test_kiosk_refuses_a_client_time_naming_the_field(hall):
    resp = device_client(hall.kiosk_token).post(
        "/api/v1/ticketing/kiosk/tickets", json.dumps({"area_id": hall.area_a.pk, "issued_at": "2020-01-01T08:00:00Z"}),
        content_type="application/json")

    assert resp.status_code == 422 and "issued_at" in resp.json()["message"]
    assert Ticket.objects.count() == 0


def test_ticket_times_are_the_servers(hall, time_machine):
    t0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    time_machine.move_to(t0, tick=False)
    ticket = services.ticket_issue(area=hall.area_a)
    time_machine.move_to(t0 + dt.timedelta(minutes=7), tick=False)
    called = services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    assert ticket.issued_at == t0 and called.called_at == t0 + dt.timedelta(minutes=7)
    assert called.wait_seconds == 7 * 60
