"""Writes for citizen feedback and questions (domain.md §5, §8). Every function is atomic, checks
the actor's rights, records an Event and an audit entry, and changes nothing when it refuses."""

from __future__ import annotations

import datetime as dt
import decimal
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.core.hooks import unit_activity_send
from kycuong.core.periods import TZ
from kycuong.core.text import fold
from kycuong.org.models import Membership, Staff, Unit, UnitKind
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import heads_of, staff_for_user, unit_ancestors
from kycuong.workdays.services import calendar_for

from .models import (
    OPEN_STATUSES,
    AlertKind,
    Answer,
    AnswerStatus,
    Category,
    Channel,
    DeadlineAlert,
    Event,
    EventType,
    FeedbackItem,
    FeedbackSequence,
    Follower,
    Kind,
    Open311Key,
    Photo,
    RoutingRule,
    Satisfaction,
    Stage,
    Status,
)
from .photos import check_photos
from .redaction import redact
from .selectors import policy

MAX_DESCRIPTION = 5000
MIN_REASON = 10


# --- helpers ------------------------------------------------------------------------------------
def _now(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


def _add_working_days(unit: Unit, start: dt.datetime, days: decimal.Decimal | float) -> dt.datetime:
    return calendar_for(unit).add_working_time(start, days=float(days))


def _event(item: FeedbackItem, type_: str, *, at: dt.datetime, actor: Any = None, from_unit: Unit | None = None,
           to_unit: Unit | None = None, note: str = "") -> Event:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Event.objects.create(item=item, type=type_, at=at, actor=user, from_unit=from_unit, to_unit=to_unit, note=note)


def _scorecard_touch(*unit_ids: int | None) -> None:
    """Near-real-time scorecard: the responsible unit's running week/month is refreshed after commit."""
    for unit_id in dict.fromkeys(unit_ids):
        unit_activity_send(unit_id=unit_id, source="feedback")


def _lock(item: FeedbackItem) -> FeedbackItem:
    return FeedbackItem.objects.select_for_update().select_related("unit", "category").get(pk=item.pk)


def _ensure_visible(actor: Any, item: FeedbackItem) -> None:
    if not FeedbackItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise NotFound(_("Không tìm thấy phản ánh hoặc bạn không có quyền xem."))


def _ensure_manager(actor: Any, unit_id: int) -> None:
    if not scope_for(actor).manages(unit_id):
        raise Forbidden(_("Chỉ lãnh đạo đơn vị chịu trách nhiệm mới được thực hiện thao tác này."))


def _ensure_status(item: FeedbackItem, allowed: tuple[str, ...] | list[str]) -> None:
    if item.status not in allowed:
        raise Conflict(_("Phản ánh đang ở trạng thái “%(status)s”, không thực hiện được thao tác này.")
                       % {"status": item.get_status_display()}, details={"status": item.status})


def tracking_url(item: FeedbackItem, secret: str | None = None) -> str:
    path = reverse("feedback:track", args=[item.code])
    base = settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" + (f"?k={secret}" if secret else "")


def _mail(recipients: list[str], subject: str, body: str) -> None:
    to = sorted({r for r in recipients if r})
    if not to:
        return
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def _follower_emails(item: FeedbackItem) -> list[str]:
    return list(item.followers.values_list("email", flat=True))


def _staff_emails(staff: Any) -> list[str]:
    return [s.email for s in staff if s.email]


# --- codes --------------------------------------------------------------------------------------
def code_next(*, kind: str, at: dt.datetime) -> str:
    """PA-YYMM-NNNNNN for feedback, HD-YYMM-NNNNNN for questions; one counter row per prefix and
    month, locked with select_for_update, so concurrent intakes never share a code."""
    prefix = "HD" if kind == Kind.QUESTION else "PA"
    month = at.astimezone(TZ).strftime("%y%m")
    with transaction.atomic():
        FeedbackSequence.objects.get_or_create(prefix=prefix, month=month)
        seq = FeedbackSequence.objects.select_for_update().get(prefix=prefix, month=month)
        seq.value += 1
        seq.save(update_fields=["value"])
    return f"{prefix}-{month}-{seq.value:06d}"


# --- routing ------------------------------------------------------------------------------------
def route_for(*, category: Category, place: Unit | None) -> Unit:
    """The responsible unit: the most specific active rule (category and place, then place
    only, then category only, then a catch-all), lowest priority number first; without a rule the
    ward/commune itself, else the city support centre."""
    rules = (RoutingRule.objects.filter(is_active=True)
             .filter(Q(category=category) | Q(category__isnull=True))
             .filter(Q(place=place) | Q(place__isnull=True) if place else Q(place__isnull=True))
             .select_related("responsible_unit"))

    def specificity(rule: RoutingRule) -> tuple[int, int, int]:
        return (0 if rule.category_id and rule.place_id else 1 if rule.place_id else 2 if rule.category_id else 3,
                rule.priority, rule.pk)

    best = min(rules, key=specificity, default=None)
    if best is not None:
        return best.responsible_unit
    if place is not None:
        return place
    return support_centre()


def support_centre() -> Unit:
    """The city support centre (last escalation level and default owner): the configured unit,
    else the city unit (the root)."""
    unit = Unit.objects.filter(code=policy().support_centre_code).first()
    if unit is None:
        unit = Unit.objects.filter(kind=UnitKind.CITY).order_by("depth", "id").first()
    if unit is None:
        raise ValidationFailed(_("Chưa cấu hình đơn vị đầu mối tiếp nhận phản ánh."))
    return unit


# --- intake -------------------------------------------------------------------------------------
@dataclass
class Submitted:
    item: FeedbackItem
    secret: str


def feedback_submit(
    *,
    category: Category,
    description: str,
    kind: str = Kind.FEEDBACK,
    channel: str = Channel.WEB,
    title: str = "",
    address: str = "",
    place: Unit | None = None,
    lat: decimal.Decimal | float | None = None,
    long: decimal.Decimal | float | None = None,
    photos: list[Any] | None = None,
    is_anonymous: bool = False,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    consent: bool = False,
    actor: Any = None,
    at: dt.datetime | None = None,
) -> Submitted:
    """Receive a feedback item or a question from any channel, give it a code and a tracking
    secret, route it and start the stage deadlines (refuse ≤ 2, ask for information ≤ 5,
    resolve ≤ 15 working days; domain.md §5), counted on the responsible unit's calendar."""
    now = _now(at)
    description = (description or "").strip()
    errors: dict[str, str] = {}
    if kind not in Kind.values:
        errors["kind"] = _("Loại không hợp lệ.")
    if channel not in Channel.values:
        errors["channel"] = _("Kênh tiếp nhận không hợp lệ.")
    if not description:
        errors["description"] = _("Hãy mô tả nội dung phản ánh hoặc câu hỏi.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("Nội dung tối đa %(n)d ký tự.") % {"n": MAX_DESCRIPTION}
    if category is None or not category.is_active:
        errors["category"] = _("Hãy chọn lĩnh vực.")
    if place is not None and place.kind not in (UnitKind.WARD, UnitKind.COMMUNE):
        errors["place"] = _("Địa bàn phải là phường hoặc xã.")
    if (lat is None) != (long is None):
        errors["lat"] = _("Cần cả vĩ độ và kinh độ.")
    elif lat is not None and long is not None:
        try:
            lat, long = decimal.Decimal(str(lat)).quantize(decimal.Decimal("0.000001")), \
                decimal.Decimal(str(long)).quantize(decimal.Decimal("0.000001"))
            if not (-90 <= lat <= 90 and -180 <= long <= 180):
                raise decimal.InvalidOperation
        except (decimal.InvalidOperation, ValueError):
            errors["lat"] = _("Tọa độ không hợp lệ.")
    if is_anonymous:
        reporter_name = reporter_phone = reporter_email = ""
    reporter_name, reporter_phone, reporter_email = (reporter_name or "").strip(), (reporter_phone or "").strip(), \
        (reporter_email or "").strip().lower()
    if reporter_phone and not reporter_phone.replace(" ", "").replace("+", "").replace(".", "").isdigit():
        errors["reporter_phone"] = _("Số điện thoại chỉ gồm chữ số.")
    if reporter_email:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        try:
            validate_email(reporter_email)
        except ValidationError:
            errors["reporter_email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    has_personal = bool(reporter_name or reporter_phone or reporter_email)
    if has_personal and not consent:
        errors["consent"] = _("Cần đồng ý cho cơ quan xử lý thông tin cá nhân, hoặc chọn gửi ẩn danh.")
    if errors:
        raise ValidationFailed(_("Thông tin chưa hợp lệ: %(fields)s") % {"fields": ", ".join(errors)},
                               details={"errors": errors})
    checked = check_photos(list(photos or []))
    received_by = staff_for_user(actor) if channel in (Channel.HOTLINE, Channel.LETTER) else None
    if channel in (Channel.HOTLINE, Channel.LETTER) and received_by is None:
        raise Forbidden(_("Chỉ cán bộ mới nhập được phản ánh qua đường dây nóng hoặc thư."))

    secret = FeedbackItem.new_secret()
    with transaction.atomic():
        unit = route_for(category=category, place=place)
        pol = policy()
        item = FeedbackItem.objects.create(
            code=code_next(kind=kind, at=now),
            secret_digest=FeedbackItem.hash_secret(secret),
            open311_token=secrets.token_hex(8) if channel == Channel.OPEN311 else None,
            kind=kind, channel=channel, category=category, title=(title or "").strip()[:200], description=description,
            address=(address or "").strip()[:300], place=place, lat=lat, long=long,
            is_anonymous=is_anonymous or not has_personal, reporter_name=reporter_name[:150],
            reporter_phone=reporter_phone[:20], reporter_email=reporter_email,
            consent_at=now if has_personal else None,
            unit=unit, status=Status.ROUTED, received_by=received_by, received_at=now,
            refuse_due_at=_add_working_days(unit, now, pol.refuse_days),
            info_due_at=_add_working_days(unit, now, pol.info_days),
            resolve_due_at=_add_working_days(unit, now, pol.resolve_days),
        )
        item.due_at = item.resolve_due_at
        item.save(update_fields=["due_at"])
        if reporter_email:
            Follower.objects.create(item=item, email=reporter_email, name=reporter_name)
        for p in checked:
            Photo.objects.create(item=item, file=p.content, content_type=p.content_type, size=p.size, width=p.width,
                                 height=p.height)
        _event(item, EventType.RECEIVED, at=now, actor=actor, note=item.get_channel_display())
        _event(item, EventType.ROUTED, at=now, actor=actor, to_unit=unit)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.submit", obj=item, actor=actor, at=now,
                     changes={"kind": kind, "channel": channel, "category": category.code, "unit": unit.code,
                              "photos": len(checked)})
        _mail([reporter_email], _("Đã tiếp nhận phản ánh %(code)s") % {"code": item.code},
              _("Cơ quan đã tiếp nhận phản ánh/câu hỏi của bạn, mã %(code)s.\n"
                "Hạn giải quyết: %(due)s.\nTheo dõi tại: %(url)s\n")
              % {"code": item.code, "due": _fmt(item.resolve_due_at), "url": tracking_url(item, secret)})
        _mail(_staff_emails(heads_of(unit)), _("Phản ánh mới %(code)s") % {"code": item.code},
              _("Đơn vị được giao phản ánh %(code)s (%(category)s). Hạn giải quyết %(due)s.")
              % {"code": item.code, "category": category.name, "due": _fmt(item.resolve_due_at)})
    return Submitted(item, secret)


def _fmt(value: dt.datetime | None) -> str:
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if value else "—"


# --- handling -----------------------------------------------------------------------------------
def feedback_assign(*, item: FeedbackItem, actor: Any, assignee: Staff | None = None,
                    at: dt.datetime | None = None) -> FeedbackItem:
    """Give the item to one officer of the responsible unit ("một việc – một đầu mối"): a head or
    deputy assigns anyone in the unit; an officer can take it for themself."""
    now = _now(at)
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED])
        me = staff_for_user(actor)
        target = assignee or me
        if target is None:
            raise ValidationFailed(_("Hãy chọn cán bộ xử lý."))
        if target != me:
            _ensure_manager(actor, item.unit_id)
        subtree = Unit.objects.filter(path__startswith=item.unit.path).values("id")
        if not Membership.objects.filter(staff=target, unit_id__in=subtree).exists():
            raise ValidationFailed(_("Cán bộ được giao phải thuộc đơn vị chịu trách nhiệm."))
        old = item.assignee_id
        item.assignee = target
        if item.status == Status.ROUTED:
            item.status = Status.IN_PROGRESS
        item.save(update_fields=["assignee", "status", "updated_at"])
        _event(item, EventType.ASSIGNED, at=now, actor=actor, note=target.full_name)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.assign", obj=item, actor=actor, at=now,
                     changes={"assignee": [old, target.pk]})
    return item


