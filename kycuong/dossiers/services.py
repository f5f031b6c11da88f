"""Dossier life cycle (domain.md §2–§3): every transition is a keyword-only, atomic, audited
service with an actor (Staff) and a time, checking the expected state.

Rules implemented here (and nowhere else — demo and import reuse the pure helpers):
- code `<unit code>-YYMMDD-NNNN` from a per-unit-per-day DossierSequence row (one upsert, the row
  locked only for its own short transaction: `_code_claim`);
- the appointment `due_at` = receipt + processing time in the deciding unit's working time,
  with the afternoon cut-off (procedure's, default 15:00) — kycuong.workdays.services.due_at_compute;
- steps from the procedure's internal process ("5 rõ"), each with unit, assignee, a share of the
  total time and its own due time; one accountable officer for the whole dossier;
- a supplement request (form 02) pauses the clock; completing it moves `due_at` (and every open
  step's due time) later by the working time the pause covered;
- an apology (form 04) records a reason and a new appointment but never makes a late dossier on time;
- outcome: early = finished on a working day before the appointment day; late = after `due_at`;
  otherwise on time. (The national scorecard additionally counts > 1 supplement request as late;
  that rule is applied by the scorecard from `supplement_count`, not folded into `outcome`.)

Every transition locks the dossier row, refuses a status it does not expect (Conflict) and, when
`expected_version` is given, a dossier that changed since the caller read it (Conflict).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection, transaction
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.hooks import unit_activity_send
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Role, Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.procedures.models import Procedure, ProcedureStep, TimeUnit
from kycuong.workdays.engine import DEFAULT_CUTOFF, OutOfRange, WorkCalendar
from kycuong.workdays.services import calendar_for, due_at_compute  # noqa: F401 (due_at_compute re-exported for views)

from .models import (
    OPEN_STATUSES,
    Channel,
    Dossier,
    DossierEvent,
    DossierSequence,
    DossierStep,
    EventType,
    FeePayment,
    RatingLevel,
    Status,
    StepStatus,
)
from .selectors import in_force_q
from .timeliness import outcome_for  # noqa: F401 (re-exported: replay and other apps use it here)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _StepUnits(TypedDict):
    """Annotations of `_procedure_steps`: the procedure lists units / lists this unit."""

    _has_units: bool
    _unit_listed: bool


class _Membership(TypedDict):
    """Annotations of `_candidates`: one membership of the staff member and their active steps."""

    _unit_id: int
    _role: str
    load: int


def _required(value: dt.datetime | None, field: str) -> dt.datetime:
    """A timestamp the dossier's status guarantees (received_at / due_at once received,
    finished_at once the result is ready); a missing one is corrupt data, not bad input."""
    if value is None:
        raise Conflict(_("Hồ sơ thiếu dữ liệu thời hạn (%(field)s).") % {"field": field})
    return value

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
APPLICANT_KEYS = {"name", "id_number", "phone", "email", "address"}


# --- pure helpers (shared with demo and import) ---------------------------------------------

def secret_new() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(8))


def code_format(*, unit_code: str, day: dt.date, number: int) -> str:
    return f"{unit_code}-{day:%y%m%d}-{number:04d}"


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def procedure_cutoff(procedure: Procedure) -> dt.time:
    return procedure.cutoff or DEFAULT_CUTOFF


def procedure_due_at(*, procedure: Procedure, calendar: WorkCalendar, at: dt.datetime) -> dt.datetime:
    """The appointment for a receipt at `at`: the procedure's processing time on the deciding
    unit's calendar, with its afternoon cut-off (domain.md §2). Services, import replay and the
    demo all compute due dates here, so they cannot drift apart."""
    return calendar.due_at(at, value=float(procedure.processing_value), unit=procedure.processing_unit,
                           cutoff=procedure_cutoff(procedure))


def clock_start(*, procedure: Procedure, calendar: WorkCalendar, at: dt.datetime) -> dt.datetime:
    """When the clock starts for a receipt at `at` (cut-off for day-based times only)."""
    if procedure.processing_unit == TimeUnit.WORKING_HOURS:
        return calendar.next_working_moment(at)
    return calendar.clock_start(at, cutoff=procedure_cutoff(procedure))


@dataclass(frozen=True)
class StepPlan:
    order: int
    name: str
    role: str
    unit_kind: str
    share: Decimal
    allotted_seconds: int
    due_at: dt.datetime


def step_plans(*, procedure: Procedure, steps: Iterable[Any], calendar: WorkCalendar, start: dt.datetime,
               due_at: dt.datetime) -> list[StepPlan]:
    """Split the working time between clock start and due_at by the steps' shares; the last step's
    due time is the dossier's appointment. Without steps: one "Xử lý hồ sơ" step."""
    steps = list(steps)
    if not steps:
        return [StepPlan(1, _("Xử lý hồ sơ"), Role.OFFICER, "", Decimal(1),
                         max(calendar.working_seconds_between(start, due_at), 0), due_at)]
    total = max(calendar.working_seconds_between(start, due_at), 0)
    share_sum = sum((Decimal(s.share) for s in steps), Decimal(0)) or Decimal(len(steps))
    plans: list[StepPlan] = []
    cumulative = Decimal(0)
    used = 0
    for i, s in enumerate(steps):
        share = Decimal(s.share) if share_sum else Decimal(1)
        cumulative += share
        if i == len(steps) - 1:
            upto, step_due = total, due_at
        else:
            upto = int(round(total * cumulative / share_sum))
            step_due = calendar.add_working_seconds(start, upto) if upto > 0 else calendar.next_working_moment(start)
        plans.append(StepPlan(i + 1, s.name, s.role, s.unit_kind or "", share, upto - used, step_due))
        used = upto
    return plans


