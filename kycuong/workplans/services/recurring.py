"""Recurring items and position templates (ItemTemplate) generated into personal programs.

Occurrence of a template in a period (the unit's working calendar, kycuong.workdays):
- weekly: the template's weekday of the ISO week (Monday when empty);
- monthly: the template's day of the month (clamped to the month's length, e.g. the 31st → 30/11);
- quarter end: the last working day of the quarter (the item goes into that month's program).
When the target day is not a working day the item falls due on the previous working day of the
same period (a report "by the 10th" is handed in before a Sunday 10th, not after it); when the
period has no working day before it, the next one; a period with no working day gets no item.

Who: a template with `role` applies to every person with a membership in force on the due day in
the template's unit with that role (a one-stop officer's standard week); a template with `owner` to
that person when they have a membership in force in the unit on that day. The personal program
(draft) is created when missing. Items are only added to programs still being drafted (draft or
returned): a submitted or approved program is the person's commitment and is not changed by the
worker.

Idempotent: one item per (template, program) — the database's unique constraint plus get-or-create —
so a second run, or two workers running at once, create nothing more and change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.periods import TZ, Period, period_containing
from kycuong.org.models import Membership, Staff, Unit
from kycuong.workdays.engine import OutOfRange, WorkCalendar
from kycuong.workdays.services import calendar_for

from ..models import (
    EventType,
    ItemStatus,
    ItemTemplate,
    Program,
    ProgramKind,
    ProgramStatus,
    Recurrence,
    WorkItem,
    WorkItemEvent,
)

EDITABLE = (ProgramStatus.DRAFT, ProgramStatus.RETURNED)
PERIOD_KIND: dict[str, str] = {Recurrence.WEEKLY: "week", Recurrence.MONTHLY: "month", Recurrence.QUARTER_END: "quarter"}


@dataclass
class GenerationResult:
    created: int = 0
    existing: int = 0
    programs_created: int = 0
    skipped_locked: int = 0
    items: list[WorkItem] = field(default_factory=list)


def _working_day_in(period: Period, target: dt.date, cal: WorkCalendar) -> dt.date | None:
    """`target` if it is a working day, else the previous working day of the period, else the next."""
    try:
        day = target
        while day >= period.start:
            if cal.is_working_day(day):
                return day
            day -= dt.timedelta(days=1)
        day = target + dt.timedelta(days=1)
        while day < period.end:
            if cal.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
    except OutOfRange:
        return None
    return None


def occurrence_day(template: ItemTemplate, period: Period, cal: WorkCalendar) -> dt.date | None:
    """The working day on which `template` falls due in `period` (of the template's period kind)."""
    if template.recurrence == Recurrence.WEEKLY:
        target = period.start + dt.timedelta(days=min(template.weekday or 0, 6))
    elif template.recurrence == Recurrence.MONTHLY:
        last = (period.end - dt.timedelta(days=1)).day
        target = period.start.replace(day=min(max(template.day_of_month or 1, 1), last))
    else:
        target = period.end - dt.timedelta(days=1)
    return _working_day_in(period, target, cal)


def _recipients(template: ItemTemplate, day: dt.date) -> list[Staff]:
    qs = Membership.objects.in_force(day).filter(unit_id=template.unit_id)
    if template.role:
        qs = qs.filter(role=template.role)
    elif template.owner_id is not None:
        qs = qs.filter(staff_id=template.owner_id)
    else:
        return []
    return [m.staff for m in qs.select_related("staff").order_by("staff__code", "id")]


def _program(unit: Unit, owner: Staff, period: Period) -> tuple[Program, bool]:
    try:
        with transaction.atomic():
            return Program.objects.get_or_create(
                kind=ProgramKind.PERSONAL, unit=unit, owner=owner, period=period.label,
                defaults={"period_kind": period.kind, "period_start": period.start, "period_end": period.end})
    except IntegrityError:  # a concurrent run created it between our read and our insert
        return Program.objects.get(kind=ProgramKind.PERSONAL, unit=unit, owner=owner, period=period.label), False


def _code(program: Program, template: ItemTemplate) -> str:
    """Like services.programs.new_item_code (period-person-suffix), with a deterministic suffix: "M"
    (not a hex digit, so never one of the random suffixes) and the template's id."""
    who = program.owner.code if program.owner is not None else program.unit.code
    return f"{program.period}-{who}-M{template.pk}"


def _generate_one(template: ItemTemplate, program: Program, due_at: dt.datetime, at: dt.datetime) -> tuple[WorkItem, bool]:
    weight = template.quantity * template.product_type.factor
    defaults = {
        "code": _code(program, template), "unit_id": program.unit_id, "owner_id": program.owner_id,
        "title": template.title, "product_type_id": template.product_type_id, "quantity": template.quantity,
        "weight": weight, "first_due_at": due_at, "due_at": due_at, "status": ItemStatus.DRAFT,
    }
    try:
        with transaction.atomic():
            item, created = WorkItem.objects.get_or_create(template=template, program=program, defaults=defaults)
            if created:
                WorkItemEvent.objects.create(item=item, type=EventType.CREATED, at=at,
                                             note=_("Sinh tự động từ mẫu công việc lặp lại"))
    except IntegrityError:  # the concurrent run won: its item (and event) stand
        return WorkItem.objects.get(template=template, program=program), False
    return item, created


def recurring_generate(*, periods: Iterable[str] = ("current", "next"), at: dt.datetime | None = None,
                       templates: Iterable[ItemTemplate] | None = None) -> GenerationResult:
    """Generate the active templates' items for the period containing `at` and/or the next one."""
    at = at or timezone.now()
    today = at.astimezone(TZ).date()
    wanted = set(periods)
    result = GenerationResult()
    tpls = (list(templates) if templates is not None else
            list(ItemTemplate.objects.filter(is_active=True).select_related("unit", "product_type").order_by("pk")))
    for template in tpls:
        if not template.is_active:
            continue
        cal = calendar_for(template.unit)
        current = period_containing(today, PERIOD_KIND[template.recurrence])
        for period in [p for tag, p in (("current", current), ("next", current.next())) if tag in wanted]:
            day = occurrence_day(template, period, cal)
            if day is None:
                continue
            due_time = template.due_time
            due_time = due_time if isinstance(due_time, dt.time) else dt.time.fromisoformat(due_time)
            due_at = dt.datetime.combine(day, due_time, tzinfo=TZ)
            program_period = period_containing(day, "month") if period.kind == "quarter" else period
            for person in _recipients(template, day):
                program, made = _program(template.unit, person, program_period)
                result.programs_created += made
                if WorkItem.objects.filter(template=template, program=program).exists():
                    result.existing += 1
                    continue
                if program.status not in EDITABLE:
                    result.skipped_locked += 1
                    continue
                item, created = _generate_one(template, program, due_at, at)
                result.created += created
                result.existing += not created
                if created:
                    result.items.append(item)
    if result.created or result.programs_created:
        audit_record(action="workplans.recurring_generate", object_type="workplans.itemtemplate", object_id="*", at=at,
                     changes={"created": result.created, "programs_created": result.programs_created,
                              "skipped_locked": result.skipped_locked})
    return result
