"""Reads for the service hall: queues, positions, wait estimates, the board, metrics, devices."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.org.models import Unit
from kycuong.org.scoping import scope_for

from .models import AT_COUNTER_STATUSES, Counter, Device, DeviceKind, ServiceArea, Ticket, TicketStatus
from .services import HALL_UNIT_KINDS

RECENT_CALLS = 8


# --- devices ------------------------------------------------------------------------------------

def device_for_token(raw: str | None, *, kind: str | None = None) -> Device | None:
    """The active device holding token `raw` (hashed lookup), or None. Touches last_seen_at once a minute."""
    if not raw:
        return None
    device = (Device.objects.select_related("unit", "counter")
              .filter(digest=Device.hash(raw), revoked_at__isnull=True).first())
    if device is None or (kind is not None and device.kind != kind):
        return None
    now = timezone.now()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


def devices_visible_to(user: Any) -> QuerySet[Device]:
    return Device.objects.visible_to(user).select_related("unit", "counter").order_by("unit__code", "kind", "name")


# --- units, areas, counters ----------------------------------------------------------------------

def hall_units_visible_to(user: Any) -> QuerySet[Unit]:
    """Reception points and ward/commune one-stop desks that have at least one service area."""
    scope = scope_for(user)
    qs = Unit.objects.filter(kind__in=HALL_UNIT_KINDS, service_areas__isnull=False).distinct().order_by("code")
    if scope.all_units:
        return qs
    return qs.filter(id__in=scope.unit_ids)


def hall_unit_by_code(code: str) -> Unit:
    unit = Unit.objects.filter(code=code, kind__in=HALL_UNIT_KINDS).first()
    if unit is None:
        raise NotFound(_("Không tìm thấy điểm tiếp nhận %(code)s.") % {"code": code})
    return unit


def active_areas(unit: Unit | int) -> QuerySet[ServiceArea]:
    unit_id = unit if isinstance(unit, int) else unit.pk
    return ServiceArea.objects.filter(unit_id=unit_id, is_active=True).order_by("order", "letter")


def counters_visible_to(user: Any) -> QuerySet[Counter]:
    return (Counter.objects.visible_to(user).filter(is_active=True).select_related("unit", "staff")
            .prefetch_related("areas").order_by("unit__code", "number"))


def counter_current_ticket(counter: Counter) -> Ticket | None:
    return (Ticket.objects.filter(counter=counter, status__in=AT_COUNTER_STATUSES).select_related("area")
            .order_by("-called_at").first())


def counter_last_finished(counter: Counter, *, within: dt.timedelta = dt.timedelta(hours=1)) -> Ticket | None:
    since = timezone.now() - within
    return (Ticket.objects.filter(counter=counter, status=TicketStatus.DONE, finished_at__gte=since)
            .select_related("area", "dossier").order_by("-finished_at").first())


# --- queue position and estimated wait ----------------------------------------------------------

def _avg_service_minutes(area: ServiceArea, day: dt.date) -> float:
    avg = (Ticket.objects.filter(area=area, day=day, status=TicketStatus.DONE, service_seconds__isnull=False)
           .aggregate(v=Avg("service_seconds"))["v"])
    return (avg / 60.0) if avg else float(area.default_service_minutes)


def _staffed_counters(area: ServiceArea) -> int:
    return Counter.objects.filter(areas=area, is_active=True, staff__isnull=False).count()


def queue_position(ticket: Ticket) -> int:
    """How many waiting tickets of the same area will be called before this one (0 = next)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    before = Q(is_priority=True) if not ticket.is_priority else Q(pk__in=[])
    same_class = Q(is_priority=ticket.is_priority) & (
        Q(queued_at__lt=ticket.queued_at) | Q(queued_at=ticket.queued_at, id__lt=ticket.id))
    return (Ticket.objects.filter(area_id=ticket.area_id, day=ticket.day, status=TicketStatus.WAITING)
            .filter(before | same_class).count())


RATES_TTL = 30  # seconds an area's service rate may be stale in wait estimates


