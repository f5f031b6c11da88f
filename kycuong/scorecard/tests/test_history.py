"""History as of its date: a period's figures cover the units in operation during that period."""

from __future__ import annotations

import datetime as dt

from kycuong.org.models import Unit, UnitKind
from kycuong.org.tests.factories import UnitFactory
from kycuong.scorecard.models import Result
from kycuong.scorecard.services import scorecard_compute

from .conftest import NOW


def _units_with_results(period: str) -> set[str]:
    return set(Result.objects.filter(indicator_set__code="dvc766", period=period)
               .values_list("unit__code", flat=True).distinct())


def test_a_ward_created_later_has_no_figures_for_earlier_periods(dataset):
    UnitFactory(code="H26.P99", name="Phường Mới", kind=UnitKind.WARD, parent=dataset.city,
                active_from=dt.date(2026, 11, 15))
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)
    scorecard_compute(set_code="dvc766", period="2026-11", now=NOW)
    assert "H26.P99" not in _units_with_results("2026-10")
    assert "H26.P99" in _units_with_results("2026-11")


def test_a_dissolved_ward_keeps_its_period_and_gets_none_after(dataset):
    Unit.objects.filter(code="H26.P02").update(active_to=dt.date(2026, 11, 1))  # merged on 1/11
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)
    october = _units_with_results("2026-10")
    assert "H26.P02" in october
    city = Result.objects.get(indicator_set__code="dvc766", period="2026-10", unit__code="H26",
                              indicator__code="progress.on_time")
    assert city.denominator == 16  # the dissolved ward's October dossier still counts for the city
    scorecard_compute(set_code="dvc766", period="2026-11", now=NOW)
    assert "H26.P02" not in _units_with_results("2026-11")


def test_a_recompute_removes_figures_of_a_unit_not_in_operation(dataset):
    scorecard_compute(set_code="dvc766", period="2026-11", now=NOW)
    assert "H26.P02" in _units_with_results("2026-11")
    Unit.objects.filter(code="H26.P02").update(active_to=dt.date(2026, 11, 1))
    scorecard_compute(set_code="dvc766", period="2026-11", now=NOW)
    assert "H26.P02" not in _units_with_results("2026-11")
