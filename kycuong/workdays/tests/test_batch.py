from __future__ import annotations

import datetime as dt
import random

import numpy as np

from kycuong.workdays.engine import TZ, BatchCalendar, WorkCalendar, spec_from


def test_batch_matches_scalar_due_dates():
    cal = WorkCalendar(spec_from(first_year=2024, last_year=2028))
    batch = BatchCalendar(cal)
    rng = random.Random(7)
    base = int(dt.datetime(2025, 1, 1, tzinfo=TZ).timestamp())
    starts = np.array([base + rng.randrange(0, 2 * 365 * 86400 // 60) * 60 for _ in range(5000)], dtype=np.int64)
    days = np.array([rng.choice([0.125, 0.5, 1, 2, 3, 5, 7, 10, 15, 20, 30]) for _ in range(5000)])
    got = batch.due_at_working_days(starts, days)
    for s, d, g in zip(starts.tolist(), days.tolist(), got.tolist(), strict=True):
        start = dt.datetime.fromtimestamp(s, TZ)
        expected = cal.due_at(start, value=d, unit="working_days")
        assert int(expected.timestamp()) == g, (start, d)