WARN_SHARE = 0.8


def warn_at_for(*, calendar: WorkCalendar, due_at: dt.datetime, total_seconds: int) -> dt.datetime:
    """The moment `WARN_SHARE` (80 %) of `total_seconds` of working time ending at `due_at` is used."""
    remaining = round(total_seconds * (1 - WARN_SHARE))
    if remaining <= 0:
        return due_at
    return calendar.from_ordinal(max(calendar.ordinal(due_at) - remaining, 0), at_end=True)


def processing_seconds_for(*, calendar: WorkCalendar, start: dt.datetime, finished_at: dt.datetime, paused: int) -> int:
    return max(calendar.working_seconds_between(start, finished_at) - paused, 0)


# --- internal -------------------------------------------------------------------------------

def _now() -> dt.datetime:
    """Every transition happens now, by the server's clock (issue 10: a client cannot backdate or
    postdate a receipt, a finish or any other event). Histories with their own times come only
    through the bounded import replay (replay.py / interchange.py)."""
    return timezone.now()


def _user(actor: Staff | None) -> Any:
    return actor.user if actor is not None else None


def _lock(dossier: Dossier, *, allowed: Iterable[str], expected_version: int | None) -> Dossier:
    locked = Dossier.objects.select_for_update().select_related("procedure", "unit").get(pk=dossier.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(_("Hồ sơ %(code)s vừa được người khác cập nhật. Hãy tải lại trang rồi thực hiện lại.")
                       % {"code": locked.code}, code="stale", details={"version": locked.version})
    allowed = tuple(allowed)
    if locked.status not in allowed:
        raise Conflict(
            _("Không thể thực hiện với hồ sơ %(code)s đang ở trạng thái “%(status)s”.")
            % {"code": locked.code, "status": locked.get_status_display()},
            code="invalid_transition", details={"status": locked.status},
        )
    return locked


def _save(dossier: Dossier, fields: list[str]) -> None:
    dossier.version += 1
    dossier.save(update_fields=[*fields, "version", "updated_at"])


def _event(dossier: Dossier, type_: str, *, at: dt.datetime, actor: Staff | None, **kw: Any) -> DossierEvent:
    return DossierEvent.objects.create(dossier=dossier, type=type_, at=at, actor=actor, **kw)


def _audit(action: str, dossier: Dossier, *, actor: Staff | None, at: dt.datetime, **changes: Any) -> None:
    """The audit row carries the audit log's own (server) time; `at` is the same moment, by `_now()`."""
    audit_record(action=f"dossier.{action}", obj=dossier, actor=_user(actor), unit_id=dossier.unit_id,
                 changes={"status": dossier.status, "version": dossier.version, **changes})


def _touch(dossier: Dossier) -> None:
    """Near-real-time scorecard: mark the deciding unit's running week/month dirty (on commit)."""
    unit_activity_send(unit_id=dossier.unit_id, source="dossiers")


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Phải nêu lý do."), details={"field": "reason"})
    return reason


def _clean_applicant(applicant: dict[str, Any]) -> dict[str, str]:
    if not isinstance(applicant, dict):
        raise ValidationFailed(_("Thông tin người nộp không hợp lệ."))
    unknown = set(applicant) - APPLICANT_KEYS
    if unknown:
        raise ValidationFailed(_("Trường không được hỗ trợ: %(f)s") % {"f": ", ".join(sorted(unknown))})
    clean = {k: str(applicant.get(k) or "").strip() for k in APPLICANT_KEYS}
    if not clean["name"]:
        raise ValidationFailed(_("Phải nhập họ tên người nộp hồ sơ."), details={"field": "name"})
    if clean["id_number"] and not (clean["id_number"].isdigit() and len(clean["id_number"]) in (9, 12)):
        raise ValidationFailed(_("Số định danh cá nhân phải gồm 12 chữ số (hoặc CMND 9 số)."), details={"field": "id_number"})
    if clean["phone"] and not (clean["phone"].replace("+", "").isdigit() and 9 <= len(clean["phone"]) <= 12):
        raise ValidationFailed(_("Số điện thoại không hợp lệ."), details={"field": "phone"})
    return clean


def _check_procedure_unit(procedure: Procedure, unit: Unit, *, listed: tuple[bool, bool] | None = None) -> None:
    """The procedure is active and `unit` decides it. `listed` = (procedure has explicit units,
    `unit` is one of them) when the caller already read it (`_procedure_steps`), else one query."""
    if not procedure.is_active:
        raise ValidationFailed(_("Thủ tục %(code)s không còn áp dụng.") % {"code": procedure.code})
    if listed is None:
        units = list(procedure.units.values_list("id", flat=True))
        listed = (bool(units), unit.pk in units)
    has_units, unit_listed = listed
    if has_units:
        if not unit_listed:
            raise ValidationFailed(_("%(unit)s không giải quyết thủ tục này.") % {"unit": unit.name}, details={"field": "unit"})
    elif procedure.deciding_unit_kinds and unit.kind not in procedure.deciding_unit_kinds:
        raise ValidationFailed(_("%(unit)s không giải quyết thủ tục này.") % {"unit": unit.name}, details={"field": "unit"})


def _procedure_steps(procedure: Procedure, unit: Unit) -> tuple[list[WithAnnotations[ProcedureStep, _StepUnits]],
                                                               tuple[bool, bool]]:
    """The procedure's internal steps in order and (has explicit units, `unit` is one of them), in
    one query (the unit check rides on every step row; a procedure without steps costs a second)."""
    units = Procedure.units.through.objects.filter(procedure_id=procedure.pk)
    steps = list(ProcedureStep.objects.filter(procedure_id=procedure.pk).order_by("order").annotate(
        _has_units=Exists(units), _unit_listed=Exists(units.filter(unit_id=unit.pk))))
    if steps:
        return steps, (steps[0]._has_units, steps[0]._unit_listed)
    ids = list(units.values_list("unit_id", flat=True))
    return [], (bool(ids), unit.pk in ids)


def step_unit_for(*, unit_kind: str, unit: Unit, received_unit: Unit, memo: dict[str, Unit] | None = None) -> Unit:
    """A step's unit: blank kind → the deciding unit; the receiving unit's kind → the receiving unit;
    otherwise the nearest unit of that kind under the deciding unit (an office), else the deciding unit.
    `memo` (per call) keeps one lookup per kind."""
    if not unit_kind or unit_kind == unit.kind:
        return unit
    if unit_kind == received_unit.kind:
        return received_unit
    if memo is not None and unit_kind in memo:
        return memo[unit_kind]
    child = Unit.objects.filter(path__startswith=unit.path, kind=unit_kind).order_by("depth", "id").first()
    if memo is not None:
        memo[unit_kind] = child or unit
    return child or unit


def _assignee_roles(role: str) -> tuple[str, ...]:
    if role == Role.HEAD:
        return (Role.HEAD, Role.DEPUTY)
    return (role,) if role else (Role.OFFICER,)


def _active_load() -> Any:
    """Number of active steps of the staff member of the outer row (correlated subquery)."""
    return Coalesce(Subquery(
        DossierStep.objects.filter(assignee_id=OuterRef("pk"), status=StepStatus.ACTIVE).order_by()
        .values("assignee_id").annotate(n=Count("*")).values("n")[:1], output_field=IntegerField()), Value(0))


def _candidates(wanted: Iterable[tuple[Unit, str]], *,
                member: tuple[Staff, Unit] | None = None) -> list[WithAnnotations[Staff, _Membership]]:
    """Every active staff member holding one of the wanted (unit, role) memberships, with their
    active-step `load` and the membership in `_unit_id` / `_role` (one row per membership), plus
    the memberships of `member`'s staff in `member`'s unit: one query for all the steps of a dossier."""
    wanted = list(wanted)
    if not wanted and member is None:
        return []
    today = local_day(timezone.now())
    cond = Q()
    for unit_id in {u.pk for u, _r in wanted}:
        roles = sorted({r for u, role in wanted if u.pk == unit_id for r in _assignee_roles(role)})
        cond |= Q(Q(is_active=True, memberships__unit_id=unit_id, memberships__role__in=roles)
                  & in_force_q(today, "memberships__"))
    if member is not None:
        cond |= Q(pk=member[0].pk, memberships__unit_id=member[1].pk)
    return list(Staff.objects.filter(cond).annotate(_unit_id=F("memberships__unit_id"), _role=F("memberships__role"),
                                                    load=_active_load()))


def _pick(candidates: list[WithAnnotations[Staff, _Membership]], unit: Unit, role: str) -> Staff | None:
    """The active staff member of `unit` in `role` with the fewest active steps (load balancing)."""
    roles = _assignee_roles(role)
    fit = [c for c in candidates if c.is_active and c._unit_id == unit.pk and c._role in roles]
    return min(fit, key=lambda c: (c.load, c.pk), default=None)


def _default_assignee(unit: Unit, role: str) -> Staff | None:
    return _pick(_candidates([(unit, role)]), unit, role)


def member_ensure(staff: Staff, units: Sequence[Unit], *, field: str, at: dt.datetime) -> None:
    """Work on a dossier goes only to someone who can see and do it (issue 10, item 2): an active
    staff member (`Staff.is_active`) with a membership in force today in one of `units` or a unit
    under it — the same subtree the HTML forms offer (`selectors.staff_choices_for`). Otherwise
    ValidationFailed naming `field`, before anything changes."""
    if not staff.is_active:
        raise ValidationFailed(_("Cán bộ %(name)s không còn công tác.") % {"name": staff.full_name},
                               details={"field": field})
    subtree = Q()
    for unit in units:
        subtree |= Q(unit__path__startswith=unit.path)
    if not Membership.objects.filter(in_force_q(local_day(at)), subtree, staff_id=staff.pk).exists():
        raise ValidationFailed(
            _("Cán bộ %(name)s không công tác tại %(unit)s nên không thể nhận hồ sơ này.")
            % {"name": staff.full_name, "unit": ", ".join(str(u.name) for u in units)}, details={"field": field})


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


def _plan_processing(dossier: Dossier, *, at: dt.datetime, received_by: Staff | None,
                     accountable: Staff | None, due_at: dt.datetime | None = None,
                     procedure_steps: Sequence[ProcedureStep] | None = None) -> list[DossierStep]:
    """Clock start: due_at, steps (unsaved) with due times and assignees, accountable officer.
    Reads only, so callers can take the code sequence lock afterwards and hold it briefly."""
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
    dossier.received_at = at
    dossier.original_due_at = due_at
    dossier.due_at = due_at
    dossier.warn_at = warn_at_for(calendar=calendar, due_at=due_at, total_seconds=total)
    dossier.accountable = accountable
    dossier.current_unit = steps[0].unit if steps else dossier.unit
    return steps


def _save_steps(dossier: Dossier, steps: list[DossierStep]) -> None:
    for step in steps:
        step.dossier = dossier
    DossierStep.objects.bulk_create(steps)


def _new_dossier(*, procedure: Procedure, unit: Unit, received_unit: Unit, applicant: dict[str, Any], at: dt.datetime,
                 channel: str, fee_payment: str, form_data: dict[str, Any] | None, digitized_input: bool,
                 status: str, code: str | None = None, listed: tuple[bool, bool] | None = None) -> Dossier:
    if channel not in Channel.values:
        raise ValidationFailed(_("Hình thức nộp không hợp lệ."), details={"field": "channel"})
    if fee_payment not in FeePayment.values:
        raise ValidationFailed(_("Hình thức thanh toán phí không hợp lệ."), details={"field": "fee_payment"})
    clean = _clean_applicant(applicant)
    _check_procedure_unit(procedure, unit, listed=listed)
    return Dossier(
        code=code or "", procedure=procedure, unit=unit, received_unit=received_unit, current_unit=received_unit,
        channel=channel, status=status, applicant_name=clean["name"], applicant_id_number=clean["id_number"],
        applicant_phone=clean["phone"], applicant_email=clean["email"], applicant_address=clean["address"],
        form_data=form_data or {}, secret=secret_new(), fee_amount=procedure.fee,
        fee_payment=fee_payment,
        digitized_input=digitized_input,
    )


# --- intake --------------------------------------------------------------------------------

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
                           digitized_input=digitized_input, status=Status.RECEIVED, code=code, listed=listed)
    dossier.submitted_at = at
    steps = _plan_processing(dossier, at=at, received_by=received_by, accountable=accountable, due_at=due_at,
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
                           channel=channel, fee_payment=FeePayment.NONE, form_data=None, digitized_input=False,
                           status=Status.REFUSED)
    dossier.submitted_at = at
    dossier.closed_at = at
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
                           channel=channel, fee_payment=fee_payment, form_data=form_data, digitized_input=True,
                           status=Status.SUBMITTED)
    dossier.submitted_at = at
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
        dossier = _lock(dossier, allowed=[Status.SUBMITTED], expected_version=expected_version)
        _save_steps(dossier, _plan_processing(dossier, at=at, received_by=accepted_by, accountable=accountable))
        dossier.status = Status.RECEIVED
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
        dossier = _lock(dossier, allowed=[Status.SUBMITTED], expected_version=expected_version)
        dossier.status = Status.REFUSED
        dossier.closed_at = at
        _save(dossier, ["status", "closed_at"])
        _event(dossier, EventType.REFUSED, at=at, actor=refused_by, reason=reason)
        _audit("refuse", dossier, actor=refused_by, at=at, reason=reason)
        _touch(dossier)
    return dossier


