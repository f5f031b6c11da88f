"""Ticketing API: kiosk (device token), public ticket status and display board (no auth), the
counter console (staff), metrics and device pairing (heads/admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.org.models import Staff
from kycuong.org.scoping import ensure_unit_visible
from kycuong.org.selectors import staff_for_user

from . import selectors, services
from .auth import device_auth
from .models import Counter, Device, DeviceKind, Priority, ServiceArea, Ticket

router = Router(tags=["ticketing"])


# --- schemas ------------------------------------------------------------------------------------

class AreaOut(Schema):
    id: int
    letter: str
    name: str
    waiting: int
    estimated_wait_minutes: int


class StrictIn(Schema):
    """Input with unknown fields refused (422 naming the field): in particular no client-supplied
    time (`at`, `issued_at`…): every event takes the server clock (issue 10)."""

    model_config = ConfigDict(extra="forbid")


class TicketIssueIn(StrictIn):
    area_id: int
    priority: str = Priority.NONE


class TicketOut(Schema):
    code: str
    area: str
    unit: str
    status: str
    is_priority: bool
    issued_at: dt.datetime
    ahead: int
    estimated_wait_minutes: int
    status_url: str


class TicketPublicOut(Schema):
    code: str
    unit: str
    area: str
    status: str
    status_label: str
    is_priority: bool
    issued_at: dt.datetime
    ahead: int
    estimated_wait_minutes: int
    counter: str | None


class ServingOut(Schema):
    counter: str
    counter_number: int
    ticket: str
    status: str
    called_at: dt.datetime


class RecentOut(Schema):
    ticket: str
    counter: str
    called_at: dt.datetime


class LatestOut(Schema):
    ticket: str
    counter: str


class BoardOut(Schema):
    unit: str
    unit_code: str
    now: dt.datetime
    serving: list[ServingOut]
    recent: list[RecentOut]
    latest: LatestOut | None
    version: str
    waiting: int


class ConsoleTicketOut(Schema):
    id: int
    code: str
    area: str
    status: str
    is_priority: bool
    priority: str
    call_count: int
    issued_at: dt.datetime
    called_at: dt.datetime | None
    dossier: str | None


class CounterOut(Schema):
    id: int
    unit: str
    number: int
    label: str
    areas: list[str]
    staff: str | None
    current: ConsoleTicketOut | None


class TransferIn(StrictIn):
    area_id: int


class LinkDossierIn(StrictIn):
    code: str


class MetricOut(Schema):
    key: str
    issued: int
    served: int
    no_show: int
    no_show_rate: float | None
    avg_wait_minutes: float | None
    max_wait_minutes: float | None
    avg_service_minutes: float | None


class DevicePairIn(StrictIn):
    kind: str
    unit: str
    counter_number: int | None = None
    name: str = ""


class DeviceOut(Schema):
    id: int
    kind: str
    unit: str
    counter: int | None
    name: str
    prefix: str
    created_at: dt.datetime
    last_seen_at: dt.datetime | None
    revoked_at: dt.datetime | None


class DevicePairedOut(DeviceOut):
    token: str
    pairing_url: str


# --- helpers ------------------------------------------------------------------------------------

def status_url(ticket: Ticket) -> str:
    return settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/") + reverse("ticketing:status", args=[ticket.public_token])


def ticket_out(ticket: Ticket) -> TicketOut:
    status = selectors.ticket_public_status(ticket)
    return TicketOut(code=ticket.code, area=ticket.area.name, unit=ticket.unit.name, status=ticket.status,
                     is_priority=ticket.is_priority, issued_at=ticket.issued_at, ahead=status["ahead"],
                     estimated_wait_minutes=status["estimated_wait_minutes"], status_url=status_url(ticket))


def console_ticket(ticket: Ticket | None) -> ConsoleTicketOut | None:
    if ticket is None:
        return None
    return ConsoleTicketOut(id=ticket.pk, code=ticket.code, area=ticket.area.name, status=ticket.status,
                            is_priority=ticket.is_priority, priority=ticket.priority, call_count=ticket.call_count,
                            issued_at=ticket.issued_at, called_at=ticket.called_at,
                            dossier=ticket.dossier.code if ticket.dossier_id and ticket.dossier else None)


def counter_out(counter: Counter) -> CounterOut:
    return CounterOut(id=counter.pk, unit=counter.unit.code, number=counter.number, label=counter.label,
                      areas=[a.letter for a in counter.areas.all()], staff=counter.staff.full_name if counter.staff else None,
                      current=console_ticket(selectors.counter_current_ticket(counter)))


def device_out(d: Device) -> dict[str, Any]:
    return {"id": d.pk, "kind": d.kind, "unit": d.unit.code, "counter": d.counter.number if d.counter else None,
            "name": d.name, "prefix": d.prefix, "created_at": d.created_at, "last_seen_at": d.last_seen_at,
            "revoked_at": d.revoked_at}


def pairing_url(raw: str) -> str:
    return settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/") + reverse("ticketing:pair") + f"?t={raw}"


def _counter_for(request: HttpRequest, counter_id: int) -> Counter:
    counter = selectors.counters_visible_to(request.user).filter(pk=counter_id).first()
    if counter is None:
        raise NotFound(_("Không tìm thấy quầy."))
    return counter


def _staff(request: HttpRequest) -> Staff:
    staff = staff_for_user(request.user)
    if staff is None:
        raise ValidationFailed(_("Tài khoản này không gắn với cán bộ nào."), code="no_staff")
    return staff


# --- kiosk (device token) -------------------------------------------------------------------------

@router.get("/kiosk/areas", response={200: list[AreaOut], **ERRORS}, auth=device_auth(DeviceKind.KIOSK),
            operation_id="ticketing_kiosk_areas")
def kiosk_areas(request: HttpRequest) -> list[AreaOut]:
    """Areas of the kiosk's reception point, with how many wait and the estimated wait."""
    return [AreaOut(id=r["area"].pk, letter=r["area"].letter, name=r["area"].name, waiting=r["waiting"],
                    estimated_wait_minutes=r["estimated_wait_minutes"])
            for r in selectors.kiosk_areas(request.device.unit)]  # type: ignore[attr-defined]