def feedback_reassign(*, item: FeedbackItem, to_unit: Unit | None, reason: str, actor: Any,
                      at: dt.datetime | None = None) -> FeedbackItem:
    """Send the item to the unit that is responsible. A reason AND the right unit are both
    required: never a bare "not our responsibility" (domain.md §5). The deadlines do not move:
    the overall clock keeps running from receipt."""
    now = _now(at)
    reason = (reason or "").strip()
    errors = {}
    if to_unit is None:
        errors["to_unit"] = _("Phải nêu đơn vị có trách nhiệm giải quyết.")
    if len(reason) < MIN_REASON:
        errors["reason"] = _("Phải nêu lý do chuyển (ít nhất %(n)d ký tự).") % {"n": MIN_REASON}
    if errors:
        raise ValidationFailed(_("Chuyển đơn vị cần lý do và đơn vị có trách nhiệm."), details={"errors": errors})
    assert to_unit is not None
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED])
        if to_unit.pk == item.unit_id:
            raise ValidationFailed(_("Đơn vị nhận phải khác đơn vị hiện tại."), details={"errors": {"to_unit": "same"}})
        if not to_unit.is_active(now.astimezone(TZ).date()):
            raise ValidationFailed(_("Đơn vị nhận không còn hoạt động."), details={"errors": {"to_unit": "inactive"}})
        old = item.unit
        item.unit = to_unit
        item.assignee = None
        item.status = Status.ROUTED
        item.reassign_count += 1
        item.save(update_fields=["unit", "assignee", "status", "reassign_count", "updated_at"])
        _event(item, EventType.REASSIGNED, at=now, actor=actor, from_unit=old, to_unit=to_unit, note=reason)
        _scorecard_touch(old.pk, to_unit.pk)
        audit_record(action="feedback.reassign", obj=item, actor=actor, at=now, unit_id=to_unit.pk,
                     changes={"unit": [old.code, to_unit.code], "reason": reason})
        _mail(_staff_emails(heads_of(to_unit)), _("Phản ánh %(code)s được chuyển đến đơn vị") % {"code": item.code},
              _("%(from)s chuyển phản ánh %(code)s đến đơn vị. Lý do: %(reason)s. Hạn giải quyết vẫn là %(due)s.")
              % {"from": old.name, "code": item.code, "reason": reason, "due": _fmt(item.due_at)})
    return item


