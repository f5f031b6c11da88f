"""Staff screens: today, my month, the unit timesheet (+ Excel), requests, devices, corrections,
CSV upload. Thin: every write goes through services, every read through selectors."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kycuong.core.errors import DomainError
from kycuong.core.exports import xlsx_response
from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import ensure_unit_visible, scope_for
from kycuong.org.selectors import primary_unit_of, staff_for_user, units_visible_to

from . import selectors, services
from .compute import _UnitRules
from .interchange import import_punches
from .models import Absence, AbsenceKind, DailyAttendance, Device, MalformedLine, Punch, UnknownDeviceContact

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), choices=AbsenceKind.choices)
    start = forms.DateField(label=gettext_lazy("Từ ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("Đến ngày"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=gettext_lazy("Lý do"), max_length=300)


class CorrectionForm(forms.Form):
    at = forms.DateTimeField(label=gettext_lazy("Thời điểm chấm bổ sung"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    reason = forms.CharField(label=gettext_lazy("Lý do điều chỉnh"), max_length=300,
                             help_text=gettext_lazy("Ví dụ: máy chấm công hỏng, có xác nhận của bảo vệ"))


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp CSV lượt chấm công"),
                           help_text=gettext_lazy("Cột: device, pin, time, status, verify (UTF-8). Lỗi ở một dòng: không nhập dòng nào."))


class DeviceForm(forms.Form):
    serial_number = forms.CharField(label=gettext_lazy("Số sê-ri (SN)"), max_length=64)
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị"), queryset=Unit.objects.none())
    location = forms.CharField(label=gettext_lazy("Vị trí lắp đặt"), max_length=200, required=False)
    allowed_ips = forms.CharField(label=gettext_lazy("Địa chỉ IP của máy"), max_length=500,
                                  help_text=gettext_lazy("Địa chỉ IP cố định của máy trong mạng cơ quan (hoặc dải mạng, "
                                                         "ví dụ 10.1.2.0/24). Chỉ nhận dữ liệu từ địa chỉ này."))


class PinForm(forms.Form):
    staff_code = forms.CharField(label=gettext_lazy("Mã cán bộ"), max_length=20)
    pin = forms.CharField(label=gettext_lazy("Mã chấm công trên máy (PIN)"), max_length=32)
    whole_unit = forms.BooleanField(label=gettext_lazy("Dùng cho mọi máy của đơn vị"), required=False, initial=True,
                                    help_text=gettext_lazy("Bỏ chọn nếu mã này chỉ đúng trên máy này."))


class PolicyForm(forms.Form):
    grace_late_minutes = forms.IntegerField(label=gettext_lazy("Số phút cho phép đến muộn"), min_value=0, max_value=120)
    grace_early_minutes = forms.IntegerField(label=gettext_lazy("Số phút cho phép về sớm"), min_value=0, max_value=120)


def _month(request: HttpRequest) -> tuple[int, int]:
    value = request.GET.get("thang") or ""
    try:
        year, month = (int(x) for x in value.split("-"))
        dt.date(year, month, 1)
        return year, month
    except ValueError:
        today = timezone.localdate()
        return today.year, today.month


def _unit_for(request: HttpRequest) -> Unit:
    """The unit in `?don-vi=<code>` (must be visible), else the user's managed or primary unit."""
    code = request.GET.get("don-vi") or request.POST.get("don-vi")
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise Http404
        try:
            ensure_unit_visible(request.user, unit.pk)
        except DomainError as exc:
            raise Http404 from exc
        return unit
    managed = selectors.managed_units(request.user).order_by("path").first()
    if managed is not None and not scope_for(request.user).manages_all:
        return managed
    staff = staff_for_user(request.user)
    unit = primary_unit_of(staff) if staff else None
    if unit is None:
        unit = units_visible_to(request.user).order_by("path").first()
    if unit is None:
        raise Http404
    return unit


