"""Work program screens (reads): my week, my day, my month, the unit outline, the approval inbox,
the not-submitted board, the Gantt month, a program and an item. Thin: selectors/lists.py reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.periods import period_containing
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import primary_unit_of

from ..forms import CommentForm, CompleteForm, ItemForm, RescheduleForm, UnitItemForm
from ..lifecycle import item_allowed, program_allowed
from ..models import Program, ProgramKind, StatusClass, WorkItem
from ..selectors import lists as sel
from .common import period_of, staff_of, unit_of

STATUS_CLASS_LABELS = dict(StatusClass.choices)


def _program_actions(program: Program | None) -> list[str]:
    if program is None:
        return []
    from ..lifecycle import program_actions

    return list(program_actions(program))


def _item_actions(item: WorkItem) -> list[str]:
    if hasattr(item, "cause_pending"):
        return sel.actions_of(item)
    from ..lifecycle import item_actions

    return list(item_actions(item))


def item_form(unit: Any, period: Any, data: Any = None, *, for_unit: bool = False) -> ItemForm:
    """The add-item form of a personal program (or, `for_unit`, of the unit's program: the presiding
    person chosen, parents from the ancestors' unit programs)."""
    from ..selectors.catalogue import product_types_for

    day = max(period.start, timezone.localdate()) if period.start <= timezone.localdate() < period.end else period.start
    parents = sel.unit_item_choices(unit, period)
    if for_unit:
        parents = parents.exclude(unit=unit)
    form_class = UnitItemForm if for_unit else ItemForm
    return form_class(data, product_types=product_types_for(unit), people=sel.unit_people(unit, day), parents=parents,
                      initial={"due_date": min(period.start + dt.timedelta(days=4), period.end - dt.timedelta(days=1))})


def _decorate_actions(items: list[WorkItem], *, own: bool, manages: bool) -> None:
    for item in items:
        allowed = set(_item_actions(item))
        item.can_complete = own and "complete" in allowed  # type: ignore[attr-defined]
        managed = sorted(allowed & {"accept", "quality_fail", "confirm_cause", "cancel"}) if manages else []
        item.manager_actions = managed  # type: ignore[attr-defined]


def _personal(request: HttpRequest, kind: str, template: str) -> HttpResponse:
    staff = staff_of(request)
    if staff is None:
        raise Http404(_("Tài khoản chưa gắn với cán bộ nào."))
    unit = unit_of(request) if request.GET.get("don-vi") else primary_unit_of(staff)
    if unit is None:
        raise Http404(_("Tài khoản chưa thuộc đơn vị nào."))
    period = period_of(request, kind)
    now = timezone.now()
    program = sel.personal_program(staff=staff, unit=unit, period=period)
    items, others = sel.week_items(staff=staff, program=program, start=period.start, end=period.end, at=now)
    _decorate_actions(items + others, own=True, manages=False)
    context = {
        "kind": kind, "period": period, "last_day": period.end - dt.timedelta(days=1), "unit": unit, "program": program, "items": items, "others": others,
        "program_actions": _program_actions(program), "form": item_form(unit, period), "complete_form": CompleteForm(),
        "prev": period.previous(), "next": period.next(), "now": now, "labels": STATUS_CLASS_LABELS,
        "overdue": sum(1 for i in items + others if getattr(i, "overdue", False)),
        "next_url": request.get_full_path(),
    }
    return render(request, template, context)


@login_required
def my_week(request: HttpRequest) -> HttpResponse:
    return _personal(request, "week", "workplans/my_week.html")


@login_required
def my_month(request: HttpRequest) -> HttpResponse:
    return _personal(request, "month", "workplans/my_week.html")


@login_required
def my_day(request: HttpRequest) -> HttpResponse:
    staff = staff_of(request)
    if staff is None:
        raise Http404(_("Tài khoản chưa gắn với cán bộ nào."))
    raw = request.GET.get("ngay", "")
    error = ""
    try:
        day = dt.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        day, error = timezone.localdate(), _("Ngày không hợp lệ: dùng dạng 2026-11-16.")
    now = timezone.now()
    items = sel.day_items(staff=staff, day=day, at=now)
    _decorate_actions(items, own=True, manages=False)
    return render(request, "workplans/day.html", {
        "day": day, "items": items, "error": error, "prev": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1), "week": period_containing(day, "week"), "labels": STATUS_CLASS_LABELS,
        "complete_form": CompleteForm(), "next_url": request.get_full_path()})


