"""Scorecard reads: one unit's scorecard (the output contract), rankings, trends and "why".

Aggregates (scores per unit) are not personal data: every staff member may see every unit's
scores, and the public dashboard shows the public sets. Drill-down to dossiers and officers goes
through `Dossier.objects.visible_to(user)` (kycuong.org.scoping), so evidence outside the
viewer's scope is never listed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import ValidationFailed
from kycuong.core.periods import Period, parse_period
from kycuong.dossiers.models import Dossier
from kycuong.org.models import Staff, Unit
from kycuong.org.selectors import unit_by_code
from kycuong.procedures.models import Procedure

from .engine import (
    MEASURES,
    RANKING_GROUPS,
    Populations,
    load_tree,
    populations,
    procedure_catalog,
)
from .engine import procedure_sets_by_unit as _procedure_sets
from .models import Indicator, IndicatorSet, Result
from .services import indicator_set_get, scorecard_compute

TIE_DIGITS = 9


def _period(label: str | Period) -> Period:
    return label if isinstance(label, Period) else parse_period(label)


def _ensure_computed(indicator_set: IndicatorSet, period: Period, unit: Unit | None = None) -> None:
    """Compute on demand when the period (or this unit) has never been computed."""
    qs = Result.objects.filter(indicator_set=indicator_set, period=period.label)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if not qs.exists():
        scorecard_compute(set_code=indicator_set.code, period=period, audit=False)


def total_of(points: float, max_points: float) -> float | None:
    """Sum of applicable points ÷ sum of their max points × 100 (None: nothing applicable)."""
    return points / max_points * 100 if max_points else None


def indicator_row(result: Result, indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "numerator": result.numerator if result.source_has_data else None,
        "denominator": result.denominator if result.source_has_data else None,
        "rate": result.rate if result.applicable else None,
        "points": result.points if result.applicable else None,
        "max_points": _max(indicator),
        "applicable": result.applicable,
    }


def _max(indicator: Indicator) -> int | float:
    value = float(indicator.max_points)
    return int(value) if value.is_integer() else value


def unit_scorecard(*, set_code: str, period: str | Period, unit_code: str) -> dict[str, Any]:
    """The output contract of docs/scorecard.md for one unit and period (computed on demand)."""
    indicator_set = indicator_set_get(set_code)
    period = _period(period)
    unit = unit_by_code(unit_code)
    _ensure_computed(indicator_set, period, unit)
    results = {r.indicator_id: r for r in Result.objects.filter(indicator_set=indicator_set, period=period.label, unit=unit)}
    indicators = list(indicator_set.indicators.order_by("order"))
    rows = [indicator_row(results[i.pk], i) for i in indicators if i.pk in results]
    points = sum(r["points"] for r in rows if r["applicable"])
    max_points = sum(r["max_points"] for r in rows if r["applicable"])
    return {"set": indicator_set.code, "unit": unit.code, "period": period.label, "total": total_of(points, max_points),
            "indicators": rows}


@dataclass
class UnitDetail:
    """One unit's scorecard with the labels and notes screens and reports need."""

    indicator_set: IndicatorSet
    unit: Unit
    period: Period
    total: float | None
    points: float
    max_points: float
    rows: list[dict[str, Any]]
    computed_at: dt.datetime | None


def unit_detail(*, set_code: str, period: str | Period, unit: Unit) -> UnitDetail:
    indicator_set = indicator_set_get(set_code)
    period = _period(period)
    _ensure_computed(indicator_set, period, unit)
    results = {r.indicator_id: r for r in Result.objects.filter(indicator_set=indicator_set, period=period.label, unit=unit)}
    rows = []
    for ind in indicator_set.indicators.order_by("order"):
        res = results.get(ind.pk)
        if res is None:
            continue
        row = indicator_row(res, ind)
        row.update({"name": ind.name_vi, "group": ind.group, "group_name": ind.group_name_vi, "note": res.note,
                    "source_has_data": res.source_has_data, "thresholds": ind.thresholds,
                    "lost": (float(ind.max_points) - res.points) if res.applicable and res.points is not None else None})
        rows.append(row)
    points = sum(r["points"] for r in rows if r["applicable"])
    max_points = sum(r["max_points"] for r in rows if r["applicable"])
    computed = max((r.computed_at for r in results.values()), default=None)
    return UnitDetail(indicator_set, unit, period, total_of(points, max_points), points, max_points, rows, computed)


# --------------------------------------------------------------------------------------------
# Rankings


