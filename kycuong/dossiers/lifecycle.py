"""The dossier state machine, once (issue 10, item 3): which action is allowed from which status,
the status it leads to, and pure functions applying each transition to an in-memory Dossier and its
steps. The services (`services/`) apply them to locked rows and save what changed, the import replay
(`replay.py`) to unsaved objects, and the detail screen (`views.py`) shows exactly the buttons whose
action `TRANSITIONS` allows from the dossier's status. Nothing else decides a transition.

domain.md §3: received (or refused at intake) → in progress through the internal steps → optionally
waiting for a supplement (clock paused) → transferred (liên thông) → result ready → returned;
also withdrawn by the applicant and stopped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .models import OPEN_STATUSES, EventType, Status, StepStatus
from .timeliness import outcome_for

if TYPE_CHECKING:
    from kycuong.org.models import Staff, Unit
    from kycuong.workdays.engine import WorkCalendar

    from .models import Dossier, DossierStep

#: The status of a dossier that does not exist yet (counter intake, online submission, import).
NEW = ""
OPEN = frozenset(OPEN_STATUSES)  # received, in progress, waiting for a supplement
WORKING = frozenset({Status.RECEIVED, Status.IN_PROGRESS})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays (assignment, apology, reassignment)

    def result(self, status: str) -> str:
        return self.target if self.target is not None else status


def _t(sources: Iterable[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


#: action → (statuses it is allowed from, resulting status). Action names are the services'
#: (`dossier_<action>`) and the screens' (views.ACTIONS).
TRANSITIONS: dict[str, Transition] = {
    "receive": _t({NEW}, Status.RECEIVED),
    "refuse_intake": _t({NEW}, Status.REFUSED),
    "submit": _t({NEW}, Status.SUBMITTED),
    "accept": _t({Status.SUBMITTED}, Status.RECEIVED),
    "refuse": _t({Status.SUBMITTED}, Status.REFUSED),
    "assign": _t(OPEN, None),
    "hand_over": _t(WORKING, Status.IN_PROGRESS),
    "transfer": _t(WORKING, Status.IN_PROGRESS),
    "request_supplement": _t(WORKING, Status.WAITING_SUPPLEMENT),
    "complete_supplement": _t({Status.WAITING_SUPPLEMENT}, Status.IN_PROGRESS),
    "apologize": _t(OPEN, None),
    "finish": _t(WORKING, Status.RESULT_READY),
    "return": _t({Status.RESULT_READY}, Status.RETURNED),
    "withdraw": _t({Status.SUBMITTED, *OPEN}, Status.WITHDRAWN),
    "stop": _t(OPEN, Status.STOPPED),
    "reassign": _t({Status.SUBMITTED, *OPEN}, None),
}

#: The event each action records (the control sheet and the interchange format speak in events).
EVENT_OF: dict[str, str] = {
    "receive": EventType.RECEIVED, "accept": EventType.RECEIVED, "refuse_intake": EventType.REFUSED,
    "refuse": EventType.REFUSED, "submit": EventType.SUBMITTED, "assign": EventType.ASSIGNED,
    "hand_over": EventType.HANDED_OVER, "transfer": EventType.TRANSFERRED,
    "request_supplement": EventType.SUPPLEMENT_REQUESTED, "complete_supplement": EventType.SUPPLEMENT_COMPLETED,
    "apologize": EventType.APOLOGIZED, "finish": EventType.FINISHED, "return": EventType.RETURNED,
    "withdraw": EventType.WITHDRAWN, "stop": EventType.STOPPED, "reassign": EventType.REASSIGNED,
}


class InvalidTransition(Exception):
    """`action` is not allowed from `status` (services: Conflict 409; replay: the import line's error)."""

    def __init__(self, action: str, status: str):
        super().__init__(f"{action} from {status or 'new'}")
        self.action = action
        self.status = status


class NoNextStep(Exception):
    """A hand-over from the last (or without an active) step: the dossier should be finished instead."""


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action].sources