@login_required
def unit_outline(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    kind = _kind_asked(request)
    period = period_of(request, kind)
    now = timezone.now()
    outline = sel.unit_outline(unit=unit, period=period, at=now)
    manages = scope_for(request.user).manages(unit.pk)
    return render(request, "workplans/unit_outline.html", {
        "unit": unit, "period": period, "kind": kind, "outline": outline, "labels": STATUS_CLASS_LABELS,
        "prev": period.previous(), "next": period.next(), "units": _units_menu(request), "manages": manages,
        "form": item_form(unit, period, for_unit=True) if manages else None,
        "program_actions": _program_actions(outline["program"]), "next_url": request.get_full_path()})


def _kind_asked(request: HttpRequest, kinds: tuple[str, ...] = ("week", "month", "quarter", "year")) -> str:
    """The period kind of ?ky= (when well formed), else ?loai=, else week."""
    from kycuong.core.errors import DomainError
    from kycuong.core.periods import parse_period

    try:
        kind = parse_period(request.GET["ky"]).kind if request.GET.get("ky") else request.GET.get("loai", "week")
    except DomainError:
        kind = request.GET.get("loai", "week")
    return kind if kind in kinds else "week"


def _units_menu(request: HttpRequest) -> list[Any]:
    from kycuong.org.selectors import units_visible_to

    return list(units_visible_to(request.user).order_by("path").only("code", "name", "depth")[:200])


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    data = sel.approval_inbox(user=request.user, staff=staff_of(request), at=now)
    _decorate_actions(data["reported"] + data["causes"], own=False, manages=True)
    return render(request, "workplans/inbox.html", {**data, "labels": STATUS_CLASS_LABELS,
                                                    "comment_form": CommentForm(), "next_url": request.get_full_path()})


@login_required
def board(request: HttpRequest) -> HttpResponse:
    from ..selectors.board import not_submitted_board

    unit = unit_of(request)
    kind = _kind_asked(request, ("week", "month"))
    period = period_of(request, kind)
    rows = not_submitted_board(user=request.user, unit=unit, period=period.label, at=timezone.now())
    return render(request, "workplans/board.html", {
        "unit": unit, "period": period, "kind": kind, "board": rows, "prev": period.previous(),
        "next": period.next(), "units": _units_menu(request)})


@login_required
def gantt(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    period = period_of(request, "month")
    mine = request.GET.get("cua-toi") == "1"
    staff = staff_of(request) if mine else None
    data = sel.gantt_month(unit=unit, period=period, at=timezone.now(), staff=staff)
    return render(request, "workplans/gantt.html", {
        **data, "unit": unit, "period": period, "mine": mine, "prev": period.previous(), "next": period.next(),
        "ncols": len(data["days"]) + 1})


def _program_or_404(request: HttpRequest, pk: int) -> Program:
    program = sel.visible_programs(request.user).filter(pk=pk).first()
    if program is None:
        raise Http404(_("Không tìm thấy hoặc bạn không có quyền xem."))
    return program


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = _program_or_404(request, pk)
    now = timezone.now()
    staff = staff_of(request)
    own = program.kind == ProgramKind.PERSONAL and staff is not None and program.owner_id == staff.pk
    manages = scope_for(request.user).manages(program.unit_id) and not own
    items = sel.program_items(program, now)
    _decorate_actions(items, own=own, manages=manages)
    return render(request, "workplans/program.html", {
        "program": program, "items": items, "own": own, "manages": manages, "labels": STATUS_CLASS_LABELS,
        "program_actions": _program_actions(program), "comment_form": CommentForm(), "complete_form": CompleteForm(),
        "next_url": request.get_full_path()})


def item_or_404(request: HttpRequest, code: str) -> WorkItem:
    visible = WorkItem.objects.visible_to(request.user).filter(code=code).values("pk")
    item = sel.items_qs().filter(pk__in=visible).first()
    if item is None:
        raise Http404(_("Không tìm thấy hoặc bạn không có quyền xem."))
    return item


@login_required
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = item_or_404(request, code)
    now = timezone.now()
    sel.decorate([item], now)
    staff = staff_of(request)
    own = staff is not None and item.owner_id == staff.pk
    manages = scope_for(request.user).manages(item.unit_id) and not own
    _decorate_actions([item], own=own, manages=manages)
    events = item.events.select_related("actor").order_by("at", "id")
    return render(request, "workplans/item.html", {
        "item": item, "events": events, "labels": STATUS_CLASS_LABELS, "own": own, "manages": manages,
        "complete_form": CompleteForm(), "next_url": request.get_full_path(),
        "reschedule_form": RescheduleForm() if "reschedule" in _item_actions(item) and (own or manages) else None,
        "edit_form": edit_form(item) if (own or manages) and item_allowed("edit", item.status)
        and program_allowed("edit", item.program.status) else None})


def edit_form(item: WorkItem, data: Any = None) -> ItemForm:
    """The add-item form filled with the item (a unit item's also has the presiding person)."""
    from kycuong.core.periods import TZ, parse_period

    local_due = item.due_at.astimezone(TZ)
    form = item_form(item.unit, parse_period(item.program.period), data,
                     for_unit=item.program.kind == ProgramKind.UNIT)
    if data is None:
        form.initial = {"title": item.title, "product_type": item.product_type_id, "quantity": item.quantity,
                        "due_date": local_due.date(), "due_time": local_due.time().replace(tzinfo=None),
                        "co_workers": [c.pk for c in item.co_workers.all()], "parent": item.parent_id,
                        "owner": item.owner_id}
    return form
