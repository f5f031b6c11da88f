"""A queue ticket's life cycle, in one place (issue 10, item 3).

`TRANSITIONS` is the only statement of which counter action is allowed in which ticket status
and where it leads. The services call `transition()` (an action the table does not allow is a
409 and changes nothing) and the counter console asks `actions_for()` which buttons to show.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kycuong.core.errors import Conflict

from .models import Ticket, TicketStatus


class Action(models.TextChoices):
    CALL = "call", gettext_lazy("Gọi số")
    RECALL = "recall", gettext_lazy("Gọi lại")
    START = "start", gettext_lazy("Bắt đầu phục vụ")
    FINISH = "finish", gettext_lazy("Hoàn thành")
    NO_SHOW = "no_show", gettext_lazy("Vắng mặt")
    TRANSFER = "transfer", gettext_lazy("Chuyển khu vực")
    CLOSE_DAY = "close_day", gettext_lazy("Đóng ngày")


#: status → {action: resulting status}. The only copy of the rules.
TRANSITIONS: dict[str, dict[str, str]] = {
    TicketStatus.ISSUING: {},
    TicketStatus.WAITING: {Action.CALL: TicketStatus.CALLED},
    TicketStatus.CALLED: {
        Action.RECALL: TicketStatus.CALLED, Action.START: TicketStatus.SERVING, Action.FINISH: TicketStatus.DONE,
        Action.NO_SHOW: TicketStatus.NO_SHOW, Action.TRANSFER: TicketStatus.WAITING,
        Action.CLOSE_DAY: TicketStatus.NO_SHOW,
    },
    TicketStatus.SERVING: {
        Action.FINISH: TicketStatus.DONE, Action.TRANSFER: TicketStatus.WAITING, Action.CLOSE_DAY: TicketStatus.DONE,
    },
    TicketStatus.DONE: {},
    TicketStatus.NO_SHOW: {},
}

#: Actions offered as buttons on the counter console for the current ticket.
CONSOLE_ACTIONS = (Action.RECALL, Action.START, Action.NO_SHOW, Action.FINISH, Action.TRANSFER)


def actions_for(status: str) -> frozenset[str]:
    return frozenset(TRANSITIONS.get(status, {}))


def allowed(status: str, action: str) -> bool:
    return action in TRANSITIONS.get(status, {})


def next_status(status: str, action: str) -> str:
    result = TRANSITIONS.get(status, {}).get(action)
    if result is None:
        label = TicketStatus(status).label if status in TicketStatus.values else status
        raise Conflict(_("Số đang ở trạng thái “%(status)s”, không thực hiện được thao tác “%(action)s”.")
                       % {"status": label, "action": Action(action).label if action in Action.values else action},
                       code="ticket_transition", details={"status": status, "action": action})
    return result


def transition(ticket: Ticket, action: str) -> str:
    """Apply `action` to the (locked) ticket's status in memory; returns the previous status."""
    old = ticket.status
    ticket.status = next_status(old, action)
    return old


def console_actions(ticket: Ticket | None) -> frozenset[str]:
    """The buttons the console shows for the counter's current ticket (none without one)."""
    if ticket is None:
        return frozenset()
    return frozenset(a for a in CONSOLE_ACTIONS if allowed(ticket.status, a))
