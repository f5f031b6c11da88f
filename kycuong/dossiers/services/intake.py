"""Intake: counter receipt (form 01), refusal at the counter (form 03), online submission, and the
acceptance or refusal of a submission — the code, the appointment, the steps and the accountable
officer. Status changes go through `lifecycle` (receive / refuse_intake / submit / accept / refuse)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from kycuong.core.errors import ValidationFailed
from kycuong.org.models import Role, Staff, Unit
from kycuong.procedures.models import Procedure, ProcedureStep
from kycuong.workdays.engine import OutOfRange, WorkCalendar
from kycuong.workdays.services import calendar_for

from .. import lifecycle
from ..models import Channel, Dossier, DossierSequence, DossierStep, EventType, FeePayment, StepStatus
from .common import (
    _audit,
    _candidates,
    _check_procedure_unit,
    _clean_applicant,
    _event,
    _lock,
    _now,
    _pick,
    _procedure_steps,
    _require_reason,
    _save,
    _touch,
    step_unit_for,
)
from .planning import (
    clock_start,
    code_format,
    local_day,
    procedure_due_at,
    secret_new,
    step_plans,
    warn_at_for,
)

#: One statement for the next number (PostgreSQL and SQLite ≥ 3.35 both have ON CONFLICT … RETURNING).
SEQUENCE_UPSERT = ('INSERT INTO {table} ("unit_id", "day", "last") VALUES (%s, %s, 1) '
                   'ON CONFLICT ("unit_id", "day") DO UPDATE SET "last" = {table}."last" + 1 RETURNING "last"')


def dossier_code_next(*, unit: Unit, day: dt.date) -> str:
    """Next `<unit code>-YYMMDD-NNNN` for `unit` on `day`, in one statement: an upsert on the
    (unit, day) unique row that increments it and returns the number. The row stays locked until
    the caller's transaction ends, so concurrent receipts never share a code (take it last)."""
    table = connection.ops.quote_name(DossierSequence._meta.db_table)
    sql = SEQUENCE_UPSERT.format(table=table)
    with connection.cursor() as cursor:
        cursor.execute(sql, [unit.pk, connection.ops.adapt_datefield_value(day)])
        number = cursor.fetchone()[0]
    return code_format(unit_code=unit.code, day=day, number=number)


def _due_at(*, calendar: WorkCalendar, procedure: Procedure, at: dt.datetime) -> dt.datetime:
    """`due_at_compute` on an already loaded calendar (no second calendar lookup)."""
    if procedure.processing_value < 0:
        raise ValidationFailed(_("Thời hạn giải quyết không được âm."))
    try:
        return procedure_due_at(procedure=procedure, calendar=calendar, at=at)
    except OutOfRange as exc:
        raise ValidationFailed(_("Thời điểm nằm ngoài phạm vi lịch (2015–2040).")) from exc


def _code_claim(*, unit: Unit, day: dt.date) -> str:
    """Take the next code in its own short transaction, so the sequence row is locked only for one
    upsert (not for the dossier's inserts and their commit): concurrent receipts at one counter no
    longer queue behind each other's commit. Inside a caller's transaction (imports, tests) it is
    simply part of that transaction.

    On PostgreSQL this tiny transaction commits asynchronously (no wait for the WAL flush while the
    row is locked). That is safe: the dossier that uses the code commits synchronously afterwards,
    and flushing its commit record flushes every earlier WAL record, the counter's included. So any
    durable dossier has a durable counter, and a number is never issued twice. A failure between the
    two transactions (not bad input: that is refused before) leaves a gap in the day's numbers."""
    if connection.in_atomic_block:
        return dossier_code_next(unit=unit, day=day)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        return dossier_code_next(unit=unit, day=day)


