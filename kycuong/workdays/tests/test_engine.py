"""Property tests of the working-time arithmetic (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from kycuong.workdays.engine import TZ, WorkCalendar, spec_from

CAL = WorkCalendar(spec_from(first_year=2024, last_year=2028))
instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 6, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ)
)
durations = st.integers(min_value=1, max_value=60 * 8 * 120)  # minutes, up to 120 working days


@settings(max_examples=300, deadline=None)
@given(instants, durations)
def test_adding_then_measuring_returns_the_same_duration(start, minutes):
    due = CAL.add_working_time(start, minutes=minutes)
    assert CAL.working_seconds_between(start, due) == minutes * 60


@settings(max_examples=300, deadline=None)
@given(instants, durations)
def test_deadline_is_inside_or_at_the_end_of_a_session(start, minutes):
    due = CAL.add_working_time(start, minutes=minutes)
    local = due.astimezone(TZ)
    sec = local.hour * 3600 + local.minute * 60
    assert any(s < sec <= e for s, e in CAL.sessions_on(local.date()))


@settings(max_examples=200, deadline=None)
@given(instants, durations, durations)
def test_adding_is_additive(start, a, b):
    assert CAL.add_working_time(CAL.add_working_time(start, minutes=a), minutes=b) == CAL.add_working_time(start, minutes=a + b)


@settings(max_examples=200, deadline=None)
@given(instants, durations)
def test_later_start_never_gives_an_earlier_deadline(start, minutes):
    later = start + dt.timedelta(minutes=37)
    assert CAL.add_working_time(later, minutes=minutes) >= CAL.add_working_time(start, minutes=minutes)


@settings(max_examples=200, deadline=None)
@given(instants)
def test_next_working_moment_is_working_and_not_before(at):
    nxt = CAL.next_working_moment(at)
    assert nxt >= at
    assert CAL.is_working_moment(nxt)
    assert CAL.working_seconds_between(at, nxt) == 0


def test_weekend_and_holidays_are_not_working_days():
    assert not CAL.is_working_day(dt.date(2026, 2, 17))  # Tết
    assert not CAL.is_working_day(dt.date(2026, 11, 24))  # Vietnam Culture Day
    assert not CAL.is_working_day(dt.date(2026, 8, 31))  # in lieu of 22/8
    assert CAL.is_working_day(dt.date(2026, 8, 22))  # swapped Saturday
    assert not CAL.is_working_day(dt.date(2026, 3, 7))  # ordinary Saturday