# --- processing ----------------------------------------------------------------------------

def _active_step(dossier: Dossier) -> DossierStep | None:
    return dossier.steps.select_for_update().filter(status=StepStatus.ACTIVE).order_by("order").first()


def dossier_assign(*, dossier: Dossier, assignee: Staff, actor: Staff | None,
                   expected_version: int | None = None) -> Dossier:
    """Give the current step to another officer (of the step's unit)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=OPEN_STATUSES, expected_version=expected_version)
        step = _active_step(dossier)
        if step is None:
            raise Conflict(_("Hồ sơ không có bước đang xử lý."))
        member_ensure(assignee, [step.unit], field="assignee", at=at)
        previous = step.assignee
        step.assignee = assignee
        step.save(update_fields=["assignee"])
        _save(dossier, [])
        _event(dossier, EventType.ASSIGNED, at=at, actor=actor, step=step, from_staff=previous, to_staff=assignee,
               to_unit=step.unit)
        _audit("assign", dossier, actor=actor, at=at, step=step.order, assignee=assignee.code)
        _touch(dossier)
    return dossier


def dossier_hand_over(*, dossier: Dossier, actor: Staff | None,
                      to_staff: Staff | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """Finish the current step (recording early / on time / late against its due time) and start
    the next one with `to_staff` (default: the planned assignee). The control sheet (form 05)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.RECEIVED, Status.IN_PROGRESS], expected_version=expected_version)
        step = _active_step(dossier)
        if step is None:
            raise Conflict(_("Hồ sơ không có bước đang xử lý."))
        nxt = dossier.steps.select_for_update().filter(order__gt=step.order, status=StepStatus.PENDING).order_by("order").first()
        if nxt is None:
            raise Conflict(_("Đây là bước cuối cùng: hãy ghi nhận có kết quả."), code="last_step")
        step.status = StepStatus.DONE
        step.finished_at = at
        step.outcome = outcome_for(finished_at=at, due_at=step.due_at) if step.due_at else ""
        step.save(update_fields=["status", "finished_at", "outcome"])
        nxt.status = StepStatus.ACTIVE
        nxt.started_at = at
        if to_staff is not None:
            member_ensure(to_staff, [nxt.unit], field="to_staff", at=at)
            nxt.assignee = to_staff
        nxt.save(update_fields=["status", "started_at", "assignee"])
        dossier.status = Status.IN_PROGRESS
        dossier.current_unit = nxt.unit
        _save(dossier, ["status", "current_unit"])
        _event(dossier, EventType.HANDED_OVER, at=at, actor=actor, step=step, from_unit=step.unit, to_unit=nxt.unit,
               from_staff=step.assignee, to_staff=nxt.assignee, reason=note.strip(),
               data={"outcome": step.outcome, "from_step": step.order, "to_step": nxt.order})
        _audit("hand_over", dossier, actor=actor, at=at, step=step.order, outcome=step.outcome,
               to=nxt.assignee.code if nxt.assignee else None)
        _touch(dossier)
    return dossier


