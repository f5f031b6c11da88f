"""The daily computation: punches, justifications and the working calendar turned into one
DailyAttendance row per staff member per day, set-based (bench/attendance.py: 20,000 staff ×
22 days in about ten seconds).

History is computed as of its date: each day is counted in the unit the person was a member of
ON THAT DAY (Membership.active_from / active_to), with that unit's calendar and grace minutes. A
person who moved is counted in the old unit before the move and in the new one after it; a
person who left is counted up to the last day of membership and has no row afterwards."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, IntegerField, Max, Min, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from kycuong.core.periods import TZ
from kycuong.org.models import Unit
from kycuong.org.selectors import memberships_overlapping

from .models import Absence, AbsenceStatus, AttendancePolicy, DailyAttendance, PinMapping, Punch
from .rules import compute_day

DEFAULT_GRACE = (5, 5)
#: (first day, last day, unit id): the days of a computation range on which a person belonged to a unit.
Span = tuple[dt.date, dt.date, int]


class _UnitRules:
    """Calendars and grace minutes per unit, resolved once per computation run."""

    def __init__(self, unit_ids: Iterable[int]):
        from kycuong.workdays.models import CalendarOverride, WorkingSession
        from kycuong.workdays.services import calendar_for

        self._calendar_for = calendar_for
        ids = set(unit_ids)
        paths = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "path")) if len(ids) < 5000 else \
            {k: v for k, v in Unit.objects.values_list("pk", "path") if k in ids}
        self.chains = {uid: [int(p) for p in path.strip("/").split("/") if p] for uid, path in paths.items()}
        custom = set(WorkingSession.objects.values_list("unit_id", flat=True).distinct())
        custom |= set(CalendarOverride.objects.filter(unit__isnull=False).values_list("unit_id", flat=True).distinct())
        self.custom = custom
        self.policies = {u: (gl, ge) for u, gl, ge in
                         AttendancePolicy.objects.values_list("unit_id", "grace_late_minutes", "grace_early_minutes")}
        self._cal_cache: dict[int | None, Any] = {}

    def calendar(self, unit_id: int) -> Any:
        chain = self.chains.get(unit_id, [])
        key = unit_id if any(u in self.custom for u in chain) else None
        cal = self._cal_cache.get(key)
        if cal is None:
            cal = self._calendar_for(Unit.objects.get(pk=key) if key else None)
            self._cal_cache[key] = cal
        return cal

    def grace(self, unit_id: int) -> tuple[int, int]:
        for uid in reversed(self.chains.get(unit_id, [])):
            if uid in self.policies:
                return self.policies[uid]
        return DEFAULT_GRACE


def staff_unit_spans(*, start: dt.date, end: dt.date,
                     staff_ids: set[int] | None = None) -> tuple[dict[int, list[Span]], set[int]]:
    """Per staff id, the unit each day of [start, end] is counted in, as spans of consecutive days:
    on each day the person's primary membership in force that day (then the oldest). Days with no
    membership in force are in no span (not counted, and cleared). One query for all staff.

    Returns (spans, skipped). A deactivated person's open-ended membership has no known end, so it
    is not used; such a person with nothing else is skipped (neither computed nor cleared), as before."""
    qs = memberships_overlapping(start=start, end=end, staff_ids=staff_ids if staff_ids is not None and
                                 len(staff_ids) <= 500 else None)
    rows = qs.values_list("staff_id", "unit_id", "is_primary", "id", "active_from", "active_to", "staff__is_active")
    per_staff: dict[int, list[tuple[bool, int, int, dt.date | None, dt.date | None]]] = defaultdict(list)
    skipped: set[int] = set()
    for staff_id, unit_id, primary, mid, a_from, a_to, staff_active in rows.iterator(chunk_size=5000):
        if staff_ids is not None and staff_id not in staff_ids:
            continue
        if not staff_active and a_to is None:
            skipped.add(staff_id)
            continue
        per_staff[staff_id].append((not primary, mid, unit_id, a_from, a_to))
    spans: dict[int, list[Span]] = {}
    for staff_id, members in per_staff.items():
        if len(members) == 1 and members[0][3] is None and members[0][4] is None:
            spans[staff_id] = [(start, end, members[0][2])]  # the usual case: one open membership
            continue
        spans[staff_id] = _spans_of(members, start, end)
    skipped -= set(spans)
    return spans, skipped


def _spans_of(members: list[tuple[bool, int, int, dt.date | None, dt.date | None]], start: dt.date,
              end: dt.date) -> list[Span]:
    """Cut [start, end] where a membership begins or ends; on each piece the best membership in force wins."""
    cuts = {start}
    for _np, _mid, _uid, a_from, a_to in members:
        for d in (a_from, a_to):
            if d is not None and start < d <= end:
                cuts.add(d)
    bounds = sorted(cuts)
    out: list[Span] = []
    for i, first in enumerate(bounds):
        last = bounds[i + 1] - dt.timedelta(days=1) if i + 1 < len(bounds) else end
        live = sorted(m for m in members
                      if (m[3] is None or m[3] <= first) and (m[4] is None or m[4] > first))
        if not live:
            continue
        unit_id = live[0][2]
        if out and out[-1][2] == unit_id and out[-1][1] + dt.timedelta(days=1) == first:
            out[-1] = (out[-1][0], last, unit_id)
        else:
            out.append((first, last, unit_id))
    return out


def tracked_staff_ids(*, start: dt.date, end: dt.date) -> set[int]:
    """Staff under automatic timekeeping: mapped to a PIN, or with punches in the period."""
    ids = set(PinMapping.objects.values_list("staff_id", flat=True).distinct())
    ids |= set(Punch.objects.filter(day__range=(start, end), staff__isnull=False).values_list("staff_id", flat=True).distinct())
    return ids


def _rules_loop(spans: dict[int, list[Span]], per_unit: dict[int, Any], rules: _UnitRules, days: list[dt.date],
                absences: dict[int, list[tuple[dt.date, dt.date, str]]], agg: dict[dt.date, dict[int, tuple[int, int, int, int]]],
                clear: dict[tuple[dt.date, ...], list[int]], rows: list[tuple[Any, ...]], today: dt.date, now_sec: int) -> None:
    """The per staff × day classification (rules.compute_day) over preloaded data, each day under
    the unit of the person's membership on that day."""
    start, end = days[0], days[-1]
    for staff_id, staff_spans in spans.items():
        whole = len(staff_spans) == 1 and staff_spans[0][0] == start and staff_spans[0][1] == end
        to_clear: list[dt.date] = []
        if not whole:  # days on which the person belonged to no unit keep no row
            covered = {d for first, last, _u in staff_spans for d in days if first <= d <= last}
            to_clear = [d for d in days if d not in covered]
        mine = absences.get(staff_id, ())
        for first, last, unit_id in staff_spans:
            plan = per_unit.get(unit_id)
            if plan is None:
                cal = rules.calendar(unit_id)
                sessions_by_day = [(d, cal.sessions_on(d)) for d in days]
                weekends = tuple(d for d, sess in sessions_by_day if not sess and d.weekday() >= 5)
                plan = per_unit[unit_id] = ([x for x in sessions_by_day if x[1] or x[0].weekday() < 5],
                                            rules.grace(unit_id), weekends)
            day_plan, (grace_late, grace_early), weekends = plan
            if whole:
                if weekends:
                    clear[weekends].append(staff_id)
            else:
                day_plan = [x for x in day_plan if first <= x[0] <= last]
                to_clear.extend(d for d in weekends if first <= d <= last)
            for day, sessions in day_plan:
                kind = None
                if sessions:
                    for a_start, a_end, a_kind in mine:
                        if a_start <= day <= a_end:
                            kind = a_kind
                            break
                punch = agg[day].get(staff_id)
                first_s: int | None
                last_s: int | None
                if punch:
                    first_s, last_s, count, suspect = punch
                else:
                    first_s = last_s = None
                    count = suspect = 0
                res = compute_day(sessions=sessions, weekday=day.weekday(), first=first_s, last=last_s, count=count,
                                  absence_kind=kind, grace_late=grace_late, grace_early=grace_early,
                                  now=now_sec if day == today else None)
                rows.append((staff_id, day, unit_id, bool(sessions), res.status, kind or "", res.symbol,
                             first_s, last_s if count > 1 else None, min(count, 32767), res.late_minutes, res.early_minutes,
                             res.worked_minutes, suspect > 0))
        if to_clear:
            clear[tuple(sorted(to_clear))].append(staff_id)


