"""Public procedure catalogue pages (/thu-tuc): search with sector filter, and one page per procedure."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kycuong.core.errors import NotFound
from kycuong.org.models import Role, UnitKind

from .models import OnlineLevel, Procedure
from .selectors import procedure_by_code, procedure_search, processing_time_label, sectors_with_counts

PAGE_SIZE = 25


def step_rows(procedure: Procedure) -> list[dict[str, Any]]:
    """Steps with the role's label and the share as a percentage (for public pages)."""
    roles = dict(Role.choices)
    kinds = dict(UnitKind.choices)
    return [{"order": s.order, "name": s.name, "role": roles.get(s.role, s.role), "unit_kind": kinds.get(s.unit_kind, ""),
             "percent": round(float(s.share) * 100)} for s in procedure.steps.all()]


def catalogue(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    sector = request.GET.get("linh-vuc", "").strip()
    online = request.GET.get("truc-tuyen", "").strip()
    if online not in OnlineLevel.values:
        online = ""
    results = procedure_search(q, sector=sector or None, online=online or None)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "procedures/_results.html" if request.headers.get("HX-Request") else "procedures/catalogue.html"
    return render(request, template, {
        "page": page, "q": q, "sector": sector, "online": online, "sectors": sectors_with_counts(),
        "online_levels": OnlineLevel.choices, "query": query.urlencode(), "total": page.paginator.count,
    })


def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        procedure = procedure_by_code(code)
    except NotFound as exc:
        raise Http404 from exc
    if not procedure.is_active and not request.user.is_authenticated:
        raise Http404
    return render(request, "procedures/detail.html", {
        "procedure": procedure, "time_label": processing_time_label(procedure), "steps": step_rows(procedure),
        "units": list(procedure.units.all()), "online_ok": procedure.online_level != OnlineLevel.NONE,
    })