def _area_rates(area: ServiceArea, day: dt.date) -> tuple[float, int]:
    """(average service minutes today, staffed counters) — cached briefly: every kiosk issue and
    status page shows an estimate, and these change slowly."""
    rates = cache.get_or_set(f"ticketing:rates:{area.pk}:{day.isoformat()}",
                             lambda: (_avg_service_minutes(area, day), max(1, _staffed_counters(area))), RATES_TTL)
    return (float(rates[0]), int(rates[1])) if rates else (float(area.default_service_minutes), 1)


def estimated_wait_minutes(area: ServiceArea, ahead: int, *, day: dt.date | None = None) -> int:
    """ahead × average service time today (or the area's default) ÷ counters staffed for the area."""
    if ahead <= 0:
        return 0
    minutes, counters = _area_rates(area, day or timezone.localdate())
    return int(math.ceil(ahead * minutes / counters))


def kiosk_areas(unit: Unit) -> list[dict[str, Any]]:
    """Areas offered on the kiosk with how many wait and the estimated wait for a new ticket."""
    day = timezone.localdate()
    waiting = dict(Ticket.objects.filter(unit=unit, day=day, status=TicketStatus.WAITING)
                   .values_list("area_id").annotate(n=Count("id")).values_list("area_id", "n"))
    rows = []
    for area in active_areas(unit):
        n = waiting.get(area.pk, 0)
        rows.append({"area": area, "waiting": n, "estimated_wait_minutes": estimated_wait_minutes(area, n, day=day)})
    return rows


def ticket_by_token(token: str) -> Ticket:
    ticket = Ticket.objects.select_related("area", "unit", "counter").filter(public_token=token).first()
    if ticket is None:
        raise NotFound(_("Không tìm thấy số thứ tự."))
    return ticket


def ticket_public_status(ticket: Ticket) -> dict[str, Any]:
    """What a citizen may see about their ticket: number, place, status, position — no personal data."""
    ahead = queue_position(ticket)
    waiting = ticket.status == TicketStatus.WAITING
    return {
        "code": ticket.code,
        "unit": ticket.unit.name,
        "area": ticket.area.name,
        "status": ticket.status,
        "status_label": str(TicketStatus(ticket.status).label),
        "is_priority": ticket.is_priority,
        "issued_at": ticket.issued_at,
        "ahead": ahead if waiting else 0,
        "estimated_wait_minutes": estimated_wait_minutes(ticket.area, ahead, day=ticket.day) if waiting else 0,
        "counter": ticket.counter.label if ticket.counter and ticket.status in AT_COUNTER_STATUSES else None,
    }


# --- display board ------------------------------------------------------------------------------