@router.post("/kiosk/tickets", response={201: TicketOut, **ERRORS}, auth=device_auth(DeviceKind.KIOSK),
             operation_id="ticketing_kiosk_issue")
def kiosk_issue(request: HttpRequest, payload: TicketIssueIn) -> Status:
    """Issue the next number of an area of the kiosk's own reception point (no personal data)."""
    device: Device = request.device  # type: ignore[attr-defined]
    area = ServiceArea.objects.select_related("unit").filter(pk=payload.area_id, unit_id=device.unit_id).first()
    if area is None:
        raise NotFound(_("Không tìm thấy khu vực tại điểm tiếp nhận của thiết bị."))
    ticket = services.ticket_issue(area=area, priority=payload.priority, device=device)
    return Status(201, ticket_out(ticket))


# --- public -------------------------------------------------------------------------------------

@router.get("/public/tickets/{token}", response={200: TicketPublicOut, **ERRORS}, auth=None,
            operation_id="ticketing_public_ticket")
def public_ticket(request: HttpRequest, token: str) -> dict[str, Any]:
    """Public ticket status (the QR code on the ticket): position and estimated wait, no personal data."""
    return selectors.ticket_public_status(selectors.ticket_by_token(token))


@router.get("/public/board/{unit_code}", response={200: BoardOut, **ERRORS}, auth=None,
            operation_id="ticketing_public_board")
def public_board(request: HttpRequest, unit_code: str) -> dict[str, Any]:
    """Display board data: now serving (ticket → counter) and recent calls; `version` changes with each call."""
    return selectors.board_state(selectors.hall_unit_by_code(unit_code))


# --- counter console (staff) -----------------------------------------------------------------------

@router.get("/counters", response={200: list[CounterOut], **ERRORS}, operation_id="ticketing_counters_list")
def counters_list(request: HttpRequest, unit: str | None = None) -> list[CounterOut]:
    qs = selectors.counters_visible_to(request.user)
    if unit:
        qs = qs.filter(unit__code=unit)
    return [counter_out(c) for c in qs[:500]]


@router.get("/counters/{counter_id}", response={200: CounterOut, **ERRORS}, operation_id="ticketing_counters_get")
def counters_get(request: HttpRequest, counter_id: int) -> CounterOut:
    return counter_out(_counter_for(request, counter_id))


@router.post("/counters/{counter_id}/take", response={200: CounterOut, **ERRORS}, operation_id="ticketing_counter_take")
def counter_take(request: HttpRequest, counter_id: int) -> CounterOut:
    """Sit down at this counter: calls are made in your name and the tablet shows you."""
    counter = services.counter_take(counter=_counter_for(request, counter_id), staff=_staff(request))
    return counter_out(_counter_for(request, counter.pk))


@router.post("/counters/{counter_id}/leave", response={200: CounterOut, **ERRORS}, operation_id="ticketing_counter_leave")
def counter_leave(request: HttpRequest, counter_id: int) -> CounterOut:
    services.counter_leave(counter=_counter_for(request, counter_id), staff=_staff(request))
    return counter_out(_counter_for(request, counter_id))


