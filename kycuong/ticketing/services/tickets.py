"""Queue tickets: issue (unique, gap-free numbers), call, recall, start, finish, no-show, transfer,
link to a dossier, and the nightly close. Status changes follow `kycuong.ticketing.lifecycle`."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.org.models import Staff
from kycuong.org.scoping import scope_for

from .. import lifecycle
from ..lifecycle import Action
from ..models import (
    AT_COUNTER_STATUSES,
    Counter,
    Device,
    Priority,
    ServiceArea,
    Ticket,
    TicketSequence,
    TicketStatus,
)
from ._common import ensure_member, server_now, user_of

# --- tickets -------------------------------------------------------------------------------------

def _number_ticket(ticket: Ticket, letter: str) -> int:
    """Give `ticket` the next number of its area and day, in ONE statement that is its own transaction.

    INSERT … ON CONFLICT DO UPDATE … RETURNING (PostgreSQL ≥ 9.5, SQLite ≥ 3.35) locks the area's
    sequence row until that statement commits, so concurrent issues queue on it and the numbers are
    unique and gap-free: the increment and the numbering of the ticket commit together or not at
    all. On PostgreSQL increment + numbering is one data-modifying CTE, run in autocommit, so the
    row is locked for one server-side statement and its commit — no client round trip in between.
    (Called inside an outer transaction, it simply holds the lock until that one commits.)
    """
    seq = connection.ops.quote_name(TicketSequence._meta.db_table)  # constants from the models, not input
    tickets = connection.ops.quote_name(Ticket._meta.db_table)
    upsert = (f'INSERT INTO {seq} (area_id, day, "last") VALUES (%s, %s, 1) '  # noqa: S608
              f'ON CONFLICT (area_id, day) DO UPDATE SET "last" = {seq}."last" + 1 RETURNING "last"')
    params: list[Any] = [ticket.issued_area_id, ticket.day.isoformat()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH s AS ({upsert}) UPDATE {tickets} SET number = s.\"last\", status = %s, "  # noqa: S608
                f"code = %s || '-' || lpad(s.\"last\"::text, 3, '0') FROM s WHERE {tickets}.id = %s RETURNING number",
                [*params, TicketStatus.WAITING, letter, ticket.pk])
            number = int(cursor.fetchone()[0])
        else:
            with transaction.atomic():
                cursor.execute(upsert, params)
                number = int(cursor.fetchone()[0])
                cursor.execute(f"UPDATE {tickets} SET number = %s, code = %s, status = %s WHERE id = %s",  # noqa: S608
                               [number, ticket_code(letter, number), TicketStatus.WAITING, ticket.pk])
    ticket.number = number
    ticket.code = ticket_code(letter, number)
    ticket.status = TicketStatus.WAITING
    return number


def ticket_code(letter: str, number: int) -> str:
    return f"{letter}-{number:03d}"


def ticket_issue(*, area: ServiceArea, priority: str = Priority.NONE, device: Device | None = None,
                 actor: Any = None) -> Ticket:
    """Issue the next ticket of `area` today. Numbers restart daily per area, unique and gap-free
    under concurrent issue (see `_number_ticket`). No personal data is taken."""
    if priority not in Priority.values:
        raise ValidationFailed(_("Nhóm ưu tiên không hợp lệ."), details={"field": "priority"})
    if not area.is_active:
        raise ValidationFailed(_("Khu vực này tạm ngừng lấy số."), details={"field": "area"})
    if device is not None and device.unit_id != area.unit_id:
        raise NotFound(_("Không tìm thấy khu vực tại điểm tiếp nhận của thiết bị."))
    now = server_now()
    day = timezone.localdate(now)
    with transaction.atomic():
        ticket = Ticket.objects.create(
            unit_id=area.unit_id, issued_area=area, area=area, day=day, number=None, code="",
            status=TicketStatus.ISSUING, public_token=secrets.token_urlsafe(12), priority=priority,
            is_priority=priority != Priority.NONE, issued_at=now, queued_at=now,
        )
        audit_record(action="ticketing.ticket.issue", obj=ticket, actor=actor, at=now, unit_id=area.unit_id,
                     changes={"area": area.letter, "priority": priority, "device": device.prefix if device else None})
    try:
        _number_ticket(ticket, area.letter)
    except Exception:
        Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.ISSUING).delete()
        raise
    if ServiceArea._meta.get_field("unit").is_cached(area):  # no extra query for the response
        ticket.unit = area.unit
    return ticket


def _locked_counter(counter: Counter, staff: Staff) -> Counter:
    """The counter, locked, when `staff` is the officer signed in there and still in force at its
    unit (a membership that ended since they took the counter no longer serves); else Forbidden."""
    counter = Counter.objects.select_for_update().select_related("unit").get(pk=counter.pk)
    if counter.staff_id != staff.pk:
        raise Forbidden(_("Hãy nhận quầy trước khi gọi số: quầy này đang không do bạn phục vụ."),
                        code="not_at_counter")
    ensure_member(staff, counter)
    return counter


def _current(counter: Counter) -> Ticket | None:
    return (Ticket.objects.select_for_update().filter(counter=counter, status__in=AT_COUNTER_STATUSES)
            .order_by("-called_at").first())


def _require_current(counter: Counter) -> Ticket:
    ticket = _current(counter)
    if ticket is None:
        raise Conflict(_("Quầy chưa gọi số nào."), code="no_current_ticket")
    return ticket


def ticket_call_next(*, counter: Counter, staff: Staff) -> Ticket | None:
    """Call the next waiting ticket of the areas this counter serves: the green channel first, then
    queue order. Returns None when nobody waits. Two counters never call the same ticket
    (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers)."""
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        current = _current(counter)
        if current is not None:
            raise Conflict(_("Quầy đang có số %(code)s: hãy kết thúc, chuyển hoặc đánh dấu vắng mặt trước.")
                           % {"code": current.code}, code="counter_busy")
        area_ids = list(counter.areas.filter(is_active=True).values_list("id", flat=True))
        ticket = (Ticket.objects.select_for_update(skip_locked=True)
                  .filter(area_id__in=area_ids, status=TicketStatus.WAITING, day=timezone.localdate(now))
                  .in_call_order().first())
        if ticket is None:
            return None
        lifecycle.transition(ticket, Action.CALL)
        ticket.counter = counter
        ticket.officer = staff
        ticket.called_at = now
        ticket.call_count += 1
        if ticket.first_called_at is None:
            ticket.first_called_at = now
            ticket.wait_seconds = max(0, int((now - ticket.issued_at).total_seconds()))
        ticket.save(update_fields=["status", "counter", "officer", "called_at", "call_count", "first_called_at",
                                   "wait_seconds"])
        audit_record(action="ticketing.ticket.call", obj=ticket, actor=user_of(staff), at=now,
                     changes={"counter": counter.number, "code": ticket.code})
    return ticket


def ticket_recall(*, counter: Counter, staff: Staff) -> Ticket:
    """Call the current ticket again (the board shows it and chimes again)."""
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        ticket = _require_current(counter)
        lifecycle.transition(ticket, Action.RECALL)
        ticket.called_at = now
        ticket.call_count += 1
        ticket.save(update_fields=["called_at", "call_count"])
        audit_record(action="ticketing.ticket.recall", obj=ticket, actor=user_of(staff), at=now,
                     changes={"call_count": ticket.call_count})
    return ticket


def ticket_start(*, counter: Counter, staff: Staff) -> Ticket:
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        ticket = _require_current(counter)
        lifecycle.transition(ticket, Action.START)
        ticket.serving_started_at = now
        ticket.officer = staff
        ticket.save(update_fields=["status", "serving_started_at", "officer"])
        audit_record(action="ticketing.ticket.start", obj=ticket, actor=user_of(staff), at=now)
    return ticket


def ticket_finish(*, counter: Counter, staff: Staff) -> Ticket:
    """Finish serving the current ticket; from now the counter tablet may ask for a rating."""
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        ticket = _require_current(counter)
        started = ticket.serving_started_at or ticket.called_at or now
        if ticket.serving_started_at is None:
            ticket.serving_started_at = started
        lifecycle.transition(ticket, Action.FINISH)
        ticket.finished_at = now
        ticket.officer = staff
        ticket.service_seconds = max(0, int((now - started).total_seconds()))
        ticket.save(update_fields=["status", "serving_started_at", "finished_at", "officer", "service_seconds"])
        audit_record(action="ticketing.ticket.finish", obj=ticket, actor=user_of(staff), at=now,
                     changes={"service_seconds": ticket.service_seconds})
    return ticket


def ticket_no_show(*, counter: Counter, staff: Staff) -> Ticket:
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        ticket = _require_current(counter)
        lifecycle.transition(ticket, Action.NO_SHOW)
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        audit_record(action="ticketing.ticket.no_show", obj=ticket, actor=user_of(staff), at=now)
    return ticket


def ticket_transfer(*, counter: Counter, staff: Staff, to_area: ServiceArea) -> Ticket:
    """Send the current ticket to another area of the same reception point. It keeps its printed
    number and its place by time (queued_at), so the citizen does not queue again from the back."""
    now = server_now()
    with transaction.atomic():
        counter = _locked_counter(counter, staff)
        ticket = _require_current(counter)
        if to_area.unit_id != ticket.unit_id or not to_area.is_active:
            raise ValidationFailed(_("Khu vực chuyển đến phải đang hoạt động tại cùng điểm tiếp nhận."),
                                   details={"field": "area"})
        if to_area.pk == ticket.area_id:
            raise ValidationFailed(_("Số này đã ở khu vực %(area)s.") % {"area": to_area.name}, details={"field": "area"})
        if not to_area.counters.filter(is_active=True).exists():
            raise ValidationFailed(_("Khu vực %(area)s chưa có quầy nào phục vụ: số chuyển đến sẽ không được gọi.")
                                   % {"area": to_area.name}, details={"field": "area"}, code="area_without_counter")
        from_area = ticket.area_id
        ticket.area = to_area
        lifecycle.transition(ticket, Action.TRANSFER)
        ticket.counter = None
        ticket.officer = None
        ticket.serving_started_at = None
        ticket.transfer_count += 1
        ticket.save(update_fields=["area", "status", "counter", "officer", "serving_started_at", "transfer_count"])
        audit_record(action="ticketing.ticket.transfer", obj=ticket, actor=user_of(staff), at=now,
                     changes={"from_area": from_area, "to_area": to_area.pk, "counter": counter.number})
    return ticket


def ticket_link_dossier(*, ticket: Ticket, dossier: Any, actor: Any = None) -> Ticket:
    """Tie a ticket to the dossier received or returned while serving it (so a rating of that
    ticket also counts for the dossier). The dossiers module may call this after intake."""
    if actor is not None:
        scope = scope_for(actor)
        if not (scope.allows(ticket.unit_id) and any(
                scope.allows(u) for u in (dossier.unit_id, dossier.received_unit_id, dossier.current_unit_id))):
            raise NotFound(_("Không tìm thấy hoặc bạn không có quyền xem."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status == TicketStatus.WAITING:
            raise Conflict(_("Số %(code)s chưa được gọi.") % {"code": ticket.code})
        previous = ticket.dossier_id
        ticket.dossier = dossier
        ticket.save(update_fields=["dossier"])
        audit_record(action="ticketing.ticket.link_dossier", obj=ticket, actor=actor,
                     changes={"dossier": dossier.code, "previous": previous})
    return ticket



def tickets_close_day(*, before: dt.date, now: dt.datetime | None = None) -> dict[str, int]:
    """End-of-day clean-up (idempotent, run nightly): tickets of days before `before` still at a
    counter are closed — called → no-show, serving → done at the moment service started plus the
    area's average — so no counter starts the morning blocked by yesterday's number; rows left
    unnumbered by a crash inside `ticket_issue` are removed. Waiting tickets are left as they are
    (they never reached a counter, and call_next only calls today's)."""
    now = now or server_now()
    result = {"no_show": 0, "done": 0, "removed": 0}
    with transaction.atomic():
        for ticket in (Ticket.objects.select_for_update().select_related("area")
                       .filter(day__lt=before, status__in=AT_COUNTER_STATUSES)):
            if lifecycle.transition(ticket, Action.CLOSE_DAY) == TicketStatus.CALLED:
                ticket.finished_at = ticket.called_at
                result["no_show"] += 1
            else:
                start = ticket.serving_started_at or ticket.called_at or now
                ticket.finished_at = start + dt.timedelta(minutes=ticket.area.default_service_minutes)
                ticket.service_seconds = ticket.area.default_service_minutes * 60
                result["done"] += 1
            ticket.save(update_fields=["status", "finished_at", "service_seconds"])
            audit_record(action="ticketing.ticket.close_day", obj=ticket, at=now, changes={"status": ticket.status})
        stale = Ticket.objects.filter(status=TicketStatus.ISSUING, issued_at__lt=now - dt.timedelta(hours=1))
        result["removed"] = stale.count()
        if result["removed"]:
            stale.delete()
    return result
