"""Handling in the unit: asking the citizen for information, the citizen's reply, and refusal
(domain.md §5). Which status allows which action is `kycuong.feedback.lifecycle`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ValidationFailed
from kycuong.org.selectors import heads_of

from .. import lifecycle
from ..lifecycle import Action
from ..models import EventType, FeedbackItem
from ._common import (
    MAX_DESCRIPTION,
    MIN_REASON,
    ensure_manager,
    ensure_visible,
    event,
    fmt,
    follower_emails,
    lock,
    mail,
    scorecard_touch,
    server_now,
    staff_emails,
)


def feedback_request_info(*, item: FeedbackItem, message: str, actor: Any) -> FeedbackItem:
    """Ask the citizen for more information, within 5 working days of receipt (domain.md §5)."""
    now = server_now()
    message = (message or "").strip()
    if len(message) < MIN_REASON:
        raise ValidationFailed(_("Hãy nêu rõ thông tin cần bổ sung."), details={"errors": {"message": "short"}})
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        lifecycle.next_status(item.status, Action.REQUEST_INFO, has_assignee=False)
        if not lifecycle.info_window_open(item, now):
            raise ValidationFailed(_("Đã quá thời hạn đề nghị bổ sung thông tin (%(due)s); đơn vị phải giải quyết.")
                                   % {"due": fmt(item.info_due_at)}, code="deadline_passed")
        lifecycle.transition(item, Action.REQUEST_INFO)
        item.info_requested_at = item.info_requested_at or now
        item.save(update_fields=["status", "info_requested_at", "updated_at"])
        event(item, EventType.INFO_REQUESTED, at=now, actor=actor, note=message)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.request_info", obj=item, actor=actor, at=now, changes={"message": message})
        mail(follower_emails(item), _("Đề nghị bổ sung thông tin cho phản ánh %(code)s") % {"code": item.code},
             _("Cơ quan đề nghị bạn bổ sung: %(message)s\nBổ sung tại trang theo dõi phản ánh (mã %(code)s).")
             % {"message": message, "code": item.code})
    return item


def feedback_supply_info(*, item: FeedbackItem, text: str) -> FeedbackItem:
    """The citizen answers an information request from the tracking page; handling resumes."""
    now = server_now()
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Hãy nhập thông tin bổ sung."), details={"errors": {"text": "required"}})
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(_("Nội dung tối đa %(n)d ký tự.") % {"n": MAX_DESCRIPTION})
    with transaction.atomic():
        item = lock(item)
        lifecycle.transition(item, Action.SUPPLY_INFO)
        item.save(update_fields=["status", "updated_at"])
        event(item, EventType.INFO_RECEIVED, at=now, note=text)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.supply_info", obj=item, at=now, changes={"length": len(text)})
        handlers = [*heads_of(item.unit), *([item.assignee] if item.assignee else [])]
        mail(staff_emails(handlers), _("Người dân đã bổ sung thông tin cho phản ánh %(code)s") % {"code": item.code},
             _("Thông tin bổ sung đã có trên trang xử lý phản ánh %(code)s.") % {"code": item.code})
    return item


def feedback_refuse(*, item: FeedbackItem, reason: str, actor: Any) -> FeedbackItem:
    """Refuse an item that is not a matter for the administration (e.g. a court case), within
    2 working days of receipt; afterwards the unit must resolve it (domain.md §5)."""
    now = server_now()
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(_("Phải nêu lý do từ chối."), details={"errors": {"reason": "short"}})
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        ensure_manager(actor, item.unit_id)
        lifecycle.next_status(item.status, Action.REFUSE, has_assignee=False)
        if not lifecycle.refuse_window_open(item, now):
            raise ValidationFailed(_("Đã quá thời hạn từ chối tiếp nhận (%(due)s); đơn vị phải giải quyết.")
                                   % {"due": fmt(item.refuse_due_at)}, code="deadline_passed")
        lifecycle.transition(item, Action.REFUSE)
        item.refused_at = item.closed_at = now
        item.due_at = None
        item.save(update_fields=["status", "refused_at", "closed_at", "due_at", "updated_at"])
        event(item, EventType.REFUSED, at=now, actor=actor, note=reason)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.refuse", obj=item, actor=actor, at=now, changes={"reason": reason})
        mail(follower_emails(item), _("Phản ánh %(code)s không được tiếp nhận") % {"code": item.code},
             _("Lý do: %(reason)s") % {"reason": reason})
    return item


