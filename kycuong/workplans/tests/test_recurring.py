"""Recurring items and position templates: occurrence days on the working calendar, who gets them,
the program created when missing, locked programs untouched, and idempotence (also concurrent)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from kycuong.org.models import Membership, Role
from kycuong.workdays.services import calendar_override_set
from kycuong.workplans.models import (
    EventType,
    ItemStatus,
    ItemTemplate,
    Program,
    ProgramStatus,
    Recurrence,
    WorkItem,
    WorkItemEvent,
)
from kycuong.workplans.services.recurring import recurring_generate
from kycuong.workplans.tasks import PERIODIC

from .factories import at, product_type
from .factories import program as make_program


def _template(org, **fields):
    fields.setdefault("unit", org.ward_a)
    fields.setdefault("product_type", product_type(org.city, name="Hồ sơ TTHC giải quyết", factor="0.2"))
    fields.setdefault("title", "Tiếp nhận, trả kết quả hồ sơ")
    fields.setdefault("quantity", Decimal("40"))
    return ItemTemplate.objects.create(**fields)


def _snapshot():
    return (sorted(WorkItem.objects.values_list("code", "program_id", "owner_id", "due_at", "weight", "status",
                                                "version", "updated_at")),
            sorted(Program.objects.values_list("pk", "owner_id", "period", "status", "version")),
            WorkItemEvent.objects.count())


def test_weekly_role_template_reaches_every_one_stop_officer_for_this_and_next_week(org):
    tpl = _template(org, role=Role.ONE_STOP_OFFICER, recurrence=Recurrence.WEEKLY)
    # A second one-stop officer in the ward; an officer (other role) gets nothing.
    second = Membership.objects.create(staff=org.staff["officer_b"], unit=org.ward_a, role=Role.ONE_STOP_OFFICER)
    result = recurring_generate(at=at("2026-11-18 06:00"))  # Wednesday of 2026-W47
    assert result.created == 4 and result.programs_created == 4
    items = WorkItem.objects.filter(template=tpl).select_related("program")
    assert {(i.owner_id, i.program.period) for i in items} == {
        (org.staff["onestop_a"].pk, "2026-W47"), (org.staff["onestop_a"].pk, "2026-W48"),
        (second.staff_id, "2026-W47"), (second.staff_id, "2026-W48")}
    first = items.get(owner=org.staff["onestop_a"], program__period="2026-W47")
    assert first.due_at == at("2026-11-16 17:00")  # Monday (no weekday set)
    assert first.first_due_at == first.due_at
    assert first.weight == Decimal("8.000")  # 40 × 0.2 standard units
    assert first.status == ItemStatus.DRAFT and first.unit == org.ward_a
    assert first.program.status == ProgramStatus.DRAFT and first.program.unit == org.ward_a
    assert first.events.get().type == EventType.CREATED
    assert not WorkItem.objects.filter(owner=org.staff["officer_a"]).exists()


def test_weekly_template_on_its_weekday_and_only_the_period_asked_for(org):
    _template(org, owner=org.staff["officer_a"], recurrence=Recurrence.WEEKLY, weekday=4, due_time=dt.time(16, 0))
    result = recurring_generate(at=at("2026-11-18 06:00"), periods=("next",))
    assert result.created == 1
    assert WorkItem.objects.get().due_at == at("2026-11-27 16:00")  # Friday of 2026-W48


def test_generation_twice_creates_nothing_and_changes_nothing(org):
    _template(org, role=Role.ONE_STOP_OFFICER, recurrence=Recurrence.WEEKLY)
    _template(org, owner=org.staff["officer_a"], recurrence=Recurrence.MONTHLY, day_of_month=10)
    _template(org, owner=org.staff["head_a"], recurrence=Recurrence.QUARTER_END)
    first = recurring_generate(at=at("2026-11-18 06:00"))
    assert first.created == 2 + 2 + 2
    before = _snapshot()
    again = recurring_generate(at=at("2026-11-19 06:00"))
    assert again.created == 0 and again.programs_created == 0 and again.existing == 6
    assert _snapshot() == before


def test_monthly_on_a_saturday_falls_on_the_previous_working_day(org):
    # 10/10/2026 is a Saturday: the report "by the 10th" is due on Friday 9/10.
    _template(org, owner=org.staff["officer_a"], recurrence=Recurrence.MONTHLY, day_of_month=10)
    recurring_generate(at=at("2026-10-01 06:00"), periods=("current",))
    item = WorkItem.objects.get()
    assert item.due_at == at("2026-10-09 17:00")
    assert item.program.period == "2026-10"


def test_monthly_day_beyond_the_month_is_its_last_working_day(org):
    _template(org, owner=org.staff["officer_a"], recurrence=Recurrence.MONTHLY, day_of_month=31)
    recurring_generate(at=at("2026-11-02 06:00"), periods=("current",))
    assert WorkItem.objects.get().due_at == at("2026-11-30 17:00")  # Monday 30/11


def test_quarter_end_is_the_last_working_day_of_the_unit_calendar(org):
    calendar_override_set(date=dt.date(2026, 12, 31), kind="day_off", reason="Nghỉ bù", unit=org.ward_a)
    _template(org, owner=org.staff["head_a"], recurrence=Recurrence.QUARTER_END)
    recurring_generate(at=at("2026-11-18 06:00"), periods=("current",))
    item = WorkItem.objects.select_related("program").get()
    assert item.due_at == at("2026-12-30 17:00")
    assert item.program.period == "2026-12" and item.program.period_kind == "month"


def test_nobody_whose_membership_ended_and_owner_template_needs_a_membership_in_force(org):
    Membership.objects.filter(staff=org.staff["onestop_a"]).update(active_to=dt.date(2026, 11, 23))
    _template(org, role=Role.ONE_STOP_OFFICER, recurrence=Recurrence.WEEKLY)
    _template(org, owner=org.staff["officer_b"], recurrence=Recurrence.WEEKLY)  # officer_b is in ward B
    recurring_generate(at=at("2026-11-18 06:00"))
    assert list(WorkItem.objects.values_list("program__period", flat=True)) == ["2026-W47"]  # not W48 (left 23/11)


def test_a_submitted_or_approved_program_is_not_changed(org):
    officer = org.staff["officer_a"]
    prog = make_program(org.ward_a, "2026-W48", owner=officer, status=ProgramStatus.APPROVED)
    _template(org, owner=officer, recurrence=Recurrence.WEEKLY)
    result = recurring_generate(at=at("2026-11-18 06:00"))
    assert result.created == 1 and result.skipped_locked == 1
    assert not prog.items.exists()
    returned = make_program(org.ward_a, "2026-W49", owner=officer, status=ProgramStatus.RETURNED)
    assert recurring_generate(at=at("2026-11-25 06:00"), periods=("next",)).created == 1
    assert returned.items.count() == 1  # a returned program is being fixed: the item is added


def test_inactive_template_generates_nothing(org):
    _template(org, role=Role.ONE_STOP_OFFICER, recurrence=Recurrence.WEEKLY, is_active=False)
    assert recurring_generate(at=at("2026-11-18 06:00")).created == 0
    assert not Program.objects.exists()


def test_periodic_jobs_are_registered():
    names = {p.label for p in PERIODIC}
    assert {"workplans.generate_recurring_items", "workplans.send_reminders"} <= names


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_do_not_duplicate(org):
    if connection.vendor != "postgresql":
        pytest.skip("row-level concurrency is a PostgreSQL matter (SQLite serialises writers)")
    for n in range(4):
        Membership.objects.create(staff=org.staff[["officer_a", "officer_b", "head_b", "dept_officer"][n]],
                                  unit=org.ward_a, role=Role.ONE_STOP_OFFICER)
    _template(org, role=Role.ONE_STOP_OFFICER, recurrence=Recurrence.WEEKLY)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            recurring_generate(at=at("2026-11-18 06:00"))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert WorkItem.objects.count() == 5 * 2
    assert Program.objects.count() == 5 * 2
    assert WorkItemEvent.objects.filter(type=EventType.CREATED).count() == 5 * 2
