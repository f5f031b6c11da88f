"""Processing transitions: assignment, hand-over (form 05), transfer (liên thông), supplement
request and completion (form 02), apology (form 04), finish, return, withdrawal, stop and the
accountable officer. Each locks the row, lets `lifecycle` decide and apply the transition to the
in-memory dossier and its open steps, then saves what changed, records the event and the audit row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.org.models import Role, Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.workdays.services import calendar_for

from .. import lifecycle
from ..models import Dossier, EventType, StepStatus
from .common import (
    _audit,
    _default_assignee,
    _event,
    _lock,
    _now,
    _open_steps,
    _require_reason,
    _required,
    _save,
    _save_steps_fields,
    _touch,
    member_ensure,
)
from .planning import clock_start


def dossier_assign(*, dossier: Dossier, assignee: Staff, actor: Staff | None,
                   expected_version: int | None = None) -> Dossier:
    """Give the current step to another officer (of the step's unit or a unit under it)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="assign", expected_version=expected_version)
        step = lifecycle.active_step(_open_steps(dossier))
        if step is None:
            raise Conflict(_("Hồ sơ không có bước đang xử lý."))
        member_ensure(assignee, [step.unit], field="assignee", at=at)
        previous = lifecycle.assign(dossier, step, assignee=assignee)
        step.save(update_fields=["assignee"])
        _save(dossier, [])
        _event(dossier, EventType.ASSIGNED, at=at, actor=actor, step=step, from_staff=previous, to_staff=assignee,
               to_unit=step.unit)
        _audit("assign", dossier, actor=actor, at=at, step=step.order, assignee=assignee.code)
        _touch(dossier)
    return dossier


def dossier_hand_over(*, dossier: Dossier, actor: Staff | None, to_staff: Staff | None = None, note: str = "",
                      expected_version: int | None = None) -> Dossier:
    """Finish the current step (recording early / on time / late against its due time) and start
    the next one with `to_staff` (default: the planned assignee). The control sheet (form 05)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="hand_over", expected_version=expected_version)
        steps = _open_steps(dossier)
        if lifecycle.active_step(steps) is None:
            raise Conflict(_("Hồ sơ không có bước đang xử lý."))
        try:
            nxt_unit = next(s.unit for s in steps if s.status == StepStatus.PENDING)
        except StopIteration:
            raise Conflict(_("Đây là bước cuối cùng: hãy ghi nhận có kết quả."), code="last_step") from None
        if to_staff is not None:
            member_ensure(to_staff, [nxt_unit], field="to_staff", at=at)
        try:
            step, nxt = lifecycle.hand_over(dossier, steps, at=at, to_staff=to_staff)
        except lifecycle.NoNextStep:
            raise Conflict(_("Đây là bước cuối cùng: hãy ghi nhận có kết quả."), code="last_step") from None
        step.save(update_fields=["status", "finished_at", "outcome"])
        nxt.save(update_fields=["status", "started_at", "assignee"])
        _save(dossier, ["status", "current_unit"])
        _event(dossier, EventType.HANDED_OVER, at=at, actor=actor, step=step, from_unit=step.unit, to_unit=nxt.unit,
               from_staff=step.assignee, to_staff=nxt.assignee, reason=note.strip(),
               data={"outcome": step.outcome, "from_step": step.order, "to_step": nxt.order})
        _audit("hand_over", dossier, actor=actor, at=at, step=step.order, outcome=step.outcome,
               to=nxt.assignee.code if nxt.assignee else None)
        _touch(dossier)
    return dossier


def dossier_transfer(*, dossier: Dossier, to_unit: Unit, actor: Staff | None, reason: str = "",
                     to_staff: Staff | None = None, expected_version: int | None = None) -> Dossier:
    """Interconnected procedure (liên thông): the dossier moves to another unit for its part; the
    active step goes there too. The accountable officer stays the same unless the unit changes it."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="transfer", expected_version=expected_version)
        if to_unit.pk == dossier.current_unit_id:
            raise ValidationFailed(_("Hồ sơ đang ở đơn vị này."), details={"field": "to_unit"})
        if to_staff is not None:
            member_ensure(to_staff, [to_unit], field="to_staff", at=at)
        steps = _open_steps(dossier)
        active = lifecycle.active_step(steps)
        assignee = to_staff
        if active is not None and assignee is None:
            assignee = _default_assignee(to_unit, active.role or Role.OFFICER)
        from_unit = dossier.current_unit
        step = lifecycle.transfer(dossier, steps, to_unit=to_unit, assignee=assignee)
        if step is not None:
            step.save(update_fields=["unit", "assignee"])
        _save(dossier, ["current_unit", "status"])
        _event(dossier, EventType.TRANSFERRED, at=at, actor=actor, step=step, from_unit=from_unit, to_unit=to_unit,
               to_staff=step.assignee if step else to_staff, reason=(reason or "").strip())
        _audit("transfer", dossier, actor=actor, at=at, to_unit=to_unit.code, reason=reason)
        _touch(dossier)
    return dossier


def dossier_request_supplement(*, dossier: Dossier, reason: str, actor: Staff | None,
                               expected_version: int | None = None) -> Dossier:
    """Form 02: ask the applicant for missing documents. The clock pauses until completion."""
    at = _now()
    reason = _require_reason(reason)
    with transaction.atomic():
        dossier = _lock(dossier, action="request_supplement", expected_version=expected_version)
        lifecycle.request_supplement(dossier, at=at)
        _save(dossier, ["status", "paused_at", "supplement_count"])
        _event(dossier, EventType.SUPPLEMENT_REQUESTED, at=at, actor=actor, reason=reason,
               data={"supplement_count": dossier.supplement_count})
        _audit("request_supplement", dossier, actor=actor, at=at, reason=reason, count=dossier.supplement_count)
        _touch(dossier)
    return dossier


def dossier_complete_supplement(*, dossier: Dossier, actor: Staff | None, note: str = "",
                                expected_version: int | None = None) -> Dossier:
    """The applicant supplied what was asked: the clock resumes and the appointment (and every
    open step's due time) moves later by the working time the pause covered (domain.md §2)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="complete_supplement", expected_version=expected_version)
        _required(dossier.due_at, "due_at")
        old_due, old_paused = dossier.due_at, dossier.paused_seconds
        changed = lifecycle.complete_supplement(dossier, _open_steps(dossier), at=at, calendar=calendar_for(dossier.unit))
        _save_steps_fields(changed, ["due_at", "warn_at"])
        paused = dossier.paused_seconds - old_paused
        _save(dossier, ["status", "paused_at", "paused_seconds", "due_at", "warn_at"])
        _event(dossier, EventType.SUPPLEMENT_COMPLETED, at=at, actor=actor, reason=note.strip(), new_due_at=dossier.due_at,
               data={"paused_seconds": paused})
        _audit("complete_supplement", dossier, actor=actor, at=at, paused_seconds=paused, due_from=old_due,
               due_to=dossier.due_at)
        _touch(dossier)
    return dossier


def dossier_apologize(*, dossier: Dossier, reason: str, new_due_at: dt.datetime, actor: Staff | None,
                      expected_version: int | None = None) -> Dossier:
    """Form 04: apology letter with the reason and a new appointment, shown to the applicant.
    It does not change `due_at`: a dossier finished after its appointment stays late."""
    at = _now()
    reason = _require_reason(reason)
    if new_due_at.tzinfo is None:
        raise ValidationFailed(_("Thời điểm phải có múi giờ."), details={"field": "new_due_at"})
    with transaction.atomic():
        dossier = _lock(dossier, action="apologize", expected_version=expected_version)
        _required(dossier.due_at, "due_at")
        if not lifecycle.apologize(dossier, at=at, new_due_at=new_due_at):
            raise ValidationFailed(_("Ngày hẹn mới phải sau ngày hẹn hiện tại và sau thời điểm này."),
                                   details={"field": "new_due_at"})
        _save(dossier, ["apology_due_at"])
        _event(dossier, EventType.APOLOGIZED, at=at, actor=actor, reason=reason, new_due_at=new_due_at)
        _audit("apologize", dossier, actor=actor, at=at, reason=reason, new_due_at=new_due_at)
        _touch(dossier)
    return dossier


def dossier_finish(*, dossier: Dossier, actor: Staff | None, digitized_result: bool | None = None, note: str = "",
                   expected_version: int | None = None) -> Dossier:
    """Result ready: outcome early / on time / late against `due_at` (after supplement shifts)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="finish", expected_version=expected_version)
        _required(dossier.due_at, "due_at")
        calendar = calendar_for(dossier.unit)
        start = clock_start(procedure=dossier.procedure, calendar=calendar,
                            at=_required(dossier.received_at, "received_at"))
        changed = lifecycle.finish(dossier, _open_steps(dossier), at=at, calendar=calendar, clock_start=start)
        _save_steps_fields(changed, ["status", "finished_at", "outcome"])
        if digitized_result is not None:
            dossier.digitized_result = digitized_result
        _save(dossier, ["status", "finished_at", "outcome", "processing_seconds", "digitized_result"])
        _event(dossier, EventType.FINISHED, at=at, actor=actor, reason=note.strip(), data={"outcome": dossier.outcome})
        _audit("finish", dossier, actor=actor, at=at, outcome=dossier.outcome)
        _touch(dossier)
    return dossier


