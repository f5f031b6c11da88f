"""Scorecard screens: rankings, a unit's page with trends, "why", the public dashboard; exports.

Thin views over kycuong.scorecard.selectors. Aggregates are visible to every staff member;
evidence (dossiers, officers) is limited to the viewer's scope by the selectors.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import DomainError, NotFound
from kycuong.core.periods import Period, parse_period, period_containing
from kycuong.org.models import Unit
from kycuong.org.selectors import unit_by_code

from . import exports
from .charts import bar_chart, line_chart
from .models import IndicatorSet, Result
from .selectors import (
    RANKING_GROUPS,
    ranking,
    ranking_groups,
    set_groups,
    total_of,
    trend,
    unit_detail,
    why,
)
from .services import indicator_set_get

DEFAULT_SET = "dvc766"
PERIOD_KINDS = [("week", _("Tuần")), ("month", _("Tháng")), ("quarter", _("Quý")), ("year", _("Năm"))]


def _current(kind: str = "month") -> Period:
    return period_containing(timezone.localdate(), kind)


def _period_param(request: HttpRequest, name: str = "period", default: Period | None = None) -> Period:
    label = request.GET.get(name, "").strip()
    if not label:
        return default or _current()
    return parse_period(label)


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "scorecard/error.html", {"error": exc}, status=exc.status)


def _recent_periods(kind: str, count: int = 12) -> list[str]:
    p = _current(kind)
    out = []
    for _i in range(count):
        out.append(p.label)
        p = p.previous()
    return out


def _nav(request: HttpRequest, period: Period) -> dict[str, Any]:
    return {"sets": IndicatorSet.objects.order_by("code"), "period": period,
            "prev_period": period.previous(), "next_period": period.next(),
            "recent_months": _recent_periods("month"), "recent_weeks": _recent_periods("week", 8)}


@login_required
def ranking_view(request: HttpRequest) -> HttpResponse:
    set_code = request.GET.get("set", DEFAULT_SET)
    group = request.GET.get("group", "local")
    try:
        period = _period_param(request)
        indicator_set = indicator_set_get(set_code)
        rows = ranking(set_code=set_code, period=period, group=group)
    except DomainError as exc:
        return _error(request, exc)
    fmt = request.GET.get("format", "")
    if fmt in exports.FORMATS:
        headers, table = exports.ranking_table(indicator_set=indicator_set, rows=rows)
        label = str(RANKING_GROUPS[group][0])
        return exports.respond(
            fmt=fmt, filename=f"xep-hang-{set_code}-{group}-{period.label}",
            title=f"BẢNG XẾP HẠNG {indicator_set.name_vi.upper()}", subtitle=f"{label} — Kỳ {period.label}",
            headers=headers, rows=table, widths=[7, 9, 16, 40], payload=exports.ranking_json(
                set_code=set_code, period=period.label, group=group, rows=rows))
    chart = bar_chart(items=[(r.name, r.total) for r in rows[:60]], title=_("Chỉ số (thang 100)"))
    return render(request, "scorecard/ranking.html", {
        **_nav(request, period), "indicator_set": indicator_set, "rows": rows, "group": group,
        "groups": ranking_groups(), "set_groups": set_groups(indicator_set), "chart": chart,
        "query": f"set={set_code}&period={period.label}&group={group}"})


def _unit_or_error(code: str) -> Unit:
    return unit_by_code(code)


@login_required
def unit_view(request: HttpRequest, code: str) -> HttpResponse:
    set_code = request.GET.get("set", DEFAULT_SET)
    try:
        unit = _unit_or_error(code)
        period = _period_param(request)
        indicator_set = indicator_set_get(set_code)
        detail = unit_detail(set_code=set_code, period=period, unit=unit)
    except DomainError as exc:
        return _error(request, exc)
    fmt = request.GET.get("format", "")
    if fmt in exports.FORMATS:
        headers, table = exports.unit_table(detail)
        payload = {"set": set_code, "unit": unit.code, "name": unit.name, "period": period.label,
                   "total": detail.total, "points": detail.points, "max_points": detail.max_points,
                   "indicators": [{k: r[k] for k in ("code", "name", "group", "numerator", "denominator", "rate",
                                                      "points", "max_points", "applicable", "note")} for r in detail.rows]}
        return exports.respond(
            fmt=fmt, filename=f"bao-cao-{set_code}-{unit.code}-{period.label}",
            title=f"BÁO CÁO KẾT QUẢ {indicator_set.name_vi.upper()}", subtitle=f"{unit.name} — Kỳ {period.label}",
            headers=headers, rows=table, widths=[6, 24, 28, 50, 10, 10, 10, 10, 10, 30], payload=payload)
    weeks = trend(indicator_set=indicator_set, unit=unit, kind="week", until=period, count=12)
    months = trend(indicator_set=indicator_set, unit=unit, kind="month", until=period, count=12)
    charts = {
        "weeks_total": line_chart(labels=weeks.periods, series=[(_("Chỉ số"), weeks.totals)],
                                  title=_("Chỉ số theo tuần (thang 100)")),
        "months_total": line_chart(labels=months.periods, series=[(_("Chỉ số"), months.totals)],
                                   title=_("Chỉ số theo tháng (thang 100)")),
    }
    indicator_charts = []
    for w, m in zip(weeks.indicators, months.indicators, strict=True):
        indicator_charts.append({
            "code": w["code"], "name": w["name"],
            "chart": line_chart(labels=months.periods, series=[
                (_("Tỷ lệ theo tháng"), [None if v is None else v * 100 for v in m["rates"]])],
                width=380, height=190, unit="%", title=w["name"]),
            "weekly_chart": line_chart(labels=weeks.periods, series=[
                (_("Tỷ lệ theo tuần"), [None if v is None else v * 100 for v in w["rates"]])],
                width=380, height=190, unit="%", title=_("%(name)s — theo tuần") % {"name": w["name"]}),
            "weekly": w, "monthly": m})
    children = _children_totals(indicator_set, period, unit)
    return render(request, "scorecard/unit.html", {
        **_nav(request, period), "indicator_set": indicator_set, "unit": unit, "detail": detail, "weeks": weeks,
        "months": months, "charts": charts, "indicator_charts": indicator_charts, "children": children,
        "query": f"set={set_code}&period={period.label}"})


def _children_totals(indicator_set: IndicatorSet, period: Period, unit: Unit) -> list[dict[str, Any]]:
    applicable = Q(applicable=True)
    rows = (Result.objects.filter(indicator_set=indicator_set, period=period.label, unit__parent=unit)
            .values("unit__code", "unit__name", "unit__kind")
            .annotate(points=Sum("points", filter=applicable), maxp=Sum("indicator__max_points", filter=applicable))
            .order_by("unit__name"))
    return [{"code": r["unit__code"], "name": r["unit__name"],
             "total": total_of(float(r["points"] or 0), float(r["maxp"] or 0))} for r in rows]


@login_required
def unit_trend_csv(request: HttpRequest, code: str) -> HttpResponse:
    """The numbers behind a unit's trend charts: one row per period × indicator."""
    set_code = request.GET.get("set", DEFAULT_SET)
    kind = request.GET.get("kind", "month")
    try:
        unit = _unit_or_error(code)
        period = _period_param(request)
        indicator_set = indicator_set_get(set_code)
        if kind not in ("week", "month"):
            raise NotFound(_("Loại kỳ không hợp lệ."))
    except DomainError as exc:
        return _error(request, exc)
    t = trend(indicator_set=indicator_set, unit=unit, kind=kind, until=period, count=12)
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow(["Kỳ", "Mã chỉ số", "Tên chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Điểm", "Điểm tối đa"])
    for i, label in enumerate(t.periods):
        for s in t.indicators:
            writer.writerow([label, s["code"], s["name"], _blank(s["numerators"][i]), _blank(s["denominators"][i]),
                             _blank(s["rates"][i]), _blank(s["points"][i]), s["max_points"]])
        writer.writerow([label, "total", "Chỉ số (thang 100)", "", "", "", _blank(t.totals[i]), 100])
    response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="xu-huong-{set_code}-{unit.code}-{kind}.csv"'
    return response


