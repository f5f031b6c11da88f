"""The feedback item's life cycle, in one place (issue 10, item 3).

`TRANSITIONS` is the only statement of which action is allowed in which status and what status
it leads to. The services call `transition()` (so an action the table does not allow is a 409
and changes nothing), and the staff and tracking pages ask `staff_actions()` /
`citizen_actions()` which buttons to show, so a page never offers what the service would refuse.
The guards that depend on time (the refusal and information-request windows, the reopen window)
are also defined here once and used by both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kycuong.core.errors import Conflict

from .models import AnswerStatus, FeedbackItem, Status


class Action(models.TextChoices):
    ASSIGN = "assign", gettext_lazy("Giao cán bộ xử lý")
    REASSIGN = "reassign", gettext_lazy("Chuyển đơn vị có trách nhiệm")
    REQUEST_INFO = "request_info", gettext_lazy("Đề nghị bổ sung thông tin")
    SUPPLY_INFO = "supply_info", gettext_lazy("Bổ sung thông tin")
    REFUSE = "refuse", gettext_lazy("Từ chối tiếp nhận")
    MERGE = "merge", gettext_lazy("Gộp vào phản ánh trùng")
    DRAFT = "draft", gettext_lazy("Lưu dự thảo trả lời")
    SUBMIT = "submit", gettext_lazy("Trình lãnh đạo duyệt")
    RETURN = "return", gettext_lazy("Trả lại dự thảo")
    APPROVE = "approve", gettext_lazy("Duyệt trả lời")
    PUBLISH = "publish", gettext_lazy("Công khai kết quả")
    RATE = "rate", gettext_lazy("Đánh giá")
    REOPEN = "reopen", gettext_lazy("Mở lại")


#: Resulting status "handling": in progress when an officer holds the item, routed otherwise.
HANDLING = "handling"

#: status → {action: resulting status}. The only copy of the rules.
TRANSITIONS: dict[str, dict[str, str]] = {
    Status.RECEIVED: {Action.MERGE: Status.MERGED},
    Status.ROUTED: {
        Action.ASSIGN: Status.IN_PROGRESS, Action.REASSIGN: Status.ROUTED, Action.REQUEST_INFO: Status.INFO_REQUESTED,
        Action.REFUSE: Status.REFUSED, Action.MERGE: Status.MERGED, Action.DRAFT: Status.ROUTED,
        Action.SUBMIT: Status.ROUTED, Action.RETURN: Status.ROUTED, Action.APPROVE: Status.RESOLVED,
    },
    Status.IN_PROGRESS: {
        Action.ASSIGN: Status.IN_PROGRESS, Action.REASSIGN: Status.ROUTED, Action.REQUEST_INFO: Status.INFO_REQUESTED,
        Action.REFUSE: Status.REFUSED, Action.MERGE: Status.MERGED, Action.DRAFT: Status.IN_PROGRESS,
        Action.SUBMIT: Status.IN_PROGRESS, Action.RETURN: Status.IN_PROGRESS, Action.APPROVE: Status.RESOLVED,
    },
    Status.INFO_REQUESTED: {
        Action.ASSIGN: Status.INFO_REQUESTED, Action.REASSIGN: Status.ROUTED, Action.SUPPLY_INFO: HANDLING,
        Action.REFUSE: Status.REFUSED, Action.MERGE: Status.MERGED,
    },
    Status.RESOLVED: {Action.PUBLISH: Status.PUBLISHED},
    Status.PUBLISHED: {Action.RATE: Status.PUBLISHED, Action.REOPEN: HANDLING},
    Status.REFUSED: {},
    Status.MERGED: {},
}

#: Actions a head (scope "manages" the responsible unit) must take or order.
MANAGER_ACTIONS = frozenset({Action.REFUSE, Action.APPROVE, Action.RETURN})
#: Actions the citizen takes on the tracking page (code + secret).
CITIZEN_ACTIONS = frozenset({Action.SUPPLY_INFO, Action.RATE, Action.REOPEN})


def actions_for(status: str) -> frozenset[str]:
    return frozenset(TRANSITIONS.get(status, {}))


def allowed(status: str, action: str) -> bool:
    return action in TRANSITIONS.get(status, {})


def next_status(status: str, action: str, *, has_assignee: bool) -> str:
    """The status `action` leads to from `status`; Conflict (409) when the table does not allow it."""
    result = TRANSITIONS.get(status, {}).get(action)
    if result is None:
        label = Status(status).label if status in Status.values else status
        raise Conflict(_("Phản ánh đang ở trạng thái “%(status)s”, không thực hiện được thao tác này.")
                       % {"status": label}, details={"status": status, "action": action})
    if result == HANDLING:
        return Status.IN_PROGRESS if has_assignee else Status.ROUTED
    return result


def transition(item: FeedbackItem, action: str) -> str:
    """Apply `action` to the (locked) item's status in memory; returns the previous status."""
    old = item.status
    item.status = next_status(old, action, has_assignee=item.assignee_id is not None)
    return old


# --- time guards (used by the services and by the pages) ---------------------------------------
def refuse_window_open(item: FeedbackItem, now: dt.datetime) -> bool:
    """Refusing is possible within 2 working days of receipt (domain.md §5), and only in the first
    round: a reopened item was accepted already."""
    return item.reopen_count == 0 and now <= item.refuse_due_at


def info_window_open(item: FeedbackItem, now: dt.datetime) -> bool:
    """Asking for information is possible until the round's information deadline (5 working days
    from receipt, or from the reopen moment in a reopened round)."""
    return now <= item.info_due_at


def reopen_window_open(item: FeedbackItem, now: dt.datetime, *, days: int) -> bool:
    """The citizen may reopen within `days` calendar days of publication."""
    return item.published_at is not None and now <= item.published_at + dt.timedelta(days=days)


# --- buttons ------------------------------------------------------------------------------------
def staff_actions(item: FeedbackItem, *, now: dt.datetime, is_manager: bool, answer: Any = None) -> frozenset[str]:
    """The actions the staff page offers for `item`: the table's actions for its status, minus
    the citizen's, the heads' when the user is not one, the closed time windows, and the answer
    steps that do not fit the current answer's state."""
    actions = set(actions_for(item.status)) - CITIZEN_ACTIONS
    if not is_manager:
        actions -= MANAGER_ACTIONS
    if not refuse_window_open(item, now):
        actions.discard(Action.REFUSE)
    if not info_window_open(item, now):
        actions.discard(Action.REQUEST_INFO)
    state = getattr(answer, "status", None)
    if state not in (None, AnswerStatus.DRAFT):
        actions.discard(Action.DRAFT)
    if state != AnswerStatus.DRAFT:
        actions.discard(Action.SUBMIT)
    if state not in (AnswerStatus.DRAFT, AnswerStatus.SUBMITTED):
        actions.discard(Action.APPROVE)
    if state != AnswerStatus.SUBMITTED:
        actions.discard(Action.RETURN)
    if state != AnswerStatus.APPROVED:
        actions.discard(Action.PUBLISH)
    return frozenset(actions)


def citizen_actions(item: FeedbackItem, *, now: dt.datetime, reopen_days: int) -> frozenset[str]:
    actions = set(actions_for(item.status)) & CITIZEN_ACTIONS
    if not reopen_window_open(item, now, days=reopen_days):
        actions.discard(Action.REOPEN)
    return frozenset(actions)