def dossier_return(*, dossier: Dossier, actor: Staff | None, expected_version: int | None = None) -> Dossier:
    """The result is handed to the applicant."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="return", expected_version=expected_version)
        if at < _required(dossier.finished_at, "finished_at"):
            raise ValidationFailed(_("Thời điểm trả kết quả phải sau khi có kết quả."))
        lifecycle.return_result(dossier, at=at)
        _save(dossier, ["status", "returned_at"])
        _event(dossier, EventType.RETURNED, at=at, actor=actor)
        _audit("return", dossier, actor=actor, at=at)
        _touch(dossier)
    return dossier


def _close(dossier: Dossier, *, action: str, reason: str, actor: Staff | None,
           expected_version: int | None) -> Dossier:
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action=action, expected_version=expected_version)
        calendar = calendar_for(dossier.unit) if dossier.paused_at and dossier.received_at else None
        changed = lifecycle.close(dossier, _open_steps(dossier), action=action, at=at, calendar=calendar)
        _save_steps_fields(changed, ["status"])
        _save(dossier, ["status", "closed_at", "paused_at", "paused_seconds"])
        event = lifecycle.EVENT_OF[action]
        _event(dossier, event, at=at, actor=actor, reason=reason)
        _audit(event, dossier, actor=actor, at=at, reason=reason)
        _touch(dossier)
    return dossier


def dossier_withdraw(*, dossier: Dossier, reason: str, actor: Staff | None,
                     expected_version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier (before the result)."""
    return _close(dossier, action="withdraw", reason=_require_reason(reason), actor=actor,
                  expected_version=expected_version)


