"""Shared internals of the dossier services: the server clock, row locking against the one state
machine (`lifecycle.py`), saving with the version bump, events, audit, input checks, assignee
candidates and the membership rule for anyone given work (issue 10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed
from kycuong.core.hooks import unit_activity_send
from kycuong.org.models import Role, Staff, Unit, in_force_q
from kycuong.org.selectors import is_member_in_subtree
from kycuong.procedures.models import Procedure, ProcedureStep

from .. import lifecycle
from ..models import Dossier, DossierEvent, DossierStep, StepStatus
from .planning import local_day

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

APPLICANT_KEYS = {"name", "id_number", "phone", "email", "address"}

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


def _now() -> dt.datetime:
    """Every transition happens now, by the server's clock (issue 10: a client cannot backdate or
    postdate a receipt, a finish or any other event). Histories with their own times come only
    through the bounded import replay (replay.py / interchange.py)."""
    return timezone.now()


def _user(actor: Staff | None) -> Any:
    return actor.user if actor is not None else None


def _lock(dossier: Dossier, *, action: str, expected_version: int | None) -> Dossier:
    """The dossier row locked for `action`: Conflict when it changed since `expected_version` or when
    the state machine does not allow `action` from its status (`lifecycle.TRANSITIONS`)."""
    locked = Dossier.objects.select_for_update().select_related("procedure", "unit").get(pk=dossier.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(_("Hồ sơ %(code)s vừa được người khác cập nhật. Hãy tải lại trang rồi thực hiện lại.")
                       % {"code": locked.code}, code="stale", details={"version": locked.version})
    if not lifecycle.allowed(action, locked.status):
        raise invalid_transition(locked)
    return locked


def invalid_transition(dossier: Dossier) -> Conflict:
    return Conflict(
        _("Không thể thực hiện với hồ sơ %(code)s đang ở trạng thái “%(status)s”.")
        % {"code": dossier.code, "status": dossier.get_status_display()},
        code="invalid_transition", details={"status": dossier.status},
    )


def _open_steps(dossier: Dossier) -> list[DossierStep]:
    """The dossier's active and pending steps, locked, in order (what a transition may change)."""
    return list(dossier.steps.select_for_update(of=("self",)).filter(status__in=[StepStatus.ACTIVE, StepStatus.PENDING])
                .select_related("unit", "assignee").order_by("order"))


def _save_steps_fields(steps: Iterable[DossierStep], fields: list[str]) -> None:
    for step in steps:
        step.save(update_fields=fields)


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
    if not is_member_in_subtree(staff, units, on=local_day(at)):
        raise ValidationFailed(
            _("Cán bộ %(name)s không công tác tại %(unit)s nên không thể nhận hồ sơ này.")
            % {"name": staff.full_name, "unit": ", ".join(str(u.name) for u in units)}, details={"field": field})