def actions_from(status: str) -> list[str]:
    """Every action allowed from `status`, in the table's order (the detail screen's buttons)."""
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def action_for_event(event_type: str, status: str) -> str | None:
    """The action an event of a history stands for, given the dossier's status before it (a
    `received` event accepts an online submission, or receives at a counter)."""
    candidates = [a for a, e in EVENT_OF.items() if e == event_type]
    for action in candidates:
        if allowed(action, status):
            return action
    return candidates[0] if candidates else None


def check(dossier: Dossier, action: str) -> str:
    """The status `action` leads to from the dossier's, or InvalidTransition."""
    transition = TRANSITIONS[action]
    if dossier.status not in transition.sources:
        raise InvalidTransition(action, dossier.status)
    return transition.result(dossier.status)


def _move(dossier: Dossier, action: str) -> None:
    dossier.status = check(dossier, action)


def _open_steps(steps: Sequence[DossierStep]) -> list[DossierStep]:
    return [s for s in steps if s.status in (StepStatus.ACTIVE, StepStatus.PENDING)]


def active_step(steps: Sequence[DossierStep]) -> DossierStep | None:
    return next((s for s in sorted(steps, key=lambda s: s.order) if s.status == StepStatus.ACTIVE), None)


def _close_step(step: DossierStep, at: dt.datetime) -> None:
    step.status = StepStatus.DONE
    step.finished_at = at
    step.outcome = outcome_for(finished_at=at, due_at=step.due_at) if step.due_at else ""


def _shift(calendar: WorkCalendar, value: dt.datetime | None, seconds: int) -> dt.datetime | None:
    if value is None or seconds <= 0:
        return value
    return calendar.add_working_seconds(value, seconds)


def _pause_seconds(dossier: Dossier, calendar: WorkCalendar, at: dt.datetime) -> int:
    return max(calendar.working_seconds_between(dossier.paused_at, at), 0) if dossier.paused_at else 0


# --- transitions on in-memory objects (each returns what the caller must save) ---------------

def submit(dossier: Dossier, *, at: dt.datetime) -> None:
    _move(dossier, "submit")
    dossier.submitted_at = at


def receive(dossier: Dossier, *, action: str = "receive", at: dt.datetime, due_at: dt.datetime,
            warn_at: dt.datetime, accountable: Staff | None, current_unit: Unit) -> None:
    """Clock start (counter receipt, or `action="accept"` of an online submission): the steps are
    planned by the caller (`services.intake` / the replay, both with `step_plans`)."""
    _move(dossier, action)
    dossier.received_at = at
    dossier.submitted_at = dossier.submitted_at or at
    dossier.original_due_at = dossier.due_at = due_at
    dossier.warn_at = warn_at
    dossier.accountable = accountable
    dossier.current_unit = current_unit


def refuse(dossier: Dossier, *, action: str = "refuse", at: dt.datetime) -> None:
    _move(dossier, action)
    dossier.submitted_at = dossier.submitted_at or at
    dossier.closed_at = at


def assign(dossier: Dossier, step: DossierStep, *, assignee: Staff) -> Staff | None:
    """The active step to another officer; returns the previous assignee."""
    _move(dossier, "assign")
    previous = step.assignee
    step.assignee = assignee
    return previous


def hand_over(dossier: Dossier, steps: Sequence[DossierStep], *, at: dt.datetime,
              to_staff: Staff | None = None) -> tuple[DossierStep, DossierStep]:
    """Close the active step (early / on time / late against its due time), start the next pending
    one (with `to_staff` if given). Returns (closed step, next step)."""
    check(dossier, "hand_over")
    step = active_step(steps)
    nxt = None
    if step is not None:
        nxt = next((s for s in sorted(steps, key=lambda s: s.order)
                    if s.order > step.order and s.status == StepStatus.PENDING), None)
    if step is None or nxt is None:
        raise NoNextStep
    _close_step(step, at)
    nxt.status = StepStatus.ACTIVE
    nxt.started_at = at
    if to_staff is not None:
        nxt.assignee = to_staff
    _move(dossier, "hand_over")
    dossier.current_unit = nxt.unit
    return step, nxt