def dossier_stop(*, dossier: Dossier, reason: str, actor: Staff | None, expected_version: int | None = None) -> Dossier:
    """Processing stops (e.g. the applicant did not supplement in time); reason required."""
    return _close(dossier, action="stop", reason=_require_reason(reason), actor=actor,
                  expected_version=expected_version)


def dossier_reassign_accountable(*, dossier: Dossier, accountable: Staff, actor: Staff | None, reason: str = "",
                                 expected_version: int | None = None) -> Dossier:
    """Change the one accountable officer: by a head or deputy of the deciding or current unit, to
    someone with a membership in force in one of them (or a unit under it)."""
    at = _now()
    if actor is not None and actor.user is not None:
        scope = scope_for(actor.user)
        if not (scope.manages(dossier.unit_id) or scope.manages(dossier.current_unit_id)):
            raise Forbidden(_("Chỉ lãnh đạo đơn vị mới được đổi cán bộ chịu trách nhiệm."))
    with transaction.atomic():
        dossier = _lock(dossier, action="reassign", expected_version=expected_version)
        member_ensure(accountable, [dossier.unit, dossier.current_unit], field="accountable", at=at)
        if dossier.accountable_id == accountable.pk:
            raise ValidationFailed(_("Cán bộ này đang chịu trách nhiệm hồ sơ."), details={"field": "accountable"})
        previous = lifecycle.reassign(dossier, accountable=accountable)
        _save(dossier, ["accountable"])
        _event(dossier, EventType.REASSIGNED, at=at, actor=actor, from_staff=previous, to_staff=accountable,
               reason=(reason or "").strip())
        _audit("reassign_accountable", dossier, actor=actor, at=at, to=accountable.code,
               previous=previous.code if previous else None)
        _touch(dossier)
    return dossier