def feedback_request_info(*, item: FeedbackItem, message: str, actor: Any, at: dt.datetime | None = None) -> FeedbackItem:
    """Ask the citizen for more information, within 5 working days of receipt (domain.md §5)."""
    now = _now(at)
    message = (message or "").strip()
    if len(message) < MIN_REASON:
        raise ValidationFailed(_("Hãy nêu rõ thông tin cần bổ sung."), details={"errors": {"message": "short"}})
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS])
        if now > item.info_due_at:
            raise ValidationFailed(_("Đã quá thời hạn đề nghị bổ sung thông tin (%(due)s); đơn vị phải giải quyết.")
                                   % {"due": _fmt(item.info_due_at)}, code="deadline_passed")
        item.status = Status.INFO_REQUESTED
        item.info_requested_at = item.info_requested_at or now
        item.save(update_fields=["status", "info_requested_at", "updated_at"])
        _event(item, EventType.INFO_REQUESTED, at=now, actor=actor, note=message)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.request_info", obj=item, actor=actor, at=now, changes={"message": message})
        _mail(_follower_emails(item), _("Đề nghị bổ sung thông tin cho phản ánh %(code)s") % {"code": item.code},
              _("Cơ quan đề nghị bạn bổ sung: %(message)s\nBổ sung tại trang theo dõi phản ánh (mã %(code)s).")
              % {"message": message, "code": item.code})
    return item