def _blank(value: Any) -> Any:
    return "" if value is None else value


@login_required
def why_view(request: HttpRequest, code: str) -> HttpResponse:
    set_code = request.GET.get("set", DEFAULT_SET)
    try:
        unit = _unit_or_error(code)
        b = _period_param(request, "b")
        a = _period_param(request, "a", default=b.previous())
        indicator_set = indicator_set_get(set_code)
        result = why(set_code=set_code, unit=unit, period_a=a, period_b=b, user=request.user)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "scorecard/why.html", {
        **_nav(request, b), "indicator_set": indicator_set, "unit": unit, "why": result, "a": a, "b": b})


def public_view(request: HttpRequest) -> HttpResponse:
    """Public dashboard: totals and group points of the public sets only — no dossiers, no names of
    officers, no personal data."""
    set_code = request.GET.get("set", DEFAULT_SET)
    try:
        period = _period_param(request)
        indicator_set = indicator_set_get(set_code)
        if not indicator_set.is_public:
            raise NotFound(_("Không có bộ chỉ số công khai “%(code)s”.") % {"code": set_code})
        tables = []
        for key, label in ranking_groups():
            rows = ranking(set_code=set_code, period=period, group=key, compute=False)
            tables.append({"key": key, "label": label, "rows": rows,
                           "chart": bar_chart(items=[(r.name, r.total) for r in rows[:60]], label=label)})
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "scorecard/public.html", {
        "indicator_set": indicator_set, "period": period, "tables": tables, "set_groups": set_groups(indicator_set),
        "prev_period": period.previous(), "next_period": period.next(), "recent_months": _recent_periods("month")})

