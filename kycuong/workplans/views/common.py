"""Shared helpers of the work program screens: the signed-in person, the period and unit asked
for, and running a service with its error shown (never a 500)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kycuong.core.errors import DomainError
from kycuong.core.periods import Period, parse_period, period_containing
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import primary_unit_of, staff_for_user


def staff_of(request: HttpRequest) -> Staff | None:
    staff = getattr(request, "_kc_staff", None)
    if staff is None:
        staff = staff_for_user(request.user)
        request._kc_staff = staff  # type: ignore[attr-defined]
    return staff


def period_of(request: HttpRequest, kind: str) -> Period:
    """The period in ?ky= (of `kind`), else the current one; a malformed one is refused with a
    message and the current period shown."""
    label = request.GET.get("ky", "").strip()
    today = timezone.localdate()
    if label:
        try:
            period = parse_period(label)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            if period.kind == kind:
                return period
            messages.error(request, _("Kỳ không đúng loại cho trang này."))
    return period_containing(today, kind)


def unit_of(request: HttpRequest) -> Unit:
    """The unit in ?don-vi= (code) if the user may see it (else 404), else the user's own unit."""
    code = request.GET.get("don-vi", "").strip()
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not scope_for(request.user).allows(unit.pk):
            raise Http404(_("Không tìm thấy hoặc bạn không có quyền xem."))
        return unit
    staff = staff_of(request)
    unit = primary_unit_of(staff) if staff else None
    if unit is None:
        raise Http404(_("Tài khoản chưa thuộc đơn vị nào."))
    return unit


def back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return redirect(target or default)


def run(request: HttpRequest, fn: Callable[[], Any], ok: str) -> tuple[bool, Any]:
    """Call a service; show `ok` or the service's translated error. Nothing changes on an error
    (services are atomic)."""
    try:
        result = fn()
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return False, exc
    if ok:
        messages.success(request, ok)
    return True, result


def is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))