def feedback_supply_info(*, item: FeedbackItem, text: str, at: dt.datetime | None = None) -> FeedbackItem:
    """The citizen answers an information request from the tracking page; handling resumes."""
    now = _now(at)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Hãy nhập thông tin bổ sung."), details={"errors": {"text": "required"}})
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(_("Nội dung tối đa %(n)d ký tự.") % {"n": MAX_DESCRIPTION})
    with transaction.atomic():
        item = _lock(item)
        _ensure_status(item, [Status.INFO_REQUESTED])
        item.status = Status.IN_PROGRESS if item.assignee_id else Status.ROUTED
        item.save(update_fields=["status", "updated_at"])
        _event(item, EventType.INFO_RECEIVED, at=now, note=text)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.supply_info", obj=item, at=now, changes={"length": len(text)})
        handlers = [*heads_of(item.unit), *([item.assignee] if item.assignee else [])]
        _mail(_staff_emails(handlers), _("Người dân đã bổ sung thông tin cho phản ánh %(code)s") % {"code": item.code},
              _("Thông tin bổ sung đã có trên trang xử lý phản ánh %(code)s.") % {"code": item.code})
    return item


def feedback_refuse(*, item: FeedbackItem, reason: str, actor: Any, at: dt.datetime | None = None) -> FeedbackItem:
    """Refuse an item that is not a matter for the administration (e.g. a court case), within
    2 working days of receipt; afterwards the unit must resolve it (domain.md §5)."""
    now = _now(at)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(_("Phải nêu lý do từ chối."), details={"errors": {"reason": "short"}})
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_manager(actor, item.unit_id)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED])
        if now > item.refuse_due_at:
            raise ValidationFailed(_("Đã quá thời hạn từ chối tiếp nhận (%(due)s); đơn vị phải giải quyết.")
                                   % {"due": _fmt(item.refuse_due_at)}, code="deadline_passed")
        item.status = Status.REFUSED
        item.refused_at = item.closed_at = now
        item.due_at = None
        item.save(update_fields=["status", "refused_at", "closed_at", "due_at", "updated_at"])
        _event(item, EventType.REFUSED, at=now, actor=actor, note=reason)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.refuse", obj=item, actor=actor, at=now, changes={"reason": reason})
        _mail(_follower_emails(item), _("Phản ánh %(code)s không được tiếp nhận") % {"code": item.code},
              _("Lý do: %(reason)s") % {"reason": reason})
    return item