def dossier_transfer(*, dossier: Dossier, to_unit: Unit, actor: Staff | None, reason: str = "",
                     to_staff: Staff | None = None,
                     expected_version: int | None = None) -> Dossier:
    """Interconnected procedure (liên thông): the dossier moves to another unit for its part; the
    active step goes there too. The accountable officer stays the same unless the unit changes it."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.RECEIVED, Status.IN_PROGRESS], expected_version=expected_version)
        if to_unit.pk == dossier.current_unit_id:
            raise ValidationFailed(_("Hồ sơ đang ở đơn vị này."), details={"field": "to_unit"})
        if to_staff is not None:
            member_ensure(to_staff, [to_unit], field="to_staff", at=at)
        step = _active_step(dossier)
        from_unit = dossier.current_unit
        if step is not None:
            step.unit = to_unit
            step.assignee = to_staff or _default_assignee(to_unit, step.role or Role.OFFICER)
            step.save(update_fields=["unit", "assignee"])
        dossier.current_unit = to_unit
        dossier.status = Status.IN_PROGRESS
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
        dossier = _lock(dossier, allowed=[Status.RECEIVED, Status.IN_PROGRESS], expected_version=expected_version)
        dossier.status = Status.WAITING_SUPPLEMENT
        dossier.paused_at = at
        dossier.supplement_count += 1
        _save(dossier, ["status", "paused_at", "supplement_count"])
        _event(dossier, EventType.SUPPLEMENT_REQUESTED, at=at, actor=actor, reason=reason,
               data={"supplement_count": dossier.supplement_count})
        _audit("request_supplement", dossier, actor=actor, at=at, reason=reason, count=dossier.supplement_count)
        _touch(dossier)
    return dossier


def shifted_due(*, calendar: WorkCalendar, due_at: dt.datetime, paused_seconds: int) -> dt.datetime:
    return calendar.add_working_seconds(due_at, paused_seconds) if paused_seconds > 0 else due_at


def dossier_complete_supplement(*, dossier: Dossier, actor: Staff | None,
                                note: str = "", expected_version: int | None = None) -> Dossier:
    """The applicant supplied what was asked: the clock resumes and the appointment (and every
    open step's due time) moves later by the working time the pause covered (domain.md §2)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.WAITING_SUPPLEMENT], expected_version=expected_version)
        calendar = calendar_for(dossier.unit)
        paused = max(calendar.working_seconds_between(dossier.paused_at, at), 0) if dossier.paused_at else 0
        old_due = dossier.due_at
        dossier.due_at = shifted_due(calendar=calendar, due_at=_required(dossier.due_at, "due_at"), paused_seconds=paused)
        if dossier.warn_at:
            dossier.warn_at = shifted_due(calendar=calendar, due_at=dossier.warn_at, paused_seconds=paused)
        for step in dossier.steps.select_for_update().filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]):
            if step.due_at:
                step.due_at = shifted_due(calendar=calendar, due_at=step.due_at, paused_seconds=paused)
                if step.warn_at:
                    step.warn_at = shifted_due(calendar=calendar, due_at=step.warn_at, paused_seconds=paused)
                step.save(update_fields=["due_at", "warn_at"])
        dossier.paused_seconds += paused
        dossier.paused_at = None
        dossier.status = Status.IN_PROGRESS
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
        dossier = _lock(dossier, allowed=OPEN_STATUSES, expected_version=expected_version)
        if new_due_at <= max(at, _required(dossier.due_at, "due_at")):
            raise ValidationFailed(_("Ngày hẹn mới phải sau ngày hẹn hiện tại và sau thời điểm này."),
                                   details={"field": "new_due_at"})
        dossier.apology_due_at = new_due_at
        _save(dossier, ["apology_due_at"])
        _event(dossier, EventType.APOLOGIZED, at=at, actor=actor, reason=reason, new_due_at=new_due_at)
        _audit("apologize", dossier, actor=actor, at=at, reason=reason, new_due_at=new_due_at)
        _touch(dossier)
    return dossier


