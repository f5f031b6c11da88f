"""Reminders before and escalation after each stage deadline, counted in working time on the
responsible unit's calendar (domain.md §5). Run every minute by `tasks.feedback_deadlines_check`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.org.models import Unit
from kycuong.org.selectors import heads_of, unit_ancestors
from kycuong.workdays.services import calendar_for

from ..models import WATCHED_STATUSES, AlertKind, DeadlineAlert, EventType, FeedbackItem, Stage
from ..selectors import policy
from ._common import event, fmt, lock, mail, server_now, staff_emails
from .routing import support_centre


def in_reminder_window(calendar: Any, *, now: dt.datetime, due_at: dt.datetime, window_seconds: int) -> bool:
    """The reminder goes out once the working time left until `due_at` is at most the configured
    window (`FeedbackPolicy.reminder_hours` working hours), boundary included, and the deadline has
    not passed. Counted in working time: a deadline on Monday morning is reminded on Friday."""
    return now <= due_at and calendar.working_seconds_between(now, due_at) <= window_seconds


def escalation_starts(calendar: Any, *, due_at: dt.datetime, level: int, step_days: float) -> dt.datetime:
    """Level 1 as soon as the item is overdue (right after `due_at`); level n ≥ 2 when
    (n − 1) × `escalation_step_days` working days have passed since `due_at`, on the unit's
    calendar, so a deadline on Friday afternoon reaches level 2 on Monday afternoon, not on Saturday."""
    if level <= 1:
        return due_at
    return calendar.add_working_time(due_at, days=step_days * (level - 1))


def escalation_targets(unit: Unit) -> list[Unit]:
    """Level 1: the responsible unit (its head); level 2: the parent unit; level 3: the city
    support centre. A missing parent skips to the centre."""
    ancestors = unit_ancestors(unit)
    parent = ancestors[-1] if ancestors else None
    centre = support_centre()
    return [unit, parent or centre, centre]


def feedback_deadlines_process(*, now: dt.datetime | None = None, notify: bool = True) -> dict[str, int]:
    """Reminders before, and escalation after, each stage deadline (resolve, publish). Safe to run
    any number of times: each (item, stage, round, level) alert is recorded once. `now` defaults to
    the server clock; only the demo builder passes it (to replay its own history), with
    `notify=False` (alerts recorded, no e-mail).

    Before the deadline: one reminder inside the reminder window (`in_reminder_window`). Once the
    item is overdue (`FeedbackItem.is_overdue`, the one meaning of late): level 1 notifies the
    responsible unit's heads; one working day later (configurable) level 2 the parent unit's
    heads; another step later level 3 the city support centre (`escalation_starts`). The item
    stays with its unit, but is shown to the escalated unit; the deadline does not move."""
    now = now or server_now()
    pol = policy()
    reminder_seconds = int(float(pol.reminder_hours) * 3600)
    step = float(pol.escalation_step_days)
    horizon = now + dt.timedelta(days=14)
    candidates = (FeedbackItem.objects.filter(status__in=WATCHED_STATUSES, due_at__lte=horizon, escalation_level__lt=3)
                  .select_related("unit", "assignee").order_by("due_at"))
    done = {"reminders": 0, "escalations": 0}
    items = list(candidates)
    recorded: dict[tuple[int, str, int], set[int]] = {}
    for item_id, stage_, round_, level_ in DeadlineAlert.objects.filter(item_id__in=[i.pk for i in items]).values_list(
            "item_id", "stage", "round", "level"):
        recorded.setdefault((item_id, stage_, round_), set()).add(level_)
    for item in items:
        stage = item.stage
        if stage is None or item.due_at is None:
            continue
        existing = recorded.get((item.pk, stage, item.reopen_count), set())
        overdue = item.is_overdue(now)
        if not overdue and 0 in existing:
            continue
        cal = calendar_for(item.unit)
        if not overdue:
            if in_reminder_window(cal, now=now, due_at=item.due_at, window_seconds=reminder_seconds):
                done["reminders"] += _alert(item, stage=stage, level=0, unit=item.unit, now=now, notify=notify)
            continue
        targets = escalation_targets(item.unit)
        for level in (1, 2, 3):
            if level in existing:
                continue
            if now < escalation_starts(cal, due_at=item.due_at, level=level, step_days=step):
                break
            done["escalations"] += _alert(item, stage=stage, level=level, unit=targets[level - 1], now=now,
                                          notify=notify)
    return done
def _alert(item: FeedbackItem, *, stage: str, level: int, unit: Unit, now: dt.datetime, notify: bool = True) -> int:
    with transaction.atomic():
        item = lock(item)
        if item.stage != stage:
            return 0
        alert, created = DeadlineAlert.objects.get_or_create(
            item=item, stage=stage, round=item.reopen_count, level=level,
            defaults={"kind": AlertKind.REMINDER if level == 0 else AlertKind.ESCALATION, "unit": unit, "at": now},
        )
        if not created:
            return 0
        heads = list(heads_of(unit))
        recipients = staff_emails(heads)
        if level == 0 and item.assignee and item.assignee.email:
            recipients.append(item.assignee.email)
        alert.recipients = sorted(set(recipients))
        alert.save(update_fields=["recipients"])
        if not notify:
            recipients = []
        stage_label = str(Stage(stage).label)
        if level == 0:
            event(item, EventType.REMINDED, at=now, to_unit=unit, note=stage_label)
            mail(recipients, _("Sắp đến hạn: phản ánh %(code)s") % {"code": item.code},
                 _("Phản ánh %(code)s sắp đến hạn %(stage)s lúc %(due)s.")
                 % {"code": item.code, "stage": stage_label.lower(), "due": fmt(item.due_at)})
        else:
            item.escalation_level = max(item.escalation_level, level)
            item.escalated_to = unit
            item.save(update_fields=["escalation_level", "escalated_to", "updated_at"])
            event(item, EventType.ESCALATED, at=now, from_unit=item.unit, to_unit=unit,
                  note=_("Quá hạn %(stage)s — cấp %(level)d") % {"stage": stage_label.lower(), "level": level})
            mail(recipients, _("Quá hạn: phản ánh %(code)s") % {"code": item.code},
                 _("Phản ánh %(code)s do %(unit)s chịu trách nhiệm đã quá hạn %(stage)s (%(due)s). Đề nghị đôn đốc xử lý.")
                 % {"code": item.code, "unit": item.unit.name, "stage": stage_label.lower(), "due": fmt(item.due_at)})
        audit_record(action="feedback.reminder" if level == 0 else "feedback.escalate", obj=item, at=now,
                     unit_id=unit.pk, changes={"stage": stage, "level": level, "to_unit": unit.code})
    return 1


