"""The counting engine: populations as Q objects, one GROUP BY per source, roll-up over the unit tree.

Populations follow docs/scorecard.md (Decision 766/QĐ-TTg as Kỷ cương implements it). Each dossier
belongs to exactly one deciding unit, so a parent's counts are the sums of its subtree's leaf
counts: that *is* the union of the subtree's dossiers (not an average of the children's rates).
Procedures are shared between units, so their sets are united, not summed.

No per-dossier Python: dossiers are counted by the database with conditional aggregates
(`COUNT(*) FILTER (WHERE ...)` on PostgreSQL), one query per period.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kycuong.core.periods import Period
from kycuong.dossiers.models import Channel, Dossier, FeePayment, RatingLevel, Status
from kycuong.dossiers.timeliness import overdue_q
from kycuong.org.models import Unit, UnitKind, in_force_during_q
from kycuong.procedures.models import OnlineLevel, Procedure, ProcedureStep

NOTE_NOT_INSTALLED = _("Phân hệ nguồn chưa được cài đặt")
NOTE_NO_DATA = _("Chưa có dữ liệu từ phân hệ nguồn")


# --------------------------------------------------------------------------------------------
# The unit tree


@dataclass(frozen=True)
class Node:
    id: int
    code: str
    name: str
    kind: str
    path: str
    parent_id: int | None
    depth: int

    @property
    def lineage(self) -> list[int]:
        """Ids from the root down to and including this unit (from the materialised path)."""
        return [int(p) for p in self.path.strip("/").split("/") if p]


def load_tree(period: Period | None = None) -> list[Node]:
    """The unit tree; for a period, only the units in operation on at least one of its days
    (`active_from` before the period's end, `active_to` — the first day no longer in operation —
    after its start): a ward created later has no figures for earlier periods, a dissolved or
    merged one keeps its figures for the periods it existed and gets none afterwards."""
    units = Unit.objects.order_by("path")
    if period is not None:
        units = units.filter(in_force_during_q(period.start, period.end))
    return [Node(*row) for row in units.values_list("id", "code", "name", "kind", "path", "parent_id", "depth")]


def rollup(leaf: Mapping[int, Mapping[str, int]], tree: Iterable[Node]) -> dict[int, Counter[str]]:
    """Counts of each unit's whole subtree: every leaf row is added to the unit and its ancestors."""
    nodes = {n.id: n for n in tree}
    totals: dict[int, Counter[str]] = {uid: Counter() for uid in nodes}
    for uid, counts in leaf.items():
        node = nodes.get(uid)
        if node is None:
            continue
        for anc in node.lineage:
            if anc in totals:
                totals[anc].update(counts)
    return totals


# --------------------------------------------------------------------------------------------
# Dossier populations (docs/scorecard.md)


@dataclass(frozen=True)
class Populations:
    """Q objects over `dossier_queryset()` (which annotates `finish_moment`) for one period."""

    received: Q
    finished: Q
    overdue_open: Q
    on_time: Q
    late_finished: Q
    offered_online: Q
    satisfactory: Q
    unsatisfactory: Q


def as_of_for(period: Period, now: dt.datetime) -> dt.datetime:
    """The instant open dossiers are judged at: the period's end, or now for the running period."""
    return min(period.end_at, now)


def dossier_queryset() -> QuerySet[Dossier]:
    """Dossiers with their finish moment: the `finished` event, or `returned` when there is none."""
    return Dossier.objects.annotate(finish_moment=Coalesce("finished_at", "returned_at"))


def populations(period: Period, *, now: dt.datetime) -> Populations:
    start, end = period.start_at, period.end_at
    as_of = as_of_for(period, now)
    received = Q(received_at__gte=start, received_at__lt=end) & ~Q(status=Status.REFUSED)
    finished = Q(finish_moment__gte=start, finish_moment__lt=end) & ~Q(status__in=[Status.WITHDRAWN, Status.STOPPED])
    # Open at `as_of` and past its appointment: the dossiers' one definition of overdue
    # (kycuong.dossiers.timeliness, supplement pauses included), judged on the finish moment.
    overdue_open = overdue_q(as_of, finished="finish_moment") & ~Q(status=Status.REFUSED)
    # On time: finish moment ≤ due_at and at most one supplement request (more than one = late).
    on_time = finished & Q(supplement_count__lte=1) & (Q(due_at__isnull=True) | Q(finish_moment__lte=F("due_at")))
    late_finished = finished & (Q(supplement_count__gt=1) | Q(due_at__isnull=False, finish_moment__gt=F("due_at")))
    offered_online = received & Q(procedure__online_level__in=[OnlineLevel.FULL, OnlineLevel.PARTIAL])
    complaint = Q(latest_rating=RatingLevel.DISSATISFIED) | Q(complained=True)
    satisfactory = on_time & ~Q(latest_rating=RatingLevel.DISSATISFIED) & Q(complained=False)
    unsatisfactory = late_finished | overdue_open | (finished & complaint)
    return Populations(received, finished, overdue_open, on_time, late_finished, offered_online, satisfactory,
                       unsatisfactory)


