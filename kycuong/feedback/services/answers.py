"""The unit's answer: draft → submitted → approved by a head (the item is resolved) → published
with personal data redacted (domain.md §5, Law 91/2025 on personal data)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed
from kycuong.core.text import fold
from kycuong.org.selectors import heads_of

from .. import lifecycle
from ..lifecycle import Action
from ..models import Answer, AnswerStatus, EventType, FeedbackItem
from ..redaction import redact
from ..selectors import policy
from ._common import (
    add_working_days,
    ensure_head_of,
    ensure_manager,
    ensure_visible,
    event,
    follower_emails,
    lock,
    mail,
    scorecard_touch,
    server_now,
    staff_emails,
    user_of,
)


def _current_answer(item: FeedbackItem) -> Answer | None:
    return item.answers.filter(round=item.reopen_count).first()


def answer_save_draft(*, item: FeedbackItem, body: str, actor: Any) -> Answer:
    """Write or rewrite the draft answer of the current round (internal text)."""
    now = server_now()
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(_("Nội dung trả lời không được để trống."), details={"errors": {"body": "required"}})
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        lifecycle.transition(item, Action.DRAFT)
        answer = _current_answer(item)
        if answer is None:
            answer = Answer.objects.create(item=item, round=item.reopen_count, body=body, drafted_by=user_of(actor))
        else:
            if answer.status not in (AnswerStatus.DRAFT,):
                raise Conflict(_("Dự thảo đang chờ duyệt; lãnh đạo phải trả lại trước khi sửa."))
            answer.body = body
            answer.drafted_by = user_of(actor)
            answer.save(update_fields=["body", "drafted_by", "updated_at"])
        event(item, EventType.ANSWER_DRAFTED, at=now, actor=actor)
        audit_record(action="feedback.answer.draft", obj=item, actor=actor, at=now, changes={"round": answer.round})
    return answer


def answer_submit(*, item: FeedbackItem, actor: Any) -> Answer:
    """Send the draft to the unit's head for approval."""
    now = server_now()
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        lifecycle.transition(item, Action.SUBMIT)
        answer = _current_answer(item)
        if answer is None or answer.status != AnswerStatus.DRAFT:
            raise Conflict(_("Chưa có dự thảo trả lời để trình duyệt."))
        answer.status = AnswerStatus.SUBMITTED
        answer.save(update_fields=["status", "updated_at"])
        event(item, EventType.ANSWER_SUBMITTED, at=now, actor=actor)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.answer.submit", obj=item, actor=actor, at=now)
        mail(staff_emails(heads_of(item.unit)), _("Dự thảo trả lời %(code)s chờ duyệt") % {"code": item.code},
             _("Có dự thảo trả lời phản ánh %(code)s chờ lãnh đạo duyệt.") % {"code": item.code})
    return answer


def answer_return(*, item: FeedbackItem, reason: str, actor: Any) -> Answer:
    """The head sends the draft back for changes."""
    now = server_now()
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        ensure_manager(actor, item.unit_id)
        lifecycle.transition(item, Action.RETURN)
        answer = _current_answer(item)
        if answer is None or answer.status != AnswerStatus.SUBMITTED:
            raise Conflict(_("Không có dự thảo đang chờ duyệt."))
        answer.status = AnswerStatus.DRAFT
        answer.save(update_fields=["status", "updated_at"])
        event(item, EventType.ANSWER_RETURNED, at=now, actor=actor, note=(reason or "").strip())
        scorecard_touch(item.unit_id)
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


def answer_approve(*, item: FeedbackItem, actor: Any) -> Answer:
    """The head approves the answer: the item is resolved (first resolution time is kept for the
    metrics), the publication deadline (≤ 2 working days) starts, and redacted public texts are
    proposed for the manual review before publishing."""
    now = server_now()
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        ensure_manager(actor, item.unit_id)
        ensure_head_of(actor, item.unit)
        lifecycle.next_status(item.status, Action.APPROVE, has_assignee=False)
        answer = _current_answer(item)
        if answer is None or answer.status not in (AnswerStatus.DRAFT, AnswerStatus.SUBMITTED):
            raise Conflict(_("Chưa có dự thảo trả lời để duyệt."))
        question, body, counts = public_texts_proposed(item, answer.body)
        answer.status = AnswerStatus.APPROVED
        answer.approved_by = user_of(actor)
        answer.approved_at = now
        answer.public_question, answer.public_body, answer.redactions = question, body, counts
        answer.save()
        lifecycle.transition(item, Action.APPROVE)
        item.resolved_at = item.resolved_at or now
        item.publish_due_at = add_working_days(item.unit, now, policy().publish_days)
        item.due_at = item.publish_due_at
        item.escalation_level = 0
        item.escalated_to = None
        item.save(update_fields=["status", "resolved_at", "publish_due_at", "due_at", "escalation_level", "escalated_to",
                                 "updated_at"])
        event(item, EventType.RESOLVED, at=now, actor=actor)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.answer.approve", obj=item, actor=actor, at=now,
                     changes={"round": answer.round, "redactions": counts})
    return answer


def answer_publish(*, item: FeedbackItem, actor: Any, public_question: str | None = None, public_body: str | None = None) -> FeedbackItem:
    """Publish the approved answer with the texts as edited by staff. The reporter's own name,
    phone and e-mail are removed again whatever the edit (they must never be published). The
    followers are e-mailed and may then rate the answer or reopen the item."""
    now = server_now()
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        lifecycle.next_status(item.status, Action.PUBLISH, has_assignee=False)
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
        lifecycle.transition(item, Action.PUBLISH)
        item.published_at = now
        item.closed_at = now
        item.due_at = None
        item.escalation_level = 0
        item.escalated_to = None
        item.search_key = fold(" ".join([item.public_title, question, body, item.category.name]))
        item.save(update_fields=["public_title", "public_question", "public_answer", "status", "published_at", "closed_at", "due_at",
                                 "escalation_level", "escalated_to", "search_key", "updated_at"])
        event(item, EventType.PUBLISHED, at=now, actor=actor)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.publish", obj=item, actor=actor, at=now, changes={"round": answer.round})
        mail(follower_emails(item), _("Đã có trả lời cho phản ánh %(code)s") % {"code": item.code},
             _("Trả lời của %(unit)s:\n\n%(body)s\n\nBạn có thể đánh giá Hài lòng / Không hài lòng hoặc mở lại "
                "trong %(days)d ngày tại trang theo dõi phản ánh (mã %(code)s).")
             % {"unit": item.unit.name, "body": body, "days": policy().reopen_window_days, "code": item.code})
    return item


def _has_any(text: str, names: list[str], values: list[str]) -> bool:
    low = text.lower()
    return any(v and v.strip().lower() in low for v in [*names, *values] if v and len(v.strip()) >= 4)


