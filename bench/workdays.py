"""Benchmark: due dates for 1,000,000 (start, working-days) pairs vs numpy.busday_offset.

Run: .venv/bin/python bench/workdays.py [N]
Reports the minute-exact vectorised calendar (BatchCalendar), the scalar WorkCalendar on a
sample, and numpy.busday_offset on the same day-level inputs (the ceiling), in the same run.
Goal (issue 2): within 3x of numpy while staying minute-exact.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kycuong.workdays.engine import TZ, BatchCalendar, WorkCalendar, spec_from  # noqa: E402


def best_of(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(2026)
    t0 = time.perf_counter()
    cal = WorkCalendar(spec_from(first_year=2020, last_year=2032))
    batch = BatchCalendar(cal)
    build = time.perf_counter() - t0
    base = int(dt.datetime(2025, 1, 1, tzinfo=TZ).timestamp())
    starts = base + rng.integers(0, 2 * 365 * 24 * 60, size=n, dtype=np.int64) * 60  # minute-exact instants
    days = rng.choice(np.array([1, 2, 3, 5, 7, 10, 15, 20, 30]), size=n).astype(np.int64)

    # Ceiling: numpy.busday_offset on the same inputs at day level (same holidays and weekmask;
    # numpy cannot model swapped Saturdays, lunch breaks, cut-off or minutes).
    local_days = ((starts + 7 * 3600) // 86400).astype("datetime64[D]")
    holidays = np.array(sorted(d for d in cal.spec.days_off if d.weekday() < 5), dtype="datetime64[D]")
    bdc = np.busdaycalendar(weekmask="1111100", holidays=holidays)
    t_numpy = best_of(lambda: np.busday_offset(local_days, days, roll="forward", busdaycal=bdc))
    t_batch = best_of(lambda: batch.due_at_working_days(starts, days.astype(np.float64)))

    sample = 20_000
    s_starts = [dt.datetime.fromtimestamp(int(s), TZ) for s in starts[:sample]]
    s_days = days[:sample].tolist()
    t = time.perf_counter()
    for s, d in zip(s_starts, s_days, strict=True):
        cal.due_at(s, value=d, unit="working_days")
    t_scalar = (time.perf_counter() - t) * n / sample

    # Exactness check on the sample: batch == scalar.
    got = batch.due_at_working_days(starts[:2000], days[:2000].astype(np.float64))
    for s, d, g in zip(s_starts[:2000], s_days[:2000], got.tolist(), strict=True):
        assert int(cal.due_at(s, value=d, unit="working_days").timestamp()) == g

    print(f"pairs: {n:,}  (calendar 2020–2032 built in {build:.2f}s)")
    print(f"numpy.busday_offset (day-level ceiling): {t_numpy:.3f}s  ({n / t_numpy / 1e6:.1f} M/s)")
    print(f"kycuong BatchCalendar (minute-exact):     {t_batch:.3f}s  ({n / t_batch / 1e6:.1f} M/s)  ratio {t_batch / t_numpy:.2f}x")
    print(f"kycuong WorkCalendar scalar (est. for N): {t_scalar:.2f}s  ({n / t_scalar / 1e3:.0f} k/s)  ratio {t_scalar / t_numpy:.1f}x")


if __name__ == "__main__":
    main()
