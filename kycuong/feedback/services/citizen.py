"""The citizen's own actions on the tracking page: rating the published answer and reopening it
(domain.md §5). A reopen starts a new round whose deadlines run from the reopen moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ValidationFailed
from kycuong.org.selectors import heads_of
from kycuong.workdays.services import calendar_for

from .. import lifecycle
from ..lifecycle import Action
from ..models import EventType, FeedbackItem, FeedbackPolicy, Satisfaction
from ..selectors import policy
from ._common import (
    MIN_REASON,
    event,
    fmt,
    lock,
    mail,
    scorecard_touch,
    server_now,
    staff_emails,
)


def feedback_rate(*, item: FeedbackItem, satisfaction: str) -> FeedbackItem:
    """The citizen marks the published answer Hài lòng / Không hài lòng (a later mark replaces
    the earlier one; the history stays in the events)."""
    now = server_now()
    if satisfaction not in Satisfaction.values:
        raise ValidationFailed(_("Hãy chọn Hài lòng hoặc Không hài lòng."), details={"errors": {"satisfaction": "invalid"}})
    with transaction.atomic():
        item = lock(item)
        lifecycle.transition(item, Action.RATE)
        old = item.satisfaction
        item.satisfaction = satisfaction
        item.rated_at = now
        item.save(update_fields=["satisfaction", "rated_at", "updated_at"])
        event(item, EventType.RATED, at=now, note=str(Satisfaction(satisfaction).label))
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.rate", obj=item, at=now, changes={"satisfaction": [old, satisfaction]})
    return item


def reopen_round_start(item: FeedbackItem, *, at: dt.datetime, calendar: Any, pol: FeedbackPolicy) -> None:
    """Start a new round on the (locked or in-memory) item reopened at `at`: status per the life
    cycle, the first round's deadlines kept, new information and resolve deadlines counted in
    working time on `calendar` from `at`, no publication deadline yet, escalation cleared.
    Used by `feedback_reopen` and by the demo builder (the same rule, not a copy)."""
    lifecycle.transition(item, Action.REOPEN)
    item.first_resolve_due_at = item.first_resolve_due_at or item.resolve_due_at
    item.first_info_due_at = item.first_info_due_at or item.info_due_at
    item.reopen_count += 1
    item.reopened_at = at
    item.closed_at = None
    item.info_due_at = calendar.add_working_time(at, days=float(pol.info_days))
    item.resolve_due_at = calendar.add_working_time(at, days=float(pol.resolve_days))
    item.publish_due_at = None
    item.due_at = item.resolve_due_at
    item.escalation_level = 0
    item.escalated_to = None


def feedback_reopen(*, item: FeedbackItem, reason: str) -> FeedbackItem:
    """The citizen reopens a published item within the configured window (calendar days after
    publication). A new round starts: its stage deadlines are counted in working time on the
    responsible unit's calendar from the reopen moment — information request ≤ 5 and resolution
    ≤ 15 working days (domain.md §5); refusing is no longer possible (the item was accepted). So
    a reopened item is not overdue at once. The first round's resolution and its deadlines are
    kept (`first_resolve_due_at`, `first_info_due_at`) for the metrics, where the item counts as
    reopened (not satisfactory)."""
    now = server_now()
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(_("Hãy nêu lý do chưa đồng ý với kết quả."), details={"errors": {"reason": "short"}})
    with transaction.atomic():
        item = lock(item)
        lifecycle.next_status(item.status, Action.REOPEN, has_assignee=False)
        pol = policy()
        window = pol.reopen_window_days
        if not lifecycle.reopen_window_open(item, now, days=window):
            raise ValidationFailed(_("Đã quá %(days)d ngày kể từ khi công khai kết quả, không mở lại được.") % {"days": window},
                                   code="reopen_window_closed")
        reopen_round_start(item, at=now, calendar=calendar_for(item.unit), pol=pol)
        item.save(update_fields=["first_resolve_due_at", "first_info_due_at", "reopen_count", "reopened_at", "status",
                                 "closed_at", "info_due_at", "resolve_due_at", "publish_due_at", "due_at",
                                 "escalation_level", "escalated_to", "updated_at"])
        event(item, EventType.REOPENED, at=now, note=reason)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.reopen", obj=item, at=now,
                     changes={"round": item.reopen_count, "resolve_due_at": item.resolve_due_at.isoformat()})
        mail(staff_emails(heads_of(item.unit)), _("Phản ánh %(code)s bị mở lại") % {"code": item.code},
             _("Người dân chưa đồng ý với kết quả: %(reason)s. Hạn giải quyết mới: %(due)s.")
             % {"reason": reason, "due": fmt(item.resolve_due_at)})
    return item
