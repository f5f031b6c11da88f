"""Reads for dossiers: scoped lists sorted by urgency, detail, statistics, control sheet (form 05).

Scope (kycuong.org.scoping): a staff member sees a dossier when its deciding unit, its receiving
unit or the unit currently handling it (liên thông) lies in their scope. Anything else is 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kycuong.core.errors import NotFound, ValidationFailed
from kycuong.core.periods import TZ, Period, parse_period
from kycuong.org.models import Staff, Unit, in_force_q
from kycuong.org.scoping import scope_for
from kycuong.workdays.services import calendar_for

from .models import (
    OPEN_STATUSES,
    Dossier,
    DossierEvent,
    DossierStep,
    Notification,
    Outcome,
    Status,
    StepStatus,
)
from .timeliness import is_overdue, overdue_q, step_is_overdue

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

URGENCY_OVERDUE, URGENCY_TODAY, URGENCY_SOON, URGENCY_OPEN, URGENCY_WAITING, URGENCY_CLOSED = range(6)
URGENCY_LABELS = {
    URGENCY_OVERDUE: gettext_lazy("Quá hạn"),
    URGENCY_TODAY: gettext_lazy("Đến hạn hôm nay"),
    URGENCY_SOON: gettext_lazy("Đến hạn trong 1 ngày làm việc"),
    URGENCY_OPEN: gettext_lazy("Trong hạn"),
    URGENCY_WAITING: gettext_lazy("Chờ xử lý khác"),
    URGENCY_CLOSED: gettext_lazy("Đã kết thúc"),
}


def dossiers_visible_to(user: Any) -> QuerySet[Dossier]:
    scope = scope_for(user)
    qs = Dossier.objects.all()
    if scope.all_units:
        return qs
    if scope.is_empty:
        return qs.none()
    ids = scope.unit_ids
    return qs.filter(Q(unit_id__in=ids) | Q(received_unit_id__in=ids) | Q(current_unit_id__in=ids))


def dossier_for_user(*, user: Any, code: str) -> Dossier:
    dossier = (dossiers_visible_to(user).select_related("procedure", "procedure__sector", "unit", "received_unit",
                                                       "current_unit", "accountable")
               .filter(code=code).first())
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ hoặc bạn không có quyền xem."))
    return dossier


@dataclass
class DossierFilters:
    status: str = ""
    procedure: str = ""
    unit: str = ""
    period: str = ""
    overdue: bool = False
    q: str = ""
    urgency: str = ""

    @classmethod
    def from_query(cls, data: Any) -> DossierFilters:
        return cls(status=(data.get("status") or "").strip(), procedure=(data.get("procedure") or "").strip(),
                   unit=(data.get("unit") or "").strip(), period=(data.get("period") or "").strip(),
                   overdue=(data.get("overdue") or "") in ("1", "true", "on"), q=(data.get("q") or "").strip(),
                   urgency=(data.get("urgency") or "").strip())

    def as_query(self) -> str:
        from urllib.parse import urlencode

        pairs = {k: v for k, v in {"status": self.status, "procedure": self.procedure, "unit": self.unit,
                                   "period": self.period, "overdue": "1" if self.overdue else "", "q": self.q,
                                   "urgency": self.urgency}.items() if v}
        return urlencode(pairs)


def urgency_bounds(at: dt.datetime, unit: Unit | None = None) -> tuple[dt.datetime, dt.datetime]:
    """End of today (local) and `at` + one working day on the city (or unit) calendar."""
    local = at.astimezone(TZ)
    end_of_today = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), tzinfo=TZ)
    soon = calendar_for(unit).add_working_time(at, days=1)
    return end_of_today, max(soon, end_of_today)


class Urgency(TypedDict):
    """Annotation added by `with_urgency` (URGENCY_* rank, most urgent first)."""

    urgency: int



def with_urgency(qs: QuerySet[Dossier], *, at: dt.datetime) -> QuerySet[WithAnnotations[Dossier, Urgency]]:
    """Annotate `urgency`: overdue (`timeliness.overdue_q`, so a dossier paused for a supplement
    after its due date is overdue too), due today, due within one working day, open, waiting, closed."""
    end_today, soon = urgency_bounds(at)
    active = [Status.RECEIVED, Status.IN_PROGRESS]
    return qs.annotate(urgency=Case(
        When(overdue_q(at), then=Value(URGENCY_OVERDUE)),
        When(status__in=active, due_at__lt=end_today, then=Value(URGENCY_TODAY)),
        When(status__in=active, due_at__lt=soon, then=Value(URGENCY_SOON)),
        When(status__in=active, then=Value(URGENCY_OPEN)),
        When(status__in=[Status.WAITING_SUPPLEMENT, Status.SUBMITTED, Status.RESULT_READY], then=Value(URGENCY_WAITING)),
        default=Value(URGENCY_CLOSED), output_field=IntegerField(),
    ))


def _apply_filters(qs: QuerySet[WithAnnotations[Dossier, Urgency]], f: DossierFilters, *,
                   at: dt.datetime) -> QuerySet[WithAnnotations[Dossier, Urgency]]:
    if f.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif f.status:
        if f.status not in Status.values:
            raise ValidationFailed(_("Trạng thái không hợp lệ."), details={"field": "status"})
        qs = qs.filter(status=f.status)
    if f.procedure:
        qs = qs.filter(procedure__code=f.procedure)
    if f.unit:
        unit = Unit.objects.filter(code=f.unit).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.period:
        period = parse_period(f.period)
        qs = qs.filter(received_at__gte=period.start_at, received_at__lt=period.end_at)
    if f.overdue:
        qs = qs.filter(overdue_q(at))
    if f.q:
        qs = qs.filter(Q(code__icontains=f.q) | Q(applicant_name__icontains=f.q))
    if f.urgency.isdigit():
        qs = qs.filter(urgency=int(f.urgency))
    return qs


def _list_related(qs: QuerySet[WithAnnotations[Dossier, Urgency]], *,
                  staff: Staff | None = None) -> QuerySet[WithAnnotations[Dossier, Urgency]]:
    active_steps = DossierStep.objects.filter(status=StepStatus.ACTIVE).select_related("assignee", "unit")
    return qs.select_related("procedure", "unit", "current_unit", "accountable").prefetch_related(
        Prefetch("steps", queryset=active_steps, to_attr="active_steps"))


def dossiers_mine(*, user: Any, filters: DossierFilters | None = None, at: dt.datetime | None = None) -> QuerySet[Dossier]:
    """Dossiers I am accountable for or whose active step is mine, most urgent first (open only by default)."""
    at = at or timezone.now()
    filters = filters or DossierFilters()
    staff = Staff.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    if staff is None:
        return Dossier.objects.none()
    my_step = DossierStep.objects.filter(dossier=OuterRef("pk"), status=StepStatus.ACTIVE, assignee=staff)
    mine = Q(accountable=staff) | Q(Exists(my_step))
    if _receives(user):
        # Online submissions waiting for acceptance belong to the counter staff of their units.
        mine |= Q(status=Status.SUBMITTED)
    qs = dossiers_visible_to(user).filter(mine)
    if not filters.status:
        qs = qs.filter(status__in=[*OPEN_STATUSES, Status.SUBMITTED, Status.RESULT_READY])
    ranked = _apply_filters(with_urgency(qs, at=at), filters, at=at)
    return _list_related(ranked).order_by("urgency", "due_at", "id")


def _receives(user: Any) -> bool:
    from kycuong.org.selectors import roles_of

    return bool(roles_of(user) & {"one_stop_officer", "head", "deputy"})


def dossiers_of_units(*, user: Any, filters: DossierFilters | None = None, at: dt.datetime | None = None,
                      default_open: bool = True) -> QuerySet[Dossier]:
    """The unit head's view: every dossier of the units they may see, most urgent first
    (without a status filter: those still needing work, unless `default_open` is False)."""
    at = at or timezone.now()
    filters = filters or DossierFilters()
    qs = dossiers_visible_to(user)
    if not filters.status and default_open:
        qs = qs.filter(status__in=[*OPEN_STATUSES, Status.SUBMITTED, Status.RESULT_READY])
    ranked = _apply_filters(with_urgency(qs, at=at), filters, at=at)
    return _list_related(ranked).order_by("urgency", "due_at", "id")


def dossier_counts_for(*, user: Any, at: dt.datetime | None = None) -> dict[str, int]:
    """Counts for the dashboard card: my open dossiers, overdue, due today (one query)."""
    at = at or timezone.now()
    end_today, _soon = urgency_bounds(at)
    qs = dossiers_mine(user=user, at=at).order_by()
    active = [Status.RECEIVED, Status.IN_PROGRESS]
    agg = qs.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(at)),
        today=Count("id", filter=Q(status__in=active, due_at__gte=at, due_at__lt=end_today)),
        submitted=Count("id", filter=Q(status=Status.SUBMITTED)),
    )
    return {k: v or 0 for k, v in agg.items()}


def dossier_detail(*, user: Any, code: str, at: dt.datetime | None = None) -> Dossier:
    """The dossier with its steps and events; `is_overdue` on it and on each step (timeliness.py)."""
    at = at or timezone.now()
    dossier = dossier_for_user(user=user, code=code)
    dossier.step_list = list(dossier.steps.select_related("unit", "assignee").order_by("order"))
    dossier.is_overdue = is_overdue(dossier, at=at)
    for step in dossier.step_list:
        step.is_overdue = step_is_overdue(step, dossier, at=at)
    dossier.event_list = list(dossier.events.select_related("actor", "from_unit", "to_unit", "from_staff", "to_staff",
                                                            "step").order_by("at", "id"))
    return dossier


def time_used(dossier: Dossier, *, at: dt.datetime | None = None) -> float | None:
    """Share of the working time used (0–1+, None when the clock is not running). While waiting
    for a supplement the clock is stopped at the request."""
    if dossier.received_at is None or dossier.due_at is None:
        return None
    at = at or timezone.now()
    if dossier.paused_at is not None:
        at = dossier.paused_at
    if dossier.finished_at is not None:
        at = dossier.finished_at
    cal = calendar_for(dossier.unit)
    from .services import clock_start

    start = clock_start(procedure=dossier.procedure, calendar=cal, at=dossier.received_at)
    total = cal.working_seconds_between(start, dossier.due_at) - dossier.paused_seconds
    if total <= 0:
        return 1.0 if at >= dossier.due_at else 0.0
    remaining = cal.working_seconds_between(at, dossier.due_at)
    return (total - remaining) / total


def staff_choices_for(unit: Unit) -> QuerySet[Staff]:
    """Active staff with a membership in force today in a unit or its sub-units (for assignment and
    reassignment): exactly who the services accept (`services.member_ensure`)."""
    today = timezone.now().astimezone(TZ).date()
    return (Staff.objects.filter(Q(is_active=True, memberships__unit__path__startswith=unit.path)
                                 & in_force_q(today, "memberships__"))
            .distinct().order_by("full_name"))


# --- statistics ------------------------------------------------------------------------------

GROUPS = {
    "unit": ("unit__code", "unit__name"),
    "procedure": ("procedure__code", "procedure__name"),
    "officer": ("accountable__code", "accountable__full_name"),
}


@dataclass
class StatRow:
    key: str
    name: str
    received: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    overdue: int = 0
    avg_hours: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def on_time_rate(self) -> float | None:
        return (self.early + self.on_time) / self.finished * 100 if self.finished else None


def dossier_statistics(*, user: Any, period: Period | str, group: str = "unit", unit: str = "",
                       at: dt.datetime | None = None) -> tuple[list[StatRow], StatRow]:
    """Per unit / procedure / officer for a period: received in it; finished in it (early / on time /
    late); in progress and overdue at its end (or now, for a current period); average processing
    time in working hours (pauses excluded) of those finished. One aggregate query."""
    if group not in GROUPS:
        raise ValidationFailed(_("Nhóm thống kê không hợp lệ."), details={"field": "group"})
    if isinstance(period, str):
        period = parse_period(period)
    at = at or timezone.now()
    start, end = period.start_at, period.end_at
    cut = min(end, at)
    qs = dossiers_visible_to(user).exclude(received_at__isnull=True)
    if unit:
        u = Unit.objects.filter(code=unit).first()
        qs = qs.filter(unit__path__startswith=u.path) if u else qs.none()
    in_period_recv = Q(received_at__gte=start, received_at__lt=end)
    in_period_fin = Q(finished_at__gte=start, finished_at__lt=end)
    running = (Q(received_at__lt=cut) & (Q(finished_at__isnull=True) | Q(finished_at__gte=cut))
               & (Q(closed_at__isnull=True) | Q(closed_at__gte=cut)))
    qs = qs.filter(Q(received_at__lt=end) & (in_period_recv | in_period_fin | running))
    key, name = GROUPS[group]
    rows = (qs.values(key, name).order_by(key)
            .annotate(received=Count("id", filter=in_period_recv),
                      finished=Count("id", filter=in_period_fin),
                      early=Count("id", filter=in_period_fin & Q(outcome=Outcome.EARLY)),
                      on_time=Count("id", filter=in_period_fin & Q(outcome=Outcome.ON_TIME)),
                      late=Count("id", filter=in_period_fin & Q(outcome=Outcome.LATE)),
                      in_progress=Count("id", filter=running),
                      overdue=Count("id", filter=running & overdue_q(cut)),
                      avg_seconds=Avg("processing_seconds", filter=in_period_fin)))
    result = []
    total = StatRow(key="", name=_("Tổng cộng"))
    weighted = 0.0
    for r in rows:
        avg = r["avg_seconds"]
        row = StatRow(key=r[key] or "", name=r[name] or _("(chưa phân công)"), received=r["received"],
                      finished=r["finished"], early=r["early"], on_time=r["on_time"], late=r["late"],
                      in_progress=r["in_progress"], overdue=r["overdue"],
                      avg_hours=round(avg / 3600, 1) if avg is not None else None)
        result.append(row)
        for attr in ("received", "finished", "early", "on_time", "late", "in_progress", "overdue"):
            setattr(total, attr, getattr(total, attr) + getattr(row, attr))
        if avg is not None:
            weighted += avg * r["finished"]
    total.avg_hours = round(weighted / total.finished / 3600, 1) if total.finished else None
    return result, total


STAT_HEADERS = [
    gettext_lazy("Mã"), gettext_lazy("Tên"), gettext_lazy("Tiếp nhận"), gettext_lazy("Đã giải quyết"),
    gettext_lazy("Trước hạn"), gettext_lazy("Đúng hạn"), gettext_lazy("Trễ hạn"), gettext_lazy("Tỷ lệ đúng hạn (%)"),
    gettext_lazy("Đang giải quyết"), gettext_lazy("Quá hạn"), gettext_lazy("Thời gian TB (giờ làm việc)"),
]


def stat_rows_for_export(rows: list[StatRow], total: StatRow) -> list[list[Any]]:
    out = []
    for r in [*rows, total]:
        rate = r.on_time_rate
        out.append([r.key, str(r.name), r.received, r.finished, r.early, r.on_time, r.late,
                    round(rate, 1) if rate is not None else None, r.in_progress, r.overdue, r.avg_hours])
    return out


# --- control sheet (form 05) --------------------------------------------------------------------

def dossier_control_sheet(*, dossier: Dossier) -> list[dict[str, Any]]:
    """Every step with its unit, officer, start, due, finish and early / on time / late, plus the
    hand-overs between them (from whom, to whom, when) — Circular 01/2018 form 05."""
    events = {e.step_id: e for e in DossierEvent.objects.filter(dossier=dossier, type="handed_over")
              .select_related("from_staff", "to_staff")}
    rows = []
    for step in dossier.steps.select_related("unit", "assignee").order_by("order"):
        ev = events.get(step.pk)
        rows.append({
            "order": step.order, "name": step.name, "unit": step.unit.name,
            "assignee": step.assignee.full_name if step.assignee else "",
            "started_at": step.started_at, "due_at": step.due_at, "finished_at": step.finished_at,
            "status": step.status, "outcome": step.outcome,
            "handed_to": ev.to_staff.full_name if ev and ev.to_staff else "",
        })
    return rows


# --- notifications -----------------------------------------------------------------------------

def notifications_for(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("dossier")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
