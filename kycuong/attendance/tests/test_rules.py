from __future__ import annotations

from kycuong.attendance.rules import compute_day

H = 3600
SESSIONS = ((8 * H, 12 * H), (13 * H, 17 * H))


def day(first, last, count=2, **kw):
    return compute_day(sessions=SESSIONS, weekday=2, first=first, last=last, count=count, **kw)


def test_on_time_within_grace_is_present():
    r = day(8 * H + 4 * 60, 16 * H + 56 * 60)
    assert (r.status, r.symbol, r.late_minutes, r.early_minutes) == ("present", "+", 0, 0)


def test_late_and_early_beyond_grace():
    r = day(8 * H + 10 * 60, 16 * H + 50 * 60)
    assert (r.status, r.symbol, r.late_minutes, r.early_minutes) == ("late_early", "M", 10, 10)


def test_arriving_after_lunch_counts_working_time_only():
    r = day(13 * H + 30 * 60, 17 * H + 5 * 60)
    assert r.status == "half_day" and r.symbol == "½"
    assert r.late_minutes == 270  # 4 h morning + 30 min, the lunch hour is not counted


def test_punch_during_lunch_is_not_extra_lateness():
    r = day(12 * H + 30 * 60, 17 * H)
    assert r.late_minutes == 240 and r.status == "half_day"


def test_leaving_at_lunch_is_half_day():
    r = day(8 * H, 12 * H + 10 * 60)
    assert r.status == "half_day" and r.early_minutes == 240


def test_one_punch_is_missing_not_guessed():
    r = day(8 * H, 8 * H, count=1)
    assert (r.status, r.symbol, r.late_minutes) == ("missing_punch", "Q", 0)


def test_no_punch_is_absent_unless_the_day_is_running():
    assert day(None, None, count=0).status == "absent"
    assert day(None, None, count=0, now=9 * H).status == "pending"
    running = day(8 * H + 20 * 60, 8 * H + 20 * 60, count=1, now=10 * H)
    assert (running.status, running.late_minutes) == ("late", 20)


def test_punches_outside_sessions_only_is_absent():
    assert day(18 * H, 19 * H).status == "absent"


def test_holiday_weekend_and_justification():
    assert compute_day(sessions=(), weekday=1, first=None, last=None, count=0).symbol == "L"
    assert compute_day(sessions=(), weekday=6, first=None, last=None, count=0).status == "off"
    r = compute_day(sessions=SESSIONS, weekday=1, first=None, last=None, count=0, absence_kind="sick")
    assert (r.status, r.symbol) == ("justified", "Ô")


def test_grace_is_configurable():
    assert day(8 * H + 8 * 60, 17 * H, grace_late=10).status == "present"
    assert day(8 * H + 8 * 60, 17 * H, grace_late=0).late_minutes == 8