@dataclass
class RankRow:
    unit_id: int
    code: str
    name: str
    kind: str
    points: float
    max_points: float
    total: float | None
    rank: int | None = None
    previous_rank: int | None = None
    groups: dict[str, float | None] = field(default_factory=dict)

    @property
    def change(self) -> int | None:
        """Places gained since the previous period (positive = moved up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank


def assign_ranks(rows: list[RankRow]) -> list[RankRow]:
    """Higher total first; equal totals share a rank (1, 2, 2, 4); units with nothing applicable last."""
    rows.sort(key=lambda r: (r.total is None, -(r.total or 0), r.code))
    previous_key: float | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        if row.total is None:
            row.rank = None
            continue
        key = round(row.total, TIE_DIGITS)
        if key != previous_key:
            rank = position
            previous_key = key
        row.rank = rank
    return rows


def ranking_groups() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, (label, _kinds) in RANKING_GROUPS.items()]


def _group_kinds(group: str) -> list[str]:
    if group not in RANKING_GROUPS:
        raise ValidationFailed(_("Nhóm xếp hạng không hợp lệ: “%(g)s”.") % {"g": group}, code="invalid_group",
                               details={"group": group, "allowed": list(RANKING_GROUPS)})
    return list(RANKING_GROUPS[group][1])


def _totals(indicator_set: IndicatorSet, period: Period, kinds: list[str]) -> list[RankRow]:
    applicable = Q(applicable=True)
    rows = (Result.objects.filter(indicator_set=indicator_set, period=period.label, unit__kind__in=kinds)
            .values("unit_id", "unit__code", "unit__name", "unit__kind")
            .annotate(points=Sum("points", filter=applicable), max_points=Sum("indicator__max_points", filter=applicable))
            .order_by())
    out = []
    for r in rows:
        points, max_points = float(r["points"] or 0), float(r["max_points"] or 0)
        out.append(RankRow(r["unit_id"], r["unit__code"], r["unit__name"], r["unit__kind"], points, max_points,
                           total_of(points, max_points)))
    return out


def ranking(*, set_code: str, period: str | Period, group: str, compute: bool = True) -> list[RankRow]:
    """Ranking of one group of units (departments; wards and communes), with the previous period's rank."""
    indicator_set = indicator_set_get(set_code)
    period = _period(period)
    kinds = _group_kinds(group)
    if compute:
        _ensure_computed(indicator_set, period)
    rows = assign_ranks(_totals(indicator_set, period, kinds))
    previous = {r.unit_id: r.rank for r in assign_ranks(_totals(indicator_set, period.previous(), kinds))}
    by_group: dict[int, dict[str, float | None]] = defaultdict(dict)
    for r in (Result.objects.filter(indicator_set=indicator_set, period=period.label, unit__kind__in=kinds, applicable=True)
              .values("unit_id", "indicator__group").annotate(points=Sum("points")).order_by()):
        by_group[r["unit_id"]][r["indicator__group"]] = r["points"]
    for row in rows:
        row.previous_rank = previous.get(row.unit_id)
        row.groups = by_group.get(row.unit_id, {})
    return rows


def set_groups(indicator_set: IndicatorSet) -> list[tuple[str, str, float]]:
    """(group code, group name, max points) in indicator order."""
    seen: dict[str, tuple[str, str, float]] = {}
    for ind in indicator_set.indicators.order_by("order"):
        code, name, mx = seen.get(ind.group, (ind.group, ind.group_name_vi or ind.group, 0.0))
        seen[ind.group] = (code, name, mx + float(ind.max_points))
    return list(seen.values())


# --------------------------------------------------------------------------------------------
# Trends


@dataclass
class Trend:
    periods: list[str]
    totals: list[float | None]
    indicators: list[dict[str, Any]]


