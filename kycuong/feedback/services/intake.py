"""Intake: codes, receiving an item from any channel, and the Open311 API keys (domain.md §5, §8)."""

from __future__ import annotations

import datetime as dt
import decimal
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Forbidden, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Unit, UnitKind
from kycuong.org.selectors import heads_of, staff_for_user

from ..models import (
    Category,
    Channel,
    EventType,
    FeedbackItem,
    FeedbackSequence,
    Follower,
    Kind,
    Open311Key,
    Photo,
    Status,
)
from ..photos import check_photos
from ..selectors import policy
from ._common import (
    MAX_DESCRIPTION,
    add_working_days,
    event,
    fmt,
    mail,
    scorecard_touch,
    server_now,
    staff_emails,
    tracking_url,
)
from .routing import route_for


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
) -> Submitted:
    """Receive a feedback item or a question from any channel, give it a code and a tracking
    secret, route it and start the stage deadlines (refuse ≤ 2, ask for information ≤ 5,
    resolve ≤ 15 working days; domain.md §5), counted on the responsible unit's calendar."""
    now = server_now()
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
            refuse_due_at=add_working_days(unit, now, pol.refuse_days),
            info_due_at=add_working_days(unit, now, pol.info_days),
            resolve_due_at=add_working_days(unit, now, pol.resolve_days),
        )
        item.due_at = item.resolve_due_at
        item.save(update_fields=["due_at"])
        if reporter_email:
            Follower.objects.create(item=item, email=reporter_email, name=reporter_name)
        for p in checked:
            Photo.objects.create(item=item, file=p.content, content_type=p.content_type, size=p.size, width=p.width,
                                 height=p.height)
        event(item, EventType.RECEIVED, at=now, actor=actor, note=item.get_channel_display())
        event(item, EventType.ROUTED, at=now, actor=actor, to_unit=unit)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.submit", obj=item, actor=actor, at=now,
                     changes={"kind": kind, "channel": channel, "category": category.code, "unit": unit.code,
                              "photos": len(checked)})
        mail([reporter_email], _("Đã tiếp nhận phản ánh %(code)s") % {"code": item.code},
             _("Cơ quan đã tiếp nhận phản ánh/câu hỏi của bạn, mã %(code)s.\n"
                "Hạn giải quyết: %(due)s.\nTheo dõi tại: %(url)s\n")
             % {"code": item.code, "due": fmt(item.resolve_due_at), "url": tracking_url(item, secret)})
        mail(staff_emails(heads_of(unit)), _("Phản ánh mới %(code)s") % {"code": item.code},
             _("Đơn vị được giao phản ánh %(code)s (%(category)s). Hạn giải quyết %(due)s.")
             % {"code": item.code, "category": category.name, "due": fmt(item.resolve_due_at)})
    return Submitted(item, secret)


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