def board_state(unit: Unit, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Now serving (ticket → counter) at every counter, the recent calls, and a `version` that
    changes with every call or recall (the board chimes when it changes)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    counters = list(Counter.objects.filter(unit=unit, is_active=True).order_by("number"))
    called = list(Ticket.objects.filter(unit=unit, day=day, called_at__isnull=False)
                  .select_related("counter").order_by("-called_at", "-id")[:40])
    current_by_counter: dict[int, Ticket] = {}
    for t in called:
        if t.status in AT_COUNTER_STATUSES and t.counter_id and t.counter_id not in current_by_counter:
            current_by_counter[t.counter_id] = t
    serving = [{"counter": c.label, "counter_number": c.number, "ticket": current_by_counter[c.pk].code,
                "status": current_by_counter[c.pk].status, "called_at": current_by_counter[c.pk].called_at}
               for c in counters if c.pk in current_by_counter]
    recent = [{"ticket": t.code, "counter": t.counter.label if t.counter else "", "called_at": t.called_at}
              for t in called[:RECENT_CALLS] if t.counter]
    latest = called[0] if called else None
    version = f"{latest.pk}.{latest.call_count}.{latest.called_at.timestamp():.0f}" if latest and latest.called_at else "0"
    waiting = Ticket.objects.filter(unit=unit, day=day, status=TicketStatus.WAITING).count()
    return {"unit": unit.name, "unit_code": unit.code, "now": now, "serving": serving, "recent": recent,
            "latest": ({"ticket": latest.code, "counter": latest.counter.label if latest.counter else ""}
                       if latest and latest.status in AT_COUNTER_STATUSES else None),
            "version": version, "waiting": waiting}


# --- metrics ------------------------------------------------------------------------------------

GROUPS = {
    "area": _("Khu vực"),
    "counter": _("Quầy"),
    "officer": _("Cán bộ"),
    "hour": _("Giờ trong ngày"),
    "unit": _("Điểm tiếp nhận"),
}


def ticket_metrics(*, user: Any, date_from: dt.date, date_to: dt.date, group_by: str = "area",
                   unit: Unit | None = None) -> list[dict[str, Any]]:
    """Waiting time (issue → first call), service time (start → finish) and no-show rate
    (no-shows ÷ tickets called), grouped by area, counter, officer, hour of day or unit."""
    if group_by not in GROUPS:
        raise ValidationFailed(_("Cách nhóm không hợp lệ: %(g)s") % {"g": group_by}, details={"field": "group_by"})
    if date_to < date_from:
        raise ValidationFailed(_("Ngày kết thúc phải sau ngày bắt đầu."))
    if (date_to - date_from).days > 400:
        raise ValidationFailed(_("Khoảng thời gian tối đa 400 ngày."))
    qs = Ticket.objects.visible_to(user).filter(day__gte=date_from, day__lte=date_to).exclude(status=TicketStatus.ISSUING)
    if unit is not None:
        qs = qs.filter(unit=unit)
    keys: dict[str, list[str]] = {
        "area": ["unit__code", "area__letter", "area__name"],
        "counter": ["unit__code", "counter__number", "counter__name"],
        "officer": ["officer__code", "officer__full_name"],
        "hour": ["hour"],
        "unit": ["unit__code", "unit__name"],
    }
    if group_by == "hour":
        qs = qs.annotate(hour=ExtractHour("issued_at"))
    if group_by in ("counter", "officer"):
        qs = qs.filter(**{f"{group_by}__isnull": False})
    rows = (qs.values(*keys[group_by])
            .annotate(issued=Count("id"),
                      served=Count("id", filter=Q(status=TicketStatus.DONE)),
                      no_show=Count("id", filter=Q(status=TicketStatus.NO_SHOW)),
                      called=Count("id", filter=Q(first_called_at__isnull=False)),
                      avg_wait=Avg("wait_seconds"), max_wait=Max("wait_seconds"),
                      avg_service=Avg("service_seconds"))
            .order_by(*keys[group_by]))
    result = []
    for r in rows:
        if group_by == "area":
            label = f"{r['unit__code']} · {r['area__letter']} – {r['area__name']}"
        elif group_by == "counter":
            label = f"{r['unit__code']} · {r['counter__name'] or _('Quầy %(n)s') % {'n': r['counter__number']}}"
        elif group_by == "officer":
            label = f"{r['officer__full_name']} ({r['officer__code']})"
        elif group_by == "hour":
            label = f"{r['hour']:02d}:00–{r['hour']:02d}:59"
        else:
            label = f"{r['unit__code']} · {r['unit__name']}"
        result.append({
            "key": label, "issued": r["issued"], "served": r["served"], "no_show": r["no_show"],
            "no_show_rate": round(r["no_show"] / r["called"], 4) if r["called"] else None,
            "avg_wait_minutes": round(r["avg_wait"] / 60, 1) if r["avg_wait"] is not None else None,
            "max_wait_minutes": round(r["max_wait"] / 60, 1) if r["max_wait"] is not None else None,
            "avg_service_minutes": round(r["avg_service"] / 60, 1) if r["avg_service"] is not None else None,
        })
    return result


def tickets_today(*, user: Any, unit: Unit, day: dt.date | None = None) -> QuerySet[Ticket]:
    day = day or timezone.localdate()
    return (Ticket.objects.visible_to(user).filter(unit=unit, day=day).select_related("area", "counter", "officer")
            .order_by(F("called_at").desc(nulls_last=True), "-issued_at"))


def tablet_counters_for(device: Device) -> Counter | None:
    return device.counter if device.kind == DeviceKind.TABLET else None
