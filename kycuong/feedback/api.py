"""JSON API for feedback at /api/v1/feedback/: staff endpoints over the same services as the
screens (token or session), and public ones (auth=None) for tracking and the knowledge base."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from kycuong.core.api import ERRORS
from kycuong.core.errors import DomainError, NotFound
from kycuong.core.periods import parse_period
from kycuong.core.text import mask_phone
from kycuong.org.models import Staff, Unit
from kycuong.org.selectors import unit_by_code, unit_subtree_ids

from . import selectors, services
from .models import Category, FeedbackItem, Kind
from .ratelimit import lookup_blocked, lookup_failed

router = Router(tags=["feedback"])


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


class CategoryOut(Schema):
    code: str
    name: str
    group: str


class ItemOut(Schema):
    code: str
    kind: str
    channel: str
    category: str
    title: str
    status: str
    unit: str
    unit_name: str
    assignee: str | None
    received_at: dt.datetime
    resolve_due_at: dt.datetime
    due_at: dt.datetime | None
    resolved_at: dt.datetime | None
    published_at: dt.datetime | None
    escalation_level: int
    satisfaction: str
    reopen_count: int
    overdue: bool


class ItemDetailOut(ItemOut):
    description: str
    address: str
    place: str | None
    reporter_phone_masked: str
    is_anonymous: bool
    public_question: str
    public_answer: str
    merged_into: str | None


class StrictIn(Schema):
    """Input with unknown fields refused (422 naming the field): in particular no client-supplied
    time (`at`, `received_at`…) is accepted, every event takes the server clock (issue 10)."""

    model_config = ConfigDict(extra="forbid")


class ItemIn(StrictIn):
    kind: str = Kind.FEEDBACK
    channel: str = "hotline"
    category: str
    title: str = ""
    description: str
    place: str | None = None
    address: str = ""
    lat: float | None = None
    long: float | None = None
    is_anonymous: bool = False
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    consent: bool = False


class CreatedOut(Schema):
    code: str
    secret: str
    unit: str
    resolve_due_at: dt.datetime


class AssignIn(StrictIn):
    assignee: str | None = None


class ReassignIn(StrictIn):
    unit: str
    reason: str


class TextIn(StrictIn):
    text: str


class PublishIn(StrictIn):
    public_question: str | None = None
    public_body: str | None = None


class MergeIn(StrictIn):
    into: str


class ScorecardCountsOut(Schema):
    resolved: int
    resolved_on_time: int
    open_past_deadline: int
    rated_not_satisfied: int
    reopened: int
    late: int
    has_data: bool


class StageOut(Schema):
    done: int
    on_time: int
    rate: float | None


class MetricsRowOut(Schema):
    label: str
    received: int
    stages: dict[str, StageOut]
    population: int
    satisfactory: int
    on_time_rate: float | None
    satisfaction_rate: float | None


class PublicAnswerOut(Schema):
    code: str
    kind: str
    category: str
    title: str
    question: str
    answer: str
    unit_name: str
    published_at: dt.datetime | None


class TrackOut(Schema):
    code: str
    status: str
    status_label: str
    category: str
    unit_name: str
    received_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool
    public_answer: str
    satisfaction: str


def _out(item: FeedbackItem) -> dict[str, Any]:
    return {
        "code": item.code, "kind": item.kind, "channel": item.channel, "category": item.category.code, "title": item.title,
        "status": item.status, "unit": item.unit.code, "unit_name": item.unit.name,
        "assignee": item.assignee.code if item.assignee else None, "received_at": item.received_at,
        "resolve_due_at": item.resolve_due_at, "due_at": item.due_at, "resolved_at": item.resolved_at,
        "published_at": item.published_at, "escalation_level": item.escalation_level, "satisfaction": item.satisfaction,
        "reopen_count": item.reopen_count, "overdue": item.is_overdue(timezone.now()),
    }


def _detail(item: FeedbackItem) -> ItemDetailOut:
    return ItemDetailOut(**_out(item), description=item.description, address=item.address,
                         place=item.place.code if item.place else None, reporter_phone_masked=mask_phone(item.reporter_phone),
                         is_anonymous=item.is_anonymous, public_question=item.public_question,
                         public_answer=item.public_answer, merged_into=item.merged_into.code if item.merged_into else None)


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise NotFound(_("Không có lĩnh vực %(code)s.") % {"code": code})
    return category


@router.get("/categories", response={200: list[CategoryOut], **ERRORS}, auth=None, operation_id="feedback_categories")
def categories(request: HttpRequest) -> list[CategoryOut]:
    """Active categories (public)."""
    return [CategoryOut(code=c.code, name=c.name, group=c.group) for c in selectors.categories_active()]


@router.get("/items", response={200: list[ItemOut], **ERRORS}, operation_id="feedback_items_list")
def items_list(request: HttpRequest, status: str | None = None, category: str | None = None, overdue: bool = False,
               limit: int = 100, offset: int = 0) -> list[ItemOut]:
    """Items visible to the caller (their units, and items escalated to them), urgent first."""
    params = {"trang_thai": status or "", "linh_vuc": category or "", "qua_han": "1" if overdue else ""}
    qs = selectors.inbox(user=request.user, params=params, now=timezone.now())
    limit = max(1, min(limit, 500))
    return [ItemOut(**_out(i)) for i in qs[offset:offset + limit]]


@router.get("/items/{code}", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_get")
def items_get(request: HttpRequest, code: str) -> ItemDetailOut:
    return _detail(selectors.item_for_staff(user=request.user, code=code))


@router.post("/items", response={201: CreatedOut, **ERRORS}, operation_id="feedback_items_create")
def items_create(request: HttpRequest, payload: ItemIn) -> Status:
    """Staff entry of a hotline call or a letter (channel hotline | letter)."""
    place = unit_by_code(payload.place) if payload.place else None
    result = services.feedback_submit(
        kind=payload.kind, channel=payload.channel, category=_category(payload.category), title=payload.title,
        description=payload.description, place=place, address=payload.address, lat=payload.lat, long=payload.long,
        is_anonymous=payload.is_anonymous, reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone,
        reporter_email=payload.reporter_email, consent=payload.consent, actor=request.user)
    item = result.item
    return Status(201, CreatedOut(code=item.code, secret=result.secret, unit=item.unit.code,
                                  resolve_due_at=item.resolve_due_at))


@router.post("/items/{code}/assign", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_assign")
def items_assign(request: HttpRequest, code: str, payload: AssignIn) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    assignee = None
    if payload.assignee:
        assignee = Staff.objects.filter(code=payload.assignee).first()
        if assignee is None:
            raise NotFound(_("Không có cán bộ %(code)s.") % {"code": payload.assignee})
    services.feedback_assign(item=item, actor=request.user, assignee=assignee)
    return _detail(selectors.item_for_staff(user=request.user, code=code))


@router.post("/items/{code}/reassign", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_reassign")
def items_reassign(request: HttpRequest, code: str, payload: ReassignIn) -> ItemDetailOut:
    """Send to the responsible unit: both the unit and a reason are required."""
    item = selectors.item_for_staff(user=request.user, code=code)
    to_unit = Unit.objects.filter(code=payload.unit).first()
    services.feedback_reassign(item=item, to_unit=to_unit, reason=payload.reason, actor=request.user)
    item.refresh_from_db()
    return _detail(item)


@router.post("/items/{code}/answer", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_answer_draft")
def items_answer(request: HttpRequest, code: str, payload: TextIn) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    services.answer_save_draft(item=item, body=payload.text, actor=request.user)
    return _detail(item)


@router.post("/items/{code}/answer/submit", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_answer_submit")
def items_answer_submit(request: HttpRequest, code: str) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    services.answer_submit(item=item, actor=request.user)
    return _detail(item)


@router.post("/items/{code}/answer/approve", response={200: ItemDetailOut, **ERRORS},
             operation_id="feedback_items_answer_approve")
def items_answer_approve(request: HttpRequest, code: str) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    services.answer_approve(item=item, actor=request.user)
    return _detail(selectors.item_for_staff(user=request.user, code=code))


@router.post("/items/{code}/publish", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_publish")
def items_publish(request: HttpRequest, code: str, payload: PublishIn) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    return _detail(services.answer_publish(item=item, actor=request.user, public_question=payload.public_question,
                                           public_body=payload.public_body))


@router.post("/items/{code}/merge", response={200: ItemDetailOut, **ERRORS}, operation_id="feedback_items_merge")
def items_merge(request: HttpRequest, code: str, payload: MergeIn) -> ItemDetailOut:
    item = selectors.item_for_staff(user=request.user, code=code)
    into = selectors.item_for_staff(user=request.user, code=payload.into)
    return _detail(services.feedback_merge(duplicate=item, into=into, actor=request.user))


@router.get("/metrics", response={200: list[MetricsRowOut], **ERRORS}, operation_id="feedback_metrics")
def metrics(request: HttpRequest, period: str, group_by: str = "unit") -> list[MetricsRowOut]:
    """On-time rates per stage and satisfaction, by unit or category, for a period (2026-10, 2026-Q4...)."""
    p = parse_period(period)
    rows = selectors.feedback_metrics(user=request.user, start=p.start_at, end=p.end_at, group_by=group_by)
    return [MetricsRowOut(label=r["label"], received=r["received"], stages=r["stages"], population=r["population"],
                          satisfactory=r["satisfactory"], on_time_rate=r["on_time_rate"],
                          satisfaction_rate=r["satisfaction_rate"]) for r in rows]


@router.get("/scorecard-counts/{period}/{unit}", response={200: ScorecardCountsOut, **ERRORS},
            operation_id="feedback_scorecard_counts")
def scorecard_counts(request: HttpRequest, period: str, unit: str) -> ScorecardCountsOut:
    """The counts behind the scorecard's feedback indicators for a unit's whole subtree."""
    from kycuong.org.scoping import ensure_unit_visible

    u = unit_by_code(unit)
    ensure_unit_visible(request.user, u.pk)
    p = parse_period(period)
    return ScorecardCountsOut(**selectors.feedback_scorecard_counts(unit_ids=unit_subtree_ids(u), start=p.start_at,
                                                                    end=p.end_at))


@router.get("/public/answers", response={200: list[PublicAnswerOut], **ERRORS}, auth=None,
            operation_id="feedback_public_answers")
def public_answers(request: HttpRequest, q: str = "", category: str = "", kind: str = "", limit: int = 20,
                   offset: int = 0) -> list[PublicAnswerOut]:
    """The knowledge base: published, redacted answers; search without diacritics."""
    qs = selectors.knowledge_base(q=q[:200], category=category, kind=kind)
    limit = max(1, min(limit, 100))
    return [PublicAnswerOut(code=i.code, kind=i.kind, category=i.category.code, title=i.public_title, question=i.public_question,
                            answer=i.public_answer, unit_name=i.unit.name, published_at=i.published_at)
            for i in qs[offset:offset + limit]]


@router.get("/public/track/{code}", response={200: TrackOut, **ERRORS}, auth=None, operation_id="feedback_public_track")
def public_track(request: HttpRequest, code: str, secret: str) -> TrackOut:
    """The citizen's view of one item (code + secret); failed attempts are rate-limited per IP."""
    if lookup_blocked(request):
        raise RateLimited(_("Tra cứu sai quá nhiều lần, vui lòng thử lại sau."))
    try:
        item = selectors.item_for_tracking(code=code, secret=secret)
    except NotFound:
        lookup_failed(request)
        raise
    return TrackOut(code=item.code, status=item.status, status_label=str(item.get_status_display()),
                    category=item.category.name, unit_name=item.unit.name, received_at=item.received_at,
                    due_at=item.due_at, overdue=item.is_overdue(timezone.now()), public_answer=item.public_answer if item.status == "published" else "",
                    satisfaction=item.satisfaction)
