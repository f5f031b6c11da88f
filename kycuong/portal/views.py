from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kycuong.core.errors import DomainError
from kycuong.core.exports import xlsx_bytes, xlsx_response
from kycuong.core.models import ApiToken
from kycuong.core.services import api_token_create, api_token_revoke
from kycuong.org.models import CITY_WIDE_ROLES
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import roles_of, staff_for_user
from kycuong.portal.selectors import audit_events, personal_data_accesses

from .navigation import dashboard_cards, public_links


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"public_links": public_links()})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    staff = staff_for_user(request.user)
    memberships = list(staff.memberships.select_related("unit").order_by("-is_primary")) if staff else []
    return render(request, "portal/dashboard.html", {
        "staff": staff,
        "memberships": memberships,
        "roles": roles_of(request.user),
        "cards": dashboard_cards(request.user),
    })


def _audit_filters(request: HttpRequest) -> dict[str, object]:
    def date(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return None

    return {
        "action": request.GET.get("action", "").strip(),
        "object_type": request.GET.get("object_type", "").strip(),
        "actor": request.GET.get("actor", "").strip(),
        "object_id": request.GET.get("object_id", "").strip(),
        "date_from": date("from"),
        "date_to": date("to"),
    }


def _require_auditor(request: HttpRequest) -> None:
    roles = roles_of(request.user)
    if not (roles & (CITY_WIDE_ROLES | {"head"}) or request.user.is_superuser):
        raise PermissionDenied


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    filters = _audit_filters(request)
    tab = request.GET.get("tab", "events")
    qs: QuerySet[Any]
    if tab == "pii" and scope_for(request.user).all_units:
        qs = personal_data_accesses(user=request.user, object_id=str(filters["object_id"]), actor=str(filters["actor"]))
    else:
        tab = "events"
        qs = audit_events(user=request.user, **filters)  # type: ignore[arg-type]
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "portal/_audit_table.html" if request.headers.get("HX-Request") else "portal/audit.html"
    return render(request, template, {"page": page, "filters": request.GET, "tab": tab, "query": query.urlencode()})


@login_required
def audit_log_export(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    qs = audit_events(user=request.user, **_audit_filters(request))[:100_000]  # type: ignore[arg-type]
    rows = ([e.at, e.actor_label, e.action, e.object_type, e.object_id, e.object_label, e.ip, e.changes] for e in qs.iterator())
    content = xlsx_bytes(title=_("NHẬT KÝ THAO TÁC"), subtitle=_("Xuất lúc %(at)s") % {"at": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
                         headers=[_("Thời điểm"), _("Người thực hiện"), _("Hành động"), _("Loại"), _("Mã"), _("Đối tượng"),
                                  _("IP"), _("Thay đổi")], rows=rows, widths=[20, 24, 24, 20, 12, 30, 16, 60])
    return xlsx_response(content, "nhat-ky-thao-tac.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        try:
            if request.POST.get("revoke"):
                api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
                messages.success(request, _("Đã thu hồi mã truy cập."))
                return redirect("portal:api_tokens")
            _token, new_token = api_token_create(user=request.user, name=request.POST.get("name", ""))
        except (DomainError, ValueError) as exc:
            messages.error(request, str(getattr(exc, "message", exc)))
    tokens = ApiToken.objects.filter(user_id=request.user.pk or 0).order_by("-created_at")
    return render(request, "portal/api_tokens.html", {"tokens": tokens, "new_token": new_token})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
