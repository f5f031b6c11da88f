"""Ratings API: the counter tablet (device token), online rating (public, by code + secret),
aggregates and follow-ups (staff)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.throttling import AnonRateThrottle

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound
from kycuong.core.periods import parse_period
from kycuong.ticketing.auth import device_auth
from kycuong.ticketing.models import Device, DeviceKind

from . import selectors, services
from .models import FollowUpStatus, Rating

router = Router(tags=["ratings"])
REPLAY_HEADER = "Idempotent-Replayed"


class Criteria(Schema):
    access: str | None = None
    procedure: str | None = None
    civil_servant: str | None = None
    result: str | None = None
    feedback_handling: str | None = None


class TabletRatingIn(Schema):
    idempotency_key: uuid.UUID
    ticket_id: int | None = None
    dossier_code: str | None = None
    level: str
    criteria: Criteria | None = None
    comment: str = ""
    rated_at: dt.datetime | None = None


class OnlineRatingIn(Schema):
    code: str
    secret: str
    level: str
    criteria: Criteria | None = None
    comment: str = ""
    idempotency_key: uuid.UUID | None = None


class RatingOut(Schema):
    id: int
    channel: str
    level: str
    ticket: str | None
    dossier: str | None
    counter: str | None
    officer: str | None
    unit: str
    procedure: str | None
    is_current: bool
    created_at: dt.datetime
    rated_at: dt.datetime
    follow_up: bool


class CounterInfo(Schema):
    number: int
    label: str
    unit: str


class OfficerInfo(Schema):
    name: str
    position: str
    has_photo: bool


class ServingInfo(Schema):
    code: str
    status: str


class PendingOut(Schema):
    kind: str
    ticket_id: int | None
    dossier_code: str | None
    label: str
    finished_at: dt.datetime
    officer: str | None


class TabletStateOut(Schema):
    counter: CounterInfo
    officer: OfficerInfo | None
    serving: ServingInfo | None
    pending: list[PendingOut]
    window_minutes: int
    now: dt.datetime


class AggregateOut(Schema):
    key: str
    total: int
    very_satisfied: int
    satisfied: int
    dissatisfied: int
    with_comment: int
    satisfaction_rate: float | None


class FollowUpOut(Schema):
    id: int
    status: str
    unit: str
    created_at: dt.datetime
    comment: str
    level: str
    dossier: str | None
    ticket: str | None
    officer: str | None
    resolution: str
    closed_at: dt.datetime | None


class FollowUpCloseIn(Schema):
    resolution: str


def rating_out(r: Rating) -> dict[str, Any]:
    return {"id": r.pk, "channel": r.channel, "level": r.level, "ticket": r.ticket.code if r.ticket else None,
            "dossier": r.dossier.code if r.dossier else None, "counter": r.counter.label if r.counter else None,
            "officer": r.officer.full_name if r.officer else None, "unit": r.unit.code,
            "procedure": r.procedure.code if r.procedure else None, "is_current": r.is_current,
            "created_at": r.created_at, "rated_at": r.rated_at, "follow_up": hasattr(r, "follow_up")}


def _criteria(c: Criteria | None) -> dict[str, str]:
    return {k: v for k, v in (c.dict() if c else {}).items() if v}


def _respond(request: HttpRequest, rating: Rating, replayed: bool) -> HttpResponse:
    from config.api import api

    rating = Rating.objects.select_related("ticket", "dossier", "counter", "officer", "unit", "procedure").get(pk=rating.pk)
    response = api.create_response(request, RatingOut(**rating_out(rating)).dict(), status=201)
    if replayed:
        response[REPLAY_HEADER] = "true"
    return response


# --- counter tablet (device token) ----------------------------------------------------------------

@router.get("/device/state", response={200: TabletStateOut, **ERRORS}, auth=device_auth(DeviceKind.TABLET),
            operation_id="ratings_tablet_state")
def tablet_state(request: HttpRequest) -> dict[str, Any]:
    """What the tablet shows: its counter, the officer now serving, services waiting for a rating."""
    return selectors.tablet_state(request.device)  # type: ignore[attr-defined]


@router.get("/device/officer-photo", auth=device_auth(DeviceKind.TABLET), response={200: None, **ERRORS},
            operation_id="ratings_tablet_officer_photo")
def tablet_officer_photo(request: HttpRequest) -> Any:
    """Photo of the officer now at the tablet's counter (staff photos are never public files)."""
    device: Device = request.device  # type: ignore[attr-defined]
    staff = device.counter.staff if device.counter else None
    if staff is None or not staff.photo:
        raise NotFound(_("Chưa có ảnh cán bộ."))
    response = FileResponse(staff.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=300"
    return response


@router.post("/device/ratings", response={201: RatingOut, **ERRORS}, auth=device_auth(DeviceKind.TABLET),
             operation_id="ratings_tablet_submit")
def tablet_submit(request: HttpRequest, payload: TabletRatingIn) -> HttpResponse:
    """Rate a service just finished at this tablet's counter. Send a client-generated UUID as
    `idempotency_key`: a resend after a network failure returns the same rating (header
    Idempotent-Replayed: true) and is counted once. A second rating of the same ticket is refused."""
    rating, replayed = services.rating_submit_kiosk(
        device=request.device, level=payload.level, ticket_id=payload.ticket_id,  # type: ignore[attr-defined]
        dossier_code=payload.dossier_code, criteria=_criteria(payload.criteria), comment=payload.comment,
        idempotency_key=payload.idempotency_key, rated_at=payload.rated_at)
    return _respond(request, rating, replayed)


# --- online (public) ----------------------------------------------------------------------------

@router.post("/online", response={201: RatingOut, **ERRORS}, auth=None, throttle=[AnonRateThrottle("20/m")],
             operation_id="ratings_online_submit")
def online_submit(request: HttpRequest, payload: OnlineRatingIn) -> HttpResponse:
    """Rate a dossier online by its code and secret, after the result was returned. A later rating
    replaces the earlier online one (the earlier one is kept in the history)."""
    rating, replayed = services.rating_submit_online(
        code=payload.code, secret=payload.secret, level=payload.level, criteria=_criteria(payload.criteria),
        comment=payload.comment, idempotency_key=payload.idempotency_key)
    return _respond(request, rating, replayed)


# --- staff --------------------------------------------------------------------------------------

@router.get("/ratings", response={200: list[RatingOut], **ERRORS}, operation_id="ratings_list")
def ratings_list(request: HttpRequest, period: str | None = None, unit: str | None = None, limit: int = 100,
                 offset: int = 0) -> list[dict[str, Any]]:
    qs = selectors.ratings_visible_to(request.user)
    if period:
        p = parse_period(period)
        qs = qs.filter(created_at__gte=p.start_at, created_at__lt=p.end_at)
    if unit:
        qs = qs.filter(unit__code=unit)
    limit = max(1, min(limit, 1000))
    return [rating_out(r) for r in qs.select_related("follow_up")[offset:offset + limit]]


@router.get("/aggregates", response={200: list[AggregateOut], **ERRORS}, operation_id="ratings_aggregates")
def aggregates(request: HttpRequest, period: str, group_by: str = "unit", channel: str | None = None) -> list[dict[str, Any]]:
    """Current ratings per officer, counter, unit, procedure or channel in a period (2026-W47, 2026-11, 2026-Q4, 2026)."""
    return selectors.rating_aggregates(user=request.user, period=parse_period(period), group_by=group_by, channel=channel)


def followup_out(f: Any) -> dict[str, Any]:
    r = f.rating
    return {"id": f.pk, "status": f.status, "unit": f.unit.code, "created_at": f.created_at, "comment": r.comment,
            "level": r.level, "dossier": r.dossier.code if r.dossier_id else None,
            "ticket": r.ticket.code if r.ticket_id else None, "officer": r.officer.full_name if r.officer_id else None,
            "resolution": f.resolution, "closed_at": f.closed_at}


@router.get("/follow-ups", response={200: list[FollowUpOut], **ERRORS}, operation_id="ratings_followups_list")
def followups_list(request: HttpRequest, status: str = FollowUpStatus.OPEN) -> list[dict[str, Any]]:
    """"Không hài lòng" ratings with a comment, for the unit head to look into."""
    return [followup_out(f) for f in selectors.followups_visible_to(request.user, status=status or None)[:500]]


@router.post("/follow-ups/{followup_id}/close", response={200: FollowUpOut, **ERRORS}, operation_id="ratings_followups_close")
def followups_close(request: HttpRequest, followup_id: int, payload: FollowUpCloseIn) -> dict[str, Any]:
    followup = selectors.followups_visible_to(request.user, status=None).filter(pk=followup_id).first()
    if followup is None:
        raise NotFound(_("Không tìm thấy."))
    services.followup_close(followup=followup, resolution=payload.resolution, actor=request.user)
    return followup_out(selectors.followups_visible_to(request.user, status=None).get(pk=followup_id))
