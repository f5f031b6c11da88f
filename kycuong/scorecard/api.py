"""Scorecard API: a unit's scorecard (the output contract of docs/scorecard.md) and rankings."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from kycuong.core.api import ERRORS

from .selectors import ranking, unit_scorecard

router = Router(tags=["scorecard"])


class IndicatorOut(Schema):
    code: str
    numerator: int | None
    denominator: int | None
    rate: float | None
    points: float | None
    max_points: int | float
    applicable: bool


class ScorecardOut(Schema):
    set: str
    unit: str
    period: str
    total: float | None
    indicators: list[IndicatorOut]


class RankOut(Schema):
    rank: int | None
    previous_rank: int | None
    change: int | None
    unit: str
    name: str
    kind: str
    total: float | None
    points: float
    max_points: float


class RankingOut(Schema):
    set: str
    period: str
    group: str
    rows: list[RankOut]


@router.get("/{set_code}/{period}/ranking/{group}", response={200: RankingOut, **ERRORS},
            operation_id="scorecard_ranking")
def ranking_get(request: HttpRequest, set_code: str, period: str, group: str) -> RankingOut:
    """Ranking of `departments` or `local` (wards and communes): higher total first, equal totals
    share a rank (1, 2, 2, 4), with the previous period's rank."""
    rows = ranking(set_code=set_code, period=period, group=group)
    return RankingOut(set=set_code, period=period, group=group, rows=[
        RankOut(rank=r.rank, previous_rank=r.previous_rank, change=r.change, unit=r.code, name=r.name, kind=r.kind,
                total=r.total, points=r.points, max_points=r.max_points) for r in rows])


@router.get("/{set_code}/{period}/{unit}", response={200: ScorecardOut, **ERRORS}, operation_id="scorecard_unit")
def scorecard_get(request: HttpRequest, set_code: str, period: str, unit: str) -> dict:
    """One unit's scorecard (its whole subtree) for a period (2026-W43, 2026-10, 2026-Q4, 2026):
    numerator, denominator, rate, unrounded points per indicator; total over applicable indicators."""
    return unit_scorecard(set_code=set_code, period=period, unit_code=unit)
