"""The work-program state machine, once: which action is allowed from which status and where it
leads, for programs and for items. The services (`services/programs.py`, `services/items.py`) check
every write against it, the import (`interchange.py`) replays each event through it, and the
screens show exactly the buttons `program_actions` / `item_actions` return. Nothing else decides a
transition.

domain.md §9 (Directive 2018; Decree 39/2022 "một việc – một đầu mối"): a program is drafted,
submitted, approved or returned with comments, fixed and resubmitted; approval puts its items in
progress; an item is reported (done / partly / not done), accepted or sent back for quality,
rescheduled (an objective cause confirmed by the head), cancelled by the head, or carried over
into the next period. Editing an approved program's items needs `reopen` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from .models import EventType, ItemStatus, ProgramStatus

if TYPE_CHECKING:
    from .models import Program, WorkItem


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays (edit, reschedule, confirm_cause)

    def result(self, status: str) -> str:
        return self.target if self.target is not None else status


def _t(sources: set[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


P, IS = ProgramStatus, ItemStatus
#: Programs whose items may be edited (draft or returned for fixing).
EDITABLE_PROGRAM = frozenset({P.DRAFT, P.RETURNED})
#: Items that are finished and no longer count as open work.
CLOSED_ITEM = frozenset({IS.ACCEPTED, IS.CANCELLED, IS.CARRIED_OVER})

#: Program action → (statuses it is allowed from, resulting status).
PROGRAM_TRANSITIONS: dict[str, Transition] = {
    "edit": _t({P.DRAFT, P.RETURNED}, None),
    "submit": _t({P.DRAFT, P.RETURNED}, P.SUBMITTED),
    "approve": _t({P.SUBMITTED}, P.APPROVED),
    "return": _t({P.SUBMITTED}, P.RETURNED),
    "reopen": _t({P.APPROVED, P.SUBMITTED}, P.DRAFT),
    "carry_over": _t({P.APPROVED}, None),
}

#: Item action → (statuses it is allowed from, resulting status). `submit`, `approve`, `return`
#: and `reopen` follow the program's; the others are the item's own.
ITEM_TRANSITIONS: dict[str, Transition] = {
    "edit": _t({IS.DRAFT, IS.RETURNED}, None),
    "submit": _t({IS.DRAFT, IS.RETURNED}, IS.SUBMITTED),
    "approve": _t({IS.SUBMITTED}, IS.IN_PROGRESS),
    "return": _t({IS.SUBMITTED}, IS.RETURNED),
    "reopen": _t({IS.IN_PROGRESS, IS.SUBMITTED}, IS.DRAFT),
    "complete": _t({IS.IN_PROGRESS}, IS.REPORTED),
    "accept": _t({IS.REPORTED}, IS.ACCEPTED),
    "quality_fail": _t({IS.REPORTED}, IS.IN_PROGRESS),
    "reschedule": _t({IS.IN_PROGRESS}, None),
    "confirm_cause": _t({IS.IN_PROGRESS, IS.REPORTED, IS.ACCEPTED}, None),
    "cancel": _t({IS.DRAFT, IS.SUBMITTED, IS.RETURNED, IS.IN_PROGRESS, IS.REPORTED}, IS.CANCELLED),
    "carry_over": _t({IS.IN_PROGRESS}, IS.CARRIED_OVER),
}

#: The event each item action records (the history and the interchange format speak in events).
ITEM_EVENT_OF: dict[str, str] = {
    "edit": EventType.EDITED, "submit": EventType.SUBMITTED, "approve": EventType.APPROVED,
    "return": EventType.RETURNED, "reopen": EventType.REOPENED, "complete": EventType.COMPLETED,
    "accept": EventType.ACCEPTED, "quality_fail": EventType.QUALITY_FAILED, "reschedule": EventType.RESCHEDULED,
    "confirm_cause": EventType.CAUSE_CONFIRMED, "cancel": EventType.CANCELLED, "carry_over": EventType.CARRIED_OVER,
}

#: Actions the screens offer as buttons (edit is the form itself; confirm_cause only with a claim).
_PROGRAM_BUTTONS = ("submit", "approve", "return", "reopen", "carry_over")
_ITEM_BUTTONS = ("complete", "accept", "quality_fail", "reschedule", "confirm_cause", "cancel")


class InvalidTransition(Exception):
    """`action` is not allowed from `status` (services: Conflict 409; import: the line's error)."""

    def __init__(self, action: str, status: str):
        super().__init__(f"{action} from {status}")
        self.action = action
        self.status = status


def program_allowed(action: str, status: str) -> bool:
    return status in PROGRAM_TRANSITIONS[action].sources


def item_allowed(action: str, status: str) -> bool:
    return status in ITEM_TRANSITIONS[action].sources


def program_next(program: Program, action: str) -> str:
    """The status `action` leads the program to, or InvalidTransition."""
    if not program_allowed(action, program.status):
        raise InvalidTransition(action, program.status)
    return PROGRAM_TRANSITIONS[action].result(program.status)


def item_next(item: WorkItem, action: str) -> str:
    """The status `action` leads the item to, or InvalidTransition."""
    if not item_allowed(action, item.status):
        raise InvalidTransition(action, item.status)
    return ITEM_TRANSITIONS[action].result(item.status)


def program_actions(program: Program) -> list[str]:
    """The program actions allowed from its status (the screens' buttons; permissions are the
    services' — a button may still answer 403 for someone who may not approve)."""
    return [a for a in _PROGRAM_BUTTONS if program_allowed(a, program.status)]


def item_actions(item: WorkItem) -> list[str]:
    """The item actions allowed from its status; `confirm_cause` only while a claimed objective
    cause awaits the head's confirmation (one query, only for items where it could apply)."""
    actions = [a for a in _ITEM_BUTTONS if item_allowed(a, item.status)]
    if "confirm_cause" in actions and not cause_pending(item):
        actions.remove("confirm_cause")
    return actions


def cause_pending(item: WorkItem) -> bool:
    """A reschedule claimed an objective cause that no one has confirmed yet. Lists avoid the query
    per item by annotating `cause_pending=cause_pending_exists()` on their queryset."""
    annotated = getattr(item, "cause_pending", None)
    if isinstance(annotated, bool):
        return annotated
    return item.events.filter(type=EventType.RESCHEDULED, cause_claimed=True, objective_cause=False).exists()


def cause_pending_exists() -> Exists:
    """`WorkItem.objects.annotate(cause_pending=cause_pending_exists())` for `item_actions` in lists."""
    from .models import WorkItemEvent

    return Exists(WorkItemEvent.objects.filter(item_id=OuterRef("pk"), type=EventType.RESCHEDULED,
                                               cause_claimed=True, objective_cause=False))


#: Import: the item actions an event of a history stands for, given the item's status before it.
#: A file that starts with `approved` (the interchange contract has no `submitted`) submits first.
def actions_for_event(event_type: str, status: str) -> list[str]:
    action = next((a for a, e in ITEM_EVENT_OF.items() if e == event_type), None)
    if action is None:
        return []
    if action == "approve" and item_allowed("submit", status):
        return ["submit", "approve"]
    return [action]
