"""Hand-computed expectations for the JSON Lines dataset in tests/data (October 2026).

Phường Hoàn Kiếm (H26.P04), 14 dossiers:
  received in October (refused excluded): 11 — 0001..0002 (5/10), 261006, 261012, 261020, 261029,
  261013 ×2, 261007-0002 (withdrawn), 261019, 261026.  Refused 261007-0001 and the two September
  receipts are not received in October.
  finished in October (finish moment; withdrawn excluded): 8 — 261005-0001, 261005-0002, 261006,
  261012, 261013 ×2, 260928 (received in September, finished 2/10), 261019 (returned, no finished event).
  on time: 5 — 261005-0002 is on time only because its supplement pause (8 working hours) moved
  due_at from 8/10 10:00 to 9/10 10:00; 261006 finished early but had TWO supplement requests → late;
  261012 finished after due_at (the apology's new date does not help) → late; 260928 late.
  overdue open at 1/11 00:00: 1 — 261020 (due 23/10). 261029 is due 3/11; 261026 waits for a
  supplement requested before its due date (clock stopped); the withdrawn one is closed.
"""

from __future__ import annotations

import pytest

from kycuong.scorecard.models import Result
from kycuong.scorecard.selectors import ranking, unit_scorecard
from kycuong.scorecard.services import scorecard_compute

from .conftest import NOW

NA = None  # not applicable

# unit → indicator → (numerator, denominator, points); NA: not applicable (denominator 0).
EXPECTED = {
    "H26.P04": {
        "transparency.catalog": (1, 2, 6 * 1 / 2),             # T.001 complete; T.002 has no internal steps
        "transparency.sync": (9, 11, 12 * 9 / 11),
        "progress.on_time": (5, 9, 20 * 5 / 9),                # 5 on time / (8 finished + 1 overdue open)
        "online.procedures": (1, 2, 6 * (1 / 2) / 0.8),
        "online.submission": (5, 7, 6.0),                      # 5/7 ≥ 50 % → full marks
        "payment.online": (4, 10, 10 * (4 / 10) / 0.8),
        "satisfaction.dossiers": (3, 9, 6 * (3 / 9) / 0.9),    # on time minus dissatisfied minus complaint
        "digitization.input": (8, 11, 11 * (8 / 11) / 0.8),
        "digitization.result": (5, 8, 11 * (5 / 8) / 0.8),
    },
    "H26.P01": {
        "transparency.catalog": (1, 2, 3.0), "transparency.sync": (2, 2, 12.0), "progress.on_time": (1, 2, 10.0),
        "online.procedures": (1, 2, 3.75), "online.submission": (1, 1, 6.0), "payment.online": (1, 2, 6.25),
        "satisfaction.dossiers": (1, 2, 6 * 0.5 / 0.9), "digitization.input": (2, 2, 11.0),
        "digitization.result": (1, 2, 11 * 0.5 / 0.8),
    },
    "H26.P02": {
        "transparency.catalog": (1, 1, 6.0), "transparency.sync": (1, 1, 12.0), "progress.on_time": (1, 1, 20.0),
        "online.procedures": (1, 1, 6.0), "online.submission": (1, 1, 6.0),
        "payment.online": (0, 0, NA),                          # no fee: not applicable
        "satisfaction.dossiers": (1, 1, 6.0), "digitization.input": (1, 1, 11.0), "digitization.result": (1, 1, 11.0),
    },
    # Sở Tư pháp = the union of its own dossier and its office's (overdue open) dossier.
    "H26.STP": {
        "transparency.catalog": (1, 2, 3.0), "transparency.sync": (2, 2, 12.0), "progress.on_time": (1, 2, 10.0),
        "online.procedures": (2, 2, 6.0), "online.submission": (1, 2, 6.0), "payment.online": (1, 2, 6.25),
        "satisfaction.dossiers": (1, 2, 6 * 0.5 / 0.9), "digitization.input": (1, 2, 11 * 0.5 / 0.8),
        "digitization.result": (1, 1, 11.0),
    },
    "H26.STP.01": {
        "transparency.catalog": (1, 1, 6.0), "transparency.sync": (1, 1, 12.0), "progress.on_time": (0, 1, 0.0),
        "online.procedures": (1, 1, 6.0), "online.submission": (0, 1, 0.0), "payment.online": (0, 1, 0.0),
        "satisfaction.dossiers": (0, 1, 0.0), "digitization.input": (0, 1, 0.0), "digitization.result": (0, 0, NA),
    },
    # The city: every dossier once (sums of leaf counts), procedures as a set union (T.001..T.005).
    "H26": {
        "transparency.catalog": (3, 5, 6 * 3 / 5), "transparency.sync": (9 + 2 + 2 + 1 + 2, 11 + 2 + 2 + 1 + 2, 12 * 16 / 18),
        "progress.on_time": (5 + 1 + 1 + 1 + 1, 9 + 2 + 2 + 1 + 2, 20 * 9 / 16),
        "online.procedures": (4, 5, 6.0), "online.submission": (5 + 1 + 1 + 1 + 1, 7 + 1 + 1 + 1 + 2, 6.0),
        "payment.online": (4 + 1 + 1 + 1, 10 + 2 + 2 + 2, 10 * (7 / 16) / 0.8),
        "satisfaction.dossiers": (3 + 1 + 1 + 1 + 1, 16, 6 * (7 / 16) / 0.9),
        "digitization.input": (8 + 2 + 2 + 1 + 1, 18, 11 * (14 / 18) / 0.8),
        "digitization.result": (5 + 1 + 1 + 1 + 1, 8 + 2 + 2 + 1 + 1, 11 * (9 / 14) / 0.8),
    },
}
EXPECTED["H26.X01"] = EXPECTED["H26.P01"]
FEEDBACK = ("satisfaction.feedback_on_time", "satisfaction.feedback")


