"""Thin HTML views over the feedback services: the public form, tracking page and knowledge base,
and the staff inbox, item page, staff entry and metrics."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kycuong.core.audit import personal_data_access_record
from kycuong.core.errors import DomainError, NotFound, ValidationFailed
from kycuong.core.periods import TZ, parse_period, period_containing
from kycuong.core.text import mask_name, mask_phone
from kycuong.org.models import Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import units_visible_to

from . import lifecycle, selectors, services
from .forms import IntakeForm, LookupForm, RateForm, ReasonForm, StaffEntryForm, SupplyInfoForm
from .models import AnswerStatus, Category, Kind, Photo, Satisfaction, Status
from .ratelimit import intake_allowed, lookup_blocked, lookup_failed

SESSION_KEY = "feedback_submitted"


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def _apply_domain_error(form: Any, exc: DomainError) -> None:
    errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
    if errors:
        for field, message in errors.items():
            form.add_error(field if field in form.fields else None, message)
    elif exc.details.get("field") in getattr(form, "fields", {}):
        form.add_error(exc.details["field"], str(exc.message))
    else:
        form.add_error(None, str(exc.message))


def _submit_from_form(request: HttpRequest, form: Any, *, channel: str) -> services.Submitted:
    d = form.cleaned_data
    return services.feedback_submit(
        kind=d["kind"], channel=channel, category=d["category"], title=d.get("title", ""), description=d["description"],
        address=d.get("address", ""), place=d.get("place"), lat=d.get("lat"), long=d.get("long"),
        photos=request.FILES.getlist("photos"), is_anonymous=bool(d.get("is_anonymous")),
        reporter_name=d.get("reporter_name", ""), reporter_phone=d.get("reporter_phone", ""),
        reporter_email=d.get("reporter_email", ""), consent=bool(d.get("consent")), actor=request.user,
    )


# --- public -------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest, kind: str = Kind.FEEDBACK) -> HttpResponse:
    """Public form in two pages (GOV.UK pattern): the answers with the consent notice, then
    "check your answers" with the optional photos, then the confirmation page. Every field is
    validated again when the citizen presses "Gửi" on the check page."""
    if request.method == "POST":
        step = request.POST.get("step", "check")
        form = IntakeForm(request.POST, request.FILES)
        if step == "edit":
            form.is_valid()
            return render(request, "feedback/intake.html", {"form": IntakeForm(initial=form.cleaned_data), "kind": kind})
        if step == "send" and not intake_allowed(request):
            form.is_valid()
            form.add_error(None, _("Bạn đã gửi quá nhiều phản ánh trong thời gian ngắn. Vui lòng thử lại sau ít phút."))
            return render(request, "feedback/intake.html", {"form": form, "kind": kind}, status=429)
        if form.is_valid():
            if step != "send":
                return render(request, "feedback/check.html", {"form": form, "kind": kind, "data": form.cleaned_data})
            try:
                submitted = _submit_from_form(request, form, channel="web")
            except DomainError as exc:
                _apply_domain_error(form, exc)
                if "photos" in form.errors:
                    return render(request, "feedback/check.html", {"form": form, "kind": kind,
                                                                   "data": form.cleaned_data}, status=422)
            else:
                request.session[SESSION_KEY] = {"code": submitted.item.code, "secret": submitted.secret}
                return redirect("feedback:submitted")
        return render(request, "feedback/intake.html", {"form": form, "kind": kind}, status=422)
    form = IntakeForm(initial={"kind": kind, "category": request.GET.get("linh_vuc") and
                               Category.objects.filter(code=request.GET["linh_vuc"]).first()})
    return render(request, "feedback/intake.html", {"form": form, "kind": kind})


def submitted(request: HttpRequest) -> HttpResponse:
    data = request.session.get(SESSION_KEY)
    if not data:
        return redirect("feedback:lookup")
    try:
        item = selectors.item_for_tracking(code=data["code"], secret=data["secret"])
    except NotFound:
        request.session.pop(SESSION_KEY, None)
        return redirect("feedback:lookup")
    track = reverse("feedback:track", args=[item.code]) + f"?k={data['secret']}"
    return render(request, "feedback/submitted.html", {"item": item, "secret": data["secret"], "track_url": track})


def _too_many(request: HttpRequest, code: str = "") -> HttpResponse:
    return render(request, "feedback/lookup.html", {"form": LookupForm(initial={"code": code}), "too_many": True},
                  status=429)


def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET or None)
    if form.is_valid() and lookup_blocked(request):
        return _too_many(request)
    if form.is_valid():
        code = form.cleaned_data["code"].strip().upper()
        try:
            selectors.item_for_tracking(code=code, secret=form.cleaned_data["k"])
        except NotFound as exc:
            lookup_failed(request)
            form.add_error(None, str(exc.message))
        else:
            return redirect(reverse("feedback:track", args=[code]) + f"?k={form.cleaned_data['k'].strip()}")
    return render(request, "feedback/lookup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen's tracking page (code + secret): public events, the published answer, and the
    rating / reopen / supply-information forms. Never internal notes or other people's data."""
    secret = (request.POST.get("k") or request.GET.get("k") or "").strip()
    if lookup_blocked(request):
        return _too_many(request, code)
    try:
        item = selectors.item_for_tracking(code=code, secret=secret)
    except NotFound:
        lookup_failed(request)
        return render(request, "feedback/lookup.html", {"form": LookupForm(initial={"code": code}),
                                                        "not_found": True}, status=404)
    rate_form, reopen_form, info_form = RateForm(), ReasonForm(), SupplyInfoForm()
    pol = selectors.policy()
    action_error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "rate":
                rate_form = RateForm(request.POST)
                if rate_form.is_valid():
                    services.feedback_rate(item=item, satisfaction=rate_form.cleaned_data["satisfaction"])
                    return redirect(request.path + f"?k={secret}#ket-qua")
            elif action == "reopen":
                reopen_form = ReasonForm(request.POST)
                if reopen_form.is_valid():
                    services.feedback_reopen(item=item, reason=reopen_form.cleaned_data["reason"])
                    return redirect(request.path + f"?k={secret}")
            elif action == "info":
                info_form = SupplyInfoForm(request.POST)
                if info_form.is_valid():
                    services.feedback_supply_info(item=item, text=info_form.cleaned_data["text"])
                    return redirect(request.path + f"?k={secret}")
        except DomainError as exc:
            action_error = str(exc.message)
        item.refresh_from_db()
    now = timezone.now()
    events = selectors.public_events(item)
    actions = lifecycle.citizen_actions(item, now=now, reopen_days=pol.reopen_window_days)
    info_request = next((e for e in reversed(events) if e.type == "info_requested"), None)
    return render(request, "feedback/track.html", {
        "item": item, "secret": secret, "events": events, "rate_form": rate_form, "reopen_form": reopen_form,
        "info_form": info_form, "actions": actions, "overdue": item.is_overdue(now), "reopen_days": pol.reopen_window_days,
        "info_request": info_request, "Satisfaction": Satisfaction, "Status": Status, "action_error": action_error,
    }, status=422 if action_error else 200)