def trend(*, indicator_set: IndicatorSet, unit: Unit, kind: str, until: Period, count: int = 12) -> Trend:
    """The last `count` periods of `kind` up to `until`: total and each indicator's rate and points.

    Periods never computed show as gaps (None), not zeros.
    """
    periods: list[Period] = []
    p = until if until.kind == kind else _containing(until, kind)
    for _i in range(count):
        periods.append(p)
        p = p.previous()
    periods.reverse()
    labels = [p.label for p in periods]
    indicators = list(indicator_set.indicators.order_by("order"))
    cells: dict[tuple[int, str], Result] = {
        (r.indicator_id, r.period): r
        for r in Result.objects.filter(indicator_set=indicator_set, unit=unit, period__in=labels)}
    totals: list[float | None] = []
    for label in labels:
        present = [(cells[(i.pk, label)], i) for i in indicators if (i.pk, label) in cells]
        if not present:
            totals.append(None)
            continue
        applicable = [(r.points or 0.0, float(i.max_points)) for r, i in present if r.applicable]
        totals.append(total_of(sum(a for a, _m in applicable), sum(m for _a, m in applicable)))
    series = []
    for ind in indicators:
        values = [cells.get((ind.pk, label)) for label in labels]
        series.append({"code": ind.code, "name": ind.name_vi, "max_points": _max(ind),
                       "rates": [v.rate if v and v.applicable else None for v in values],
                       "points": [v.points if v and v.applicable else None for v in values],
                       "numerators": [v.numerator if v else None for v in values],
                       "denominators": [v.denominator if v else None for v in values]})
    return Trend(labels, totals, series)


def _containing(period: Period, kind: str) -> Period:
    from kycuong.core.periods import period_containing

    return period_containing(min(period.end - dt.timedelta(days=1), timezone.localdate()), kind)


# --------------------------------------------------------------------------------------------
# "Why": compare two periods and list what moved each indicator


def dossier_url(code: str) -> str:
    """The dossier's control sheet (form 05, phiếu kiểm soát quá trình giải quyết) when the dossiers
    module offers it, else its detail page; the target page checks the viewer's scope again."""
    for name, kwargs in (("dossier_documents:form", {"code": code, "form": "05"}), ("dossiers:detail", {"code": code})):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


@dataclass
class Why:
    unit: Unit
    period_a: Period
    period_b: Period
    rows: list[dict[str, Any]]
    late_dossiers: list[dict[str, Any]]
    late_total: int
    procedures: list[dict[str, Any]]
    officers: list[dict[str, Any]]
    catalog_gaps: list[dict[str, Any]]
    in_scope: bool
    lost_by_indicator: dict[str, dict[str, Any]]


LATE_LIMIT = 200


def _visible_dossiers(user: Any) -> Any:
    """Dossiers the viewer may open (the dossiers module's rule when installed), with finish moments."""
    try:
        from kycuong.dossiers.selectors import dossiers_visible_to
    except ImportError:  # pragma: no cover - the dossiers module ships its selectors
        return Dossier.objects.visible_to(user).annotate(finish_moment=Coalesce("finished_at", "returned_at"))
    return dossiers_visible_to(user).annotate(finish_moment=Coalesce("finished_at", "returned_at"))


def _lost_queryset(user: Any, unit_ids: list[int] | None, q: Q) -> Any:
    qs = _visible_dossiers(user)
    return (qs if unit_ids is None else qs.filter(unit_id__in=unit_ids)).filter(q)