def feedback_merge(*, duplicate: FeedbackItem, into: FeedbackItem, actor: Any, at: dt.datetime | None = None) -> FeedbackItem:
    """Merge a duplicate into the item that is kept: the duplicate is closed and points to it,
    and the followers of both are kept on the remaining item (each e-mail once)."""
    now = _now(at)
    if duplicate.pk == into.pk:
        raise ValidationFailed(_("Không thể gộp phản ánh vào chính nó."))
    with transaction.atomic():
        first, second = sorted([duplicate.pk, into.pk])
        locked = {i.pk: i for i in FeedbackItem.objects.select_for_update().filter(pk__in=[first, second])}
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        _ensure_visible(actor, duplicate)
        _ensure_visible(actor, into)
        _ensure_status(duplicate, list(OPEN_STATUSES))
        if into.status == Status.MERGED:
            raise Conflict(_("Phản ánh %(code)s đã được gộp vào phản ánh khác.") % {"code": into.code})
        existing = set(into.followers.values_list("email", flat=True))
        new = [Follower(item=into, email=f.email, name=f.name) for f in duplicate.followers.all() if f.email not in existing]
        Follower.objects.bulk_create(new)
        duplicate.status = Status.MERGED
        duplicate.merged_into = into
        duplicate.closed_at = now
        duplicate.due_at = None
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "due_at", "updated_at"])
        _event(duplicate, EventType.MERGED, at=now, actor=actor, to_unit=into.unit, note=into.code)
        _event(into, EventType.MERGED, at=now, actor=actor, note=_("Gộp phản ánh trùng %(code)s") % {"code": duplicate.code})
        _scorecard_touch(duplicate.unit_id, into.unit_id)
        audit_record(action="feedback.merge", obj=duplicate, actor=actor, at=now,
                     changes={"into": into.code, "followers_added": len(new)})
    return into


# --- answers ------------------------------------------------------------------------------------
def _current_answer(item: FeedbackItem) -> Answer | None:
    return item.answers.filter(round=item.reopen_count).first()


def answer_save_draft(*, item: FeedbackItem, body: str, actor: Any, at: dt.datetime | None = None) -> Answer:
    """Write or rewrite the draft answer of the current round (internal text)."""
    now = _now(at)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Nội dung trả lời không được để trống."), details={"errors": {"body": "required"}})
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS])
        answer = _current_answer(item)
        if answer is None:
            answer = Answer.objects.create(item=item, round=item.reopen_count, body=body, drafted_by=_user(actor))
        else:
            if answer.status not in (AnswerStatus.DRAFT,):
                raise Conflict(_("Dự thảo đang chờ duyệt; lãnh đạo phải trả lại trước khi sửa."))
            answer.body = body
            answer.drafted_by = _user(actor)
            answer.save(update_fields=["body", "drafted_by", "updated_at"])
        _event(item, EventType.ANSWER_DRAFTED, at=now, actor=actor)
        audit_record(action="feedback.answer.draft", obj=item, actor=actor, at=now, changes={"round": answer.round})
    return answer


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def answer_submit(*, item: FeedbackItem, actor: Any, at: dt.datetime | None = None) -> Answer:
    """Send the draft to the unit's head for approval."""
    now = _now(at)
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS])
        answer = _current_answer(item)
        if answer is None or answer.status != AnswerStatus.DRAFT:
            raise Conflict(_("Chưa có dự thảo trả lời để trình duyệt."))
        answer.status = AnswerStatus.SUBMITTED
        answer.save(update_fields=["status", "updated_at"])
        _event(item, EventType.ANSWER_SUBMITTED, at=now, actor=actor)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.answer.submit", obj=item, actor=actor, at=now)
        _mail(_staff_emails(heads_of(item.unit)), _("Dự thảo trả lời %(code)s chờ duyệt") % {"code": item.code},
              _("Có dự thảo trả lời phản ánh %(code)s chờ lãnh đạo duyệt.") % {"code": item.code})
    return answer


def answer_return(*, item: FeedbackItem, reason: str, actor: Any, at: dt.datetime | None = None) -> Answer:
    """The head sends the draft back for changes."""
    now = _now(at)
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_manager(actor, item.unit_id)
        answer = _current_answer(item)
        if answer is None or answer.status != AnswerStatus.SUBMITTED:
            raise Conflict(_("Không có dự thảo đang chờ duyệt."))
        answer.status = AnswerStatus.DRAFT
        answer.save(update_fields=["status", "updated_at"])
        _event(item, EventType.ANSWER_RETURNED, at=now, actor=actor, note=(reason or "").strip())
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.answer.return", obj=item, actor=actor, at=now, changes={"reason": reason})
    return answer