def dossier_count_filters(p: Populations) -> dict[str, Q]:
    return {
        "received": p.received,
        "received_synced": p.received & Q(synced=True),
        "received_offered": p.offered_online,
        "received_offered_online": p.offered_online & Q(channel=Channel.ONLINE),
        "received_fee": p.received & Q(fee_payment__in=[FeePayment.ONLINE, FeePayment.COUNTER]),
        "received_fee_online": p.received & Q(fee_payment=FeePayment.ONLINE),
        "received_digitized": p.received & Q(digitized_input=True),
        "finished": p.finished,
        "finished_digitized": p.finished & Q(digitized_result=True),
        "on_time": p.on_time,
        "overdue_open": p.overdue_open,
        "satisfactory": p.satisfactory,
    }


def relevant(period: Period, *, now: dt.datetime) -> Q:
    """Rows that can be in any population of the period (lets the database skip the rest)."""
    return Q(received_at__lt=period.end_at) & (Q(finish_moment__isnull=True) | Q(finish_moment__gte=period.start_at))


def dossier_counts_by_unit(period: Period, *, now: dt.datetime) -> dict[int, dict[str, int]]:
    """One GROUP BY deciding unit with conditional counts: {unit_id: {"received": n, ...}}."""
    filters = dossier_count_filters(populations(period, now=now))
    rows = (dossier_queryset().filter(relevant(period, now=now)).order_by().values("unit_id")
            .annotate(**{name: Count("id", filter=q) for name, q in filters.items()}))
    return {cast(int, row["unit_id"]): {k: cast(int, v) for k, v in row.items() if k != "unit_id"} for row in rows}


# --------------------------------------------------------------------------------------------
# Sources: each returns counts per unit (already rolled up over the subtree) or says it has no data


@dataclass
class SourceData:
    counts: dict[int, Mapping[str, int]] = field(default_factory=dict)
    has_data: bool = True
    note: str = ""
    #: Units the source has no data for (shown as "no data from the source", not as zero).
    missing_units: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class ComputeContext:
    period: Period
    now: dt.datetime
    tree: list[Node]

    @property
    def as_of(self) -> dt.datetime:
        return as_of_for(self.period, self.now)


def source_dossiers(ctx: ComputeContext) -> SourceData:
    return SourceData(counts=dict(rollup(dossier_counts_by_unit(ctx.period, now=ctx.now), ctx.tree)))


def procedure_catalog() -> tuple[dict[int, set[int]], dict[str, set[int]], set[int], set[int]]:
    """Active procedures: (explicit deciding units → ids, unit kind → ids, complete ids, online ids).

    A procedure with explicit `units` is decided by those units only (`units` narrows the kinds);
    otherwise by every unit whose kind is in `deciding_unit_kinds`. Complete public data = a
    processing time, a fee (0 allowed), documents and internal steps.
    """
    steps = ProcedureStep.objects.filter(procedure=OuterRef("pk"))
    rows = Procedure.objects.filter(is_active=True).annotate(has_steps=Exists(steps)).values_list(
        "id", "deciding_unit_kinds", "processing_value", "fee", "documents", "online_level", "has_steps")
    explicit: dict[int, set[int]] = {}
    for pid, uid in Procedure.units.through.objects.filter(procedure__is_active=True).values_list("procedure_id", "unit_id"):
        explicit.setdefault(uid, set()).add(pid)
    narrowed = set().union(*explicit.values()) if explicit else set()
    by_kind: dict[str, set[int]] = {}
    complete: set[int] = set()
    online: set[int] = set()
    for pid, kinds, value, fee, documents, level, has_steps in rows:
        if pid not in narrowed:
            for kind in kinds or []:
                by_kind.setdefault(kind, set()).add(pid)
        if value is not None and value > 0 and fee is not None and documents and has_steps:
            complete.add(pid)
        if level in (OnlineLevel.FULL, OnlineLevel.PARTIAL):
            online.add(pid)
    return explicit, by_kind, complete, online