def _units_choice(user: Any) -> list[Unit]:
    scope = scope_for(user)
    qs = units_visible_to(user) if scope.all_units else selectors.managed_units(user)
    return list(qs.exclude(kind="city").order_by("path")[:300])


def _oversee(request: HttpRequest) -> Unit:
    """The unit of a people-level view (today, timesheet): its managers and city-wide roles only."""
    unit = _unit_for(request)
    if not selectors.can_oversee(request.user, unit.pk):
        raise Http404
    return unit


@login_required
def today_page(request: HttpRequest) -> HttpResponse:
    unit = _oversee(request)
    now = timezone.now()
    try:  # ?ngay=YYYY-MM-DD[&gio=HH:MM]: an earlier day as it stood at that time (default: its end)
        day = dt.date.fromisoformat(request.GET.get("ngay", ""))
        if day < timezone.localdate():
            try:
                at = dt.time.fromisoformat(request.GET.get("gio", ""))
            except ValueError:
                at = dt.time(23, 59)
            now = dt.datetime.combine(day, at, tzinfo=TZ)
    except ValueError:
        pass
    board = selectors.today_board(unit=unit, now=now)
    template = "attendance/_today_board.html" if request.headers.get("HX-Request") else "attendance/today.html"
    return render(request, template, {"board": board, "unit": unit, "units": _units_choice(request.user)})


