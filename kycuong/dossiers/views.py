"""Officer screens: thin views over selectors and services (htmx partials where useful)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kycuong.core.audit import personal_data_access_record
from kycuong.core.errors import DomainError, NotFound
from kycuong.core.exports import xlsx_bytes, xlsx_response
from kycuong.core.periods import period_containing
from kycuong.core.text import mask_id_number, mask_phone
from kycuong.org.models import CITY_WIDE_ROLES, MANAGER_ROLES, Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import primary_unit_of, roles_of, staff_for_user
from kycuong.procedures.selectors import procedure_by_code, procedure_deciding_units, procedure_search

from . import forms as f
from . import lifecycle
from . import selectors as sel
from . import services as svc
from .models import Dossier, Status

PAGE_SIZE = 50


def _staff(request: HttpRequest) -> Staff | None:
    staff = getattr(request, "_kc_staff", None)
    if staff is None:
        staff = staff_for_user(request.user)
        request._kc_staff = staff  # type: ignore[attr-defined]
    return staff


def _domain_get(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _doc_url(code: str, form: str) -> str:
    try:
        return reverse("dossier_documents:form", kwargs={"code": code, "form": form})
    except NoReverseMatch:
        return ""


# --- lists ----------------------------------------------------------------------------------

def _list(request: HttpRequest, *, mode: str) -> HttpResponse:
    filters = sel.DossierFilters.from_query(request.GET)
    now = timezone.now()
    try:
        if mode == "my":
            qs = sel.dossiers_mine(user=request.user, filters=filters, at=now)
        else:
            qs = sel.dossiers_of_units(user=request.user, filters=filters, at=now)
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        error = ""
    except DomainError as exc:
        page = Paginator(Dossier.objects.none(), PAGE_SIZE).get_page(1)
        error = str(exc.message)
    context = {
        "mode": mode, "page": page, "filters": filters, "query": filters.as_query(), "error": error,
        "statuses": [("open", _("Đang giải quyết (tất cả)")), *Status.choices],
        "urgency_labels": sel.URGENCY_LABELS, "now": now,
        "can_reassign": mode == "unit" and _is_manager(request),
    }
    template = "dossiers/_list_table.html" if request.headers.get("HX-Request") else "dossiers/list.html"
    return render(request, template, context)


def _is_manager(request: HttpRequest) -> bool:
    return bool(request.user.is_superuser or roles_of(request.user) & (MANAGER_ROLES | CITY_WIDE_ROLES))


@login_required
def my_list(request: HttpRequest) -> HttpResponse:
    return _list(request, mode="my")


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    if not _is_manager(request):
        raise PermissionDenied
    return _list(request, mode="unit")


# --- intake ---------------------------------------------------------------------------------

@login_required
def intake(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    procedures = list(procedure_search(q)[:40]) if q else list(procedure_search("")[:40])
    return render(request, "dossiers/intake_choose.html", {"q": q, "procedures": procedures})


def _intake_units(procedure: Any, staff: Staff | None) -> Any:
    return procedure_deciding_units(procedure).order_by("code")


@login_required
def intake_form(request: HttpRequest, procedure_code: str) -> HttpResponse:
    procedure = _domain_get(lambda: procedure_by_code(procedure_code))
    staff = _staff(request)
    received_unit = primary_unit_of(staff) if staff else None
    if received_unit is None:
        raise PermissionDenied
    units = _intake_units(procedure, staff)
    initial_unit = units.filter(pk=received_unit.pk).first() or units.filter(path__startswith=received_unit.path).first()
    stage = request.POST.get("stage", "") if request.method == "POST" else ""
    form = f.IntakeForm(request.POST or None, procedure=procedure, units=units,
                        initial={"unit": initial_unit.pk if initial_unit else None})
    context: dict[str, Any] = {"procedure": procedure, "form": form, "received_unit": received_unit}
    if request.method == "POST" and form.is_valid():
        from .online import form_data_clean

        _clean, field_errors = form_data_clean(procedure=procedure, data=form.form_data())
        for name, message in field_errors.items():
            form.add_error(f"f_{name}", message)
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        try:
            if stage == "confirm":
                dossier = svc.dossier_receive(
                    procedure=procedure, unit=unit, received_unit=received_unit, applicant=form.applicant(),
                    received_by=staff, form_data=form.form_data(), fee_payment=form.cleaned_data["fee_payment"],
                    digitized_input=form.cleaned_data["digitized_input"])
                messages.success(request, _("Đã tiếp nhận hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("dossiers:receipt", code=dossier.code)
            if stage == "refuse":
                reason = request.POST.get("refuse_reason", "").strip()
                dossier = svc.dossier_refuse_intake(procedure=procedure, unit=unit, received_unit=received_unit,
                                                    applicant=form.applicant(), reason=reason, refused_by=staff)
                messages.success(request, _("Đã lập phiếu từ chối tiếp nhận %(code)s.") % {"code": dossier.code})
                return redirect("dossiers:detail", code=dossier.code)
        except DomainError as exc:
            context["error"] = str(exc.message)
            if stage == "refuse":
                context["refuse_error"] = str(exc.message)
        if stage in ("check", "confirm", "refuse"):
            due = None
            with contextlib.suppress(DomainError):
                due = svc.due_at_compute(received_at=timezone.now(), value=float(procedure.processing_value),
                                         unit_of_time=procedure.processing_unit, unit=unit,
                                         cutoff=svc.procedure_cutoff(procedure))
            context.update({"due_preview": due, "unit": unit})
            return render(request, "dossiers/intake_check.html", context)
    return render(request, "dossiers/intake_form.html", context)


@login_required
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _domain_get(lambda: sel.dossier_for_user(user=request.user, code=code))
    return render(request, "dossiers/receipt.html", {"dossier": dossier, "form01_url": _doc_url(code, "01")})


# --- detail and actions -----------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """A button of the detail screen. Which statuses show it is not written here: the state machine
    (`lifecycle.TRANSITIONS[name]`) decides, so the screen offers exactly what the services accept."""

    name: str
    slug: str
    label: Any
    form: type
    tone: str = ""
    document: str = ""  # printable form after success

    @property
    def statuses(self) -> frozenset[str]:
        return lifecycle.TRANSITIONS[self.name].sources


ACTIONS = [
    Action("accept", "tiep-nhan", gettext_lazy("Tiếp nhận"), f.EmptyForm),
    Action("refuse", "tu-choi", gettext_lazy("Từ chối tiếp nhận"), f.ReasonForm, "danger", "03"),
    Action("hand_over", "chuyen-buoc", gettext_lazy("Chuyển bước tiếp theo"), f.HandOverForm),
    Action("assign", "phan-cong", gettext_lazy("Phân công"), f.AssignForm, "secondary"),
    Action("transfer", "lien-thong", gettext_lazy("Chuyển liên thông"), f.TransferForm, "secondary"),
    Action("request_supplement", "yeu-cau-bo-sung", gettext_lazy("Yêu cầu bổ sung"), f.ReasonForm, "secondary", "02"),
    Action("complete_supplement", "da-bo-sung", gettext_lazy("Đã nhận bổ sung"), f.NoteForm),
    Action("apologize", "xin-loi", gettext_lazy("Thư xin lỗi, hẹn lại"), f.ApologizeForm, "secondary", "04"),
    Action("finish", "co-ket-qua", gettext_lazy("Có kết quả"), f.FinishForm),
    Action("return", "tra-ket-qua", gettext_lazy("Trả kết quả"), f.EmptyForm),
    Action("reassign", "doi-can-bo", gettext_lazy("Đổi cán bộ chịu trách nhiệm"), f.ReassignForm, "secondary"),
    Action("withdraw", "rut-ho-so", gettext_lazy("Công dân rút hồ sơ"), f.ReasonForm, "danger"),
    Action("stop", "dung-xu-ly", gettext_lazy("Dừng xử lý"), f.ReasonForm, "danger"),
]
ACTIONS_BY_SLUG = {a.slug: a for a in ACTIONS}


def _actions_for(request: HttpRequest, dossier: Dossier) -> list[Action]:
    scope = scope_for(request.user)
    manages = scope.manages(dossier.unit_id) or scope.manages(dossier.current_unit_id)
    return [a for a in ACTIONS if lifecycle.allowed(a.name, dossier.status) and (a.name != "reassign" or manages)]


def _form_for(action: Action, dossier: Dossier, data: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if action.form in (f.HandOverForm, f.AssignForm, f.ReassignForm):
        unit = dossier.current_unit if action.name != "reassign" else dossier.unit
        kwargs["staff"] = sel.staff_choices_for(unit)
    return action.form(data, initial={"version": dossier.version}, **kwargs)


def _run(action: Action, dossier: Dossier, form: Any, staff: Staff | None) -> Dossier:
    d = form.cleaned_data
    v = d.get("version")
    common = {"dossier": dossier, "expected_version": v}
    match action.name:
        case "accept":
            return svc.dossier_accept(accepted_by=staff, **common)
        case "refuse":
            return svc.dossier_refuse(reason=d["reason"], refused_by=staff, **common)
        case "hand_over":
            return svc.dossier_hand_over(actor=staff, to_staff=d.get("to_staff"), note=d.get("note", ""), **common)
        case "assign":
            return svc.dossier_assign(assignee=d["assignee"], actor=staff, **common)
        case "transfer":
            return svc.dossier_transfer(to_unit=d["to_unit"], reason=d.get("reason", ""), actor=staff, **common)
        case "request_supplement":
            return svc.dossier_request_supplement(reason=d["reason"], actor=staff, **common)
        case "complete_supplement":
            return svc.dossier_complete_supplement(actor=staff, note=d.get("note", ""), **common)
        case "apologize":
            return svc.dossier_apologize(reason=d["reason"], new_due_at=d["new_due_at"], actor=staff, **common)
        case "finish":
            return svc.dossier_finish(actor=staff, digitized_result=d.get("digitized_result"), note=d.get("note", ""),
                                      **common)
        case "return":
            return svc.dossier_return(actor=staff, **common)
        case "reassign":
            return svc.dossier_reassign_accountable(accountable=d["accountable"], reason=d.get("reason", ""),
                                                    actor=staff, **common)
        case "withdraw":
            return svc.dossier_withdraw(reason=d["reason"], actor=staff, **common)
        case "stop":
            return svc.dossier_stop(reason=d["reason"], actor=staff, **common)
    raise Http404


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _domain_get(lambda: sel.dossier_detail(user=request.user, code=code))
    show_pii = request.GET.get("pii") == "1"
    if show_pii:
        personal_data_access_record(obj=dossier, fields=["applicant_id_number", "applicant_phone"],
                                    actor=request.user, purpose="dossier detail")
    used = sel.time_used(dossier)
    late_warning = (dossier.status in (Status.RECEIVED, Status.IN_PROGRESS) and used is not None and used >= 0.8
                    and dossier.apology_due_at is None)
    context = {
        "dossier": dossier, "actions": _actions_for(request, dossier), "used": used,
        "used_percent": round(used * 100) if used is not None else None, "late_warning": late_warning,
        "show_pii": show_pii,
        "id_number": dossier.applicant_id_number if show_pii else mask_id_number(dossier.applicant_id_number),
        "phone": dossier.applicant_phone if show_pii else mask_phone(dossier.applicant_phone),
        "documents": [(n, label, _doc_url(code, n)) for n, label in (
            ("01", _("Mẫu 01 – Giấy tiếp nhận, hẹn trả")), ("02", _("Mẫu 02 – Yêu cầu bổ sung")),
            ("03", _("Mẫu 03 – Từ chối tiếp nhận")), ("04", _("Mẫu 04 – Thư xin lỗi, hẹn lại")),
            ("05", _("Mẫu 05 – Phiếu kiểm soát"))) if _doc_url(code, n)],
        "now": timezone.now(),
    }
    return render(request, "dossiers/detail.html", context)


@login_required
def action(request: HttpRequest, code: str, slug: str) -> HttpResponse:
    act = ACTIONS_BY_SLUG.get(slug)
    if act is None:
        raise Http404
    dossier = _domain_get(lambda: sel.dossier_for_user(user=request.user, code=code))
    htmx = bool(request.headers.get("HX-Request"))
    form = _form_for(act, dossier, request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            _run(act, dossier, form, _staff(request))
        except DomainError as exc:
            error = str(exc.message)
            field = exc.details.get("field") if isinstance(exc.details, dict) else None
            if field and field in form.fields:
                form.add_error(field, error)
                error = ""
        else:
            messages.success(request, _("Đã thực hiện: %(action)s.") % {"action": act.label})
            url = reverse("dossiers:detail", kwargs={"code": code})
            if htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    context = {"dossier": dossier, "action": act, "form": form, "error": error}
    template = "dossiers/_action_form.html" if htmx else "dossiers/action.html"
    # htmx swaps only 2xx responses: the re-rendered form with its errors comes back as 200 there.
    return render(request, template, context, status=422 if request.method == "POST" and not htmx else 200)


# --- statistics -------------------------------------------------------------------------------

@login_required
def stats(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    period_label = request.GET.get("period") or period_containing(timezone.localdate(), "month").label
    group = request.GET.get("group") or "unit"
    unit = request.GET.get("unit", "").strip()
    error = ""
    rows: list[sel.StatRow] = []
    total = sel.StatRow(key="", name=_("Tổng cộng"))
    try:
        rows, total = sel.dossier_statistics(user=request.user, period=period_label, group=group, unit=unit, at=now)
    except DomainError as exc:
        error = str(exc.message)
    if request.GET.get("format") == "xlsx" and not error:
        content = xlsx_bytes(title=_("Thống kê giải quyết hồ sơ TTHC"),
                             subtitle=_("Kỳ %(p)s — theo %(g)s") % {"p": period_label, "g": group},
                             headers=[str(h) for h in sel.STAT_HEADERS], rows=sel.stat_rows_for_export(rows, total),
                             widths=[22, 50, 12, 12, 12, 12, 12, 14, 14, 12, 16])
        return xlsx_response(content, f"thong-ke-ho-so-{period_label}-{group}.xlsx")
    from urllib.parse import urlencode

    query = urlencode({"period": period_label, "group": group, "unit": unit})
    return render(request, "dossiers/stats.html", {
        "rows": rows, "total": total, "period": period_label, "group": group, "unit": unit, "error": error,
        "groups": [("unit", _("Đơn vị")), ("procedure", _("Thủ tục")), ("officer", _("Cán bộ"))],
        "query": query, "units": Unit.objects.filter(id__in=scope_for(request.user).unit_ids).order_by("path")[:300]
        if not scope_for(request.user).all_units else Unit.objects.filter(depth__lte=1).order_by("path"),
    })


# --- notifications ----------------------------------------------------------------------------

@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    qs = sel.notifications_for(user=request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dossiers/notifications.html", {"page": page, "query": ""})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    from .notifications import notifications_mark_read

    ids = [int(x) for x in request.POST.getlist("id") if x.isdigit()]
    notifications_mark_read(user=request.user, ids=ids or None)
    return redirect("dossiers:notifications")