def public_texts_proposed(item: FeedbackItem, body: str) -> tuple[str, str, dict[str, int]]:
    """Redacted proposals for the published question and answer (edited by staff afterwards)."""
    names = [item.reporter_name, *item.followers.values_list("name", flat=True)]
    values = [item.reporter_phone, item.reporter_email]
    q = redact(item.description, names=names, extra_values=values)
    a = redact(body, names=names, extra_values=values)
    counts = {k: q.counts.get(k, 0) + a.counts.get(k, 0) for k in {*q.counts, *a.counts}}
    return q.text, a.text, counts


def answer_approve(*, item: FeedbackItem, actor: Any, at: dt.datetime | None = None) -> Answer:
    """The head approves the answer: the item is resolved (first resolution time is kept for the
    metrics), the publication deadline (≤ 2 working days) starts, and redacted public texts are
    proposed for the manual review before publishing."""
    now = _now(at)
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_manager(actor, item.unit_id)
        _ensure_status(item, [Status.ROUTED, Status.IN_PROGRESS])
        answer = _current_answer(item)
        if answer is None or answer.status not in (AnswerStatus.DRAFT, AnswerStatus.SUBMITTED):
            raise Conflict(_("Chưa có dự thảo trả lời để duyệt."))
        question, body, counts = public_texts_proposed(item, answer.body)
        answer.status = AnswerStatus.APPROVED
        answer.approved_by = _user(actor)
        answer.approved_at = now
        answer.public_question, answer.public_body, answer.redactions = question, body, counts
        answer.save()
        item.status = Status.RESOLVED
        item.resolved_at = item.resolved_at or now
        item.publish_due_at = _add_working_days(item.unit, now, policy().publish_days)
        item.due_at = item.publish_due_at
        item.escalation_level = 0
        item.escalated_to = None
        item.save(update_fields=["status", "resolved_at", "publish_due_at", "due_at", "escalation_level", "escalated_to",
                                 "updated_at"])
        _event(item, EventType.RESOLVED, at=now, actor=actor)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.answer.approve", obj=item, actor=actor, at=now,
                     changes={"round": answer.round, "redactions": counts})
    return answer


def answer_publish(*, item: FeedbackItem, actor: Any, public_question: str | None = None, public_body: str | None = None,
                   at: dt.datetime | None = None) -> FeedbackItem:
    """Publish the approved answer with the texts as edited by staff. The reporter's own name,
    phone and e-mail are removed again whatever the edit (they must never be published). The
    followers are e-mailed and may then rate the answer or reopen the item."""
    now = _now(at)
    with transaction.atomic():
        item = _lock(item)
        _ensure_visible(actor, item)
        _ensure_status(item, [Status.RESOLVED])
        answer = _current_answer(item)
        if answer is None or answer.status != AnswerStatus.APPROVED:
            raise Conflict(_("Câu trả lời chưa được lãnh đạo duyệt."))
        question = (public_question if public_question is not None else answer.public_question).strip()
        body = (public_body if public_body is not None else answer.public_body).strip()
        if not body:
            raise ValidationFailed(_("Nội dung công khai không được để trống."), details={"errors": {"public_body": "required"}})
        names = [item.reporter_name, *item.followers.values_list("name", flat=True)]
        values = [item.reporter_phone, item.reporter_email, *item.followers.values_list("email", flat=True)]
        question = redact(question, names=names, extra_values=values).text if _has_any(question, names, values) else question
        body = redact(body, names=names, extra_values=values).text if _has_any(body, names, values) else body
        answer.public_question, answer.public_body = question, body
        answer.status = AnswerStatus.PUBLISHED
        answer.published_at = now
        answer.save(update_fields=["public_question", "public_body", "status", "published_at", "updated_at"])
        item.public_question, item.public_answer = question, body
        item.public_title = redact(item.title, names=names, extra_values=values).text[:200]
        item.status = Status.PUBLISHED
        item.published_at = now
        item.closed_at = now
        item.due_at = None
        item.escalation_level = 0
        item.escalated_to = None
        item.search_key = fold(" ".join([item.public_title, question, body, item.category.name]))
        item.save(update_fields=["public_title", "public_question", "public_answer", "status", "published_at", "closed_at", "due_at",
                                 "escalation_level", "escalated_to", "search_key", "updated_at"])
        _event(item, EventType.PUBLISHED, at=now, actor=actor)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.publish", obj=item, actor=actor, at=now, changes={"round": answer.round})
        _mail(_follower_emails(item), _("Đã có trả lời cho phản ánh %(code)s") % {"code": item.code},
              _("Trả lời của %(unit)s:\n\n%(body)s\n\nBạn có thể đánh giá Hài lòng / Không hài lòng hoặc mở lại "
                "trong %(days)d ngày tại trang theo dõi phản ánh (mã %(code)s).")
              % {"unit": item.unit.name, "body": body, "days": policy().reopen_window_days, "code": item.code})
    return item


