"""Demo: compute both indicator sets for the last 12 weeks and 12 months (trends and rank changes
have history to show from the first login)."""

from __future__ import annotations

from kycuong.core.demodata import DemoContext
from kycuong.core.periods import Period, period_containing

from .models import IndicatorSet
from .services import scorecard_compute

#: dvc766 (dossier-driven; the dossiers demo covers June–November) and the discipline set, recent periods.
HISTORY = {"dvc766": (12, 6), "kycuong": (4, 3)}


def demo_periods(ctx: DemoContext, weeks: int = 12, months: int = 12) -> list[Period]:
    periods: list[Period] = []
    for kind, count in (("week", weeks), ("month", months)):
        p = period_containing(ctx.today, kind)
        for _i in range(count):
            periods.append(p)
            p = p.previous()
    periods.append(period_containing(ctx.today, "quarter"))
    return periods


def build(ctx: DemoContext) -> str:
    codes = list(IndicatorSet.objects.order_by("code").values_list("code", flat=True))
    results = computed = 0
    for code in codes:
        for period in demo_periods(ctx, *HISTORY.get(code, (4, 3))):
            results += scorecard_compute(set_code=code, period=period, now=ctx.now, audit=False).results
            computed += 1
    return f"{len(codes)} bộ chỉ số, {computed} lượt tính, {results} kết quả"
