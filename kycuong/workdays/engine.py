"""Working-time arithmetic, exact to the second (domain.md §2). Pure Python, no Django.

The calendar maps every instant to a *working-time ordinal*: the number of working seconds
since the calendar's epoch. Non-working instants map to the ordinal of the next working
moment. Adding working time is then `from_ordinal(ordinal(start) + seconds)` and the working
time between two instants is a subtraction. Days are materialised once per calendar into a
prefix-sum table, so each operation is a couple of binary searches (O(log n)), with no loop
over days, which is what makes a million due dates per second possible (bench/workdays.py).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = 86400

#: Default weekly sessions: Monday–Friday 08:00–12:00 and 13:00–17:00 (seconds since midnight).
DEFAULT_SESSIONS: tuple[tuple[tuple[int, int], ...], ...] = tuple(
    ((8 * 3600, 12 * 3600), (13 * 3600, 17 * 3600)) if wd < 5 else () for wd in range(7)
)
DEFAULT_CUTOFF = dt.time(15, 0)


@dataclass(frozen=True)
class CalendarSpec:
    """What a unit's calendar is made of (built by services from the database)."""

    weekly_sessions: tuple[tuple[tuple[int, int], ...], ...] = DEFAULT_SESSIONS
    days_off: frozenset[dt.date] = frozenset()  # holidays, in-lieu days, admin extra days off
    extra_working_days: frozenset[dt.date] = frozenset()  # swapped Saturdays, admin extra working days
    first_year: int = 2015
    last_year: int = 2040


class OutOfRange(ValueError):
    pass