def _has_any(text: str, names: list[str], values: list[str]) -> bool:
    low = text.lower()
    return any(v and v.strip().lower() in low for v in [*names, *values] if v and len(v.strip()) >= 4)


# --- citizen ------------------------------------------------------------------------------------
def feedback_rate(*, item: FeedbackItem, satisfaction: str, at: dt.datetime | None = None) -> FeedbackItem:
    """The citizen marks the published answer Hài lòng / Không hài lòng (a later mark replaces
    the earlier one; the history stays in the events)."""
    now = _now(at)
    if satisfaction not in Satisfaction.values:
        raise ValidationFailed(_("Hãy chọn Hài lòng hoặc Không hài lòng."), details={"errors": {"satisfaction": "invalid"}})
    with transaction.atomic():
        item = _lock(item)
        _ensure_status(item, [Status.PUBLISHED])
        old = item.satisfaction
        item.satisfaction = satisfaction
        item.rated_at = now
        item.save(update_fields=["satisfaction", "rated_at", "updated_at"])
        _event(item, EventType.RATED, at=now, note=str(Satisfaction(satisfaction).label))
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.rate", obj=item, at=now, changes={"satisfaction": [old, satisfaction]})
    return item


def feedback_reopen(*, item: FeedbackItem, reason: str, at: dt.datetime | None = None) -> FeedbackItem:
    """The citizen reopens a published item within the configured window (calendar days after
    publication). A new round starts with a new resolve deadline; the first resolution stays in
    the metrics, where the item now counts as reopened (not satisfactory)."""
    now = _now(at)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(_("Hãy nêu lý do chưa đồng ý với kết quả."), details={"errors": {"reason": "short"}})
    with transaction.atomic():
        item = _lock(item)
        _ensure_status(item, [Status.PUBLISHED])
        window = policy().reopen_window_days
        if item.published_at is None or now > item.published_at + dt.timedelta(days=window):
            raise ValidationFailed(_("Đã quá %(days)d ngày kể từ khi công khai kết quả, không mở lại được.") % {"days": window},
                                   code="reopen_window_closed")
        item.reopen_count += 1
        item.reopened_at = now
        item.status = Status.IN_PROGRESS if item.assignee_id else Status.ROUTED
        item.closed_at = None
        item.due_at = _add_working_days(item.unit, now, policy().resolve_days)
        item.escalation_level = 0
        item.escalated_to = None
        item.save(update_fields=["reopen_count", "reopened_at", "status", "closed_at", "due_at", "escalation_level",
                                 "escalated_to", "updated_at"])
        _event(item, EventType.REOPENED, at=now, note=reason)
        _scorecard_touch(item.unit_id)
        audit_record(action="feedback.reopen", obj=item, at=now, changes={"round": item.reopen_count})
        _mail(_staff_emails(heads_of(item.unit)), _("Phản ánh %(code)s bị mở lại") % {"code": item.code},
              _("Người dân chưa đồng ý với kết quả: %(reason)s") % {"reason": reason})
    return item


# --- deadlines ----------------------------------------------------------------------------------
def escalation_targets(unit: Unit) -> list[Unit]:
    """Level 1: the responsible unit (its head); level 2: the parent unit; level 3: the city
    support centre. A missing parent skips to the centre."""
    ancestors = unit_ancestors(unit)
    parent = ancestors[-1] if ancestors else None
    centre = support_centre()
    return [unit, parent or centre, centre]


