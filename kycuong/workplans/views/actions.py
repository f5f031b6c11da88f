"""Work program actions (POST only): thin calls of the services; a refused action shows the
service's translated error and changes nothing. Quick completion answers htmx with the item row."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kycuong.core.errors import NotFound
from kycuong.org.models import Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import primary_unit_of

from ..forms import CommentForm, CompleteForm, RescheduleForm
from ..models import EvidenceKind, ProgramKind
from ..selectors import lists as sel
from .common import back, is_htmx, run, staff_of
from .screens import (
    STATUS_CLASS_LABELS,
    _decorate_actions,
    _program_or_404,
    edit_form,
    item_form,
    item_or_404,
)

WEEK = "workplans:week"


@login_required
@require_POST
def item_add(request: HttpRequest) -> HttpResponse:
    from kycuong.core.periods import parse_period

    from ..services.items import item_create
    from ..services.programs import program_get_or_create

    staff = staff_of(request)
    unit = primary_unit_of(staff) if staff else None
    if staff is None or unit is None:
        raise Http404(_("Tài khoản chưa thuộc đơn vị nào."))
    label = request.POST.get("period", "")
    ok, period = run(request, lambda: parse_period(label), "")
    if not ok:
        return back(request, reverse(WEEK))
    form = item_form(unit, period, request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return back(request, reverse(WEEK))
    data = form.cleaned_data

    def create() -> object:
        program = program_get_or_create(kind=ProgramKind.PERSONAL, unit=unit, period=period.label, owner=staff,
                                        actor=request.user)
        return item_create(program=program, title=data["title"], product_type=data["product_type"],
                           quantity=data["quantity"], due_at=form.due_at(), co_workers=list(data["co_workers"]),
                           parent=data["parent"], actor=request.user)

    run(request, create, _("Đã thêm công việc."))
    return back(request, reverse(WEEK))


@login_required
@require_POST
def unit_item_add(request: HttpRequest) -> HttpResponse:
    """A head adds an item to the unit's program of the period (created on first use)."""
    from kycuong.core.periods import parse_period

    from ..services.items import item_create
    from ..services.programs import program_get_or_create

    unit = Unit.objects.filter(code=request.POST.get("unit", "")).first()
    if unit is None or not scope_for(request.user).allows(unit.pk):
        raise Http404(_("Không tìm thấy hoặc bạn không có quyền xem."))
    default = reverse("workplans:unit") + f"?don-vi={unit.code}"
    label = request.POST.get("period", "")
    ok, period = run(request, lambda: parse_period(label), "")
    if not ok:
        return back(request, default)
    form = item_form(unit, period, request.POST, for_unit=True)
    if not form.is_valid():
        _form_errors(request, form)
        return back(request, default)
    data = form.cleaned_data

    def create() -> object:
        program = program_get_or_create(kind=ProgramKind.UNIT, unit=unit, period=period.label, actor=request.user)
        return item_create(program=program, title=data["title"], product_type=data["product_type"],
                           quantity=data["quantity"], due_at=form.due_at(), owner=data["owner"],
                           co_workers=list(data["co_workers"]), parent=data["parent"], actor=request.user)

    run(request, create, _("Đã thêm công việc vào chương trình của đơn vị."))
    return back(request, default)


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label_text = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label_text}: {' '.join(str(e) for e in errors)}")


def _program_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    from ..services import programs as svc

    program = _program_or_404(request, pk)
    version = request.POST.get("version")
    expected = int(version) if version and version.isdigit() else None
    default = reverse("workplans:program", args=[program.pk])
    if action == "submit":
        run(request, lambda: svc.program_submit(program=program, actor=request.user, expected_version=expected),
            _("Đã gửi duyệt chương trình."))
    elif action == "approve":
        run(request, lambda: svc.program_approve(program=program, actor=request.user, expected_version=expected),
            _("Đã duyệt chương trình."))
    elif action == "return":
        form = CommentForm(request.POST)
        comment = form.data.get("comment", "").strip()
        run(request, lambda: svc.program_return(program=program, comment=comment, actor=request.user,
                                                expected_version=expected), _("Đã trả lại chương trình để sửa."))
    elif action == "reopen":
        run(request, lambda: svc.program_reopen(program=program, actor=request.user), _("Đã mở lại chương trình để sửa."))
    return back(request, default)


@login_required
@require_POST
def program_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_action(request, pk, "submit")


@login_required
@require_POST
def program_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_action(request, pk, "approve")


@login_required
@require_POST
def program_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_action(request, pk, "return")


@login_required
@require_POST
def program_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _program_action(request, pk, "reopen")


