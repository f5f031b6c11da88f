"""Rating screens: the counter tablet, online rating (public), aggregates, follow-ups."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kycuong.core.errors import DomainError
from kycuong.core.exports import xlsx_bytes, xlsx_response
from kycuong.core.periods import parse_period, period_containing
from kycuong.dossiers.models import RatingLevel
from kycuong.org.scoping import scope_for
from kycuong.ticketing.auth import device_from_request
from kycuong.ticketing.models import DeviceKind

from . import selectors, services
from .models import CRITERIA, CRITERIA_KEYS, FollowUpStatus, RatingChannel

FAILED_LIMIT = 10  # wrong code/secret attempts per IP per 10 minutes


def tablet(request: HttpRequest) -> HttpResponse:
    """The counter tablet (kiosk mode). Everything after the first render goes through the API."""
    device = device_from_request(request, kind=DeviceKind.TABLET)
    if device is None:
        return render(request, "ticketing/unpaired.html", {}, status=403)
    return render(request, "ratings/tablet.html", {"device": device, "levels": RatingLevel.choices,
                                                   "criteria": [(k, CRITERIA[f]) for k, f in CRITERIA_KEYS.items()]})


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _throttled(request: HttpRequest) -> bool:
    return cache.get(f"rating-online-fail:{_client_ip(request)}", 0) >= FAILED_LIMIT


def _count_failure(request: HttpRequest) -> None:
    key = f"rating-online-fail:{_client_ip(request)}"
    cache.add(key, 0, timeout=600)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=600)


@require_http_methods(["GET", "POST"])
def online(request: HttpRequest) -> HttpResponse:
    """Online rating by dossier code + secret, after the result is returned (domain.md §4)."""
    code = (request.POST.get("code") or request.GET.get("ma") or "").strip()
    secret = (request.POST.get("secret") or "").strip()
    step = request.POST.get("step", "")
    errors: list[dict[str, str]] = []
    dossier = None
    if request.method == "POST":
        if _throttled(request):
            errors.append({"field": "code", "message": _("Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút.")})
        else:
            try:
                dossier = services.dossier_for_rating(code=code, secret=secret)
            except DomainError as exc:
                if exc.code == "dossier_not_found":
                    _count_failure(request)
                errors.append({"field": "code", "message": str(exc.message)})
        if dossier is not None and step == "submit":
            criteria = {k: request.POST.get(k, "") for k in CRITERIA_KEYS}
            try:
                key = uuid.UUID(request.POST.get("idempotency_key", ""))
            except ValueError:
                key = None
            try:
                rating, _replayed = services.rating_submit_online(
                    code=code, secret=secret, level=request.POST.get("level", ""), criteria=criteria,
                    comment=request.POST.get("comment", ""), idempotency_key=key)
                return render(request, "ratings/online_done.html", {"rating": rating, "dossier": dossier})
            except DomainError as exc:
                field = str(exc.details.get("field", "level")) if exc.details else "level"
                errors.append({"field": field.replace("criteria.", ""), "message": str(exc.message)})
        if dossier is not None:
            return render(request, "ratings/online_form.html", {
                "dossier": dossier, "code": code, "secret": secret, "errors": errors,
                "levels": RatingLevel.choices, "criteria": [(k, CRITERIA[f]) for k, f in CRITERIA_KEYS.items()],
                "idempotency_key": request.POST.get("idempotency_key") or uuid.uuid4(),
                "previous": dossier.ratings.filter(channel=RatingChannel.ONLINE, is_current=True).first(),
                "posted": request.POST})
    return render(request, "ratings/online_start.html", {"code": code, "errors": errors})


# --- staff screens ------------------------------------------------------------------------------

def _filters(request: HttpRequest) -> dict[str, Any]:
    label = request.GET.get("ky", "").strip()
    try:
        period = parse_period(label) if label else period_containing(timezone.localdate(), "month")
    except DomainError:
        period = period_containing(timezone.localdate(), "month")
    group = request.GET.get("nhom", "unit")
    channel = request.GET.get("kenh", "")
    return {"period": period, "group_by": group if group in selectors.AGGREGATE_GROUPS else "unit",
            "channel": channel if channel in RatingChannel.values else None}


HEADERS = [_("Nhóm"), _("Tổng số"), _("Rất hài lòng"), _("Hài lòng"), _("Không hài lòng"), _("Có ý kiến"),
           _("Tỷ lệ hài lòng (%)")]


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    rows = selectors.rating_aggregates(user=request.user, **f)
    return render(request, "ratings/stats.html", {
        "rows": rows, "f": f, "groups": [(k, v[0]) for k, v in selectors.AGGREGATE_GROUPS.items()],
        "channels": RatingChannel.choices, "query": request.GET.urlencode(),
        "total": sum(r["total"] for r in rows)})


@login_required
def stats_export(request: HttpRequest) -> HttpResponse:
    f = _filters(request)
    rows = selectors.rating_aggregates(user=request.user, **f)
    content = xlsx_bytes(
        title=_("Kết quả đánh giá sự hài lòng"),
        subtitle=_("Kỳ %(p)s — nhóm theo %(g)s") % {"p": f["period"].label, "g": selectors.AGGREGATE_GROUPS[f["group_by"]][0]},
        headers=[str(h) for h in HEADERS],
        rows=[[r["key"], r["total"], r["very_satisfied"], r["satisfied"], r["dissatisfied"], r["with_comment"],
               round(r["satisfaction_rate"] * 100, 1) if r["satisfaction_rate"] is not None else None] for r in rows],
        widths=[48, 10, 12, 12, 14, 10, 14])
    return xlsx_response(content, f"danh-gia-hai-long-{f['period'].label}.xlsx")


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("trang-thai", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = ""
    scope = scope_for(request.user)
    rows = [{"f": f, "can_close": scope.manages(f.unit_id)}
            for f in selectors.followups_visible_to(request.user, status=status or None)[:300]]
    return render(request, "ratings/followups.html", {"rows": rows, "status": status,
                                                      "statuses": FollowUpStatus.choices})


@login_required
@require_POST
def followup_close(request: HttpRequest, pk: int) -> HttpResponse:
    followup = selectors.followups_visible_to(request.user, status=None).filter(pk=pk).first()
    if followup is None:
        raise Http404
    try:
        services.followup_close(followup=followup, resolution=request.POST.get("resolution", ""), actor=request.user)
        messages.success(request, _("Đã ghi nhận kết quả xử lý."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("ratings:followups")