def _total(expected: dict) -> float:
    maxima = {"transparency.catalog": 6, "transparency.sync": 12, "progress.on_time": 20, "online.procedures": 6,
              "online.submission": 6, "payment.online": 10, "satisfaction.dossiers": 6, "digitization.input": 11,
              "digitization.result": 11}
    applicable = [(pts, maxima[code]) for code, (_n, _d, pts) in expected.items() if pts is not None]
    return sum(p for p, _m in applicable) / sum(m for _p, m in applicable) * 100


@pytest.fixture
def computed(dataset):
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)
    return dataset


@pytest.mark.parametrize("unit", sorted(EXPECTED))
def test_every_numerator_denominator_and_point_matches_the_hand_computation(computed, unit):
    data = unit_scorecard(set_code="dvc766", period="2026-10", unit_code=unit)
    rows = {r["code"]: r for r in data["indicators"]}
    for code, (numerator, denominator, points) in EXPECTED[unit].items():
        row = rows[code]
        assert (row["numerator"], row["denominator"]) == (numerator, denominator), (unit, code)
        if points is None:
            assert row["applicable"] is False and row["points"] is None and row["rate"] is None, (unit, code)
        else:
            assert row["applicable"] is True, (unit, code)
            assert row["points"] == pytest.approx(points, abs=1e-9), (unit, code)
            assert row["rate"] == pytest.approx(numerator / denominator), (unit, code)
    assert data["total"] == pytest.approx(_total(EXPECTED[unit]), abs=1e-9)


def test_feedback_indicators_without_source_data_are_not_applicable_never_zero(computed):
    results = Result.objects.filter(unit__code="H26.P04", period="2026-10", indicator__code__in=FEEDBACK)
    assert results.count() == 2
    for r in results:
        assert r.applicable is False and r.source_has_data is False and r.points is None and r.numerator is None
        assert r.note  # says why ("no data from the source module" / "not installed")


def test_output_contract_shape(computed):
    data = unit_scorecard(set_code="dvc766", period="2026-10", unit_code="H26.P04")
    assert list(data) == ["set", "unit", "period", "total", "indicators"]
    assert (data["set"], data["unit"], data["period"]) == ("dvc766", "H26.P04", "2026-10")
    assert [r["code"] for r in data["indicators"]][:3] == ["transparency.catalog", "transparency.sync", "progress.on_time"]
    assert len(data["indicators"]) == 11
    on_time = next(r for r in data["indicators"] if r["code"] == "progress.on_time")
    assert list(on_time) == ["code", "numerator", "denominator", "rate", "points", "max_points", "applicable"]
    assert on_time["max_points"] == 20


def test_ranking_ties_share_a_rank(computed):
    rows = ranking(set_code="dvc766", period="2026-10", group="local")
    got = [(r.code, r.rank) for r in rows]
    # P02 is perfect; P01 and X01 have identical figures (tie); P04 comes fourth: 1, 2, 2, 4.
    assert got == [("H26.P02", 1), ("H26.P01", 2), ("H26.X01", 2), ("H26.P04", 4)]
    assert rows[0].total == pytest.approx(100.0)
    assert rows[1].total == rows[2].total
    departments = ranking(set_code="dvc766", period="2026-10", group="departments")
    assert [(r.code, r.rank) for r in departments] == [("H26.STP", 1)]