#: Stage timings of the last attendance_compute run in this process (read by bench/attendance.py).
LAST_TIMINGS: dict[str, float] = {}


def attendance_compute(*, start: dt.date, end: dt.date, staff_ids: Iterable[int] | None = None,
                       unit_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """(Re)compute DailyAttendance for staff × each day in [start, end] (inclusive); returns the
    number of staff-days written (working days and holidays; weekends have no row).

    Idempotent: one upsert per staff × day. Set-based: punch first/last/count come from one
    GROUP BY in SQL on integer local seconds, absences and calendars are loaded once, results go
    back with COPY + INSERT ... ON CONFLICT on PostgreSQL. Days after today are skipped; today
    is computed "so far" (no absence or missing punch until the day's last session ends)."""
    now = now or timezone.now()
    local_now = now.astimezone(TZ)
    today = local_now.date()
    end = min(end, today)
    if end < start:
        return 0
    wanted = set(staff_ids) if staff_ids is not None else tracked_staff_ids(start=start, end=end)
    if not wanted:
        return 0
    spans, _skipped = staff_unit_spans(start=start, end=end, staff_ids=wanted)
    # Anyone asked for with no membership at all in the range keeps no row in it either.
    for staff_id in wanted - set(spans) - _skipped:
        spans[staff_id] = []
    if unit_ids is not None:  # the people counted in those units on any day, recomputed whole
        subtree = _subtree_ids(unit_ids)
        spans = {s: sp for s, sp in spans.items() if any(u in subtree for _f, _l, u in sp)}
    if not spans:
        return 0
    units = spans
    timings = LAST_TIMINGS
    timings.clear()
    mark = time.perf_counter()
    rules = _UnitRules({u for sp in spans.values() for _f, _l, u in sp})
    small = len(units) <= 500
    punch_qs = Punch.objects.filter(day__range=(start, end), staff__isnull=False, voided_at__isnull=True, held=False)
    if small:
        punch_qs = punch_qs.filter(staff_id__in=list(units))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    agg: dict[dt.date, dict[int, tuple[int, int, int, int]]] = {}
    with connection.cursor() as cursor:
        for day in days:
            # One day at a time, executed raw: only integers come back, no per-value converters.
            qs = punch_qs.filter(day=day).order_by().values("staff_id").annotate(
                first=Min("seconds"), last=Max("seconds"), n=Count("seconds"),
                suspect=Sum(Cast("clock_suspect", IntegerField()))).values_list("staff_id", "first", "last", "n", "suspect")
            sql, params = qs.query.sql_with_params()
            cursor.execute(sql, params)
            agg[day] = {staff_id: (first, last, n, suspect or 0) for staff_id, first, last, n, suspect in cursor.fetchall()}
    timings["read_punches"] = time.perf_counter() - mark
    mark = time.perf_counter()
    absences: dict[int, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
    abs_qs = Absence.objects.filter(status=AbsenceStatus.APPROVED, start__lte=end, end__gte=start)
    if small:
        abs_qs = abs_qs.filter(staff_id__in=list(units))
    for staff_id, a_start, a_end, kind in abs_qs.values_list("staff_id", "start", "end", "kind"):
        if staff_id in units:
            absences[staff_id].append((a_start, a_end, kind))
    now_sec = local_now.hour * 3600 + local_now.minute * 60 + local_now.second
    rows: list[tuple[Any, ...]] = []
    # Per unit: (sessions per day, grace); staff grouped by the set of weekend days to clear.
    per_unit: dict[int, tuple[list[tuple[dt.date, Any]], tuple[int, int], tuple[dt.date, ...]]] = {}
    clear: dict[tuple[dt.date, ...], list[int]] = defaultdict(list)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small tuples: generational passes would only slow the loop
    try:
        _rules_loop(spans, per_unit, rules, days, absences, agg, clear, rows, today, now_sec)
    finally:
        if gc_was_enabled:
            gc.enable()
    timings["rules"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with transaction.atomic():
        # A day that stopped being a working day, or on which the person was in no unit, keeps no row.
        for weekend_days, staff_list in clear.items():
            for i in range(0, len(staff_list), 20000):
                chunk = staff_list[i:i + 20000]
                DailyAttendance.objects.filter(day__in=weekend_days).filter(
                    staff_id__in=_id_array(chunk) if connection.vendor == "postgresql" else chunk).delete()
        timings["clear_weekends"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _upsert_daily(rows, computed_at=timezone.now())
        timings["write"] = time.perf_counter() - mark
    return len(rows)


_DAILY_COLS = ["staff_id", "day", "unit_id", "is_working_day", "status", "absence_kind", "symbol", "first_in", "last_out",
               "punch_count", "late_minutes", "early_minutes", "worked_minutes", "clock_suspect", "computed_at"]
_UPDATE_COLS = [c for c in _DAILY_COLS if c not in ("staff_id", "day", "computed_at")]


def _id_array(ids: list[int]) -> Any:
    """`staff_id__in=` for many ids on PostgreSQL: one array parameter instead of thousands."""
    from django.db.models.expressions import RawSQL

    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))


def _clock(seconds: int | None) -> dt.time | None:
    return None if seconds is None else dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _upsert_daily(rows: list[tuple[Any, ...]], *, computed_at: dt.datetime) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        _upsert_daily_pg(rows, computed_at)
        return
    if connection.vendor == "sqlite":
        _upsert_daily_sqlite(rows, computed_at)
        return
    objs = [DailyAttendance(staff_id=r[0], day=r[1], unit_id=r[2], is_working_day=r[3], status=r[4], absence_kind=r[5],
                            symbol=r[6], first_in=_clock(r[7]), last_out=_clock(r[8]), punch_count=r[9], late_minutes=r[10],
                            early_minutes=r[11], worked_minutes=r[12], clock_suspect=r[13], computed_at=computed_at)
            for r in rows]
    DailyAttendance.objects.bulk_create(objs, batch_size=2000, update_conflicts=True, unique_fields=["staff", "day"],
                                        update_fields=[*_UPDATE_COLS, "computed_at"])


_HMS: list[str] = []


def _upsert_daily_sqlite(rows: list[tuple[Any, ...]], computed_at: dt.datetime) -> None:
    """One prepared INSERT ... ON CONFLICT DO UPDATE run with executemany (no model instances)."""
    table = DailyAttendance._meta.db_table
    cols = ", ".join(_DAILY_COLS)
    marks = ", ".join(["%s"] * len(_DAILY_COLS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in [*_UPDATE_COLS, "computed_at"])
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    params = [(r[0], r[1].isoformat(), r[2], r[3], r[4], r[5], r[6], None if r[7] is None else _hms(r[7]),
               None if r[8] is None else _hms(r[8]), r[9], r[10], r[11], r[12], r[13], stamp) for r in rows]
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608 - identifiers from the model
           f"ON CONFLICT (staff_id, day) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _hms(seconds: int | None) -> str:
    if seconds is None:
        return "\\N"
    if not _HMS:
        _HMS.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))
    return _HMS[seconds] if 0 <= seconds < 86400 else "00:00:00"


def _upsert_daily_pg(rows: list[tuple[Any, ...]], computed_at: dt.datetime) -> None:
    """COPY (text format, formatted here: psycopg's per-row adaptation is the slow part) into a
    temporary table, then one INSERT ... ON CONFLICT DO UPDATE that skips unchanged rows."""
    table = DailyAttendance._meta.db_table
    cols = ", ".join(_DAILY_COLS)
    changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _UPDATE_COLS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*_UPDATE_COLS, "computed_at"])
    stamp = computed_at.isoformat()

    def copy_into(cursor: Any, target: str) -> None:
        lines = (f"{r[0]}\t{r[1].isoformat()}\t{r[2]}\t{'t' if r[3] else 'f'}\t{r[4]}\t{r[5]}\t{r[6]}\t"
                 f"{_hms(r[7])}\t{_hms(r[8])}\t{r[9]}\t{r[10]}\t{r[11]}\t{r[12]}\t{'t' if r[13] else 'f'}\t{stamp}\n"
                 for r in rows)
        with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            buf: list[str] = []
            for line in lines:
                buf.append(line)
                if len(buf) >= 5000:
                    copy.write("".join(buf))
                    buf.clear()
            if buf:
                copy.write("".join(buf))

    days = sorted({r[1] for r in rows})
    with connection.cursor() as cursor:
        if not DailyAttendance.objects.filter(day__in=days, staff_id__in=_id_array(sorted({r[0] for r in rows}))).exists():
            # First computation of these staff-days: straight COPY (a concurrent run makes it fail
            # on the unique constraint, and then the upsert below runs instead).
            try:
                with transaction.atomic():
                    copy_into(cursor, table)
                return
            except IntegrityError:
                pass
        cursor.execute("DROP TABLE IF EXISTS att_daily_in")
        cursor.execute(f"CREATE TEMP TABLE att_daily_in (LIKE {table} INCLUDING DEFAULTS)")
        cursor.execute("ALTER TABLE att_daily_in ALTER COLUMN id DROP NOT NULL")
        copy_into(cursor, "att_daily_in")
        sql = (f"INSERT INTO {table} ({cols}) SELECT {cols} FROM att_daily_in ORDER BY staff_id, day "  # noqa: S608
               f"ON CONFLICT (staff_id, day) DO UPDATE SET {updates} WHERE {changed}")  # identifiers from the model
        cursor.execute(sql)
        cursor.execute("DROP TABLE att_daily_in")


def _subtree_ids(unit_ids: Iterable[int]) -> set[int]:
    paths = list(Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    if not paths:
        return set()
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return set(Unit.objects.filter(q).values_list("pk", flat=True))