def knowledge_base(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    category = request.GET.get("linh_vuc", "")
    kind = request.GET.get("loai", "")
    qs = selectors.knowledge_base(q=q, category=category, kind=kind)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "feedback/kb.html", {"page": page, "q": q, "category": category, "kind": kind,
                                                "categories": selectors.categories_active(), "kinds": Kind.choices,
                                                "query": query.urlencode()})


def knowledge_base_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = selectors.knowledge_base().filter(code=code).first()
    if item is None:
        raise Http404
    return render(request, "feedback/kb_detail.html", {"item": item})


# --- staff --------------------------------------------------------------------------------------
def _item(request: HttpRequest, code: str) -> Any:
    try:
        return selectors.item_for_staff(user=request.user, code=code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    params = request.GET.dict()
    qs = selectors.inbox(user=request.user, params=params, now=now)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    today = now.astimezone(TZ).date()
    rows = []
    for item in page:
        due = item.due_at
        overdue = item.is_overdue(now)
        rows.append({"item": item, "overdue": overdue,
                     "due_today": bool(due and not overdue and due.astimezone(TZ).date() == today)})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "feedback/inbox.html", {
        "rows": rows, "page": page, "params": params, "statuses": Status.choices, "kinds": Kind.choices,
        "categories": selectors.categories_active(), "query": query.urlencode(),
        "counts": selectors.counts_for_dashboard(user=request.user, now=now),
    })


