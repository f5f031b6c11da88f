"""The status of a work item at a date, in the four official classes, and the ONE meaning of overdue.

Decision 42/2014/QĐ-TTg (as amended) tracks an assigned task at a date `at` in four classes:
done on time, done late, not done and still within its deadline, not done and overdue.

- **Done at `at`**: the item's completion report stands (status `reported` or `accepted`), it reports
  the work done or partly done (a report of `not_done` is not a completion), and it was made at or
  before `at` (`completed_at <= at`). An output sent back for quality (`quality_failed`) is no longer
  reported, so it is not done until it is reported again.
- **The due date in force** is the item's current `due_at`, i.e. after every reschedule: a
  reschedule is the competent person moving the deadline, and the task is judged against the deadline
  that stands (whether a reschedule counts as a *delay* of the person is the evaluation's business,
  see selectors/outcomes.py: one with a confirmed objective cause does not).
- Done on time: completed at or before the due date (exactly at the due time is on time); done late:
  completed after it. Not done within deadline: `at <= due_at`; not done overdue: `at > due_at`.
- Cancelled and carried-over items have no class (they left this program's assigned set).

`is_overdue(item, at)` / `overdue_q(at)` is the one meaning of "overdue" used by every list, board and
figure: not done at `at` (as above) and its due date in force has passed (`due_at < at`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from kycuong.workplans.models import Completion, ItemStatus, StatusClass

NO_CLASS_STATUSES = (ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER)
COMPLETED_STATUSES = (ItemStatus.REPORTED, ItemStatus.ACCEPTED)


def is_done_at(item: Any, at: dt.datetime) -> bool:
    """Whether `item`'s completion report stands and was made at or before `at`."""
    return (item.status in COMPLETED_STATUSES and item.completion != Completion.NOT_DONE
            and item.completed_at is not None and item.completed_at <= at)


def status_class_at(item: Any, at: dt.datetime) -> StatusClass | None:
    """The official class of `item` at `at`; None for a cancelled or carried-over item."""
    if item.status in NO_CLASS_STATUSES:
        return None
    if is_done_at(item, at):
        return StatusClass.DONE_ON_TIME if item.completed_at <= item.due_at else StatusClass.DONE_LATE
    return StatusClass.NOT_DONE_IN_TIME if at <= item.due_at else StatusClass.NOT_DONE_OVERDUE


def is_overdue(item: Any, at: dt.datetime) -> bool:
    """The one meaning of an overdue item: not done at `at` and its due date in force has passed."""
    return status_class_at(item, at) == StatusClass.NOT_DONE_OVERDUE


def has_class_q(prefix: str = "") -> Q:
    """Items that have a class at all (not cancelled, not carried over)."""
    return ~Q(**{f"{prefix}status__in": NO_CLASS_STATUSES})


def done_q(at: dt.datetime, prefix: str = "") -> Q:
    """Items done at `at` (the queryset form of `is_done_at`)."""
    return (Q(**{f"{prefix}status__in": COMPLETED_STATUSES}) & ~Q(**{f"{prefix}completion": Completion.NOT_DONE})
            & Q(**{f"{prefix}completed_at__isnull": False}) & Q(**{f"{prefix}completed_at__lte": at}))


def status_class_q(status_class: str, at: dt.datetime, prefix: str = "") -> Q:
    """Items of `status_class` at `at` (the queryset form of `status_class_at`).

    `prefix` reaches the item across a relation, e.g. `prefix="items__"`."""
    from django.db.models import F

    done = done_q(at, prefix)
    base = has_class_q(prefix)
    if status_class == StatusClass.DONE_ON_TIME:
        return base & done & Q(**{f"{prefix}completed_at__lte": F(f"{prefix}due_at")})
    if status_class == StatusClass.DONE_LATE:
        return base & done & Q(**{f"{prefix}completed_at__gt": F(f"{prefix}due_at")})
    if status_class == StatusClass.NOT_DONE_IN_TIME:
        return base & ~done & Q(**{f"{prefix}due_at__gte": at})
    if status_class == StatusClass.NOT_DONE_OVERDUE:
        return base & ~done & Q(**{f"{prefix}due_at__lt": at})
    raise ValueError(f"unknown status class {status_class!r}")


def overdue_q(at: dt.datetime, prefix: str = "") -> Q:
    """The one meaning of overdue for querysets (same as `is_overdue`)."""
    return status_class_q(StatusClass.NOT_DONE_OVERDUE, at, prefix)