@login_required
def my_month(request: HttpRequest) -> HttpResponse:
    staff = staff_for_user(request.user)
    if staff is None:
        raise Http404
    year, month = _month(request)
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.absence_request(staff=staff, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Đã gửi đơn, chờ thủ trưởng duyệt."))
            return redirect(request.get_full_path())
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    days = selectors.month_days(year, month)
    rows = {r.day: r for r in DailyAttendance.objects.filter(staff=staff, day__gte=days[0], day__lte=days[-1])}
    lines = [{"day": d, "weekday": selectors.WEEKDAYS[d.weekday()], "row": rows.get(d)} for d in days]
    evidence = selectors.attendance_evidence(staff_ids=[staff.pk], start=days[0], end=days[-1] + dt.timedelta(days=1))
    first = dt.date(year, month, 1)
    prev_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    next_month = (days[-1] + dt.timedelta(days=1)).strftime("%Y-%m")
    return render(request, "attendance/my_month.html", {
        "staff": staff, "year": year, "month": month, "lines": lines, "evidence": evidence[staff.pk], "form": form,
        "absences": Absence.objects.filter(staff=staff).order_by("-start")[:20],
        "prev_month": prev_month, "next_month": next_month,
    })


@login_required
def timesheet_page(request: HttpRequest) -> HttpResponse:
    unit = _oversee(request)
    year, month = _month(request)
    can_manage = scope_for(request.user).manages(unit.pk)
    grace = _UnitRules([unit.pk]).grace(unit.pk)
    policy_form = PolicyForm(request.POST or None, initial={"grace_late_minutes": grace[0], "grace_early_minutes": grace[1]})
    if request.method == "POST" and can_manage and policy_form.is_valid():
        try:
            services.policy_set(unit=unit, actor=request.user, **policy_form.cleaned_data)
            messages.success(request, _("Đã lưu. Các ngày sẽ được tính lại trong lần tính kế tiếp."))
            return redirect(request.get_full_path())
        except DomainError as exc:
            policy_form.add_error(None, str(exc.message))
    sheet = selectors.timesheet(unit=unit, year=year, month=month)
    if request.GET.get("xuat") == "xlsx":
        return xlsx_response(selectors.timesheet_xlsx(sheet), f"bang-cham-cong-{unit.code}-{year}-{month:02d}.xlsx")
    return render(request, "attendance/timesheet.html", {
        "sheet": sheet, "unit": unit, "units": _units_choice(request.user), "thang": f"{year}-{month:02d}",
        "can_manage": can_manage, "policy_form": policy_form, "grace": grace,
    })


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """Pending requests and device punches held as backdated, for the heads who decide them."""
    if request.method == "POST" and request.POST.get("punch"):
        held = get_object_or_404(selectors.held_punches_for(request.user), pk=request.POST.get("punch"))
        try:
            services.punch_review(punch=held, accept=request.POST.get("decision") == "accept", actor=request.user,
                                  reason=request.POST.get("note", ""))
            messages.success(request, _("Đã ghi quyết định."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("attendance:requests")
    if request.method == "POST":
        absence = get_object_or_404(Absence.objects.visible_to(request.user), pk=request.POST.get("id"))
        try:
            services.absence_decide(absence=absence, approve=request.POST.get("decision") == "approve", actor=request.user,
                                    note=request.POST.get("note", ""))
            messages.success(request, _("Đã ghi quyết định."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("attendance:requests")
    return render(request, "attendance/requests.html", {"pending": selectors.pending_absences_for(request.user),
                                                         "held": selectors.held_punches_for(request.user)[:200]})


@dataclass(frozen=True)
class DeviceRow:
    """A line of the devices screen: the terminal and its warning flags."""

    device: WithAnnotations[Device, selectors.DevicePending]
    stale: bool
    drift_flag: bool


@login_required
def devices_page(request: HttpRequest) -> HttpResponse:
    form = DeviceForm(request.POST or None)
    unit_field = cast(forms.ModelChoiceField, form.fields["unit"])
    unit_field.queryset = selectors.managed_units(request.user).order_by("path")
    if request.method == "POST" and form.is_valid():
        try:
            device = services.device_register(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Đã đăng ký máy chấm công %(sn)s.") % {"sn": device.serial_number})
            return redirect("attendance:device", pk=device.pk)
        except DomainError as exc:
            form.add_error(None, str(exc.message))
    now = timezone.now()
    devices = [
        DeviceRow(device=d,
                  stale=d.last_contact_at is None or now - d.last_contact_at > dt.timedelta(hours=1),
                  drift_flag=(d.clock_drift_seconds is not None
                              and abs(d.clock_drift_seconds) > services.CLOCK_TOLERANCE.total_seconds()))
        for d in selectors.devices_visible_to(request.user)[:500]
    ]
    scope = scope_for(request.user)
    unknown = UnknownDeviceContact.objects.all()[:50] if scope.all_units else []
    return render(request, "attendance/devices.html", {"devices": devices, "unknown": unknown, "form": form,
                                                        "can_register": unit_field.queryset.exists()})


@login_required
def device_page(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device.objects.visible_to(request.user).select_related("unit"), pk=pk)
    pin_form = PinForm(request.POST if request.POST.get("action") == "pin" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "time":
                services.device_time_sync(device=device, actor=request.user)
                messages.success(request, _("Đã xếp lệnh đồng bộ giờ."))
            elif action == "users":
                n = services.device_users_sync(device=device, actor=request.user)
                messages.success(request, _("Đã xếp %(n)s lệnh cập nhật người dùng.") % {"n": n})
            elif action == "pin" and pin_form.is_valid():
                staff = Staff.objects.filter(code=pin_form.cleaned_data["staff_code"].strip()).first()
                if staff is None:
                    pin_form.add_error("staff_code", _("Không có cán bộ mã này."))
                else:
                    scope = {"unit": device.unit} if pin_form.cleaned_data["whole_unit"] else {"device": device}
                    services.pin_mapping_set(staff=staff, pin=pin_form.cleaned_data["pin"], actor=request.user, **scope)
                    messages.success(request, _("Đã gán mã chấm công."))
            elif action == "trust":
                services.device_trust_set(device=device, allowed_ips=request.POST.get("allowed_ips", ""), actor=request.user)
                messages.success(request, _("Đã lưu địa chỉ IP được phép."))
            elif action == "key":
                key = services.device_key_rotate(device=device, actor=request.user)
                messages.success(request, _("Khoá mới của máy (chỉ hiện một lần, khai báo ở trạm chuyển tiếp, "
                                            "tiêu đề X-Device-Key): %(key)s") % {"key": key})
            elif action in ("activate", "deactivate"):
                services.device_set_active(device=device, active=action == "activate", actor=request.user)
            if not pin_form.errors:
                return redirect("attendance:device", pk=device.pk)
        except DomainError as exc:
            messages.error(request, str(exc.message))
    from .models import PinMapping

    return render(request, "attendance/device.html", {
        "device": device, "commands": device.commands.order_by("-id")[:30], "pin_form": pin_form,
        "malformed": MalformedLine.objects.filter(device=device).order_by("-id")[:30],
        "users": device.enrolled_users.order_by("pin")[:200],
        "mappings": PinMapping.objects.filter(device=device).select_related("staff").order_by("pin")[:200],
        "unit_mappings": PinMapping.objects.filter(unit_id__in=[*device.unit.ancestor_ids, device.unit_id])
        .select_related("staff", "unit").order_by("unit__path", "pin")[:300],
        "can_manage": scope_for(request.user).manages(device.unit_id),
        "tolerance": int(services.CLOCK_TOLERANCE.total_seconds()),
    })


@login_required
def correction_page(request: HttpRequest) -> HttpResponse:
    """A staff member's punches on one day; the head adds a missing punch or voids a wrong one, with a reason."""
    staff = get_object_or_404(Staff, code=request.GET.get("can-bo", ""))
    try:
        day = dt.date.fromisoformat(request.GET.get("ngay", ""))
    except ValueError:
        day = timezone.localdate()
    # The day is corrected by the head of the unit the person belonged to on that day.
    unit_id = services._staff_unit_id(staff, on=day) or services._staff_unit_id(staff)
    if not scope_for(request.user).allows(unit_id):
        raise Http404
    can_manage = scope_for(request.user).manages(unit_id)
    form = CorrectionForm(request.POST or None,
                          initial={"at": dt.datetime.combine(day, dt.time(8, 0)).strftime("%Y-%m-%dT%H:%M")})
    if request.method == "POST" and can_manage:
        try:
            if request.POST.get("void"):
                punch = get_object_or_404(Punch, pk=request.POST["void"], staff=staff)
                services.punch_void(punch=punch, reason=request.POST.get("void_reason", ""), actor=request.user)
                messages.success(request, _("Đã huỷ lượt chấm."))
                return redirect(request.get_full_path())
            if form.is_valid():
                at = form.cleaned_data["at"]
                at = at.replace(tzinfo=TZ) if timezone.is_naive(at) else at
                services.punch_add_manual(staff=staff, at=at, reason=form.cleaned_data["reason"], actor=request.user)
                messages.success(request, _("Đã thêm lượt chấm bổ sung."))
                return redirect(request.get_full_path())
        except DomainError as exc:
            messages.error(request, str(exc.message))
    punches = Punch.objects.filter(staff=staff, day=day).select_related("device").order_by("punched_at")
    row = DailyAttendance.objects.filter(staff=staff, day=day).first()
    return render(request, "attendance/correction.html", {"staff": staff, "day": day, "punches": punches, "row": row,
                                                           "form": form, "can_manage": can_manage})


@login_required
def upload_page(request: HttpRequest) -> HttpResponse:
    managed = set(selectors.managed_units(request.user).values_list("pk", flat=True))
    if not managed:
        raise Http404
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = io.TextIOWrapper(form.cleaned_data["file"].file, encoding="utf-8-sig", newline="")
        try:
            n = import_punches(text, fmt="csv", actor=request.user, allowed_unit_ids=managed)
            messages.success(request, _("Đã nhập %(n)s lượt chấm công.") % {"n": n})
            return redirect("attendance:upload")
        except DomainError as exc:
            form.add_error("file", str(exc))
    return render(request, "attendance/upload.html", {"form": form})


@login_required
@require_POST
def cancel_request(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence, pk=pk)
    try:
        services.absence_cancel(absence=absence, actor=request.user)
        messages.success(request, _("Đã huỷ đơn."))
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("attendance:mine")
