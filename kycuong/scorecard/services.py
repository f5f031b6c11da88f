"""Scorecard writes: compute and store results; the debounced near-real-time refresh.

Computation is set-based (kycuong.scorecard.engine): one GROUP BY per source and period, then
a roll-up over the unit tree in memory (a parent = the union of its subtree's dossiers). Results
are upserted per (indicator, unit, period), so running a computation twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import NotFound
from kycuong.core.periods import TZ, Period, parse_period, period_containing

from .engine import MEASURES, SOURCES, ComputeContext, SourceData, load_tree, points_for
from .models import Indicator, IndicatorSet, RefreshState, Result

#: A refresh is enqueued at most once every this many seconds; the every-minute job catches the rest.
DEBOUNCE_SECONDS = 20
REFRESH_KEY = "current"
#: Sets refreshed near-real-time and nightly.
LIVE_SETS = ("dvc766", "kycuong")
#: Rows per multi-row INSERT (14 parameters each: well under SQLite's and PostgreSQL's limits).
UPSERT_BATCH = 500
VALUE_FIELDS = ("numerator", "denominator", "rate", "points", "applicable", "source_has_data", "note")


@dataclass(frozen=True)
class ComputeSummary:
    set_code: str
    period: str
    units: int
    results: int
    seconds: float


def indicator_set_get(code: str) -> IndicatorSet:
    try:
        return IndicatorSet.objects.get(code=code)
    except IndicatorSet.DoesNotExist as exc:
        raise NotFound(_("Không có bộ chỉ số “%(code)s”.") % {"code": code}, code="unknown_set",
                       details={"set": code}) from exc


def _as_period(period: Period | str) -> Period:
    return period if isinstance(period, Period) else parse_period(period)


def scorecard_compute(*, set_code: str, period: Period | str, now: dt.datetime | None = None,
                      audit: bool = True, actor: Any = None) -> ComputeSummary:
    """Compute every indicator of a set for every unit of the tree (each over its subtree) and store it.

    Open dossiers are judged at the period's end, or at `now` for the running period. An indicator
    whose denominator is 0 is not applicable; one whose source module is missing or has no data is
    stored as not applicable with a note (never as a zero).
    """
    started = time.perf_counter()
    period = _as_period(period)
    now = now or timezone.now()
    indicator_set = indicator_set_get(set_code)
    indicators = list(indicator_set.indicators.order_by("order"))
    tree = load_tree(period)
    ctx = ComputeContext(period=period, now=now, tree=tree)
    sources: dict[str, SourceData] = {}
    for ind in indicators:
        measure = MEASURES.get(ind.formula)
        source = measure.source if measure else ""
        if measure and source not in sources:
            sources[source] = SOURCES[source](ctx)
    rows: dict[tuple[int, int], tuple[Any, ...]] = {}
    for node in tree:
        for ind in indicators:
            rows[(ind.pk, node.id)] = _values(ind, node.id, sources)
    existing = {(r[0], r[1]): r[2:] for r in Result.objects.filter(indicator_set=indicator_set, period=period.label)
                .values_list("indicator_id", "unit_id", *VALUE_FIELDS)}
    changed = [(key, values) for key, values in rows.items() if existing.get(key) != values]
    with transaction.atomic():
        # Only changed figures are written (the every-minute refresh usually changes a handful of rows);
        # every row of the period then gets the new computation time in one statement.
        _upsert(indicator_set.pk, period, changed, now)
        # a unit not in operation during the period has no figures for it (stale rows removed)
        Result.objects.filter(indicator_set=indicator_set, period=period.label).exclude(
            unit_id__in=[n.id for n in tree]).delete()
        Result.objects.filter(indicator_set=indicator_set, period=period.label).exclude(computed_at=now).update(
            computed_at=now)
        seconds = time.perf_counter() - started
        if audit:
            audit_record(action="scorecard.compute", object_type="scorecard.indicatorset", object_id=indicator_set.pk,
                         actor=actor, changes={"set": set_code, "period": period.label, "units": len(tree),
                                               "results": len(rows), "changed": len(changed),
                                               "seconds": round(seconds, 3)})
    return ComputeSummary(set_code, period.label, len(tree), len(rows), seconds)


def _values(ind: Indicator, unit_id: int, sources: dict[str, SourceData]) -> tuple[Any, ...]:
    """(numerator, denominator, rate, points, applicable, source_has_data, note) — VALUE_FIELDS."""
    measure = MEASURES.get(ind.formula)
    if measure is None:
        return (None, None, None, None, False, False, _("Công thức “%(f)s” chưa được hỗ trợ") % {"f": ind.formula})
    data = sources[measure.source]
    if not data.has_data or unit_id in data.missing_units:
        return (None, None, None, None, False, False, data.note)
    counts = data.counts.get(unit_id, {})
    numerator, denominator = measure.numerator(counts), measure.denominator(counts)
    if denominator <= 0:
        return (numerator, denominator, None, None, False, True, "")
    rate = numerator / denominator
    points = points_for(max_points=float(ind.max_points), rate=rate, thresholds=ind.thresholds)
    return (numerator, denominator, rate, points, True, True, "")


def _upsert(set_id: int, period: Period, changed: list[tuple[tuple[int, int], tuple[Any, ...]]],
            now: dt.datetime) -> None:
    """INSERT … ON CONFLICT (indicator, unit, period) DO UPDATE in one executemany (both databases)."""
    if not changed:
        return
    from django.db import connection

    table = Result._meta.db_table
    cols = ["indicator_set_id", "indicator_id", "unit_id", "period", "period_kind", "period_start", *VALUE_FIELDS,
            "computed_at"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols[4:])
    row = f"({', '.join(['%s'] * len(cols))})"
    start = connection.ops.adapt_datefield_value(period.start)
    at = connection.ops.adapt_datetimefield_value(now)
    params = [(set_id, ind_id, unit_id, period.label, period.kind, start, *values, at)
              for (ind_id, unit_id), values in changed]
    with connection.cursor() as cursor:
        for i in range(0, len(params), UPSERT_BATCH):
            batch = params[i:i + UPSERT_BATCH]
            sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608
                   f"ON CONFLICT (indicator_id, unit_id, period) DO UPDATE SET {updates}")  # constant identifiers only
            cursor.execute(sql, [value for values in batch for value in values])


def current_periods(now: dt.datetime | None = None) -> list[Period]:
    """The running week and month (Asia/Ho_Chi_Minh)."""
    today = (now or timezone.now()).astimezone(TZ).date()
    return [period_containing(today, "week"), period_containing(today, "month")]


def _live_sets() -> list[str]:
    return list(IndicatorSet.objects.filter(code__in=LIVE_SETS).values_list("code", flat=True))


def scorecard_refresh_current(*, now: dt.datetime | None = None) -> list[ComputeSummary]:
    """Recompute the running week and month of the live sets; clears the dirty mark first, so an
    event that arrives during the computation leaves it dirty for the next run."""
    now = now or timezone.now()
    started = time.perf_counter()
    _state()
    RefreshState.objects.filter(key=REFRESH_KEY).update(dirty=False, dirty_since=None, refreshed_at=now)
    summaries = [scorecard_compute(set_code=code, period=p, now=now, audit=False)
                 for code in _live_sets() for p in current_periods(now)]
    RefreshState.objects.filter(key=REFRESH_KEY).update(refresh_seconds=time.perf_counter() - started)
    return summaries


#: Event logs (app label, model) whose new rows mean the running figures may have changed; a safety
#: net for modules that do not call `scorecard_touch` (both have an index on `at`).
ACTIVITY_LOGS = (("dossiers", "DossierEvent"), ("feedback", "Event"))


def _activity_since(since: dt.datetime | None) -> bool:
    from django.apps import apps

    if since is None:
        return True
    for app_label, model_name in ACTIVITY_LOGS:
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        if model.objects.filter(at__gt=since).exists():
            return True
    return False


def scorecard_refresh_if_dirty(*, now: dt.datetime | None = None) -> list[ComputeSummary]:
    """The every-minute job: refresh when an event marked the scorecard dirty (`scorecard_touch`), or
    when dossier/feedback events were logged since the last refresh."""
    state = _state()
    if not state.dirty and not _activity_since(state.refreshed_at):
        return []
    return scorecard_refresh_current(now=now)


def scorecard_nightly(*, now: dt.datetime | None = None) -> list[ComputeSummary]:
    """Nightly: the running and the previous week, month, quarter and year of every set."""
    now = now or timezone.now()
    today = now.astimezone(TZ).date()
    periods: list[Period] = []
    for kind in ("week", "month", "quarter", "year"):
        current = period_containing(today, kind)
        periods += [current.previous(), current]
    return [scorecard_compute(set_code=code, period=p, now=now)
            for code in IndicatorSet.objects.values_list("code", flat=True) for p in periods]


def _state() -> RefreshState:
    state, _created = RefreshState.objects.get_or_create(key=REFRESH_KEY)
    return state


def debounce_seconds() -> int:
    return int(getattr(settings, "KYCUONG_SCORECARD_DEBOUNCE_SECONDS", DEBOUNCE_SECONDS))


def scorecard_touch(*, unit_id: int | None = None) -> None:
    """Tell the scorecard that a dossier or feedback event changed `unit_id`'s figures.

    Safe to call inside a service's transaction: the work runs on commit (nothing happens if the
    caller rolls back), and it never holds a lock inside the caller's transaction. It marks the
    running week/month dirty and enqueues a refresh unless one was enqueued in the last
    DEBOUNCE seconds; the every-minute job refreshes whatever is still dirty, so the current week
    is refreshed within about a minute of any event.
    """
    transaction.on_commit(lambda: _touch(unit_id))


def _touch(unit_id: int | None) -> None:
    now = timezone.now()
    marked = RefreshState.objects.filter(key=REFRESH_KEY).update(
        dirty=True, touched_at=now, touches=F("touches") + 1, last_unit_id=unit_id,
        dirty_since=_coalesce_now("dirty_since", now))
    if not marked:
        RefreshState.objects.get_or_create(key=REFRESH_KEY, defaults={"dirty": True, "touched_at": now, "touches": 1,
                                                                      "last_unit_id": unit_id, "dirty_since": now})
    window = now - dt.timedelta(seconds=debounce_seconds())
    claimed = RefreshState.objects.filter(key=REFRESH_KEY).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=window)).update(enqueued_at=now)
    from .tasks import scorecard_refresh_task

    if claimed:
        scorecard_refresh_task.enqueue()
        return
    # A refresh ran or was enqueued less than DEBOUNCE seconds ago: schedule one trailing refresh
    # at the end of the window (once), when the task backend can defer.
    if not scorecard_refresh_task.get_backend().supports_defer:
        return
    state = RefreshState.objects.filter(key=REFRESH_KEY).values("enqueued_at").first()
    run_after = (state["enqueued_at"] if state and state["enqueued_at"] else now) + dt.timedelta(seconds=debounce_seconds())
    deferred = RefreshState.objects.filter(key=REFRESH_KEY).filter(
        Q(deferred_until__isnull=True) | Q(deferred_until__lt=now)).update(deferred_until=run_after)
    if deferred:
        scorecard_refresh_task.using(run_after=run_after).enqueue()


def _coalesce_now(field: str, now: dt.datetime) -> Any:
    from django.db.models import Value
    from django.db.models.functions import Coalesce

    return Coalesce(F(field), Value(now))