class WorkCalendar:
    """Working calendar for one unit over [first_year, last_year]."""

    def __init__(self, spec: CalendarSpec):
        self.spec = spec
        self.epoch = dt.date(spec.first_year, 1, 1)
        self.end = dt.date(spec.last_year + 1, 1, 1)
        n = (self.end - self.epoch).days
        weekday_sessions = spec.weekly_sessions
        # Standard working day length: the sessions of a normal Monday (8 h by default).
        self.day_length = sum(e - s for s, e in weekday_sessions[0]) or 8 * 3600
        standard = next((sess for sess in weekday_sessions if sess), ((8 * 3600, 12 * 3600), (13 * 3600, 17 * 3600)))
        self._day_sessions: list[tuple[tuple[int, int], ...]] = []
        cum = [0]
        first_wd = self.epoch.weekday()
        for i in range(n):
            day = self.epoch + dt.timedelta(days=i)
            if day in spec.days_off:
                sessions: tuple[tuple[int, int], ...] = ()
            elif day in spec.extra_working_days:
                sessions = weekday_sessions[(first_wd + i) % 7] or standard
            else:
                sessions = weekday_sessions[(first_wd + i) % 7]
            self._day_sessions.append(sessions)
            cum.append(cum[-1] + sum(e - s for s, e in sessions))
        self._cum = cum  # cum[i] = working seconds before day i

    # --- conversions -------------------------------------------------------------------
    def _local(self, at: dt.datetime) -> tuple[int, int]:
        if at.tzinfo is None:
            raise ValueError("naive datetime: working time needs an aware datetime")
        local = at.astimezone(TZ)
        idx = (local.date() - self.epoch).days
        if idx < 0 or idx >= len(self._day_sessions):
            raise OutOfRange(f"{local.date()} is outside the calendar {self.epoch.year}–{self.end.year - 1}")
        return idx, local.hour * 3600 + local.minute * 60 + local.second

    def _at(self, idx: int, second: int) -> dt.datetime:
        day = self.epoch + dt.timedelta(days=idx)
        return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(seconds=second)

    def ordinal(self, at: dt.datetime) -> int:
        """Working seconds from the epoch to `at` (a non-working instant counts as the next working one)."""
        idx, sec = self._local(at)
        worked = 0
        for s, e in self._day_sessions[idx]:
            if sec <= s:
                break
            worked += min(sec, e) - s
        return self._cum[idx] + worked

    def from_ordinal(self, ordinal: int, *, at_end: bool = True) -> dt.datetime:
        """The instant of a working-time ordinal.

        With `at_end` (deadlines) an ordinal on a session boundary is the end of the session
        that reached it (12:00, 17:00), not the start of the next one; without it (starts),
        it is the next working moment.
        """
        cum = self._cum
        if at_end:
            idx = bisect.bisect_left(cum, ordinal) - 1
            idx = max(idx, 0)
        else:
            idx = bisect.bisect_right(cum, ordinal) - 1
        if idx >= len(self._day_sessions):
            raise OutOfRange("result beyond the calendar")
        rest = ordinal - cum[idx]
        sessions = self._day_sessions[idx]
        for s, e in sessions:
            length = e - s
            if rest < length or (at_end and rest == length):
                return self._at(idx, s + rest)
            rest -= length
        # Only reachable for ordinal 0 at the epoch boundary with at_end.
        return self.from_ordinal(ordinal, at_end=False)

    # --- operations ----------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        idx = (day - self.epoch).days
        if idx < 0 or idx >= len(self._day_sessions):
            raise OutOfRange(f"{day} is outside the calendar")
        return bool(self._day_sessions[idx])

    def sessions_on(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        return self._day_sessions[(day - self.epoch).days]

    def is_working_moment(self, at: dt.datetime) -> bool:
        idx, sec = self._local(at)
        return any(s <= sec < e for s, e in self._day_sessions[idx])

    def next_working_moment(self, at: dt.datetime) -> dt.datetime:
        """`at` itself when it is a working moment, else the start of the next session."""
        if self.is_working_moment(at):
            return at
        return self.from_ordinal(self.ordinal(at), at_end=False)

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        if seconds < 0:
            raise ValueError("negative working time")
        if seconds == 0:
            return self.next_working_moment(start)
        return self.from_ordinal(self.ordinal(start) + seconds, at_end=True)

    def add_working_time(self, start: dt.datetime, *, days: float = 0, hours: float = 0, minutes: float = 0) -> dt.datetime:
        """`start` + working time; 1 working day = the calendar's standard day (8 h)."""
        seconds = round(days * self.day_length + hours * 3600 + minutes * 60)
        return self.add_working_seconds(start, seconds)

    def working_seconds_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Working seconds in [a, b); negative when b is before a."""
        return self.ordinal(b) - self.ordinal(a)

    def next_working_day(self, day: dt.date) -> dt.date:
        d = day + dt.timedelta(days=1)
        while not self.is_working_day(d):
            d += dt.timedelta(days=1)
        return d

    def day_start(self, day: dt.date) -> dt.datetime:
        sessions = self.sessions_on(day)
        return self._at((day - self.epoch).days, sessions[0][0] if sessions else 0)

    def day_end(self, day: dt.date) -> dt.datetime:
        sessions = self.sessions_on(day)
        if sessions:
            return self._at((day - self.epoch).days, sessions[-1][1])
        standard = next(s for s in self.spec.weekly_sessions if s)
        return self._at((day - self.epoch).days, standard[-1][1])

    def clock_start(self, received_at: dt.datetime, *, cutoff: dt.time | None = DEFAULT_CUTOFF) -> dt.datetime:
        """When the clock starts for a receipt: the next working moment, or the next working
        day's first session when received on a working day at or after the afternoon cut-off."""
        local = received_at.astimezone(TZ)
        day = local.date()
        if cutoff is not None and self.is_working_day(day) and local.time() >= cutoff:
            return self.day_start(self.next_working_day(day))
        return self.next_working_moment(received_at)

    def due_at(
        self,
        received_at: dt.datetime,
        *,
        value: float,
        unit: str = "working_days",
        cutoff: dt.time | None = DEFAULT_CUTOFF,
    ) -> dt.datetime:
        """The appointment (ngày hẹn trả) for a procedure's processing time (domain.md §2).

        - working_days / working_hours: counted in working time only, from the clock start.
        - calendar_days: 17:00 (end of the working day) of the N-th calendar day after the
          clock-start day, moved to the next working day when that day is not one.
        The afternoon cut-off applies to day-based times, not to hour-based ones.
        """
        if value < 0:
            raise ValueError("negative processing time")
        if unit == "working_hours":
            return self.add_working_time(received_at, hours=value)
        start = self.clock_start(received_at, cutoff=cutoff)
        if unit == "working_days":
            return self.add_working_seconds(start, round(value * self.day_length))
        if unit == "calendar_days":
            last = start.astimezone(TZ).date() + dt.timedelta(days=int(value))
            while not self.is_working_day(last):
                last += dt.timedelta(days=1)
            return self.day_end(last)
        raise ValueError(f"unknown processing-time unit {unit!r}")

    # --- batch -----------------------------------------------------------------------------
    @property
    def cumulative(self) -> Sequence[int]:
        return self._cum

    @property
    def day_sessions(self) -> Sequence[tuple[tuple[int, int], ...]]:
        return self._day_sessions


def vn_public_holidays(years: Iterable[int]) -> tuple[dict[dt.date, str], set[dt.date]]:
    """Vietnamese holidays (with in-lieu days) and announced swapped working Saturdays."""
    import holidays

    calendar = holidays.country_holidays("VN", years=list(years), language="vi")
    names = {day: str(name) for day, name in calendar.items()}
    weekend_workdays = {d for d in getattr(calendar, "weekend_workdays", set()) if d.year in set(years)}
    return names, weekend_workdays


def spec_from(
    *,
    weekly_sessions: Sequence[Sequence[tuple[int, int]]] | None = None,
    overrides: Mapping[dt.date, bool] | None = None,
    first_year: int = 2015,
    last_year: int = 2040,
) -> CalendarSpec:
    """Build a spec from VN holidays plus overrides (date -> True working / False day off)."""
    names, swapped = vn_public_holidays(range(first_year, last_year + 1))
    days_off = set(names) - swapped
    extra = set(swapped)
    for day, working in (overrides or {}).items():
        if working:
            extra.add(day)
            days_off.discard(day)
        else:
            days_off.add(day)
            extra.discard(day)
    sessions = tuple(tuple(s) for s in weekly_sessions) if weekly_sessions is not None else DEFAULT_SESSIONS
    return CalendarSpec(
        weekly_sessions=sessions,
        days_off=frozenset(days_off),
        extra_working_days=frozenset(extra),
        first_year=first_year,
        last_year=last_year,
    )


class BatchCalendar:
    """Vectorised due dates (numpy) over the same tables as WorkCalendar: identical results,
    used for imports, re-computations and benchmarks where millions of dates are needed.

    Instants are Unix epoch seconds (int64). Asia/Ho_Chi_Minh has had a fixed +07:00 offset
    since 1975, which makes the local-day arithmetic a plain integer shift. Days are grouped
    into a few distinct session patterns; per pattern, two minute-indexed tables give
    "working seconds before this minute" and "local start of the session holding this working
    minute", so every step is an array gather (sessions are minute-aligned).
    """

    OFFSET = 7 * 3600

    def __init__(self, calendar: WorkCalendar):
        import numpy as np

        self.cal = calendar
        self.np = np
        sessions = calendar.day_sessions
        patterns: dict[tuple[tuple[int, int], ...], int] = {}
        types = np.zeros(len(sessions) + 1, dtype=np.int32)
        for i, day in enumerate(sessions):
            types[i] = patterns.setdefault(tuple(day), len(patterns))
        self.types = types
        p = len(patterns)
        # worked[t, m]: working seconds before local minute m; inside[t, m]: minute m is working.
        self.worked = np.zeros((p, 1441), dtype=np.int64)
        self.inside = np.zeros((p, 1441), dtype=np.int64)
        # offset[t, b]: local second = offset + rest, for rest in working minute bucket b = (rest-1)//60.
        max_len = max((sum(e - s for s, e in pat) for pat in patterns), default=0) // 60 + 1
        self.offset = np.zeros((p, max(max_len, 1)), dtype=np.int64)
        for pat, t in patterns.items():
            minute_worked = np.zeros(1441, dtype=np.int64)
            minute_inside = np.zeros(1441, dtype=np.int64)
            before = 0
            for s, e in pat:
                s_m, e_m = s // 60, e // 60
                minute_inside[s_m:e_m] = 1
                self.offset[t, before // 60:(before + e - s) // 60] = s - before
                before += e - s
            acc = 0
            for m in range(1441):
                minute_worked[m] = acc
                acc += 60 * minute_inside[m]
            self.worked[t] = minute_worked
            self.inside[t] = minute_inside
        self.cum = np.asarray(calendar.cumulative, dtype=np.int64)
        self.epoch_day = (calendar.epoch - dt.date(1970, 1, 1)).days
        self.day_working = self.cum[1:] > self.cum[:-1]

    def ordinal(self, instants):  # type: ignore[no-untyped-def]
        local = instants + self.OFFSET
        idx = local // DAY - self.epoch_day
        if idx.size and (idx.min() < 0 or idx.max() >= len(self.cum) - 1):
            raise OutOfRange("instant outside the calendar")
        sec = local - (local // DAY) * DAY
        minute = sec // 60
        t = self.types[idx]
        ordinal = self.cum[idx] + self.worked[t, minute] + (sec - minute * 60) * self.inside[t, minute]
        return ordinal, idx, sec

    def from_ordinal_end(self, ordinals):  # type: ignore[no-untyped-def]
        np = self.np
        idx = np.searchsorted(self.cum, ordinals, side="left") - 1
        np.maximum(idx, 0, out=idx)
        rest = ordinals - self.cum[idx]
        bucket = np.maximum(rest - 1, 0) // 60
        local = (idx + self.epoch_day) * DAY + self.offset[self.types[idx], bucket] + rest
        return local - self.OFFSET

    def due_at_working_days(self, instants, days, *, cutoff_seconds: int | None = 15 * 3600):  # type: ignore[no-untyped-def]
        """Due instants for receipts at `instants` with `days` working days (both numpy arrays)."""
        np = self.np
        ordinal, idx, sec = self.ordinal(instants)
        if cutoff_seconds is not None:
            late = self.day_working[idx] & (sec >= cutoff_seconds)
            ordinal = np.where(late, self.cum[idx + 1], ordinal)
        target = ordinal + np.rint(days * self.cal.day_length).astype(np.int64)
        return self.from_ordinal_end(target)