def _detail_context(request: HttpRequest, item: Any, *, reveal: bool = False) -> dict[str, Any]:
    scope = scope_for(request.user)
    now = timezone.now()
    answer = item.answers.filter(round=item.reopen_count).first()
    members = (services.active_memberships().filter(unit__path__startswith=item.unit.path).select_related("staff")
               .order_by("staff__full_name"))
    is_manager = scope.manages(item.unit_id)
    contact = {
        "name": item.reporter_name if reveal else mask_name(item.reporter_name),
        "phone": item.reporter_phone if reveal else mask_phone(item.reporter_phone),
        "email": item.reporter_email if reveal else mask_email(item.reporter_email),
    }
    return {
        "item": item, "answer": answer, "events": item.events.select_related("actor", "from_unit", "to_unit"),
        "photos": item.photos.all(), "followers": item.followers.count(), "is_manager": is_manager,
        "actions": lifecycle.staff_actions(item, now=now, is_manager=is_manager, answer=answer),
        "overdue": item.is_overdue(now),
        "staff_choices": sorted({m.staff for m in members}, key=lambda s: s.full_name),
        "units": Unit.objects.filter(kind__in=services.HANDLING_UNIT_KINDS).order_by("path"),
        "contact": contact, "revealed": reveal, "AnswerStatus": AnswerStatus, "Status": Status,
        "alerts": item.alerts.select_related("unit"),
        "now": now,
    }


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    item = _item(request, code)
    return render(request, "feedback/detail.html", _detail_context(request, item))


@login_required
@require_POST
def reveal_contact(request: HttpRequest, code: str) -> HttpResponse:
    """Show the reporter's contact in clear; each showing is logged (Decree 356/2025)."""
    item = _item(request, code)
    personal_data_access_record(obj=item, fields=["reporter_name", "reporter_phone", "reporter_email"],
                                actor=request.user, purpose="feedback.contact")
    return render(request, "feedback/detail.html", _detail_context(request, item, reveal=True))


