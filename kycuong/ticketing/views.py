"""Service-hall screens: kiosk, printed ticket, public status, display board, counter console,
metrics and device pairing. Thin layers over services/selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kycuong.core.errors import DomainError
from kycuong.core.exports import xlsx_bytes, xlsx_response
from kycuong.org.models import Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import staff_for_user

from . import lifecycle, selectors, services
from .auth import DEVICE_COOKIE, device_from_request
from .models import Counter, DeviceKind, Priority, ServiceArea, Ticket, TicketStatus

COOKIE_AGE = 3 * 365 * 24 * 3600


def qr_data_uri(url: str, scale: int = 5) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=scale, border=2)


def _public_url(path: str) -> str:
    return settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/") + path


# --- pairing ------------------------------------------------------------------------------------

def pair(request: HttpRequest) -> HttpResponse:
    """QR target: stores the device token in an HttpOnly cookie and opens the device's page."""
    raw = request.GET.get("t", "")
    device = selectors.device_for_token(raw)
    if device is None:
        return render(request, "ticketing/unpaired.html", {"invalid": bool(raw)}, status=403)
    target = reverse("ticketing:kiosk") if device.kind == DeviceKind.KIOSK else reverse("ratings:tablet")
    response = redirect(target)
    response.set_cookie(DEVICE_COOKIE, raw, max_age=COOKIE_AGE, httponly=True, samesite="Strict",
                        secure=request.is_secure())
    return response


# --- kiosk --------------------------------------------------------------------------------------

def _kiosk_unit(request: HttpRequest, unit_code: str | None) -> tuple[Unit, Any]:
    """The kiosk's unit: from its paired device, or (staff preview) a unit code in scope."""
    if unit_code:
        if not request.user.is_authenticated:
            raise PermissionDenied
        unit = selectors.hall_unit_by_code(unit_code)
        if not scope_for(request.user).allows(unit.pk):
            raise Http404
        return unit, None
    device = device_from_request(request, kind=DeviceKind.KIOSK)
    if device is None:
        raise PermissionDenied
    return device.unit, device


@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, unit_code: str | None = None) -> HttpResponse:
    try:
        unit, device = _kiosk_unit(request, unit_code)
    except PermissionDenied:
        return render(request, "ticketing/unpaired.html", {}, status=403)
    home = request.path
    if request.method == "POST":
        area = ServiceArea.objects.filter(pk=request.POST.get("area", "0") or "0", unit=unit).first()
        if area is None:
            raise Http404
        try:
            ticket = services.ticket_issue(area=area, priority=request.POST.get("priority", Priority.NONE), device=device,
                                           actor=request.user if request.user.is_authenticated else None)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(home)
        return redirect(reverse("ticketing:kiosk_ticket", args=[ticket.public_token]) + f"?ve={home}")
    group = request.GET.get("nhom", "")
    if group == "chon":
        return render(request, "ticketing/kiosk_priority.html", {"unit": unit, "groups": Priority.choices[1:],
                                                                   "home": home})
    priority = group if group in Priority.values else Priority.NONE
    return render(request, "ticketing/kiosk.html", {
        "unit": unit, "rows": selectors.kiosk_areas(unit), "priority": priority,
        "priority_label": Priority(priority).label, "home": home})


def kiosk_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """The printed ticket (80 mm receipt layout under @media print) with its QR code."""
    try:
        ticket = selectors.ticket_by_token(token)
    except DomainError as exc:
        raise Http404 from exc
    status = selectors.ticket_public_status(ticket)
    url = _public_url(reverse("ticketing:status", args=[ticket.public_token]))
    back = request.GET.get("ve", "")
    if not back.startswith("/lay-so/"):
        back = reverse("ticketing:kiosk")
    return render(request, "ticketing/kiosk_ticket.html", {
        "ticket": ticket, "status": status, "qr": qr_data_uri(url), "status_url": url, "home": back})


def ticket_status(request: HttpRequest, token: str) -> HttpResponse:
    """Public page behind the QR code: number, status, people ahead, estimated wait. No personal data."""
    try:
        ticket = selectors.ticket_by_token(token)
    except DomainError as exc:
        raise Http404 from exc
    template = "ticketing/_status.html" if request.headers.get("HX-Request") else "ticketing/status.html"
    return render(request, template, {"ticket": ticket, "status": selectors.ticket_public_status(ticket)})


# --- display board ------------------------------------------------------------------------------

def board(request: HttpRequest, unit_code: str) -> HttpResponse:
    try:
        unit = selectors.hall_unit_by_code(unit_code)
    except DomainError as exc:
        raise Http404 from exc
    return render(request, "ticketing/board.html", {
        "unit": unit, "state": selectors.board_state(unit),
        "data_url": reverse("api:api-root") + f"ticketing/public/board/{unit.code}"})