@login_required
@require_POST
def item_complete(request: HttpRequest, code: str) -> HttpResponse:
    """Quick completion: result + note + optionally a dossier (by code) as evidence, in one go."""
    from django.db import transaction

    from kycuong.dossiers.models import Dossier

    from ..services import items as svc

    item = item_or_404(request, code)
    form = CompleteForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Chọn kết quả thực hiện.")
    else:
        data = form.cleaned_data
        dossier_code = data["dossier"].strip()

        def complete() -> object:
            with transaction.atomic():
                if dossier_code:
                    dossier = Dossier.objects.visible_to(request.user).filter(code=dossier_code).first()
                    if dossier is None:
                        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": dossier_code})
                    svc.evidence_add(item=item, kind=EvidenceKind.DOSSIER, dossier=dossier, title=dossier.code,
                                     actor=request.user)
                    item.refresh_from_db()
                return svc.item_complete(item=item, completion=data["completion"], note=data["note"],
                                         actor=request.user)

        ok, result = run(request, complete, "" if is_htmx(request) else _("Đã báo cáo kết quả."))
        if not ok:
            error = str(result.message)
    if is_htmx(request):
        fresh = sel.items_qs().get(pk=item.pk)
        sel.decorate([fresh], timezone.now())
        _decorate_actions([fresh], own=True, manages=False)
        list(messages.get_messages(request))  # consumed: an htmx row shows its own error
        return render(request, "workplans/_item_row.html", {
            "item": fresh, "labels": STATUS_CLASS_LABELS, "complete_form": CompleteForm(), "row_error": error,
            "next_url": request.POST.get("next", "")})
    return back(request, reverse("workplans:item", args=[item.code]))


def _item_manager_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    from ..services import items as svc

    item = item_or_404(request, code)
    note = request.POST.get("note", "").strip()
    if action == "accept":
        run(request, lambda: svc.item_accept(item=item, actor=request.user), _("Đã nghiệm thu công việc."))
    elif action == "quality_fail":
        run(request, lambda: svc.item_quality_fail(item=item, note=note, actor=request.user),
            _("Đã trả lại sản phẩm vì chưa đạt chất lượng."))
    elif action == "confirm_cause":
        run(request, lambda: svc.item_confirm_cause(item=item, actor=request.user),
            _("Đã xác nhận nguyên nhân khách quan."))
    elif action == "cancel":
        run(request, lambda: svc.item_cancel(item=item, reason=note, actor=request.user), _("Đã hủy công việc."))
    return back(request, reverse("workplans:item", args=[item.code]))


@login_required
@require_POST
def item_accept(request: HttpRequest, code: str) -> HttpResponse:
    return _item_manager_action(request, code, "accept")


@login_required
@require_POST
def item_quality_fail(request: HttpRequest, code: str) -> HttpResponse:
    return _item_manager_action(request, code, "quality_fail")


@login_required
@require_POST
def item_confirm_cause(request: HttpRequest, code: str) -> HttpResponse:
    return _item_manager_action(request, code, "confirm_cause")


@login_required
@require_POST
def item_cancel(request: HttpRequest, code: str) -> HttpResponse:
    return _item_manager_action(request, code, "cancel")


@login_required
@require_POST
def item_reschedule(request: HttpRequest, code: str) -> HttpResponse:
    """A later due date with a reason; an objective cause is only claimed here (the head confirms it)."""
    from ..services import items as svc

    item = item_or_404(request, code)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        data = form.cleaned_data
        run(request, lambda: svc.item_reschedule(item=item, new_due_at=form.new_due_at(), reason=data["reason"],
                                                 objective_cause=data["objective_cause"], actor=request.user),
            _("Đã lùi hạn công việc."))
    return back(request, reverse("workplans:item", args=[item.code]))


@login_required
@require_POST
def item_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Edit a draft or returned item; the version read with the form guards concurrent edits (409)."""
    from ..services import items as svc

    item = item_or_404(request, code)
    form = edit_form(item, request.POST)
    version = request.POST.get("version", "")
    if not form.is_valid():
        _form_errors(request, form)
    else:
        data = form.cleaned_data
        fields: dict[str, Any] = {"title": data["title"], "product_type": data["product_type"],
                                  "quantity": data["quantity"], "due_at": form.due_at(),
                                  "co_workers": list(data["co_workers"]), "parent": data["parent"]}
        if "owner" in data:
            fields["owner"] = data["owner"]
        run(request, lambda: svc.item_update(item=item, actor=request.user,
                                             expected_version=int(version) if version.isdigit() else None, **fields),
            _("Đã sửa công việc."))
    return back(request, reverse("workplans:item", args=[item.code]))