@login_required
@require_POST
def act(request: HttpRequest, code: str) -> HttpResponse:
    """One endpoint for the item page's buttons; each calls one service."""
    item = _item(request, code)
    action = request.POST.get("action", "")
    post = request.POST
    user = request.user
    try:
        if action not in lifecycle.Action.values or action in lifecycle.CITIZEN_ACTIONS:
            raise ValidationFailed(_("Thao tác không hợp lệ."))
        if action == "assign":
            from kycuong.org.models import Staff

            assignee = Staff.objects.filter(pk=post.get("assignee") or 0).first() if post.get("assignee") else None
            services.feedback_assign(item=item, actor=user, assignee=assignee)
        elif action == "reassign":
            to_unit = Unit.objects.filter(pk=post.get("to_unit") or 0).first() if post.get("to_unit") else None
            services.feedback_reassign(item=item, to_unit=to_unit, reason=post.get("reason", ""), actor=user)
        elif action == "request_info":
            services.feedback_request_info(item=item, message=post.get("message", ""), actor=user)
        elif action == "refuse":
            services.feedback_refuse(item=item, reason=post.get("reason", ""), actor=user)
        elif action == "draft":
            services.answer_save_draft(item=item, body=post.get("body", ""), actor=user)
        elif action == "submit":
            services.answer_submit(item=item, actor=user)
        elif action == "return":
            services.answer_return(item=item, reason=post.get("reason", ""), actor=user)
        elif action == "approve":
            services.answer_approve(item=item, actor=user)
        elif action == "publish":
            services.answer_publish(item=item, actor=user, public_question=post.get("public_question"),
                                    public_body=post.get("public_body"))
        elif action == "merge":
            into = selectors.item_for_staff(user=user, code=post.get("into", "").strip().upper())
            services.feedback_merge(duplicate=item, into=into, actor=user)
        else:
            raise ValidationFailed(_("Thao tác không hợp lệ."))
    except DomainError as exc:
        item.refresh_from_db()
        ctx = _detail_context(request, item)
        ctx["action_error"] = str(exc.message)
        ctx["action_errors"] = exc.details.get("errors", {}) if isinstance(exc.details, dict) else {}
        return render(request, "feedback/detail.html", ctx, status=exc.status)
    from django.contrib import messages

    messages.success(request, _("Đã cập nhật phản ánh %(code)s.") % {"code": item.code})
    return redirect("feedback:detail", code=item.code)


@login_required
@require_http_methods(["GET", "POST"])
def staff_entry(request: HttpRequest) -> HttpResponse:
    """Hotline calls and letters, entered by an officer; the secret is shown once to pass on."""
    form = StaffEntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = _submit_from_form(request, form, channel=form.cleaned_data["channel"])
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            return render(request, "feedback/submitted.html", {"item": result.item, "secret": result.secret, "staff": True,
                                                               "track_url": reverse("feedback:track", args=[result.item.code])
                                                               + f"?k={result.secret}"})
    return render(request, "feedback/staff_entry.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    p = Photo.objects.select_related("item").filter(pk=pk).first()
    if p is None or not selectors.items_visible_to(request.user).filter(pk=p.item_id).exists():
        raise Http404
    return FileResponse(p.file.open("rb"), content_type=p.content_type)


@login_required
def metrics(request: HttpRequest) -> HttpResponse:
    """On-time rate per stage and satisfaction (domain.md §5), by unit or category and period."""
    label = request.GET.get("ky") or period_containing(timezone.now().astimezone(TZ).date(), "month").label
    try:
        period = parse_period(label)
    except ValidationFailed:
        period = period_containing(timezone.now().astimezone(TZ).date(), "month")
    group = request.GET.get("theo", "unit")
    rows = selectors.feedback_metrics(user=request.user, start=period.start_at, end=period.end_at, group_by=group)
    if request.GET.get("dinh_dang") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="phan-anh-{period.label}-{group}.csv"'
        response.write("\ufeff")
        w = csv.writer(response)
        w.writerow(["nhom", "tiep_nhan", "tu_choi_dung_han", "tu_choi", "bo_sung_dung_han", "bo_sung",
                    "giai_quyet_dung_han", "giai_quyet", "cong_khai_dung_han", "cong_khai", "doi_tuong", "hai_long",
                    "khong_hai_long", "mo_lai", "tre_han"])
        for r in rows:
            s = r["stages"]
            w.writerow([r["label"], r["received"], s["refuse"]["on_time"], s["refuse"]["done"], s["info"]["on_time"],
                        s["info"]["done"], s["resolve"]["on_time"], s["resolve"]["done"], s["publish"]["on_time"],
                        s["publish"]["done"], r["population"], r["satisfactory"], r["scorecard"]["rated_not_satisfied"],
                        r["scorecard"]["reopened"], r["scorecard"]["late"]])
        return response
    return render(request, "feedback/metrics.html", {"rows": rows, "period": period, "group": group,
                                                     "units_count": units_visible_to(request.user).count()})
