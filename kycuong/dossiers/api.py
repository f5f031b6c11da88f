"""`/api/v1/dossiers`: receive, read, list with filters, and every life-cycle transition.

Thin layer over services/selectors: scoped to the caller (records outside scope → 404), personal
data masked, stale writes refused with 409 when `expected_version` is sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.core.text import mask_id_number, mask_phone
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import ensure_unit_visible
from kycuong.org.selectors import primary_unit_of, staff_for_user
from kycuong.procedures.models import Procedure

from . import selectors as sel
from . import services as svc
from .models import Channel, Dossier, FeePayment
from .public_api import public_router
from .timeliness import is_overdue

router = Router(tags=["dossiers"])


class ApplicantIn(Schema):
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


class DossierIn(Schema):
    procedure: str = Field(description="Procedure code, e.g. 1.001193")
    unit: str = Field(description="Deciding unit code")
    received_unit: str | None = Field(default=None, description="Receiving unit code (default: caller's primary unit)")
    applicant: ApplicantIn
    channel: str = Field(default=Channel.COUNTER, description="counter | online | post")
    fee_payment: str = Field(default=FeePayment.NONE, description="none | online | counter")
    form_data: dict[str, Any] = {}
    digitized_input: bool = False

    # The receipt time is the server's (issue 10): a `received_at` sent by a client is refused.
    model_config = ConfigDict(extra="forbid")


class StepOut(Schema):
    order: int
    name: str
    unit: str
    assignee: str | None
    status: str
    started_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    outcome: str


class EventOut(Schema):
    type: str
    at: dt.datetime
    by: str | None
    from_unit: str | None
    to_unit: str | None
    to_staff: str | None
    reason: str
    new_due_at: dt.datetime | None


class DossierOut(Schema):
    code: str
    procedure: str
    procedure_name: str
    unit: str
    received_unit: str
    current_unit: str
    accountable: str | None
    channel: str
    status: str
    version: int
    applicant_name: str
    applicant_id_number: str = Field(description="masked")
    applicant_phone: str = Field(description="masked")
    fee_payment: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    original_due_at: dt.datetime | None
    due_at: dt.datetime | None
    apology_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    outcome: str
    supplement_count: int
    overdue: bool
    digitized_input: bool
    digitized_result: bool
    synced: bool


class DossierDetailOut(DossierOut):
    steps: list[StepOut]
    events: list[EventOut]


class DossierCreatedOut(DossierOut):
    secret: str = Field(description="Lookup secret printed on the receipt (shown once to the counter)")


class DossierPage(Schema):
    count: int
    items: list[DossierOut]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return value.astimezone(TZ) if value is not None else None


def _out(d: Dossier, now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    return {
        "code": d.code, "procedure": d.procedure.code, "procedure_name": d.procedure.name, "unit": d.unit.code,
        "received_unit": d.received_unit.code, "current_unit": d.current_unit.code,
        "accountable": d.accountable.code if d.accountable else None, "channel": d.channel, "status": d.status,
        "version": d.version, "applicant_name": d.applicant_name,
        "applicant_id_number": mask_id_number(d.applicant_id_number), "applicant_phone": mask_phone(d.applicant_phone),
        "fee_payment": d.fee_payment, "submitted_at": _local(d.submitted_at), "received_at": _local(d.received_at),
        "original_due_at": _local(d.original_due_at), "due_at": _local(d.due_at), "apology_due_at": _local(d.apology_due_at),
        "finished_at": _local(d.finished_at), "returned_at": _local(d.returned_at), "outcome": d.outcome,
        "supplement_count": d.supplement_count,
        "overdue": is_overdue(d, at=now),
        "digitized_input": d.digitized_input, "digitized_result": d.digitized_result, "synced": d.synced,
    }


def _detail(user: Any, code: str) -> dict[str, Any]:
    d = sel.dossier_detail(user=user, code=code)
    out = _out(d)
    out["steps"] = [{"order": s.order, "name": s.name, "unit": s.unit.code,
                     "assignee": s.assignee.code if s.assignee else None, "status": s.status,
                     "started_at": _local(s.started_at), "due_at": _local(s.due_at), "finished_at": _local(s.finished_at),
                     "outcome": s.outcome} for s in d.step_list]
    out["events"] = [{"type": e.type, "at": _local(e.at), "by": e.actor.code if e.actor else None,
                      "from_unit": e.from_unit.code if e.from_unit else None,
                      "to_unit": e.to_unit.code if e.to_unit else None,
                      "to_staff": e.to_staff.code if e.to_staff else None, "reason": e.reason,
                      "new_due_at": _local(e.new_due_at)} for e in d.event_list]
    return out


def _actor(request: HttpRequest) -> Staff | None:
    staff = staff_for_user(request.user)
    if staff is not None and request.user.is_authenticated and staff.user_id == request.user.pk:
        staff.user = request.user  # the audit trail reads actor.user: no second query
    return staff


def _unit(code: str, field: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise ValidationFailed(_("Không có đơn vị mã %(code)s.") % {"code": code}, details={"field": field})
    return unit


def _staff(code: str | None, field: str) -> Staff | None:
    if not code:
        return None
    staff = Staff.objects.filter(code=code, is_active=True).first()
    if staff is None:
        raise ValidationFailed(_("Không có cán bộ mã %(code)s.") % {"code": code}, details={"field": field})
    return staff


@router.post("", response={201: DossierCreatedOut, **ERRORS}, operation_id="dossiers_create")
def dossiers_create(request: HttpRequest, payload: DossierIn) -> Status:
    """Receive a dossier (counter, post, or an online submission entered by staff): code, appointment, steps."""
    actor = _actor(request)
    procedure = Procedure.objects.filter(code=payload.procedure).first()
    if procedure is None:
        raise ValidationFailed(_("Không có thủ tục mã %(code)s.") % {"code": payload.procedure},
                               details={"field": "procedure"})
    unit = _unit(payload.unit, "unit")
    received_unit: Unit | None
    if payload.received_unit:
        received_unit = unit if payload.received_unit == unit.code else _unit(payload.received_unit, "received_unit")
    else:
        received_unit = primary_unit_of(actor) if actor else None
        if received_unit is None:
            raise ValidationFailed(_("Phải nêu nơi tiếp nhận."), details={"field": "received_unit"})
    ensure_unit_visible(request.user, received_unit.pk)
    d = svc.dossier_receive(procedure=procedure, unit=unit, received_unit=received_unit,
                            applicant=payload.applicant.dict(), received_by=actor,
                            channel=payload.channel, fee_payment=payload.fee_payment, form_data=payload.form_data,
                            digitized_input=payload.digitized_input)
    return Status(201, {**_out(d), "secret": d.secret})


class ListFilters(Schema):
    unit: str | None = Field(default=None, description="Deciding unit code (its subtree)")
    procedure: str | None = None
    status: str | None = Field(default=None, description="A status, or 'open'")
    period: str | None = Field(default=None, description="Received in: 2026-10, 2026-W43, 2026-Q4, 2026")
    overdue: bool = False
    q: str | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


@router.get("", response={200: DossierPage, **ERRORS}, operation_id="dossiers_list")
def dossiers_list(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    """Dossiers visible to the caller, most urgent first (overdue, due today, due within a working day)."""
    f = sel.DossierFilters(status=filters.status or "", procedure=filters.procedure or "", unit=filters.unit or "",
                           period=filters.period or "", overdue=filters.overdue, q=filters.q or "")
    now = timezone.now()
    qs = sel.dossiers_of_units(user=request.user, filters=f, at=now, default_open=False)
    count = qs.count()
    items = [_out(d, now) for d in qs[filters.offset:filters.offset + filters.limit]]
    return {"count": count, "items": items}


@router.get("/{code}", response={200: DossierDetailOut, **ERRORS}, operation_id="dossiers_get")
def dossiers_get(request: HttpRequest, code: str) -> dict[str, Any]:
    """One dossier with its steps and events (404 outside the caller's scope)."""
    return _detail(request.user, code)


# --- transitions ---------------------------------------------------------------------------------

class VersionIn(Schema):
    """Every transition happens at the server's time: a client-sent `at` (or any unknown field) is a 422."""

    model_config = ConfigDict(extra="forbid")

    expected_version: int | None = Field(default=None, description="Refuse (409) if the dossier changed since read")


class ReasonIn(VersionIn):
    reason: str


class NoteIn(VersionIn):
    note: str = ""


class HandOverIn(VersionIn):
    to_staff: str | None = Field(default=None, description="Staff code (default: planned assignee)")
    note: str = ""


class AssignIn(VersionIn):
    assignee: str


class TransferIn(VersionIn):
    to_unit: str
    to_staff: str | None = None
    reason: str = ""


class ApologizeIn(VersionIn):
    reason: str
    new_due_at: dt.datetime


class FinishIn(VersionIn):
    digitized_result: bool | None = None
    note: str = ""


class ReassignIn(VersionIn):
    accountable: str
    reason: str = ""


def _load(request: HttpRequest, code: str) -> Dossier:
    return sel.dossier_for_user(user=request.user, code=code)


def _done(request: HttpRequest, code: str) -> dict[str, Any]:
    return _detail(request.user, code)


R = {200: DossierDetailOut, **ERRORS}


@router.post("/{code}/accept", response=R, operation_id="dossiers_accept")
def dossiers_accept(request: HttpRequest, code: str, payload: VersionIn) -> dict[str, Any]:
    """Accept an online submission: the clock starts."""
    svc.dossier_accept(dossier=_load(request, code), accepted_by=_actor(request),
                       expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/refuse", response=R, operation_id="dossiers_refuse")
def dossiers_refuse(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """Refuse an online submission (form 03)."""
    svc.dossier_refuse(dossier=_load(request, code), reason=payload.reason, refused_by=_actor(request),
                       expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/hand_over", response=R, operation_id="dossiers_hand_over")
def dossiers_hand_over(request: HttpRequest, code: str, payload: HandOverIn) -> dict[str, Any]:
    """Finish the current step (early / on time / late) and start the next."""
    svc.dossier_hand_over(dossier=_load(request, code), actor=_actor(request),
                          to_staff=_staff(payload.to_staff, "to_staff"), note=payload.note,
                          expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/assign", response=R, operation_id="dossiers_assign")
def dossiers_assign(request: HttpRequest, code: str, payload: AssignIn) -> dict[str, Any]:
    """Give the current step to another officer."""
    assignee = _staff(payload.assignee, "assignee")
    if assignee is None:
        raise ValidationFailed(_("Phải chọn cán bộ xử lý."), details={"field": "assignee"})
    svc.dossier_assign(dossier=_load(request, code), assignee=assignee,
                       actor=_actor(request), expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/transfer", response=R, operation_id="dossiers_transfer")
def dossiers_transfer(request: HttpRequest, code: str, payload: TransferIn) -> dict[str, Any]:
    """Interconnected procedure (liên thông): move to another unit."""
    svc.dossier_transfer(dossier=_load(request, code), to_unit=_unit(payload.to_unit, "to_unit"), actor=_actor(request),
                         reason=payload.reason, to_staff=_staff(payload.to_staff, "to_staff"),
                         expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/request_supplement", response=R, operation_id="dossiers_request_supplement")
def dossiers_request_supplement(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """Form 02: ask for more documents; the clock pauses."""
    svc.dossier_request_supplement(dossier=_load(request, code), reason=payload.reason, actor=_actor(request), expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/complete_supplement", response=R, operation_id="dossiers_complete_supplement")
def dossiers_complete_supplement(request: HttpRequest, code: str, payload: NoteIn) -> dict[str, Any]:
    """Supplement received: the clock resumes and the appointment moves later by the pause."""
    svc.dossier_complete_supplement(dossier=_load(request, code), actor=_actor(request), note=payload.note, expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/apologize", response=R, operation_id="dossiers_apologize")
def dossiers_apologize(request: HttpRequest, code: str, payload: ApologizeIn) -> dict[str, Any]:
    """Form 04: apology with reason and new appointment."""
    svc.dossier_apologize(dossier=_load(request, code), reason=payload.reason, new_due_at=payload.new_due_at,
                          actor=_actor(request), expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/finish", response=R, operation_id="dossiers_finish")
def dossiers_finish(request: HttpRequest, code: str, payload: FinishIn) -> dict[str, Any]:
    """Result ready: outcome early / on time / late."""
    svc.dossier_finish(dossier=_load(request, code), actor=_actor(request), digitized_result=payload.digitized_result,
                       note=payload.note, expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/return", response=R, operation_id="dossiers_return")
def dossiers_return(request: HttpRequest, code: str, payload: VersionIn) -> dict[str, Any]:
    """The result is handed to the applicant."""
    svc.dossier_return(dossier=_load(request, code), actor=_actor(request),
                       expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/withdraw", response=R, operation_id="dossiers_withdraw")
def dossiers_withdraw(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """The applicant withdraws the dossier."""
    svc.dossier_withdraw(dossier=_load(request, code), reason=payload.reason, actor=_actor(request),
                         expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/stop", response=R, operation_id="dossiers_stop")
def dossiers_stop(request: HttpRequest, code: str, payload: ReasonIn) -> dict[str, Any]:
    """Stop processing, with a reason."""
    svc.dossier_stop(dossier=_load(request, code), reason=payload.reason, actor=_actor(request),
                     expected_version=payload.expected_version)
    return _done(request, code)


@router.post("/{code}/reassign", response=R, operation_id="dossiers_reassign")
def dossiers_reassign(request: HttpRequest, code: str, payload: ReassignIn) -> dict[str, Any]:
    """Change the accountable officer (heads and deputies)."""
    accountable = _staff(payload.accountable, "accountable")
    if accountable is None:
        raise NotFound(_("Không có cán bộ."))
    svc.dossier_reassign_accountable(dossier=_load(request, code), accountable=accountable, actor=_actor(request),
                                     reason=payload.reason, expected_version=payload.expected_version)
    return _done(request, code)


ROUTERS = [("dossiers", router), ("public", public_router)]