def feedback_deadlines_process(*, now: dt.datetime | None = None, notify: bool = True) -> dict[str, int]:
    """Reminders before, and escalation after, each stage deadline (resolve, publish). Safe to run
    any number of times: each (item, stage, round, level) alert is recorded once. `notify=False`
    records the alerts without e-mail (used when building demo data).

    After the deadline: level 1 notifies the responsible unit's heads; one working day later
    (configurable) level 2 the parent unit's heads; another step later level 3 the city support
    centre. The item stays with its unit, but is shown to the escalated unit; the deadline does
    not move."""
    now = _now(now)
    pol = policy()
    reminder_seconds = int(float(pol.reminder_hours) * 3600)
    step = float(pol.escalation_step_days)
    horizon = now + dt.timedelta(days=14)
    candidates = (FeedbackItem.objects.filter(status__in=[*OPEN_STATUSES, Status.RESOLVED], due_at__lte=horizon,
                                              escalation_level__lt=3)
                  .select_related("unit", "assignee").order_by("due_at"))
    done = {"reminders": 0, "escalations": 0}
    items = list(candidates)
    recorded: dict[tuple[int, str, int], set[int]] = {}
    for item_id, stage_, round_, level_ in DeadlineAlert.objects.filter(item_id__in=[i.pk for i in items]).values_list(
            "item_id", "stage", "round", "level"):
        recorded.setdefault((item_id, stage_, round_), set()).add(level_)
    for item in items:
        stage = item.stage
        if stage is None or item.due_at is None:
            continue
        existing = recorded.get((item.pk, stage, item.reopen_count), set())
        if now < item.due_at and 0 in existing:
            continue
        cal = calendar_for(item.unit)
        if now < item.due_at:
            if 0 not in existing and cal.working_seconds_between(now, item.due_at) <= reminder_seconds:
                done["reminders"] += _alert(item, stage=stage, level=0, unit=item.unit, now=now, notify=notify)
            continue
        targets = escalation_targets(item.unit)
        for level in (1, 2, 3):
            if level in existing:
                continue
            starts = item.due_at if level == 1 else cal.add_working_time(item.due_at, days=step * (level - 1))
            if now < starts:
                break
            done["escalations"] += _alert(item, stage=stage, level=level, unit=targets[level - 1], now=now,
                                          notify=notify)
    return done


def _alert(item: FeedbackItem, *, stage: str, level: int, unit: Unit, now: dt.datetime, notify: bool = True) -> int:
    with transaction.atomic():
        item = _lock(item)
        if item.stage != stage:
            return 0
        alert, created = DeadlineAlert.objects.get_or_create(
            item=item, stage=stage, round=item.reopen_count, level=level,
            defaults={"kind": AlertKind.REMINDER if level == 0 else AlertKind.ESCALATION, "unit": unit, "at": now},
        )
        if not created:
            return 0
        heads = list(heads_of(unit))
        recipients = _staff_emails(heads)
        if level == 0 and item.assignee and item.assignee.email:
            recipients.append(item.assignee.email)
        alert.recipients = sorted(set(recipients))
        alert.save(update_fields=["recipients"])
        if not notify:
            recipients = []
        stage_label = str(Stage(stage).label)
        if level == 0:
            _event(item, EventType.REMINDED, at=now, to_unit=unit, note=stage_label)
            _mail(recipients, _("Sắp đến hạn: phản ánh %(code)s") % {"code": item.code},
                  _("Phản ánh %(code)s sắp đến hạn %(stage)s lúc %(due)s.")
                  % {"code": item.code, "stage": stage_label.lower(), "due": _fmt(item.due_at)})
        else:
            item.escalation_level = max(item.escalation_level, level)
            item.escalated_to = unit
            item.save(update_fields=["escalation_level", "escalated_to", "updated_at"])
            _event(item, EventType.ESCALATED, at=now, from_unit=item.unit, to_unit=unit,
                   note=_("Quá hạn %(stage)s — cấp %(level)d") % {"stage": stage_label.lower(), "level": level})
            _mail(recipients, _("Quá hạn: phản ánh %(code)s") % {"code": item.code},
                  _("Phản ánh %(code)s do %(unit)s chịu trách nhiệm đã quá hạn %(stage)s (%(due)s). Đề nghị đôn đốc xử lý.")
                  % {"code": item.code, "unit": item.unit.name, "stage": stage_label.lower(), "due": _fmt(item.due_at)})
        audit_record(action="feedback.reminder" if level == 0 else "feedback.escalate", obj=item, at=now,
                     unit_id=unit.pk, changes={"stage": stage, "level": level, "to_unit": unit.code})
    return 1


# --- Open311 keys -------------------------------------------------------------------------------
def open311_key_create(*, name: str, contact: str = "", actor: Any = None) -> tuple[Open311Key, str]:
    """Create an API key for an Open311 client; the clear key is returned once, only its hash is kept."""
    if not (name or "").strip():
        raise ValidationFailed(_("Hãy đặt tên ứng dụng."))
    raw = "o311_" + secrets.token_urlsafe(24)
    with transaction.atomic():
        key = Open311Key.objects.create(name=name.strip(), contact=contact.strip(), prefix=raw[:10],
                                        digest=Open311Key.hash(raw))
        audit_record(action="feedback.open311_key.create", obj=key, actor=actor, changes={"name": key.name})
    return key, raw


def open311_key_check(raw: str) -> Open311Key | None:
    if not raw:
        return None
    key = Open311Key.objects.filter(digest=Open311Key.hash(raw), revoked_at__isnull=True).first()
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
