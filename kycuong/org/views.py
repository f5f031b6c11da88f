from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kycuong.core.text import mask_phone

from .models import UnitKind
from .selectors import staff_visible_to, units_visible_to


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    units = units_visible_to(request.user).select_related("parent").annotate(staff_count=Count("memberships"))
    if kind in UnitKind.values:
        units = units.filter(kind=kind)
    if q:
        units = units.filter(Q(name__icontains=q) | Q(code__icontains=q))
    page = Paginator(units.order_by("path"), 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "org/unit_list.html", {"page": page, "kinds": UnitKind.choices, "kind": kind, "q": q,
                                                  "query": query.urlencode()})


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = units_visible_to(request.user).select_related("parent").filter(code=code).first()
    if unit is None:
        raise Http404
    staff = (staff_visible_to(request.user).filter(memberships__unit=unit).distinct().order_by("full_name"))
    page = Paginator(staff, 100).get_page(request.GET.get("page"))
    rows = [{"staff": s, "phone": mask_phone(s.phone), "roles": [m for m in s.memberships.all() if m.unit_id == unit.pk]}
            for s in page]
    children = unit.children.order_by("name")
    return render(request, "org/unit_detail.html", {"unit": unit, "rows": rows, "page": page, "children": children})