def transfer(dossier: Dossier, steps: Sequence[DossierStep], *, to_unit: Unit,
             assignee: Staff | None) -> DossierStep | None:
    """Liên thông: the dossier and its active step move to `to_unit` (the step to `assignee`)."""
    _move(dossier, "transfer")
    step = active_step(steps)
    if step is not None:
        step.unit = to_unit
        step.assignee = assignee
    dossier.current_unit = to_unit
    return step


def request_supplement(dossier: Dossier, *, at: dt.datetime) -> None:
    """Form 02: the clock pauses."""
    _move(dossier, "request_supplement")
    dossier.paused_at = at
    dossier.supplement_count += 1


def complete_supplement(dossier: Dossier, steps: Sequence[DossierStep], *, at: dt.datetime,
                        calendar: WorkCalendar) -> list[DossierStep]:
    """The clock resumes; `due_at`, `warn_at` and every open step's due/warn times move later by the
    working time the pause covered (domain.md §2). Returns the steps changed; the pause length is
    added to `paused_seconds` (the caller reads the difference)."""
    _move(dossier, "complete_supplement")
    paused = _pause_seconds(dossier, calendar, at)
    dossier.due_at = _shift(calendar, dossier.due_at, paused)
    dossier.warn_at = _shift(calendar, dossier.warn_at, paused)
    changed = []
    for step in _open_steps(steps):
        if step.due_at:
            step.due_at = _shift(calendar, step.due_at, paused)
            step.warn_at = _shift(calendar, step.warn_at, paused)
            changed.append(step)
    dossier.paused_seconds += paused
    dossier.paused_at = None
    return changed


def apologize(dossier: Dossier, *, at: dt.datetime, new_due_at: dt.datetime) -> bool:
    """Form 04: a new appointment shown to the applicant; `due_at` never changes (a late dossier
    stays late). Returns False when `new_due_at` is not after both now and the current due date."""
    check(dossier, "apologize")
    if dossier.due_at is None or new_due_at <= max(at, dossier.due_at):
        return False
    _move(dossier, "apologize")
    dossier.apology_due_at = new_due_at
    return True


def finish(dossier: Dossier, steps: Sequence[DossierStep], *, at: dt.datetime, calendar: WorkCalendar,
           clock_start: dt.datetime) -> list[DossierStep]:
    """Result ready: the active step done, pending ones skipped; outcome against `due_at` and the
    processing time from `clock_start` with pauses excluded. Returns the steps changed."""
    _move(dossier, "finish")
    changed = _open_steps(steps)
    for step in changed:
        if step.status == StepStatus.ACTIVE:
            _close_step(step, at)
        else:
            step.status = StepStatus.SKIPPED
    dossier.finished_at = at
    if dossier.due_at is not None:
        dossier.outcome = outcome_for(finished_at=at, due_at=dossier.due_at)
    dossier.processing_seconds = max(calendar.working_seconds_between(clock_start, at) - dossier.paused_seconds, 0)
    return changed


def return_result(dossier: Dossier, *, at: dt.datetime) -> None:
    _move(dossier, "return")
    dossier.returned_at = at


def close(dossier: Dossier, steps: Sequence[DossierStep], *, action: str, at: dt.datetime,
          calendar: WorkCalendar | None) -> list[DossierStep]:
    """Withdrawn or stopped: open steps skipped; a running pause ends and is counted."""
    _move(dossier, action)
    changed = _open_steps(steps)
    for step in changed:
        step.status = StepStatus.SKIPPED
    if dossier.paused_at is not None and calendar is not None:
        dossier.paused_seconds += _pause_seconds(dossier, calendar, at)
    dossier.paused_at = None
    dossier.closed_at = at
    return changed


def reassign(dossier: Dossier, *, accountable: Staff) -> Staff | None:
    _move(dossier, "reassign")
    previous = dossier.accountable
    dossier.accountable = accountable
    return previous
