"""Reads for citizen feedback: inboxes, public tracking, the knowledge base, metrics, and the
counts the scorecard uses (docs/modules/feedback.md, scorecard.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce

from kycuong.core.errors import NotFound
from kycuong.core.text import fold

from .models import (
    OPEN_STATUSES,
    PUBLIC_EVENTS,
    WATCHED_STATUSES,
    Category,
    Event,
    FeedbackItem,
    FeedbackPolicy,
    FeedbackQuerySet,
    Kind,
    Satisfaction,
    Stage,
    Status,
    overdue_q,
)

# --- scorecard counts -------------------------------------------------------------------------
SCORECARD_KEYS = ("resolved", "resolved_on_time", "open_past_deadline", "rated_not_satisfied", "reopened", "late")


#: The first round's deadlines (kept when an item is reopened): the metrics judge the first
#: resolution / information request against them.
FIRST_RESOLVE_DUE = Coalesce(F("first_resolve_due_at"), F("resolve_due_at"))
FIRST_INFO_DUE = Coalesce(F("first_info_due_at"), F("info_due_at"))


def resolution_overdue_q(at: dt.datetime) -> Q:
    """As of `at` (a period end), the first resolution is overdue: received before `at`, not
    resolved by then (nor refused or merged before it), its resolve deadline before `at`. The
    same rule as `models.is_overdue` (deadline passed, stage not done; exactly at the deadline
    still on time), read back in time from the done-times."""
    first_due_before = Q(first_resolve_due_at__lt=at) | Q(first_resolve_due_at__isnull=True, resolve_due_at__lt=at)
    return (Q(received_at__lt=at) & first_due_before
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=at))
            & ~Q(status__in=[Status.REFUSED, Status.MERGED], closed_at__lt=at))


def _scorecard_filters(start: dt.datetime, end: dt.datetime) -> dict[str, Q]:
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end) & ~Q(status=Status.MERGED)
    on_time = resolved & Q(resolved_at__lte=FIRST_RESOLVE_DUE)
    open_past = resolution_overdue_q(end)
    is_late = (resolved & Q(resolved_at__gt=FIRST_RESOLVE_DUE)) | open_past
    not_satisfied = Q(satisfaction=Satisfaction.NOT_SATISFIED)
    reopened = Q(reopen_count__gt=0) & ~not_satisfied
    late = is_late & ~not_satisfied & ~Q(reopen_count__gt=0)
    return {
        "population": resolved | open_past,
        "resolved": resolved,
        "resolved_on_time": on_time,
        "open_past_deadline": open_past,
        "late": late,
        "reopened": reopened,
        "rated_not_satisfied": not_satisfied,
    }


def _aggregates(start: dt.datetime, end: dt.datetime) -> tuple[Q, dict[str, Any]]:
    f = _scorecard_filters(start, end)
    return f["population"], {key: Count("id", filter=f[key]) for key in SCORECARD_KEYS}


def _finish(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {key: int(row.get(key) or 0) for key in SCORECARD_KEYS}
    out["has_data"] = (out["resolved"] + out["open_past_deadline"]) > 0
    return out


def feedback_scorecard_counts(*, unit_ids: list[int] | None, start: dt.datetime, end: dt.datetime) -> dict:
    """Counts behind the scorecard indicators `satisfaction.feedback_on_time` and
    `satisfaction.feedback` (scorecard.md; domain.md §5) for items whose responsible unit is in
    `unit_ids` (None: every unit; pass a unit's whole subtree for a parent unit) and the period
    [start, end).

    - resolved: items resolved in [start, end) (latest resolution; merged duplicates excluded).
    - resolved_on_time: of those, resolved at or before the resolve deadline (15 working days; the
      first round's, `first_resolve_due_at`, when the item was reopened since).
    - open_past_deadline: `resolution_overdue_q(end)` — items received before `end`, not resolved
      at `end` (nor refused or merged before it), whose (first) resolve deadline is before `end`.
    - The population is resolved + open_past_deadline (the two are disjoint).
    - rated_not_satisfied, reopened, late are counted within the population and are mutually
      exclusive, each item counted once under the first that applies: marked "Không hài lòng"
      (rated_not_satisfied) → reopened by the citizen (reopened) → resolved late or still open
      past the deadline (late). So `population − rated_not_satisfied − reopened − late` is the
      number of satisfactory items: resolved on time, not reopened, not marked "Không hài lòng".
      (`late` is therefore not the number of late items: that is population − resolved_on_time.)
    - has_data: the population is not empty (otherwise both indicators are not applicable).

    Returns {"resolved", "resolved_on_time", "open_past_deadline", "rated_not_satisfied",
    "reopened", "late", "has_data"}.
    """
    population, aggregates = _aggregates(start, end)
    qs = FeedbackItem.objects.filter(population)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return _finish(qs.aggregate(**aggregates))


def feedback_scorecard_counts_by_unit(*, start: dt.datetime, end: dt.datetime) -> dict[int, dict]:
    """`feedback_scorecard_counts` for every responsible unit at once (one grouped query), keyed
    by unit id. Units without any item in the population are absent (treat as has_data False).
    Counts are per responsible unit only: the caller sums children for a parent's subtree."""
    population, aggregates = _aggregates(start, end)
    rows = FeedbackItem.objects.filter(population).values("unit_id").annotate(**aggregates).order_by()
    return {row["unit_id"]: _finish(row) for row in rows}


# --- staff reads --------------------------------------------------------------------------------
def items_visible_to(user: Any) -> FeedbackQuerySet:
    return FeedbackItem.objects.visible_to(user)


def item_for_staff(*, user: Any, code: str) -> FeedbackItem:
    item = (items_visible_to(user).select_related("category", "unit", "place", "assignee", "merged_into", "escalated_to")
            .filter(code=code).first())
    if item is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("Không tìm thấy phản ánh hoặc bạn không có quyền xem."))
    return item


def inbox(*, user: Any, params: dict[str, str], now: dt.datetime) -> QuerySet[FeedbackItem]:
    """Staff list with filters kept in the URL; the urgent first (overdue, then nearest deadline)."""
    from kycuong.org.selectors import staff_for_user

    qs = items_visible_to(user).select_related("category", "unit", "assignee")
    view = params.get("xem", "")
    if view == "cua-toi":
        staff = staff_for_user(user)
        qs = qs.filter(assignee=staff) if staff else qs.none()
    elif view == "chuyen-len":
        qs = qs.filter(escalation_level__gt=0)
    status = params.get("trang_thai", "")
    if status == "mo":
        qs = qs.filter(status__in=WATCHED_STATUSES)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if params.get("qua_han") == "1":
        qs = qs.overdue(now)
    if category := params.get("linh_vuc"):
        qs = qs.filter(category__code=category)
    if kind := params.get("loai"):
        qs = qs.filter(kind=kind)
    if q := params.get("q", "").strip():
        qs = qs.filter(Q(code__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    return qs.order_by("closed_at", "due_at", "-id")


def counts_for_dashboard(*, user: Any, now: dt.datetime) -> dict[str, int]:
    """Open items, overdue items (`FeedbackQuerySet.overdue`) and answers waiting to be published."""
    qs = items_visible_to(user)
    return qs.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        overdue=Count("id", filter=overdue_q(now)),
        to_publish=Count("id", filter=Q(status=Status.RESOLVED)),
    )


# --- public reads -------------------------------------------------------------------------------
def item_for_tracking(*, code: str, secret: str) -> FeedbackItem:
    """The item for the citizen's tracking page: code + secret, nothing else (no enumeration)."""
    from django.utils.translation import gettext as _

    item = (FeedbackItem.objects.select_related("category", "unit", "merged_into")
            .filter(code=(code or "").strip().upper()).first())
    if item is None or not item.check_secret(secret or ""):
        raise NotFound(_("Mã phản ánh hoặc mã bí mật không đúng."))
    return item


def public_events(item: FeedbackItem) -> list[Event]:
    return list(item.events.filter(type__in=PUBLIC_EVENTS).select_related("to_unit").order_by("at", "id"))


def knowledge_base(*, q: str = "", category: str = "", kind: str = "") -> QuerySet[FeedbackItem]:
    """Published answers, searchable without diacritics (fold() key stored at publication, so
    SQLite and PostgreSQL match alike): every word of the query must appear."""
    qs = FeedbackItem.objects.published().select_related("category", "unit")
    for word in fold(q).split():
        qs = qs.filter(search_key__contains=word)
    if category:
        qs = qs.filter(category__code=category)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-published_at", "-id")


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("order", "name")


def policy() -> FeedbackPolicy:
    obj = FeedbackPolicy.objects.filter(pk=1).first()
    return obj or FeedbackPolicy.objects.get_or_create(pk=1)[0]


# --- metrics --------------------------------------------------------------------------------------
STAGE_FIELDS = {
    Stage.REFUSE: ("refused_at", F("refuse_due_at")),
    Stage.INFO: ("info_requested_at", FIRST_INFO_DUE),
    Stage.RESOLVE: ("resolved_at", FIRST_RESOLVE_DUE),
    Stage.PUBLISH: ("published_at", F("publish_due_at")),
}


def feedback_metrics(*, user: Any, start: dt.datetime, end: dt.datetime, group_by: str = "unit") -> list[dict[str, Any]]:
    """On-time rate per stage (done in [start, end) by its deadline) and satisfaction
    (domain.md §5), grouped by responsible unit or category, over the items the user may see."""
    key = {"unit": "unit__name", "category": "category__name"}.get(group_by, "unit__name")
    aggregates: dict[str, Any] = {}
    for stage, (done, due) in STAGE_FIELDS.items():
        in_period = Q(**{f"{done}__gte": start, f"{done}__lt": end})
        aggregates[f"{stage}_done"] = Count("id", filter=in_period)
        aggregates[f"{stage}_on_time"] = Count("id", filter=in_period & Q(**{f"{done}__lte": due}))
    population, score = _aggregates(start, end)
    for name, agg in score.items():
        aggregates[f"sc_{name}"] = Count("id", filter=population & agg.filter)
    aggregates["received"] = Count("id", filter=Q(received_at__gte=start, received_at__lt=end))
    rows = items_visible_to(user).values(key).annotate(**aggregates).order_by(key)
    out = []
    for row in rows:
        entry: dict[str, Any] = {"label": row[key], "received": row["received"], "stages": {}}
        for stage in STAGE_FIELDS:
            done, on_time = row[f"{stage}_done"], row[f"{stage}_on_time"]
            entry["stages"][stage] = {"done": done, "on_time": on_time, "rate": (on_time / done) if done else None}
        sc = _finish({k: row[f"sc_{k}"] for k in SCORECARD_KEYS})
        total = sc["resolved"] + sc["open_past_deadline"]
        satisfactory = total - sc["rated_not_satisfied"] - sc["reopened"] - sc["late"]
        entry["scorecard"] = sc
        entry["population"] = total
        entry["satisfactory"] = satisfactory
        entry["satisfaction_rate"] = (satisfactory / total) if total else None
        entry["on_time_rate"] = (sc["resolved_on_time"] / total) if total else None
        if entry["received"] or total or any(s["done"] for s in entry["stages"].values()):
            out.append(entry)
    return out