def test_rank_change_since_previous_period(computed):
    scorecard_compute(set_code="dvc766", period="2026-09", now=NOW)
    sept = {r.code: r for r in ranking(set_code="dvc766", period="2026-09", group="local")}
    # September: no dossiers except P04's two; catalog/online only elsewhere.
    # P02 100 (catalog 1/1, online 1/1); P04: both September dossiers received, one finished on time.
    assert sept["H26.P02"].rank == 1
    october = {r.code: r for r in ranking(set_code="dvc766", period="2026-10", group="local")}
    for code in october:
        assert october[code].previous_rank == sept[code].rank
        assert october[code].change == sept[code].rank - october[code].rank


def test_not_applicable_indicators_leave_the_total(computed):
    data = unit_scorecard(set_code="dvc766", period="2026-10", unit_code="H26.P02")
    assert data["total"] == pytest.approx(100.0)  # payment and feedback n/a: 72 of 72 applicable points


def test_recompute_is_idempotent(computed):
    before = Result.objects.count()
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)
    assert Result.objects.count() == before


def test_the_dataset_was_loaded(dataset):
    assert dataset.loaded["dossiers"][0] == 21
    assert dataset.loaded["procedures"][0] == 5


def test_discipline_set_takes_attendance_from_the_timekeeping_module(dataset):
    """Phường Hoàn Kiếm: 10 expected staff-days in October, 8 compliant, 1 late, 1 unjustified absence."""
    import datetime as dt

    from django.utils import timezone

    from kycuong.attendance.models import DailyAttendance

    staff = dataset.staff["officer_a"]
    statuses = ["present"] * 8 + ["late", "absent"]
    days = [dt.date(2026, 10, d) for d in (1, 2, 5, 6, 7, 8, 9, 12, 13, 14)]
    DailyAttendance.objects.bulk_create([
        DailyAttendance(staff=staff, unit=dataset.ward_a, day=day, status=status, computed_at=timezone.now())
        for day, status in zip(days, statuses, strict=True)])
    scorecard_compute(set_code="kycuong", period="2026-10", now=NOW)
    ward = {r["code"]: r for r in unit_scorecard(set_code="kycuong", period="2026-10", unit_code="H26.P04")["indicators"]}
    assert (ward["attendance.compliance"]["numerator"], ward["attendance.compliance"]["denominator"]) == (8, 10)
    assert ward["attendance.compliance"]["points"] == pytest.approx(25 * 0.8)
    assert (ward["attendance.no_unjustified_absence"]["numerator"],
            ward["attendance.no_unjustified_absence"]["denominator"]) == (9, 10)
    assert ward["attendance.no_unjustified_absence"]["points"] == pytest.approx(15 * 0.9)
    city = {r["code"]: r for r in unit_scorecard(set_code="kycuong", period="2026-10", unit_code="H26")["indicators"]}
    assert city["attendance.compliance"]["numerator"] == 8  # the subtree union
    other = Result.objects.get(unit__code="H26.P01", period="2026-10", indicator__code="attendance.compliance")
    assert other.source_has_data is False and other.applicable is False and other.note  # no timekeeping there


def test_feedback_indicators_from_the_feedback_modules_counts(dataset, monkeypatch):
    """The feedback module's mutually exclusive counts, summed over subtrees (monkeypatched source)."""
    from kycuong.feedback import selectors as feedback_selectors

    counts = {
        dataset.ward_a.pk: {"resolved": 8, "resolved_on_time": 6, "open_past_deadline": 2, "rated_not_satisfied": 1,
                            "reopened": 1, "late": 4, "has_data": True},
        dataset.ward_b.pk: {"resolved": 2, "resolved_on_time": 2, "open_past_deadline": 0, "rated_not_satisfied": 0,
                            "reopened": 0, "late": 0, "has_data": True},
    }
    monkeypatch.setattr(feedback_selectors, "feedback_scorecard_counts_by_unit", lambda *, start, end: counts)
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)

    def row(unit, code):
        return next(r for r in unit_scorecard(set_code="dvc766", period="2026-10", unit_code=unit)["indicators"]
                    if r["code"] == code)

    on_time = row("H26.P04", "satisfaction.feedback_on_time")
    assert (on_time["numerator"], on_time["denominator"], on_time["points"]) == (6, 10, pytest.approx(6 * 0.6))
    satisfied = row("H26.P04", "satisfaction.feedback")  # 10 − 1 − 1 − 4
    assert (satisfied["numerator"], satisfied["denominator"], satisfied["points"]) == (4, 10, pytest.approx(6 * 0.4))
    city = row("H26", "satisfaction.feedback_on_time")
    assert (city["numerator"], city["denominator"]) == (8, 12)
    none = row("H26.X01", "satisfaction.feedback")  # the module has data, this commune had no items
    assert (none["numerator"], none["denominator"], none["applicable"]) == (0, 0, False)
