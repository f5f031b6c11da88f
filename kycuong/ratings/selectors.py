"""Reads for ratings: what a counter tablet may rate now, aggregates, follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import ValidationFailed
from kycuong.core.periods import Period
from kycuong.dossiers.models import DossierEvent, EventType, RatingLevel, Status
from kycuong.ticketing.models import Device, Ticket, TicketStatus

from .models import FollowUp, FollowUpStatus, Rating, RatingChannel
from .services import RATING_WINDOW


def tablet_state(device: Device, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the tablet at a counter shows: the officer now serving, the ticket being served, and
    the services finished here within the rating window that were not rated on the tablet yet."""
    now = now or timezone.now()
    counter = device.counter
    assert counter is not None
    since = now - RATING_WINDOW
    staff = counter.staff
    serving = (Ticket.objects.filter(counter=counter, status__in=[TicketStatus.CALLED, TicketStatus.SERVING])
               .order_by("-called_at").first())
    pending: list[dict[str, Any]] = []
    tickets = (Ticket.objects.filter(counter=counter, status=TicketStatus.DONE, finished_at__gte=since)
               .exclude(ratings__channel=RatingChannel.KIOSK).select_related("officer").order_by("-finished_at")[:5])
    for t in tickets:
        pending.append({"kind": "ticket", "ticket_id": t.pk, "dossier_code": None, "label": t.code,
                        "finished_at": t.finished_at, "officer": t.officer.full_name if t.officer else None})
    if staff is not None:
        events = (DossierEvent.objects.filter(type=EventType.RETURNED, actor=staff, at__gte=since,
                                              dossier__status=Status.RETURNED)
                  .select_related("dossier").order_by("-at")[:5])
        linked = {p["label"] for p in pending}
        for ev in events:
            already = Rating.objects.filter(dossier_id=ev.dossier_id, channel=RatingChannel.KIOSK, created_at__gte=ev.at).exists()
            if already or ev.dossier.tickets.filter(counter=counter, finished_at__gte=since).exists() or ev.dossier.code in linked:
                continue
            pending.append({"kind": "dossier", "ticket_id": None, "dossier_code": ev.dossier.code,
                            "label": ev.dossier.code, "finished_at": ev.at, "officer": staff.full_name})
    pending.sort(key=lambda p: p["finished_at"], reverse=True)
    return {
        "counter": {"number": counter.number, "label": counter.label, "unit": counter.unit.name},
        "officer": ({"name": staff.full_name, "position": staff.position, "has_photo": bool(staff.photo)}
                    if staff is not None else None),
        "serving": {"code": serving.code, "status": serving.status} if serving else None,
        "pending": pending,
        "window_minutes": int(RATING_WINDOW.total_seconds() // 60),
        "now": now,
    }


def ratings_visible_to(user: Any) -> QuerySet[Rating]:
    return (Rating.objects.visible_to(user)
            .select_related("unit", "dossier", "ticket", "counter", "officer", "procedure").order_by("-created_at", "-id"))


AGGREGATE_GROUPS = {
    "officer": (_("Cán bộ"), ["officer__code", "officer__full_name"]),
    "counter": (_("Quầy"), ["counter__unit__code", "counter__number", "counter__name"]),
    "unit": (_("Đơn vị"), ["unit__code", "unit__name"]),
    "procedure": (_("Thủ tục"), ["procedure__code", "procedure__name"]),
    "channel": (_("Kênh"), ["channel"]),
}


def _label(group_by: str, r: dict[str, Any]) -> str:
    if group_by == "officer":
        return f"{r['officer__full_name']} ({r['officer__code']})" if r["officer__code"] else _("(không xác định)")
    if group_by == "counter":
        if r["counter__number"] is None:
            return _("(trực tuyến, không qua quầy)")
        return f"{r['counter__unit__code']} · {r['counter__name'] or _('Quầy %(n)s') % {'n': r['counter__number']}}"
    if group_by == "unit":
        return f"{r['unit__code']} · {r['unit__name']}"
    if group_by == "procedure":
        return f"{r['procedure__code']} {r['procedure__name']}" if r["procedure__code"] else _("(không gắn hồ sơ)")
    return str(RatingChannel(r["channel"]).label)


def rating_aggregates(*, user: Any, period: Period, group_by: str = "unit", channel: str | None = None,
                      unit_id: int | None = None) -> list[dict[str, Any]]:
    """Current ratings in `period` per officer, counter, unit, procedure or channel: counts per level
    and the satisfaction rate (very satisfied + satisfied) ÷ all."""
    if group_by not in AGGREGATE_GROUPS:
        raise ValidationFailed(_("Cách nhóm không hợp lệ: %(g)s") % {"g": group_by}, details={"field": "group_by"})
    qs = Rating.objects.visible_to(user).current().filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
    if channel:
        if channel not in RatingChannel.values:
            raise ValidationFailed(_("Kênh không hợp lệ."), details={"field": "channel"})
        qs = qs.filter(channel=channel)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    keys = AGGREGATE_GROUPS[group_by][1]
    rows = (qs.values(*keys)
            .annotate(total=Count("id"),
                      very_satisfied=Count("id", filter=Q(level=RatingLevel.VERY_SATISFIED)),
                      satisfied=Count("id", filter=Q(level=RatingLevel.SATISFIED)),
                      dissatisfied=Count("id", filter=Q(level=RatingLevel.DISSATISFIED)),
                      with_comment=Count("id", filter=~Q(comment="")))
            .order_by(*keys))
    result = []
    for r in rows:
        total = r["total"]
        result.append({"key": _label(group_by, r), "total": total, "very_satisfied": r["very_satisfied"],
                       "satisfied": r["satisfied"], "dissatisfied": r["dissatisfied"], "with_comment": r["with_comment"],
                       "satisfaction_rate": round((r["very_satisfied"] + r["satisfied"]) / total, 4) if total else None})
    return result


def followups_visible_to(user: Any, *, status: str | None = FollowUpStatus.OPEN) -> QuerySet[FollowUp]:
    qs = (FollowUp.objects.visible_to(user)
          .select_related("unit", "rating", "rating__dossier", "rating__ticket", "rating__counter", "rating__officer"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-created_at")
