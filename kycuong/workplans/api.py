"""`/api/v1/workplans`: product types, programs, items, every life-cycle transition, evidence and
the status report — a thin layer over the same services and selectors as the screens.

Scoped to the caller's units (anything outside → 404), input bodies forbid unknown fields (a
client-sent `at` is a 422: every transition happens at the server's time), a stale
`expected_version` is a 409 `stale`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.core.periods import TZ, parse_period
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import ensure_unit_visible

from . import lifecycle
from .models import EvidenceKind, Program, WorkItem
from .selectors.catalogue import product_type_by_code, product_types_for
from .selectors.status import status_class_at
from .services import catalogue as cat
from .services import items as isvc
from .services import programs as psvc

router = Router(tags=["workplans"])


class WpIn(Schema):
    model_config = ConfigDict(extra="forbid")


# --- output -----------------------------------------------------------------------------------

class WpProductTypeOut(Schema):
    unit: str
    code: str
    name: str
    factor: Decimal
    is_active: bool


class WpProgramOut(Schema):
    id: int
    kind: str
    unit: str
    owner: str | None
    period: str
    period_kind: str
    status: str
    submitted_at: dt.datetime | None
    approved_at: dt.datetime | None
    approved_by: str | None
    return_comment: str
    version: int
    actions: list[str]


class WpEventOut(Schema):
    type: str
    at: dt.datetime
    source: str
    by: str | None
    note: str
    completion: str
    new_due_at: dt.datetime | None
    objective_cause: bool
    cause_claimed: bool


class WpEvidenceOut(Schema):
    kind: str
    title: str
    dossier: str | None
    feedback: str | None
    url: str


class WpItemOut(Schema):
    code: str
    program: int
    period: str
    unit: str
    owner: str
    co_workers: list[str]
    assigned_by: str | None
    parent: str | None
    carried_from: str | None
    title: str
    description: str
    product: str
    quantity: Decimal
    weight: Decimal
    first_due_at: dt.datetime
    due_at: dt.datetime
    status: str
    completion: str
    completed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    quality_failures: int
    reschedules: int
    objective_cause: bool
    status_class: str | None
    version: int
    actions: list[str]


class WpItemDetailOut(WpItemOut):
    events: list[WpEventOut]
    evidence: list[WpEvidenceOut]


class WpStatusRowOut(Schema):
    code: str
    title: str
    owner: str
    due_at: dt.datetime
    status: str
    status_class: str | None


class WpStatusOut(Schema):
    period: str
    unit: str
    at: dt.datetime
    counts: dict[str, int]
    items: list[WpStatusRowOut]


def _program_out(p: Program) -> dict[str, Any]:
    return {"id": p.pk, "kind": p.kind, "unit": p.unit.code, "owner": p.owner.code if p.owner else None,
            "period": p.period, "period_kind": p.period_kind, "status": p.status, "submitted_at": p.submitted_at,
            "approved_at": p.approved_at, "approved_by": p.approved_by.code if p.approved_by else None,
            "return_comment": p.return_comment, "version": p.version, "actions": lifecycle.program_actions(p)}


def _item_out(i: WorkItem, at: dt.datetime | None = None) -> dict[str, Any]:
    cls = status_class_at(i, at or timezone.now())
    return {"code": i.code, "program": i.program_id, "period": i.program.period, "unit": i.unit.code,
            "owner": i.owner.code, "co_workers": sorted(s.code for s in i.co_workers.all()),
            "assigned_by": i.assigned_by.code if i.assigned_by else None, "parent": i.parent.code if i.parent else None,
            "carried_from": i.carried_from.code if i.carried_from else None, "title": i.title,
            "description": i.description, "product": i.product_type.code, "quantity": i.quantity, "weight": i.weight,
            "first_due_at": i.first_due_at, "due_at": i.due_at, "status": i.status, "completion": i.completion,
            "completed_at": i.completed_at, "accepted_at": i.accepted_at, "quality_failures": i.quality_failures,
            "reschedules": i.reschedules, "objective_cause": i.objective_cause,
            "status_class": cls.value if cls else None, "version": i.version, "actions": lifecycle.item_actions(i)}


def _detail(i: WorkItem) -> dict[str, Any]:
    events = [{"type": e.type, "at": e.at, "source": e.source, "by": e.actor.code if e.actor else None, "note": e.note,
               "completion": e.completion, "new_due_at": e.new_due_at, "objective_cause": e.objective_cause,
               "cause_claimed": e.cause_claimed}
              for e in i.events.select_related("actor").order_by("at", "id")]
    evidence = [{"kind": v.kind, "title": v.title, "dossier": v.dossier.code if v.dossier else None,
                 "feedback": v.feedback.code if v.feedback else None, "url": v.url}
                for v in i.evidence.select_related("dossier", "feedback").order_by("id")]
    return {**_item_out(i), "events": events, "evidence": evidence}


# --- lookups (scoped) ---------------------------------------------------------------------------

def _unit(request: HttpRequest, code: str) -> Unit:
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("Không có đơn vị mã %(code)s.") % {"code": code})
    ensure_unit_visible(request.user, unit.pk)
    return unit


def _staff(code: str | None, field: str) -> Staff | None:
    if code is None:
        return None
    staff = Staff.objects.filter(code=code).first()
    if staff is None:
        raise ValidationFailed(_("Không có cán bộ mã %(code)s.") % {"code": code}, details={"errors": {field: "unknown"}})
    return staff


def _program(request: HttpRequest, program_id: int) -> Program:
    p = Program.objects.visible_to(request.user).select_related("unit", "owner", "approved_by").filter(pk=program_id).first()
    if p is None:
        raise NotFound(_("Không tìm thấy chương trình hoặc bạn không có quyền xem."))
    return p


def _items_qs(request: HttpRequest) -> Any:
    return (WorkItem.objects.visible_to(request.user)
            .select_related("program", "unit", "owner", "assigned_by", "parent", "carried_from", "product_type")
            .prefetch_related("co_workers"))


def _item(request: HttpRequest, code: str) -> WorkItem:
    item = _items_qs(request).filter(code=code).first()
    if item is None:
        raise NotFound(_("Không tìm thấy công việc hoặc bạn không có quyền xem."))
    return item


def _parent(request: HttpRequest, code: str | None) -> WorkItem | None:
    if code is None:
        return None
    parent = WorkItem.objects.visible_to(request.user).select_related("unit").filter(code=code).first()
    if parent is None:
        raise ValidationFailed(_("Không có việc cấp trên mã %(code)s.") % {"code": code}, details={"errors": {"parent": "unknown"}})
    return parent


def _product(unit: Unit, code: str) -> Any:
    pt = product_type_by_code(unit, code)
    if pt is None:
        raise ValidationFailed(_("Loại sản phẩm %(code)s không có trong danh mục của %(unit)s.")
                               % {"code": code, "unit": unit.name}, details={"errors": {"product_type": "unknown"}})
    return pt


# --- product types ------------------------------------------------------------------------------

class WpProductTypeIn(WpIn):
    unit: str
    code: str
    name: str
    factor: Decimal = Field(description="Standard units per product (Decree 335/2025), > 0")


class WpProductTypePatch(WpIn):
    name: str | None = None
    factor: Decimal | None = None
    is_active: bool | None = None


def _pt_out(pt: Any) -> dict[str, Any]:
    return {"unit": pt.unit.code, "code": pt.code, "name": pt.name, "factor": pt.factor, "is_active": pt.is_active}


@router.get("/product-types", response={200: list[WpProductTypeOut], **ERRORS}, operation_id="workplans_product_types")
def product_types(request: HttpRequest, unit: str) -> list[dict[str, Any]]:
    """The product types `unit`'s items may use: its own and its ancestors', in use."""
    return [_pt_out(pt) for pt in product_types_for(_unit(request, unit))]


@router.post("/product-types", response={201: WpProductTypeOut, **ERRORS}, operation_id="workplans_product_type_create")
def product_type_create(request: HttpRequest, payload: WpProductTypeIn) -> Status:
    pt = cat.product_type_create(unit=_unit(request, payload.unit), code=payload.code, name=payload.name,
                                 factor=payload.factor, actor=request.user)
    return Status(201, _pt_out(pt))


@router.patch("/product-types/{unit}/{code}", response={200: WpProductTypeOut, **ERRORS},
              operation_id="workplans_product_type_update")
def product_type_update(request: HttpRequest, unit: str, code: str, payload: WpProductTypePatch) -> dict[str, Any]:
    u = _unit(request, unit)
    pt = u.product_types.filter(code=code).first()
    if pt is None:
        raise NotFound(_("Không có loại sản phẩm mã %(code)s.") % {"code": code})
    pt = cat.product_type_update(product_type=pt, actor=request.user, **payload.dict(exclude_none=True))
    return _pt_out(pt)


# --- programs -----------------------------------------------------------------------------------

class WpProgramIn(WpIn):
    kind: str = Field(description="unit | personal")
    unit: str
    period: str = Field(description="2026, 2026-Q4, 2026-11, 2026-W47 (personal: week or month)")
    owner: str | None = Field(default=None, description="Staff code (personal; default: the caller)")


class WpProgramFilters(Schema):
    period: str | None = None
    unit: str | None = Field(default=None, description="Unit code (its subtree)")
    owner: str | None = None
    kind: str | None = None
    status: str | None = None


class WpVersionIn(WpIn):
    expected_version: int | None = Field(default=None, description="Refuse (409) if it changed since read")


class WpCommentIn(WpVersionIn):
    comment: str


@router.get("/programs", response={200: list[WpProgramOut], **ERRORS}, operation_id="workplans_programs_list")
def programs_list(request: HttpRequest, filters: Query[WpProgramFilters]) -> list[dict[str, Any]]:
    qs = Program.objects.visible_to(request.user).select_related("unit", "owner", "approved_by")
    if filters.period:
        qs = qs.filter(period=parse_period(filters.period).label)
    if filters.unit:
        qs = qs.filter(unit__path__startswith=_unit(request, filters.unit).path)
    if filters.owner:
        qs = qs.filter(owner__code=filters.owner)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return [_program_out(p) for p in qs.order_by("period_start", "unit__path", "owner__full_name", "id")[:1000]]


@router.post("/programs", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_get_or_create")
def program_get_or_create(request: HttpRequest, payload: WpProgramIn) -> dict[str, Any]:
    """The unit's or a person's program for a period, created (draft) when it does not exist yet."""
    p = psvc.program_get_or_create(kind=payload.kind, unit=_unit(request, payload.unit), period=payload.period,
                                   owner=_staff(payload.owner, "owner"), actor=request.user)
    return _program_out(p)


@router.get("/programs/{program_id}", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_get")
def program_get(request: HttpRequest, program_id: int) -> dict[str, Any]:
    return _program_out(_program(request, program_id))


def _program_done(request: HttpRequest, program_id: int) -> dict[str, Any]:
    return _program_out(_program(request, program_id))


@router.post("/programs/{program_id}/submit", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_submit")
def program_submit(request: HttpRequest, program_id: int, payload: WpVersionIn) -> dict[str, Any]:
    psvc.program_submit(program=_program(request, program_id), actor=request.user, expected_version=payload.expected_version)
    return _program_done(request, program_id)


@router.post("/programs/{program_id}/approve", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_approve")
def program_approve(request: HttpRequest, program_id: int, payload: WpVersionIn) -> dict[str, Any]:
    """By a head/deputy over the unit or the person who assigned the work; never one's own (403)."""
    psvc.program_approve(program=_program(request, program_id), actor=request.user, expected_version=payload.expected_version)
    return _program_done(request, program_id)