def _plan_processing(dossier: Dossier, *, action: str, at: dt.datetime, received_by: Staff | None,
                     accountable: Staff | None, due_at: dt.datetime | None = None,
                     procedure_steps: Sequence[ProcedureStep] | None = None) -> list[DossierStep]:
    """Clock start (`action` receive or accept): due_at, steps (unsaved) with due times and assignees,
    accountable officer. Reads only, so callers can take the code sequence lock afterwards."""
    procedure = dossier.procedure
    calendar = calendar_for(dossier.unit)  # once per service call: one revision query
    if procedure_steps is None:
        procedure_steps = list(procedure.steps.all().order_by("order"))
    if due_at is None:
        due_at = _due_at(calendar=calendar, procedure=procedure, at=at)
    start = clock_start(procedure=procedure, calendar=calendar, at=at)
    plans = step_plans(procedure=procedure, steps=procedure_steps, calendar=calendar, start=start, due_at=due_at)
    memo: dict[str, Unit] = {}
    units = [step_unit_for(unit_kind=p.unit_kind, unit=dossier.unit, received_unit=dossier.received_unit, memo=memo)
             for p in plans]
    # Assignees of every step (and whether the receiver belongs to the first step's unit): one query.
    first_self = bool(plans) and received_by is not None and plans[0].role in ("", Role.ONE_STOP_OFFICER)
    candidates = _candidates([(u, p.role) for p, u in zip(plans, units, strict=True) if not (p.order == 1 and first_self)],
                             member=(received_by, units[0]) if received_by is not None and plans and not first_self else None)
    steps = []
    total = sum(p.allotted_seconds for p in plans)
    for plan, step_unit in zip(plans, units, strict=True):
        assignee = None
        if plan.order == 1 and received_by is not None and (
                first_self or any(c.pk == received_by.pk and c._unit_id == step_unit.pk for c in candidates)):
            assignee = received_by
        if assignee is None:
            assignee = _pick(candidates, step_unit, plan.role)
        steps.append(DossierStep(order=plan.order, name=plan.name, role=plan.role, unit=step_unit,
                                 assignee=assignee, allotted_seconds=plan.allotted_seconds, due_at=plan.due_at,
                                 status=StepStatus.ACTIVE if plan.order == 1 else StepStatus.PENDING,
                                 started_at=at if plan.order == 1 else None,
                                 warn_at=warn_at_for(calendar=calendar, due_at=plan.due_at,
                                                     total_seconds=plan.allotted_seconds)))
    if accountable is None:
        # "Một việc – một đầu mối": the officer of the main processing step, else the receiver.
        main = next((s for s in steps if s.role == Role.OFFICER and s.assignee is not None), None)
        accountable = main.assignee if main else (received_by or next((s.assignee for s in steps if s.assignee), None))
    lifecycle.receive(dossier, action=action, at=at, due_at=due_at,
                      warn_at=warn_at_for(calendar=calendar, due_at=due_at, total_seconds=total),
                      accountable=accountable, current_unit=steps[0].unit if steps else dossier.unit)
    return steps


def _save_steps(dossier: Dossier, steps: list[DossierStep]) -> None:
    for step in steps:
        step.dossier = dossier
    DossierStep.objects.bulk_create(steps)


def _new_dossier(*, procedure: Procedure, unit: Unit, received_unit: Unit, applicant: dict[str, Any], at: dt.datetime,
                 channel: str, fee_payment: str, form_data: dict[str, Any] | None, digitized_input: bool,
                 code: str | None = None, listed: tuple[bool, bool] | None = None) -> Dossier:
    if channel not in Channel.values:
        raise ValidationFailed(_("Hình thức nộp không hợp lệ."), details={"field": "channel"})
    if fee_payment not in FeePayment.values:
        raise ValidationFailed(_("Hình thức thanh toán phí không hợp lệ."), details={"field": "fee_payment"})
    clean = _clean_applicant(applicant)
    _check_procedure_unit(procedure, unit, listed=listed)
    return Dossier(
        code=code or "", procedure=procedure, unit=unit, received_unit=received_unit, current_unit=received_unit,
        channel=channel, status=lifecycle.NEW, applicant_name=clean["name"], applicant_id_number=clean["id_number"],
        applicant_phone=clean["phone"], applicant_email=clean["email"], applicant_address=clean["address"],
        form_data=form_data or {}, secret=secret_new(), fee_amount=procedure.fee,
        fee_payment=fee_payment,
        digitized_input=digitized_input,
    )


def dossier_receive(
    *,
    procedure: Procedure,
    unit: Unit,
    received_unit: Unit,
    applicant: dict[str, Any],
    received_by: Staff | None,
    channel: str = Channel.COUNTER,
    fee_payment: str = FeePayment.NONE,
    form_data: dict[str, Any] | None = None,
    digitized_input: bool = False,
    accountable: Staff | None = None,
    code: str | None = None,
    due_at: dt.datetime | None = None,
) -> Dossier:
    """Receive a dossier at a counter (form 01): code, appointment, steps, accountable officer.

    `unit` is the deciding unit (Decree 118/2025: routed by the deciding authority, whatever the
    reception point); the code uses the receiving unit's code and the local receipt date."""
    at = _now()
    # Reads first, no lock (procedure steps + unit check, calendar revision, assignees: three queries);
    # bad input stops here and changes nothing.
    procedure_steps, listed = _procedure_steps(procedure, unit)
    dossier = _new_dossier(procedure=procedure, unit=unit, received_unit=received_unit, applicant=applicant, at=at,
                           channel=channel, fee_payment=fee_payment, form_data=form_data,
                           digitized_input=digitized_input, code=code, listed=listed)
    steps = _plan_processing(dossier, action="receive", at=at, received_by=received_by, accountable=accountable, due_at=due_at,
                             procedure_steps=procedure_steps)
    # Then the number (the sequence row is locked only for its own short transaction) ...
    dossier.code = dossier.code or _code_claim(unit=received_unit, day=local_day(at))
    # ... and the writes: four INSERTs in one transaction.
    with transaction.atomic():
        dossier.save(force_insert=True)
        _save_steps(dossier, steps)
        _event(dossier, EventType.RECEIVED, at=at, actor=received_by, to_unit=unit,
               to_staff=dossier.accountable, new_due_at=dossier.due_at)
        _audit("receive", dossier, actor=received_by, at=at, code=dossier.code, procedure=procedure.code,
               due_at=dossier.due_at)
        _touch(dossier)
    return dossier