# --- counter console ----------------------------------------------------------------------------

@login_required
def counters(request: HttpRequest) -> HttpResponse:
    staff = staff_for_user(request.user)
    rows = list(selectors.counters_visible_to(request.user)[:300])
    return render(request, "ticketing/counters.html", {"counters": rows, "staff": staff,
                                                       "units": selectors.hall_units_visible_to(request.user)[:300]})


def _counter(request: HttpRequest, pk: int) -> Counter:
    counter = selectors.counters_visible_to(request.user).filter(pk=pk).first()
    if counter is None:
        raise Http404
    return counter


def _console_context(request: HttpRequest, counter: Counter) -> dict[str, Any]:
    day = timezone.localdate()
    area_ids = [a.pk for a in counter.areas.all()]
    queue = list(Ticket.objects.filter(area_id__in=area_ids, day=day, status=TicketStatus.WAITING)
                 .select_related("area").in_call_order()[:12])
    waiting = Ticket.objects.filter(area_id__in=area_ids, day=day, status=TicketStatus.WAITING).count()
    served = list(Ticket.objects.filter(counter=counter, day=day, status__in=[TicketStatus.DONE, TicketStatus.NO_SHOW])
                  .select_related("area", "dossier").order_by("-finished_at")[:8])
    staff = staff_for_user(request.user)
    current = selectors.counter_current_ticket(counter)
    last_finished = None if current else selectors.counter_last_finished(counter)
    return {"counter": counter, "current": current, "queue": queue, "waiting": waiting, "served": served,
            "is_mine": staff is not None and counter.staff_id == staff.pk, "staff": staff,
            "actions": lifecycle.console_actions(current),
            "other_areas": ServiceArea.objects.filter(unit_id=counter.unit_id, is_active=True,
                                                      counters__is_active=True).distinct().exclude(
                pk=current.area_id if current else 0).order_by("order"),
            "link_ticket": current or last_finished,
            "dossier_intake_url": _dossier_intake_url()}