@router.post("/programs/{program_id}/return", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_return")
def program_return(request: HttpRequest, program_id: int, payload: WpCommentIn) -> dict[str, Any]:
    psvc.program_return(program=_program(request, program_id), comment=payload.comment, actor=request.user,
                        expected_version=payload.expected_version)
    return _program_done(request, program_id)


@router.post("/programs/{program_id}/reopen", response={200: WpProgramOut, **ERRORS}, operation_id="workplans_program_reopen")
def program_reopen(request: HttpRequest, program_id: int, payload: WpVersionIn) -> dict[str, Any]:
    psvc.program_reopen(program=_program(request, program_id), actor=request.user, expected_version=payload.expected_version)
    return _program_done(request, program_id)


@router.post("/programs/{program_id}/carry-over", response={200: list[WpItemOut], **ERRORS},
             operation_id="workplans_program_carry_over")
def program_carry_over(request: HttpRequest, program_id: int, payload: WpVersionIn) -> list[dict[str, Any]]:
    """The unfinished items into the same owner's program of the next period (the new items)."""
    created = psvc.items_carry_over(program=_program(request, program_id), actor=request.user)
    return [_item_out(_item(request, i.code)) for i in created]


# --- items ----------------------------------------------------------------------------------------

class WpItemIn(WpIn):
    program: int = Field(description="Program id")
    title: str
    product: str = Field(description="Product type code (the unit's or an ancestor's)")
    quantity: Decimal
    due_at: dt.datetime = Field(description="WpIn working time inside the program's period")
    owner: str | None = Field(default=None, description="Presiding person (staff code); personal: the owner")
    co_workers: list[str] = []
    parent: str | None = Field(default=None, description="Parent item code (same or ancestor unit)")
    description: str = ""


class WpItemPatch(WpIn):
    expected_version: int = Field(description="The version read (409 `stale` if it changed)")
    title: str | None = None
    product: str | None = None
    quantity: Decimal | None = None
    due_at: dt.datetime | None = None
    owner: str | None = None
    co_workers: list[str] | None = None
    parent: str | None = None
    description: str | None = None


class WpItemFilters(Schema):
    period: str | None = Field(default=None, description="Program period, e.g. 2026-W47")
    owner: str | None = Field(default=None, description="Presiding person (staff code)")
    unit: str | None = Field(default=None, description="Unit code (its subtree)")
    program: int | None = None
    status: str | None = None
    limit: int = Field(default=200, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class WpItemPage(Schema):
    count: int
    items: list[WpItemOut]


class WpCompleteIn(WpVersionIn):
    completion: str = Field(description="done | partly | not_done")
    note: str = ""


class WpNoteIn(WpVersionIn):
    note: str


class WpReasonIn(WpVersionIn):
    reason: str


class WpRescheduleIn(WpVersionIn):
    new_due_at: dt.datetime
    reason: str
    objective_cause: bool = Field(default=False, description="Claimed; counts only once the head confirms it")


class WpEvidenceIn(WpIn):
    kind: str = Field(description="dossier | feedback | link")
    code: str | None = Field(default=None, description="Dossier or feedback code")
    url: str = ""
    title: str = ""


def _people(codes: list[str]) -> list[Staff]:
    return [s for s in (_staff(c, "co_workers") for c in codes) if s is not None]


@router.get("/items", response={200: WpItemPage, **ERRORS}, operation_id="workplans_items_list")
def items_list(request: HttpRequest, filters: Query[WpItemFilters]) -> dict[str, Any]:
    qs = _items_qs(request)
    if filters.period:
        qs = qs.filter(program__period=parse_period(filters.period).label)
    if filters.owner:
        qs = qs.filter(owner__code=filters.owner)
    if filters.unit:
        qs = qs.filter(unit__path__startswith=_unit(request, filters.unit).path)
    if filters.program is not None:
        qs = qs.filter(program_id=filters.program)
    if filters.status:
        qs = qs.filter(status=filters.status)
    now = timezone.now()
    qs = qs.order_by("due_at", "id")
    page = qs[filters.offset:filters.offset + filters.limit]
    return {"count": qs.count(), "items": [_item_out(i, now) for i in page]}


@router.post("/items", response={201: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_create")
def item_create(request: HttpRequest, payload: WpItemIn) -> Status:
    program = _program(request, payload.program)
    item = isvc.item_create(program=program, title=payload.title, product_type=_product(program.unit, payload.product),
                            quantity=payload.quantity, due_at=payload.due_at, owner=_staff(payload.owner, "owner"),
                            co_workers=_people(payload.co_workers), parent=_parent(request, payload.parent),
                            description=payload.description, actor=request.user)
    return Status(201, _detail(_item(request, item.code)))


@router.get("/items/{code}", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_get")
def item_get(request: HttpRequest, code: str) -> dict[str, Any]:
    return _detail(_item(request, code))


@router.patch("/items/{code}", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_update")
def item_update(request: HttpRequest, code: str, payload: WpItemPatch) -> dict[str, Any]:
    """Edit a draft or returned item (an approved one: reopen the program first, 409)."""
    item = _item(request, code)
    sent = payload.dict(exclude_unset=True)
    sent.pop("expected_version")
    fields: dict[str, Any] = {}
    for key, value in sent.items():
        if key == "product":
            fields["product_type"] = _product(item.unit, value) if value is not None else None
        elif key == "owner":
            fields["owner"] = _staff(value, "owner")
        elif key == "co_workers":
            fields["co_workers"] = _people(value or [])
        elif key == "parent":
            fields["parent"] = _parent(request, value)
        else:
            fields[key] = value
    isvc.item_update(item=item, actor=request.user, expected_version=payload.expected_version, **fields)
    return _detail(_item(request, code))


@router.post("/items/{code}/complete", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_complete")
def item_complete(request: HttpRequest, code: str, payload: WpCompleteIn) -> dict[str, Any]:
    isvc.item_complete(item=_item(request, code), completion=payload.completion, note=payload.note, actor=request.user,
                       expected_version=payload.expected_version)
    return _detail(_item(request, code))


@router.post("/items/{code}/accept", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_accept")
def item_accept(request: HttpRequest, code: str, payload: WpVersionIn) -> dict[str, Any]:
    isvc.item_accept(item=_item(request, code), actor=request.user, expected_version=payload.expected_version)
    return _detail(_item(request, code))


@router.post("/items/{code}/quality-fail", response={200: WpItemDetailOut, **ERRORS},
             operation_id="workplans_item_quality_fail")
def item_quality_fail(request: HttpRequest, code: str, payload: WpNoteIn) -> dict[str, Any]:
    isvc.item_quality_fail(item=_item(request, code), note=payload.note, actor=request.user,
                           expected_version=payload.expected_version)
    return _detail(_item(request, code))


@router.post("/items/{code}/reschedule", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_reschedule")
def item_reschedule(request: HttpRequest, code: str, payload: WpRescheduleIn) -> dict[str, Any]:
    isvc.item_reschedule(item=_item(request, code), new_due_at=payload.new_due_at, reason=payload.reason,
                         objective_cause=payload.objective_cause, actor=request.user,
                         expected_version=payload.expected_version)
    return _detail(_item(request, code))


@router.post("/items/{code}/confirm-cause", response={200: WpItemDetailOut, **ERRORS},
             operation_id="workplans_item_confirm_cause")
def item_confirm_cause(request: HttpRequest, code: str, payload: WpVersionIn) -> dict[str, Any]:
    isvc.item_confirm_cause(item=_item(request, code), actor=request.user)
    return _detail(_item(request, code))


@router.post("/items/{code}/cancel", response={200: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_cancel")
def item_cancel(request: HttpRequest, code: str, payload: WpReasonIn) -> dict[str, Any]:
    isvc.item_cancel(item=_item(request, code), reason=payload.reason, actor=request.user,
                     expected_version=payload.expected_version)
    return _detail(_item(request, code))


@router.post("/items/{code}/evidence", response={201: WpItemDetailOut, **ERRORS}, operation_id="workplans_item_evidence_add")
def item_evidence_add(request: HttpRequest, code: str, payload: WpEvidenceIn) -> Status:
    """Link a dossier or a feedback item by its code (within the caller's scope), or a URL."""
    item = _item(request, code)
    dossier = feedback = None
    if payload.kind == EvidenceKind.DOSSIER:
        from kycuong.dossiers.models import Dossier

        dossier = Dossier.objects.visible_to(request.user).filter(code=payload.code or "").first()
        if dossier is None:
            raise ValidationFailed(_("Không tìm thấy hồ sơ %(code)s.") % {"code": payload.code},
                                   details={"errors": {"code": "unknown"}})
    elif payload.kind == EvidenceKind.FEEDBACK:
        from kycuong.feedback.models import FeedbackItem

        feedback = FeedbackItem.objects.visible_to(request.user).filter(code=payload.code or "").first()
        if feedback is None:
            raise ValidationFailed(_("Không tìm thấy phản ánh %(code)s.") % {"code": payload.code},
                                   details={"errors": {"code": "unknown"}})
    elif payload.kind != EvidenceKind.LINK:
        raise ValidationFailed(_("Qua API chỉ liên kết hồ sơ, phản ánh hoặc đường dẫn."), details={"errors": {"kind": "invalid"}})
    isvc.evidence_add(item=item, kind=payload.kind, dossier=dossier, feedback=feedback, url=payload.url,
                      title=payload.title, actor=request.user)
    return Status(201, _detail(_item(request, code)))


# --- the status report ------------------------------------------------------------------------------

@router.get("/status", response={200: WpStatusOut, **ERRORS}, operation_id="workplans_status")
def status_report(request: HttpRequest, period: str, unit: str) -> dict[str, Any]:
    """Items of the unit's subtree in programs of `period`, each in its official class now
    (Decision 42/2014/QĐ-TTg: done on time, done late, not done within deadline, not done overdue)."""
    p = parse_period(period)
    u = _unit(request, unit)
    now = timezone.now()
    qs = (WorkItem.objects.visible_to(request.user).filter(program__period=p.label, unit__path__startswith=u.path)
          .select_related("owner").order_by("due_at", "id"))
    rows, counts = [], {c: 0 for c in ("done_on_time", "done_late", "not_done_in_time", "not_done_overdue")}
    for i in qs:
        cls = status_class_at(i, now)
        if cls is not None:
            counts[cls.value] += 1
        rows.append({"code": i.code, "title": i.title, "owner": i.owner.code, "due_at": i.due_at, "status": i.status,
                     "status_class": cls.value if cls else None})
    return {"period": p.label, "unit": u.code, "at": now.astimezone(TZ), "counts": counts, "items": rows}