def dossier_refuse_intake(
    *,
    procedure: Procedure,
    unit: Unit,
    received_unit: Unit,
    applicant: dict[str, Any],
    reason: str,
    refused_by: Staff | None,
    channel: str = Channel.COUNTER,
) -> Dossier:
    """Refuse to receive at the counter (form 03): a REFUSED record with code and reason."""
    at = _now()
    reason = _require_reason(reason)
    dossier = _new_dossier(procedure=procedure, unit=unit, received_unit=received_unit, applicant=applicant, at=at,
                           channel=channel, fee_payment=FeePayment.NONE, form_data=None, digitized_input=False)
    lifecycle.refuse(dossier, action="refuse_intake", at=at)
    dossier.code = _code_claim(unit=received_unit, day=local_day(at))
    with transaction.atomic():
        dossier.save(force_insert=True)
        _event(dossier, EventType.REFUSED, at=at, actor=refused_by, reason=reason)
        _audit("refuse_intake", dossier, actor=refused_by, at=at, reason=reason)
        _touch(dossier)
    return dossier


def dossier_submit(
    *,
    procedure: Procedure,
    unit: Unit,
    applicant: dict[str, Any],
    fee_payment: str = FeePayment.NONE,
    form_data: dict[str, Any] | None = None,
    channel: str = Channel.ONLINE,
) -> Dossier:
    """An online (or postal) submission: SUBMITTED with a code; the clock starts at acceptance."""
    at = _now()
    dossier = _new_dossier(procedure=procedure, unit=unit, received_unit=unit, applicant=applicant, at=at,
                           channel=channel, fee_payment=fee_payment, form_data=form_data, digitized_input=True)
    lifecycle.submit(dossier, at=at)
    dossier.code = _code_claim(unit=unit, day=local_day(at))
    with transaction.atomic():
        dossier.save(force_insert=True)
        _event(dossier, EventType.SUBMITTED, at=at, actor=None, to_unit=unit)
        _audit("submit", dossier, actor=None, at=at, code=dossier.code, procedure=procedure.code)
        _touch(dossier)
    return dossier


def dossier_accept(*, dossier: Dossier, accepted_by: Staff | None,
                   accountable: Staff | None = None, expected_version: int | None = None) -> Dossier:
    """Accept an online submission: SUBMITTED → RECEIVED, the clock starts now."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, action="accept", expected_version=expected_version)
        _save_steps(dossier, _plan_processing(dossier, action="accept", at=at, received_by=accepted_by,
                                              accountable=accountable))
        _save(dossier, ["status", "received_at", "original_due_at", "due_at", "warn_at", "accountable", "current_unit"])
        _event(dossier, EventType.RECEIVED, at=at, actor=accepted_by, to_unit=dossier.unit,
               to_staff=dossier.accountable, new_due_at=dossier.due_at)
        _audit("accept", dossier, actor=accepted_by, at=at, due_at=dossier.due_at)
        _touch(dossier)
    return dossier


def dossier_refuse(*, dossier: Dossier, reason: str, refused_by: Staff | None,
                   expected_version: int | None = None) -> Dossier:
    """Refuse an online submission with a reason (form 03)."""
    at = _now()
    reason = _require_reason(reason)
    with transaction.atomic():
        dossier = _lock(dossier, action="refuse", expected_version=expected_version)
        lifecycle.refuse(dossier, at=at)
        _save(dossier, ["status", "closed_at"])
        _event(dossier, EventType.REFUSED, at=at, actor=refused_by, reason=reason)
        _audit("refuse", dossier, actor=refused_by, at=at, reason=reason)
        _touch(dossier)
    return dossier