def _action(name: str, fn: Any, doc: str) -> None:
    def view(request: HttpRequest, counter_id: int) -> CounterOut:
        fn(counter=_counter_for(request, counter_id), staff=_staff(request))
        return counter_out(_counter_for(request, counter_id))

    view.__doc__ = doc
    view.__name__ = f"counter_{name.replace('-', '_')}"
    router.post(f"/counters/{{counter_id}}/{name}", response={200: CounterOut, **ERRORS},
                operation_id=f"ticketing_counter_{name.replace('-', '_')}")(view)


_action("call-next", services.ticket_call_next, "Call the next ticket: green channel first, then queue order.")
_action("recall", services.ticket_recall, "Call the current ticket again.")
_action("start", services.ticket_start, "Start serving the current ticket.")
_action("finish", services.ticket_finish, "Finish serving the current ticket (the tablet then asks for a rating).")
_action("no-show", services.ticket_no_show, "Mark the called ticket as absent.")


@router.post("/counters/{counter_id}/transfer", response={200: CounterOut, **ERRORS}, operation_id="ticketing_counter_transfer")
def counter_transfer(request: HttpRequest, counter_id: int, payload: TransferIn) -> CounterOut:
    """Send the current ticket to another area of the same reception point (keeps its place by time)."""
    counter = _counter_for(request, counter_id)
    area = get_object_or_404(ServiceArea, pk=payload.area_id, unit_id=counter.unit_id)
    services.ticket_transfer(counter=counter, staff=_staff(request), to_area=area)
    return counter_out(_counter_for(request, counter_id))


@router.post("/counters/{counter_id}/link-dossier", response={200: CounterOut, **ERRORS},
             operation_id="ticketing_counter_link_dossier")
def counter_link_dossier(request: HttpRequest, counter_id: int, payload: LinkDossierIn) -> CounterOut:
    """Link the current (or last finished) ticket of this counter to a dossier by its code."""
    from kycuong.dossiers.models import Dossier

    counter = _counter_for(request, counter_id)
    ticket = selectors.counter_current_ticket(counter) or selectors.counter_last_finished(counter)
    if ticket is None:
        raise NotFound(_("Quầy chưa phục vụ số nào."))
    dossier = Dossier.objects.filter(code=payload.code.strip()).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": payload.code})
    services.ticket_link_dossier(ticket=ticket, dossier=dossier, actor=request.user)
    return counter_out(counter)


# --- metrics ------------------------------------------------------------------------------------

@router.get("/metrics", response={200: list[MetricOut], **ERRORS}, operation_id="ticketing_metrics")
def metrics(request: HttpRequest, date_from: dt.date, date_to: dt.date, group_by: str = "area",
            unit: str | None = None) -> list[dict[str, Any]]:
    """Waiting time, service time and no-show rate per area, counter, officer, hour of day or unit."""
    unit_obj = None
    if unit:
        unit_obj = selectors.hall_unit_by_code(unit)
        ensure_unit_visible(request.user, unit_obj.pk)
    return selectors.ticket_metrics(user=request.user, date_from=date_from, date_to=date_to, group_by=group_by,
                                    unit=unit_obj)


# --- devices (heads / admins) -------------------------------------------------------------------

@router.get("/devices", response={200: list[DeviceOut], **ERRORS}, operation_id="ticketing_devices_list")
def devices_list(request: HttpRequest, unit: str | None = None) -> list[dict[str, Any]]:
    qs = selectors.devices_visible_to(request.user)
    if unit:
        qs = qs.filter(unit__code=unit)
    return [device_out(d) for d in qs[:1000]]


@router.post("/devices", response={201: DevicePairedOut, **ERRORS}, operation_id="ticketing_devices_pair")
def devices_pair(request: HttpRequest, payload: DevicePairIn) -> Status:
    """Pair a kiosk or a counter tablet. The token is returned once (only its hash is kept)."""
    unit = selectors.hall_unit_by_code(payload.unit)
    ensure_unit_visible(request.user, unit.pk)
    counter = None
    if payload.counter_number is not None:
        counter = Counter.objects.filter(unit=unit, number=payload.counter_number).first()
        if counter is None:
            raise NotFound(_("Không tìm thấy quầy số %(n)s.") % {"n": payload.counter_number})
    device, raw = services.device_pair(kind=payload.kind, unit=unit, counter=counter, name=payload.name,
                                       actor=request.user)
    return Status(201, {**device_out(device), "token": raw, "pairing_url": pairing_url(raw)})


@router.post("/devices/{device_id}/revoke", response={200: DeviceOut, **ERRORS}, operation_id="ticketing_devices_revoke")
def devices_revoke(request: HttpRequest, device_id: int) -> dict[str, Any]:
    device = selectors.devices_visible_to(request.user).filter(pk=device_id).first()
    if device is None:
        raise NotFound(_("Không tìm thấy thiết bị."))
    return device_out(services.device_revoke(device=device, actor=request.user))