def dossier_finish(*, dossier: Dossier, actor: Staff | None,
                   digitized_result: bool | None = None, note: str = "", expected_version: int | None = None) -> Dossier:
    """Result ready: outcome early / on time / late against `due_at` (after supplement shifts)."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.RECEIVED, Status.IN_PROGRESS], expected_version=expected_version)
        calendar = calendar_for(dossier.unit)
        for step in dossier.steps.select_for_update().filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]):
            if step.status == StepStatus.ACTIVE:
                step.status = StepStatus.DONE
                step.finished_at = at
                step.outcome = outcome_for(finished_at=at, due_at=step.due_at) if step.due_at else ""
            else:
                step.status = StepStatus.SKIPPED
            step.save(update_fields=["status", "finished_at", "outcome"])
        dossier.status = Status.RESULT_READY
        dossier.finished_at = at
        dossier.outcome = outcome_for(finished_at=at, due_at=_required(dossier.due_at, "due_at"))
        start = clock_start(procedure=dossier.procedure, calendar=calendar, at=_required(dossier.received_at, "received_at"))
        dossier.processing_seconds = processing_seconds_for(calendar=calendar, start=start, finished_at=at,
                                                            paused=dossier.paused_seconds)
        if digitized_result is not None:
            dossier.digitized_result = digitized_result
        _save(dossier, ["status", "finished_at", "outcome", "processing_seconds", "digitized_result"])
        _event(dossier, EventType.FINISHED, at=at, actor=actor, reason=note.strip(), data={"outcome": dossier.outcome})
        _audit("finish", dossier, actor=actor, at=at, outcome=dossier.outcome)
        _touch(dossier)
    return dossier


def dossier_return(*, dossier: Dossier, actor: Staff | None,
                   expected_version: int | None = None) -> Dossier:
    """The result is handed to the applicant."""
    at = _now()
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.RESULT_READY], expected_version=expected_version)
        if at < _required(dossier.finished_at, "finished_at"):
            raise ValidationFailed(_("Thời điểm trả kết quả phải sau khi có kết quả."))
        dossier.status = Status.RETURNED
        dossier.returned_at = at
        _save(dossier, ["status", "returned_at"])
        _event(dossier, EventType.RETURNED, at=at, actor=actor)
        _audit("return", dossier, actor=actor, at=at)
        _touch(dossier)
    return dossier


def _close(dossier: Dossier, *, status: str, event: str, reason: str, actor: Staff | None, at: dt.datetime,
           allowed: Iterable[str], expected_version: int | None) -> Dossier:
    with transaction.atomic():
        dossier = _lock(dossier, allowed=allowed, expected_version=expected_version)
        dossier.steps.filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING]).update(status=StepStatus.SKIPPED)
        if dossier.paused_at and dossier.received_at:
            paused = max(calendar_for(dossier.unit).working_seconds_between(dossier.paused_at, at), 0)
            dossier.paused_seconds += paused
            dossier.paused_at = None
        dossier.status = status
        dossier.closed_at = at
        _save(dossier, ["status", "closed_at", "paused_at", "paused_seconds"])
        _event(dossier, event, at=at, actor=actor, reason=reason)
        _audit(event, dossier, actor=actor, at=at, reason=reason)
        _touch(dossier)
    return dossier


def dossier_withdraw(*, dossier: Dossier, reason: str, actor: Staff | None,
                     expected_version: int | None = None) -> Dossier:
    """The applicant withdraws the dossier (before the result)."""
    return _close(dossier, status=Status.WITHDRAWN, event=EventType.WITHDRAWN, reason=_require_reason(reason),
                  actor=actor, at=_now(), allowed=[Status.SUBMITTED, *OPEN_STATUSES], expected_version=expected_version)


def dossier_stop(*, dossier: Dossier, reason: str, actor: Staff | None,
                 expected_version: int | None = None) -> Dossier:
    """Processing stops (e.g. the applicant did not supplement in time); reason required."""
    return _close(dossier, status=Status.STOPPED, event=EventType.STOPPED, reason=_require_reason(reason),
                  actor=actor, at=_now(), allowed=OPEN_STATUSES, expected_version=expected_version)


def dossier_reassign_accountable(*, dossier: Dossier, accountable: Staff, actor: Staff | None, reason: str = "",
                                 expected_version: int | None = None) -> Dossier:
    """Change the one accountable officer (head or deputy of the deciding or current unit)."""
    at = _now()
    if actor is not None and actor.user is not None:
        scope = scope_for(actor.user)
        if not (scope.manages(dossier.unit_id) or scope.manages(dossier.current_unit_id)):
            raise Forbidden(_("Chỉ lãnh đạo đơn vị mới được đổi cán bộ chịu trách nhiệm."))
    with transaction.atomic():
        dossier = _lock(dossier, allowed=[Status.SUBMITTED, *OPEN_STATUSES], expected_version=expected_version)
        member_ensure(accountable, [dossier.unit, dossier.current_unit], field="accountable", at=at)
        previous = dossier.accountable
        if previous is not None and previous.pk == accountable.pk:
            raise ValidationFailed(_("Cán bộ này đang chịu trách nhiệm hồ sơ."), details={"field": "accountable"})
        dossier.accountable = accountable
        _save(dossier, ["accountable"])
        _event(dossier, EventType.REASSIGNED, at=at, actor=actor, from_staff=previous, to_staff=accountable,
               reason=(reason or "").strip())
        _audit("reassign_accountable", dossier, actor=actor, at=at, to=accountable.code,
               previous=previous.code if previous else None)
        _touch(dossier)
    return dossier


# --- denormalised facts kept by other modules ------------------------------------------------

def dossier_set_rating(*, dossier: Dossier, level: str) -> Dossier:
    """Keep `latest_rating` current (called by the ratings module)."""
    if level and level not in RatingLevel.values:
        raise ValidationFailed(_("Mức đánh giá không hợp lệ."))
    with transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(latest_rating=level)
        dossier.latest_rating = level
        audit_record(action="dossier.rating", obj=dossier, unit_id=dossier.unit_id, changes={"rating": level})
        _touch(dossier)
    return dossier


def dossier_mark_complained(*, dossier: Dossier, complained: bool = True) -> Dossier:
    """Keep `complained` current (called by the feedback module)."""
    with transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(complained=complained)
        dossier.complained = complained
        audit_record(action="dossier.complained", obj=dossier, unit_id=dossier.unit_id, changes={"complained": complained})
        _touch(dossier)
    return dossier
