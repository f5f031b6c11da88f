"""Writes for satisfaction ratings: tablet ratings, online ratings, follow-ups. Atomic and audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib
import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.dossiers.models import Dossier, DossierEvent, EventType, RatingLevel, Status
from kycuong.org.scoping import scope_for
from kycuong.ticketing.models import Device, DeviceKind, Ticket, TicketStatus

from .models import CRITERIA_KEYS, FollowUp, FollowUpStatus, Rating, RatingChannel

#: A tablet may rate a service finished at its counter within this window (domain.md §4).
RATING_WINDOW = dt.timedelta(minutes=15)
#: How long a tablet may hold a rating offline before resending it.
OFFLINE_GRACE = dt.timedelta(hours=24)
COMMENT_MAX = 1000


def _clean(level: str, criteria: dict[str, str] | None, comment: str | None) -> tuple[dict[str, str], str]:
    if level not in RatingLevel.values:
        raise ValidationFailed(_("Hãy chọn Rất hài lòng, Hài lòng hoặc Không hài lòng."), details={"field": "level"})
    fields: dict[str, str] = {}
    for key, value in (criteria or {}).items():
        if key not in CRITERIA_KEYS:
            raise ValidationFailed(_("Tiêu chí không hợp lệ: %(key)s") % {"key": key}, details={"field": f"criteria.{key}"})
        if value in (None, ""):
            continue
        if value not in RatingLevel.values:
            raise ValidationFailed(_("Mức đánh giá tiêu chí không hợp lệ: %(key)s") % {"key": key},
                                   details={"field": f"criteria.{key}"})
        fields[CRITERIA_KEYS[key]] = value
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(_("Ý kiến tối đa %(n)s ký tự.") % {"n": COMMENT_MAX}, details={"field": "comment"})
    return fields, comment


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _replay(key: uuid.UUID | None, digest: str, *, device: Device | None) -> Rating | None:
    """A resend with the same idempotency key returns the rating already saved (counted once);
    the same key with different content is refused."""
    if key is None:
        return None
    existing = Rating.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if existing.payload_digest != digest or (device is not None and existing.device_id != device.pk):
        raise Conflict(_("Mã chống gửi trùng đã được dùng cho một đánh giá khác."), code="idempotency_key_reused")
    return existing


def dossier_rating_sync(*, dossier: Dossier, level: str) -> None:
    """Keep Dossier.latest_rating current for the scorecard. Uses the dossiers module's
    `dossier_set_rating(*, dossier, level)` when it exists; otherwise updates the field itself."""
    try:
        services = importlib.import_module("kycuong.dossiers.services")
    except ModuleNotFoundError:
        services = None
    setter = getattr(services, "dossier_set_rating", None) if services is not None else None
    if setter is not None:
        setter(dossier=dossier, level=level)
        return
    Dossier.objects.filter(pk=dossier.pk).update(latest_rating=level, updated_at=timezone.now())
    dossier.latest_rating = level


def _save(rating: Rating, *, dossier_replaces: bool) -> Rating:
    """Insert `rating`, replacing the current one of its dossier on the same channel (history kept)."""
    previous = None
    if dossier_replaces and rating.dossier_id:
        previous = (Rating.objects.select_for_update()
                    .filter(dossier_id=rating.dossier_id, channel=rating.channel, is_current=True).first())
        if previous is not None:
            previous.is_current = False
            previous.save(update_fields=["is_current"])
    rating.save()
    if previous is not None:
        previous.replaced_by = rating
        previous.save(update_fields=["replaced_by"])
    if rating.level == RatingLevel.DISSATISFIED and rating.comment:
        FollowUp.objects.create(rating=rating, unit_id=rating.unit_id, created_at=rating.created_at)
    audit_record(action=f"ratings.rating.{rating.channel}", obj=rating, unit_id=rating.unit_id, at=rating.created_at,
                 actor=None, changes={"level": rating.level, "dossier": rating.dossier_id, "ticket": rating.ticket_id,
                                      "replaces": previous.pk if previous else None})
    if rating.dossier is not None:
        dossier_rating_sync(dossier=rating.dossier, level=rating.level)
    return rating


def rating_submit_kiosk(*, device: Device, level: str, ticket_id: int | None = None, dossier_code: str | None = None,
                        criteria: dict[str, str] | None = None, comment: str = "", idempotency_key: uuid.UUID | None = None,
                        rated_at: dt.datetime | None = None, now: dt.datetime | None = None) -> tuple[Rating, bool]:
    """A rating from the counter tablet. Returns (rating, replayed).

    Anti-stuffing (domain.md §4): the subject must be a ticket finished at the tablet's own counter
    (or a dossier returned there by the officer now at the counter) within RATING_WINDOW of the
    moment it was rated, and not yet rated on the tablet. A resend with the same idempotency key
    returns the saved rating and counts once. `rated_at` (tablet clock, for offline resends) may be
    at most OFFLINE_GRACE old and never earlier than the service it rates.
    """
    now = now or timezone.now()
    if device.kind != DeviceKind.TABLET or device.counter_id is None or device.revoked_at is not None:
        raise Forbidden(_("Thiết bị này không phải máy tính bảng đánh giá của một quầy."), code="not_a_tablet")
    fields, comment = _clean(level, criteria, comment)
    if (ticket_id is None) == (not dossier_code):
        raise ValidationFailed(_("Hãy chọn đúng một lượt phục vụ (số thứ tự hoặc hồ sơ) để đánh giá."),
                               details={"field": "ticket_id"})
    digest = _digest({"device": device.pk, "level": level, "ticket": ticket_id, "dossier": dossier_code or None,
                      **fields, "comment": comment})
    replayed = _replay(idempotency_key, digest, device=device)
    if replayed is not None:
        return replayed, True
    rated_at = rated_at or now
    if rated_at > now + dt.timedelta(minutes=2) or rated_at < now - OFFLINE_GRACE:
        raise ValidationFailed(_("Thời điểm đánh giá không hợp lệ (quá cũ hoặc ở tương lai)."), code="rated_at_invalid",
                               details={"field": "rated_at"})
    counter = device.counter
    assert counter is not None
    try:
        with transaction.atomic():
            if ticket_id is not None:
                ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("dossier", "dossier__procedure")
                          .filter(pk=ticket_id).first())
                if ticket is None:
                    raise NotFound(_("Không tìm thấy lượt phục vụ này."), code="subject_not_found")
                if ticket.counter_id != counter.pk:
                    raise Forbidden(_("Số %(code)s không được phục vụ tại quầy của máy tính bảng này.") % {"code": ticket.code},
                                    code="wrong_counter")
                if ticket.status != TicketStatus.DONE or ticket.finished_at is None:
                    raise Conflict(_("Số %(code)s chưa phục vụ xong nên chưa thể đánh giá.") % {"code": ticket.code},
                                   code="not_served")
                if Rating.objects.filter(ticket=ticket, channel=RatingChannel.KIOSK).exists():
                    raise Conflict(_("Số %(code)s đã được đánh giá tại quầy; mỗi lượt phục vụ chỉ đánh giá một lần.")
                                   % {"code": ticket.code}, code="already_rated")
                _check_window(ticket.finished_at, rated_at)
                dossier = ticket.dossier
                officer_id = ticket.officer_id
            else:
                dossier, returned_at = _dossier_returned_at_counter(dossier_code or "", counter)
                if Rating.objects.filter(dossier=dossier, channel=RatingChannel.KIOSK, created_at__gte=returned_at).exists():
                    raise Conflict(_("Hồ sơ %(code)s đã được đánh giá tại quầy.") % {"code": dossier.code},
                                   code="already_rated")
                _check_window(returned_at, rated_at)
                ticket = None
                officer_id = counter.staff_id
            rating = Rating(channel=RatingChannel.KIOSK, level=level, comment=comment, unit_id=counter.unit_id,
                            dossier=dossier, ticket=ticket, counter=counter, officer_id=officer_id,
                            procedure_id=dossier.procedure_id if dossier else None, device=device,
                            created_at=now, rated_at=rated_at, idempotency_key=idempotency_key,
                            payload_digest=digest, **fields)
            _save(rating, dossier_replaces=True)
    except IntegrityError as exc:
        # A concurrent submit won the race: the same key (a resend) or the same ticket (a second rating).
        replayed = _replay(idempotency_key, digest, device=device)
        if replayed is not None:
            return replayed, True
        raise Conflict(_("Lượt phục vụ này đã được đánh giá tại quầy."), code="already_rated") from exc
    return rating, False


def _check_window(served_at: dt.datetime, rated_at: dt.datetime) -> None:
    if rated_at < served_at - dt.timedelta(minutes=1) or rated_at - served_at > RATING_WINDOW:
        raise Conflict(_("Đã quá %(n)s phút sau khi phục vụ xong: không thể đánh giá lượt này trên máy tính bảng.")
                       % {"n": int(RATING_WINDOW.total_seconds() // 60)}, code="rating_window_closed")


def _dossier_returned_at_counter(code: str, counter: Any) -> tuple[Dossier, dt.datetime]:
    dossier = Dossier.objects.select_related("procedure").filter(code=code.strip()).first()
    if dossier is None or counter.staff_id is None:
        raise NotFound(_("Không tìm thấy hồ sơ vừa trả kết quả tại quầy này."), code="subject_not_found")
    event = (DossierEvent.objects.filter(dossier=dossier, type=EventType.RETURNED, actor_id=counter.staff_id)
             .order_by("-at").first())
    if event is None or dossier.status != Status.RETURNED:
        raise Forbidden(_("Hồ sơ %(code)s không được trả kết quả tại quầy của máy tính bảng này.") % {"code": dossier.code},
                        code="wrong_counter")
    return dossier, event.at


def _secret_ok(dossier: Dossier | None, secret: str) -> bool:
    expected = dossier.secret if dossier is not None else "x" * 12
    return hmac.compare_digest(expected.strip().upper().encode(), (secret or "").strip().upper().encode()) and dossier is not None


def dossier_for_rating(*, code: str, secret: str) -> Dossier:
    """The dossier a citizen may rate online: code + secret match and the result was returned."""
    dossier = Dossier.objects.select_related("procedure", "unit").filter(code=(code or "").strip()).first()
    if not _secret_ok(dossier, secret):
        raise NotFound(_("Mã hồ sơ hoặc mã tra cứu không đúng."), code="dossier_not_found")
    assert dossier is not None
    if dossier.status != Status.RETURNED:
        raise ValidationFailed(_("Hồ sơ %(code)s chưa trả kết quả: chỉ đánh giá được sau khi nhận kết quả.")
                               % {"code": dossier.code}, code="not_returned")
    return dossier


def rating_submit_online(*, code: str, secret: str, level: str, criteria: dict[str, str] | None = None, comment: str = "",
                         idempotency_key: uuid.UUID | None = None, now: dt.datetime | None = None) -> tuple[Rating, bool]:
    """An online rating by dossier code + secret after the result is returned. One current rating
    per dossier on this channel: a later one replaces the earlier one, which is kept (domain.md §4)."""
    now = now or timezone.now()
    fields, comment = _clean(level, criteria, comment)
    digest = _digest({"code": code.strip(), "level": level, **fields, "comment": comment})
    replayed = _replay(idempotency_key, digest, device=None)
    if replayed is not None:
        return replayed, True
    dossier = dossier_for_rating(code=code, secret=secret)
    last_ticket = dossier.tickets.filter(status=TicketStatus.DONE).order_by("-finished_at").first()
    try:
        with transaction.atomic():
            Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
            rating = Rating(channel=RatingChannel.ONLINE, level=level, comment=comment, unit_id=dossier.unit_id,
                            dossier=dossier, ticket=None, counter_id=last_ticket.counter_id if last_ticket else None,
                            officer_id=dossier.accountable_id, procedure_id=dossier.procedure_id,
                            created_at=now, rated_at=now, idempotency_key=idempotency_key, payload_digest=digest, **fields)
            _save(rating, dossier_replaces=True)
    except IntegrityError as exc:
        replayed = _replay(idempotency_key, digest, device=None)
        if replayed is not None:
            return replayed, True
        raise Conflict(_("Đánh giá đang được ghi nhận, vui lòng thử lại."), code="conflict") from exc
    return rating, False


def followup_close(*, followup: FollowUp, resolution: str, actor: Any) -> FollowUp:
    """The unit head records what was done about a "Không hài lòng" rating."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(_("Hãy ghi kết quả xử lý."), details={"field": "resolution"})
    if not scope_for(actor).manages(followup.unit_id):
        raise Forbidden(_("Chỉ lãnh đạo đơn vị mới xử lý đánh giá không hài lòng."))
    with transaction.atomic():
        followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if followup.status == FollowUpStatus.CLOSED:
            raise Conflict(_("Mục này đã được xử lý."))
        followup.status = FollowUpStatus.CLOSED
        followup.resolution = resolution[:2000]
        followup.closed_at = timezone.now()
        followup.closed_by = actor
        followup.save(update_fields=["status", "resolution", "closed_at", "closed_by"])
        audit_record(action="ratings.follow_up.close", obj=followup, actor=actor, changes={"resolution": resolution})
    return followup