def why(*, set_code: str, unit: Unit, period_a: str | Period, period_b: str | Period, user: Any,
        now: dt.datetime | None = None) -> Why:
    """Per indicator: A → B (numerator, denominator, rate, points, change); then the evidence behind
    points lost in B — late and overdue dossiers, the procedures and accountable officers they
    belong to (with A's counts to show what moved), and incomplete procedures — within the viewer's scope."""
    from kycuong.org.scoping import scope_for

    now = now or timezone.now()
    a, b = _period(period_a), _period(period_b)
    da = unit_detail(set_code=set_code, period=a, unit=unit)
    db = unit_detail(set_code=set_code, period=b, unit=unit)
    by_code_a = {r["code"]: r for r in da.rows}
    rows = []
    for rb in db.rows:
        ra = by_code_a.get(rb["code"], {})
        pa, pb = ra.get("points"), rb["points"]
        rows.append({"code": rb["code"], "name": rb["name"], "max_points": rb["max_points"], "a": ra, "b": rb,
                     "delta": (pb - pa) if pa is not None and pb is not None else None})
    rows.sort(key=lambda r: (r["delta"] is None, r["delta"] or 0))
    subtree = list(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))
    unit_ids: list[int] | None = None if len(subtree) == Unit.objects.count() else subtree  # whole tree: no filter
    pops_a, pops_b = populations(a, now=now), populations(b, now=now)
    late_q_b = pops_b.late_finished | pops_b.overdue_open
    late_q_a = pops_a.late_finished | pops_a.overdue_open

    # One grouped scan for both periods: late dossiers per (procedure, officer) in A and in B.
    pairs = (_lost_queryset(user, unit_ids, late_q_a | late_q_b).order_by().values("procedure_id", "accountable_id")
             .annotate(a=Count("id", filter=late_q_a), b=Count("id", filter=late_q_b)))
    by_proc: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    by_officer: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    late_total = 0
    for row in pairs:
        for bucket, key in ((by_proc, row["procedure_id"]), (by_officer, row["accountable_id"])):
            bucket[key][0] += row["a"]
            bucket[key][1] += row["b"]
        late_total += row["b"]
    qs_b = _lost_queryset(user, unit_ids, late_q_b)
    late = []
    as_of = min(b.end_at, now)
    for d in (qs_b.select_related("procedure", "accountable").order_by("due_at", "code")[:LATE_LIMIT]):
        fm = d.finish_moment
        if fm is None or fm >= as_of:
            reason = _("Quá hạn, chưa giải quyết")
        elif d.supplement_count > 1:
            reason = _("Yêu cầu bổ sung %(n)s lần") % {"n": d.supplement_count}
        else:
            reason = _("Trễ hạn")
        late.append({"code": d.code, "url": dossier_url(d.code), "procedure": d.procedure.name,
                     "procedure_code": d.procedure.code, "officer": d.accountable.full_name if d.accountable else "",
                     "due_at": d.due_at, "finished_at": fm, "supplement_count": d.supplement_count, "reason": reason})

    procedures = _compare(by_proc)
    names = {pk: (code, name) for pk, code, name in
             Procedure.objects.filter(pk__in=[p["key"] for p in procedures]).values_list("pk", "code", "name")}
    for p in procedures:
        p["code"], p["name"] = names.get(p["key"], ("", ""))
    officers = _compare(by_officer)
    staff_names = dict(Staff.objects.filter(pk__in=[o["key"] for o in officers if o["key"]]).values_list("pk", "full_name"))
    for o in officers:
        o["name"] = staff_names.get(o["key"], _("Chưa phân công")) if o["key"] else _("Chưa phân công")

    lost_by_indicator = _lost_counts(set_code, user, unit_ids, pops_a, pops_b)
    return Why(unit, a, b, rows, late, late_total, procedures[:30], officers[:30], _catalog_gaps(unit),
               scope_for(user).allows(unit.pk), lost_by_indicator)


def _compare(counts: dict[Any, list[int]]) -> list[dict[str, Any]]:
    rows = [{"key": k, "a": a, "b": b, "delta": b - a} for k, (a, b) in counts.items()]
    rows.sort(key=lambda r: (-r["b"], -r["delta"], str(r["key"])))
    return rows


def _lost_counts(set_code: str, user: Any, unit_ids: list[int] | None, pops_a: Populations, pops_b: Populations
                 ) -> dict[str, dict[str, Any]]:
    """For each dossier indicator: how many dossiers (visible to the viewer) lost points in A and in B."""
    out: dict[str, dict[str, Any]] = {}
    base = _lost_queryset(user, unit_ids, Q()).order_by()
    aggregates: dict[str, Any] = {}
    codes = []
    for ind in Indicator.objects.filter(indicator_set__code=set_code).order_by("order"):
        measure = MEASURES.get(ind.formula)
        if measure is None or measure.lost is None:
            continue
        codes.append(ind.code)
        aggregates[f"a{len(codes)}"] = Count("id", filter=measure.lost(pops_a))
        aggregates[f"b{len(codes)}"] = Count("id", filter=measure.lost(pops_b))
    if not aggregates:
        return out
    totals = base.aggregate(**aggregates)
    for i, code in enumerate(codes, start=1):
        out[code] = {"a": totals[f"a{i}"], "b": totals[f"b{i}"], "delta": totals[f"b{i}"] - totals[f"a{i}"]}
    return out


def _catalog_gaps(unit: Unit) -> list[dict[str, Any]]:
    """The unit's active procedures missing public data (lost transparency.catalog points)."""
    tree = [n for n in load_tree() if n.path.startswith(unit.path)]
    catalog = procedure_catalog()
    ids = _procedure_sets(tree, catalog).get(unit.pk, set())
    complete = catalog[2]
    missing = sorted(ids - complete)
    rows = []
    for p in Procedure.objects.filter(pk__in=missing[:100]).prefetch_related("steps").order_by("code"):
        gaps = []
        if not p.processing_value or p.processing_value <= 0:
            gaps.append(_("thời hạn giải quyết"))
        if not p.documents:
            gaps.append(_("thành phần hồ sơ"))
        if not list(p.steps.all()):
            gaps.append(_("quy trình nội bộ"))
        rows.append({"code": p.code, "name": p.name, "gaps": ", ".join(str(g) for g in gaps)})
    return rows