def procedure_sets_by_unit(tree: list[Node], catalog: Any = None) -> dict[int, set[int]]:
    """The active procedures each unit's subtree decides (a set union over the subtree)."""
    explicit, by_kind, _complete, _online = catalog or procedure_catalog()
    subtree: dict[int, set[int]] = {n.id: set() for n in tree}
    for node in tree:
        own = explicit.get(node.id, set()) | by_kind.get(node.kind, set())
        if own:
            for anc in node.lineage:
                if anc in subtree:
                    subtree[anc] |= own
    return subtree


def source_procedures(ctx: ComputeContext) -> SourceData:
    catalog = procedure_catalog()
    _explicit, _by_kind, complete, online = catalog
    counts: dict[int, Mapping[str, int]] = {
        uid: {"active": len(ids), "complete": len(ids & complete), "online": len(ids & online)}
        for uid, ids in procedure_sets_by_unit(ctx.tree, catalog).items()
    }
    return SourceData(counts=counts)


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """A function of a module that may not be installed yet (None: the source says so)."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    except AttributeError:
        return None


FEEDBACK_KEYS = ("resolved", "resolved_on_time", "open_past_deadline", "rated_not_satisfied", "reopened", "late")


def source_feedback(ctx: ComputeContext) -> SourceData:
    """Citizen feedback counts per handling unit from the feedback module (summed over subtrees)."""
    fn = _optional("kycuong.feedback.selectors", "feedback_scorecard_counts_by_unit")
    if fn is None:
        return SourceData(has_data=False, note=str(NOTE_NOT_INSTALLED))
    data = fn(start=ctx.period.start_at, end=ctx.as_of)
    leaf: dict[int, dict[str, int]] = {}
    has_data = False
    for uid, counts in (data or {}).items():
        has_data = has_data or bool(counts.get("has_data"))
        leaf[int(uid)] = {k: int(counts.get(k) or 0) for k in (*FEEDBACK_KEYS, "satisfactory") if k in counts}
    if not has_data:
        return SourceData(has_data=False, note=str(NOTE_NO_DATA))
    return SourceData(counts=dict(rollup(leaf, ctx.tree)))


ATTENDANCE_KEYS = {"expected": "expected_days", "compliant": "compliant_days", "unjustified_absences": "unjustified_absences"}


def source_attendance(ctx: ComputeContext) -> SourceData:
    """Timekeeping per unit subtree from the attendance module (one call for every unit).

    A unit whose staff are not under automatic timekeeping in the period (has_data False) gets
    "no data from the source module", not a perfect or a zero score.
    """
    fn = _optional("kycuong.attendance.selectors", "attendance_unit_summary")
    if fn is None:
        return SourceData(has_data=False, note=str(NOTE_NOT_INSTALLED))
    summaries = fn(unit_ids=[n.id for n in ctx.tree], start=ctx.period.start, end=ctx.period.end) or {}
    counts: dict[int, Mapping[str, int]] = {}
    missing: set[int] = set()
    for node in ctx.tree:
        summary = summaries.get(node.id) or {}
        if not summary.get("has_data"):
            missing.add(node.id)
        counts[node.id] = {ours: int(summary.get(theirs) or 0) for ours, theirs in ATTENDANCE_KEYS.items()}
    if len(missing) == len(ctx.tree):
        return SourceData(has_data=False, note=str(NOTE_NO_DATA))
    return SourceData(counts=counts, missing_units=missing, note=str(NOTE_NO_DATA))


def source_workplans(ctx: ComputeContext) -> SourceData:
    """Work-program figures per unit (kycuong.workplans.selectors.figures), summed over subtrees:
    personal programs submitted and approved by their deadline, leaf items due, done on time, overdue."""
    fn = _optional("kycuong.workplans.selectors.figures", "unit_workplan_figures")
    if fn is None:
        return SourceData(has_data=False, note=str(NOTE_NOT_INSTALLED))
    data = fn(period=ctx.period, as_of=ctx.as_of) or {}
    if not data.get("has_data"):
        return SourceData(has_data=False, note=str(NOTE_NO_DATA))
    leaf = {int(uid): dict(counts) for uid, counts in (data.get("units") or {}).items()}
    return SourceData(counts=dict(rollup(leaf, ctx.tree)))


def source_not_installed(ctx: ComputeContext) -> SourceData:
    return SourceData(has_data=False, note=str(NOTE_NOT_INSTALLED))


SOURCES: dict[str, Callable[[ComputeContext], SourceData]] = {
    "dossiers": source_dossiers,
    "procedures": source_procedures,
    "feedback": source_feedback,
    "attendance": source_attendance,
    "workplans": source_workplans,
    "inspections": source_not_installed,  # official-duty inspections: a later module
}


# --------------------------------------------------------------------------------------------
# Measures: how an indicator's numerator and denominator come out of a source's counts


@dataclass(frozen=True)
class Measure:
    source: str
    numerator: Callable[[Mapping[str, int]], int]
    denominator: Callable[[Mapping[str, int]], int]
    #: For dossier measures: the population that lost points (denominator minus numerator), for "why".
    lost: Callable[[Populations], Q] | None = None
    description: str = ""


def _g(key: str) -> Callable[[Mapping[str, int]], int]:
    return lambda c: int(c.get(key, 0))


def _feedback_items(c: Mapping[str, int]) -> int:
    return int(c.get("resolved", 0)) + int(c.get("open_past_deadline", 0))


def _feedback_satisfactory(c: Mapping[str, int]) -> int:
    if "satisfactory" in c:
        return int(c["satisfactory"])
    lost = int(c.get("rated_not_satisfied", 0)) + int(c.get("reopened", 0)) + int(c.get("late", 0))
    return max(0, _feedback_items(c) - lost)


def _processed(c: Mapping[str, int]) -> int:
    return int(c.get("finished", 0)) + int(c.get("overdue_open", 0))


MEASURES: dict[str, Measure] = {
    "procedures.catalog": Measure("procedures", _g("complete"), _g("active"),
                                  description="active procedures with complete public data / active procedures"),
    "procedures.online": Measure("procedures", _g("online"), _g("active"),
                                 description="active procedures offered online (full or partial) / active procedures"),
    "dossiers.sync": Measure("dossiers", _g("received_synced"), _g("received"),
                             lost=lambda p: p.received & Q(synced=False)),
    "dossiers.on_time": Measure("dossiers", _g("on_time"), _processed,
                                lost=lambda p: p.late_finished | p.overdue_open),
    "dossiers.online_submission": Measure("dossiers", _g("received_offered_online"), _g("received_offered"),
                                          lost=lambda p: p.offered_online & ~Q(channel=Channel.ONLINE)),
    "dossiers.online_payment": Measure(
        "dossiers", _g("received_fee_online"), _g("received_fee"),
        lost=lambda p: p.received & Q(fee_payment=FeePayment.COUNTER)),
    "dossiers.satisfaction": Measure("dossiers", _g("satisfactory"), _processed,
                                     lost=lambda p: p.unsatisfactory),
    "dossiers.digitized_input": Measure("dossiers", _g("received_digitized"), _g("received"),
                                        lost=lambda p: p.received & Q(digitized_input=False)),
    "dossiers.digitized_result": Measure("dossiers", _g("finished_digitized"), _g("finished"),
                                         lost=lambda p: p.finished & Q(digitized_result=False)),
    "feedback.on_time": Measure("feedback", _g("resolved_on_time"), _feedback_items),
    "feedback.satisfaction": Measure("feedback", _feedback_satisfactory, _feedback_items),
    "attendance.compliance": Measure("attendance", _g("compliant"), _g("expected")),
    "attendance.no_unjustified_absence": Measure(
        "attendance", lambda c: max(0, int(c.get("expected", 0)) - int(c.get("unjustified_absences", 0))), _g("expected")),
    "workplans.completion": Measure("workplans", _g("items_done_on_time"), _g("items_due"),
                                    description="leaf items due in the period done on time / items due"),
    "workplans.programs_on_time": Measure(
        "workplans", _g("programs_on_time"), _g("programs_expected"),
        description="personal weekly/monthly programs submitted and approved by the deadline / programs expected"),
    "workplans.not_overdue": Measure(
        "workplans", lambda c: max(0, int(c.get("items_due", 0)) - int(c.get("items_overdue", 0))), _g("items_due"),
        description="items due in the period not overdue / items due"),
    "inspections.coverage": Measure("inspections", _g("inspected"), _g("required")),
    "inspections.no_violation": Measure("inspections", lambda c: int(c.get("inspected", 0)) - int(c.get("violations", 0)),
                                        _g("inspected")),
}


def points_for(*, max_points: float, rate: float, thresholds: Mapping[str, Any]) -> float:
    """max × rate, or max × min(1, rate / full_at) when full marks start at a threshold (e.g. 80 %)."""
    full_at = thresholds.get("full_at") if thresholds else None
    score = rate / float(full_at) if full_at else rate
    return max_points * max(0.0, min(1.0, score))


RANKING_GROUPS: dict[str, tuple[Any, list[str]]] = {
    "departments": (_("Sở, ban, ngành"), [UnitKind.DEPARTMENT]),
    "local": (_("Phường, xã"), [UnitKind.WARD, UnitKind.COMMUNE]),
}