def _dossier_intake_url() -> str | None:
    from django.urls import NoReverseMatch

    for name in ("dossiers:receive", "dossiers:intake", "dossiers:new"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


@login_required
def console(request: HttpRequest, pk: int) -> HttpResponse:
    counter = _counter(request, pk)
    template = "ticketing/_console.html" if request.headers.get("HX-Request") else "ticketing/console.html"
    return render(request, template, _console_context(request, counter))


ACTIONS = {
    "goi-tiep": services.ticket_call_next,
    "goi-lai": services.ticket_recall,
    "bat-dau": services.ticket_start,
    "hoan-thanh": services.ticket_finish,
    "vang-mat": services.ticket_no_show,
}


@login_required
@require_POST
def console_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    counter = _counter(request, pk)
    staff = staff_for_user(request.user)
    error = None
    notice = None
    try:
        if staff is None:
            raise PermissionDenied
        if action == "nhan-quay":
            services.counter_take(counter=counter, staff=staff)
        elif action == "roi-quay":
            services.counter_leave(counter=counter, staff=staff)
        elif action == "chuyen":
            area = ServiceArea.objects.filter(pk=request.POST.get("area", "0") or "0", unit_id=counter.unit_id).first()
            if area is None:
                raise Http404
            t = services.ticket_transfer(counter=counter, staff=staff, to_area=area)
            notice = _("Đã chuyển số %(code)s sang %(area)s.") % {"code": t.code, "area": area.name}
        elif action == "gan-ho-so":
            from kycuong.dossiers.models import Dossier

            code = request.POST.get("code", "").strip()
            ticket = selectors.counter_current_ticket(counter) or selectors.counter_last_finished(counter)
            dossier = Dossier.objects.filter(code=code).first() if code else None
            if ticket is None:
                error = _("Quầy chưa phục vụ số nào.")
            elif dossier is None:
                error = _("Không tìm thấy hồ sơ %(code)s.") % {"code": code}
            else:
                services.ticket_link_dossier(ticket=ticket, dossier=dossier, actor=request.user)
                notice = _("Đã gắn số %(t)s với hồ sơ %(d)s.") % {"t": ticket.code, "d": dossier.code}
        elif action in ACTIONS:
            result = ACTIONS[action](counter=counter, staff=staff)
            if action == "goi-tiep" and result is None:
                notice = _("Không còn ai đang chờ.")
        else:
            raise Http404
    except DomainError as exc:
        error = str(exc.message)
    except PermissionDenied:
        error = _("Tài khoản này không gắn với cán bộ nào.")
    counter = _counter(request, pk)
    context = {**_console_context(request, counter), "error": error, "notice": notice}
    if request.headers.get("HX-Request"):
        return render(request, "ticketing/_console.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect("ticketing:console", pk=pk)


# --- metrics ------------------------------------------------------------------------------------

def _metric_filters(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()

    def date(name: str, default: dt.date) -> dt.date:
        try:
            return dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default

    group = request.GET.get("nhom", "area")
    unit_code = request.GET.get("don-vi", "").strip()
    unit = None
    if unit_code:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None or not scope_for(request.user).allows(unit.pk):
            raise Http404
    return {"date_from": date("tu", today - dt.timedelta(days=today.weekday())), "date_to": date("den", today),
            "group_by": group if group in selectors.GROUPS else "area", "unit": unit}


METRIC_HEADERS = [_("Nhóm"), _("Số đã cấp"), _("Đã phục vụ"), _("Vắng mặt"), _("Tỷ lệ vắng mặt (%)"),
                  _("Chờ bình quân (phút)"), _("Chờ lâu nhất (phút)"), _("Phục vụ bình quân (phút)")]


def _metric_row(r: dict[str, Any]) -> list[Any]:
    return [r["key"], r["issued"], r["served"], r["no_show"],
            round(r["no_show_rate"] * 100, 1) if r["no_show_rate"] is not None else None,
            r["avg_wait_minutes"], r["max_wait_minutes"], r["avg_service_minutes"]]


@login_required
def metrics(request: HttpRequest) -> HttpResponse:
    f = _metric_filters(request)
    try:
        rows = selectors.ticket_metrics(user=request.user, **f)
    except DomainError as exc:
        messages.error(request, exc.message)
        rows = []
    query = request.GET.urlencode()
    return render(request, "ticketing/metrics.html", {
        "rows": rows, "f": f, "groups": selectors.GROUPS.items(), "query": query,
        "units": selectors.hall_units_visible_to(request.user)[:300]})


@login_required
def metrics_export(request: HttpRequest) -> HttpResponse:
    f = _metric_filters(request)
    rows = selectors.ticket_metrics(user=request.user, **f)
    subtitle = _("Từ %(a)s đến %(b)s — nhóm theo %(g)s") % {
        "a": f["date_from"].strftime("%d/%m/%Y"), "b": f["date_to"].strftime("%d/%m/%Y"), "g": selectors.GROUPS[f["group_by"]]}
    content = xlsx_bytes(title=_("Thống kê xếp hàng lấy số"), subtitle=subtitle, headers=[str(h) for h in METRIC_HEADERS],
                         rows=[_metric_row(r) for r in rows], widths=[48, 12, 12, 12, 14, 14, 14, 14])
    return xlsx_response(content, f"thong-ke-lay-so-{f['date_from']}-{f['date_to']}.xlsx")


# --- devices ------------------------------------------------------------------------------------

def _require_manager(request: HttpRequest) -> None:
    scope = scope_for(request.user)
    if not (scope.manages_all or scope.managed_unit_ids or request.user.is_superuser):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def devices(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    paired = None
    error = None
    if request.method == "POST":
        unit = selectors.hall_units_visible_to(request.user).filter(code=request.POST.get("unit", "")).first()
        counter = None
        if unit is not None and request.POST.get("counter"):
            counter = Counter.objects.filter(unit=unit, pk=request.POST.get("counter", "0") or "0").first()
        try:
            if unit is None:
                raise Http404
            device, raw = services.device_pair(kind=request.POST.get("kind", ""), unit=unit, counter=counter,
                                               name=request.POST.get("name", ""), actor=request.user)
            url = _public_url(reverse("ticketing:pair")) + f"?t={raw}"
            paired = {"device": device, "token": raw, "url": url, "qr": qr_data_uri(url, scale=6)}
        except DomainError as exc:
            error = exc.message
    scope = scope_for(request.user)
    rows = [{"device": d, "can_manage": scope.manages(d.unit_id)} for d in selectors.devices_visible_to(request.user)[:500]]
    managed_counters = [c for c in selectors.counters_visible_to(request.user)[:500] if scope.manages(c.unit_id)]
    units = [u for u in selectors.hall_units_visible_to(request.user)[:300] if scope.manages(u.pk)]
    return render(request, "ticketing/devices.html", {"rows": rows, "paired": paired, "error": error,
                                                      "counters": managed_counters, "units": units,
                                                      "kinds": DeviceKind.choices})


@login_required
@require_POST
def device_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.devices_visible_to(request.user).filter(pk=pk).first()
    if device is None:
        raise Http404
    try:
        services.device_revoke(device=device, actor=request.user)
        messages.success(request, _("Đã thu hồi thiết bị %(name)s.") % {"name": device.name})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("ticketing:devices")
