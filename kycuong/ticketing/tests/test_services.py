from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.core.periods import TZ
from kycuong.ticketing import services
from kycuong.ticketing.models import Priority, Ticket, TicketSequence, TicketStatus
from kycuong.ticketing.selectors import queue_position

AT = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def test_numbers_are_consecutive_per_area_and_formatted(hall, time_machine):
    a = []
    for i in range(3):
        time_machine.move_to(AT + dt.timedelta(minutes=i), tick=False)
        a.append(services.ticket_issue(area=hall.area_a))
    time_machine.move_to(AT, tick=False)
    b = services.ticket_issue(area=hall.area_b)
    assert [t.code for t in a] == ["A-001", "A-002", "A-003"]
    assert b.code == "B-001"
    assert AuditEvent.objects.filter(action="ticketing.ticket.issue").count() == 4


def test_numbers_restart_next_day(hall, time_machine):
    time_machine.move_to(AT, tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(AT, tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(AT + dt.timedelta(days=1), tick=False)
    next_day = services.ticket_issue(area=hall.area_a)
    assert next_day.code == "A-001" and next_day.day == dt.date(2026, 11, 21)


def test_day_is_local_date_not_utc(hall, time_machine):
    # 06:30 in Hanoi is 23:30 UTC the previous day.
    time_machine.move_to(dt.datetime(2026, 11, 20, 6, 30, tzinfo=TZ), tick=False)
    ticket = services.ticket_issue(area=hall.area_a)
    assert ticket.day == dt.date(2026, 11, 20)


def test_bad_priority_changes_nothing(hall):
    with pytest.raises(ValidationFailed):
        services.ticket_issue(area=hall.area_a, priority="vip")
    assert Ticket.objects.count() == 0 and TicketSequence.objects.count() == 0


def test_inactive_area_refuses_tickets(hall):
    hall.area_b.is_active = False
    hall.area_b.save()
    with pytest.raises(ValidationFailed):
        services.ticket_issue(area=hall.area_b)


def test_call_next_serves_green_channel_first_then_queue_order(hall, time_machine):
    now = timezone.now()
    time_machine.move_to(now - dt.timedelta(minutes=10), tick=False)
    first = services.ticket_issue(area=hall.area_a)
    time_machine.move_to(now - dt.timedelta(minutes=9), tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(now - dt.timedelta(minutes=1), tick=False)
    elderly = services.ticket_issue(area=hall.area_a, priority=Priority.ELDERLY)
    called = services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    assert called.pk == elderly.pk and called.status == TicketStatus.CALLED and called.counter_id == hall.counter1.pk
    services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    assert services.ticket_call_next(counter=hall.counter1, staff=hall.officer1).pk == first.pk


def test_counter_only_calls_its_areas(hall):
    services.ticket_issue(area=hall.area_b)
    assert services.ticket_call_next(counter=hall.counter1, staff=hall.officer1) is None
    assert services.ticket_call_next(counter=hall.counter2, staff=hall.officer2).code == "B-001"


def test_call_next_refused_while_a_ticket_is_at_the_counter(hall):
    services.ticket_issue(area=hall.area_a)
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    with pytest.raises(Conflict):
        services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)


def test_only_the_officer_at_the_counter_can_call(hall):
    services.ticket_issue(area=hall.area_a)
    with pytest.raises(Forbidden):
        services.ticket_call_next(counter=hall.counter1, staff=hall.officer2)


def test_two_counters_never_get_the_same_ticket(hall):
    services.ticket_issue(area=hall.area_a)
    services.ticket_issue(area=hall.area_a)
    t1 = services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    t2 = services.ticket_call_next(counter=hall.counter2, staff=hall.officer2)
    assert t1.pk != t2.pk


def test_recall_start_finish_record_times(hall, time_machine):
    t0 = timezone.now() - dt.timedelta(minutes=30)
    time_machine.move_to(t0, tick=False)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(t0 + dt.timedelta(minutes=12), tick=False)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    time_machine.move_to(t0 + dt.timedelta(minutes=13), tick=False)
    recalled = services.ticket_recall(counter=hall.counter1, staff=hall.officer1)
    assert recalled.call_count == 2
    time_machine.move_to(t0 + dt.timedelta(minutes=14), tick=False)
    services.ticket_start(counter=hall.counter1, staff=hall.officer1)
    time_machine.move_to(t0 + dt.timedelta(minutes=20), tick=False)
    done = services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    assert done.status == TicketStatus.DONE
    assert done.wait_seconds == 12 * 60  # issue → first call
    assert done.service_seconds == 6 * 60
    assert done.officer_id == hall.officer1.pk


def test_no_show_only_for_called_ticket(hall):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    services.ticket_start(counter=hall.counter1, staff=hall.officer1)
    with pytest.raises(Conflict):
        services.ticket_no_show(counter=hall.counter1, staff=hall.officer1)
    services.ticket_issue(area=hall.area_a)
    services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    absent = services.ticket_no_show(counter=hall.counter1, staff=hall.officer1)
    assert absent.status == TicketStatus.NO_SHOW and absent.finished_at is not None


def test_transfer_keeps_number_and_place(hall, time_machine):
    now = timezone.now()
    time_machine.move_to(now - dt.timedelta(minutes=20), tick=False)
    moved = services.ticket_issue(area=hall.area_a)
    time_machine.move_to(now - dt.timedelta(minutes=5), tick=False)
    later_b = services.ticket_issue(area=hall.area_b)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    t = services.ticket_transfer(counter=hall.counter1, staff=hall.officer1, to_area=hall.area_b)
    assert t.code == "A-001" and t.area_id == hall.area_b.pk and t.status == TicketStatus.WAITING
    assert queue_position(t) == 0 and queue_position(Ticket.objects.get(pk=later_b.pk)) == 1
    assert services.ticket_call_next(counter=hall.counter2, staff=hall.officer2).pk == moved.pk


def test_transfer_to_same_area_is_refused(hall):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    with pytest.raises(ValidationFailed):
        services.ticket_transfer(counter=hall.counter1, staff=hall.officer1, to_area=hall.area_a)


def test_taking_a_counter_leaves_the_other(hall):
    services.counter_take(counter=hall.counter2, staff=hall.officer1)
    hall.counter1.refresh_from_db()
    hall.counter2.refresh_from_db()
    assert hall.counter1.staff_id is None and hall.counter2.staff_id == hall.officer1.pk


def test_link_dossier(hall, org):
    from .factories import make_dossier

    dossier = make_dossier(unit=org.ward_a, received_unit=hall.unit)
    services.ticket_issue(area=hall.area_a)
    ticket = services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    linked = services.ticket_link_dossier(ticket=ticket, dossier=dossier, actor=org.user("onestop_rp"))
    assert linked.dossier_id == dossier.pk


def test_sequential_issue_is_gap_free_sqlite_safe_variant(hall):
    """The SQLite-safe variant of the concurrency test: many issues interleaved across two areas."""
    for i in range(60):
        services.ticket_issue(area=hall.area_a if i % 3 else hall.area_b)
    for area in (hall.area_a, hall.area_b):
        numbers = sorted(Ticket.objects.filter(issued_area=area).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SQLite variant above)")
def test_200_concurrent_issues_get_200_distinct_consecutive_numbers(transactional_db):
    """Must-show: 200 threads, each with its own database connection, issue a ticket in the same
    area at the same moment; the numbers are 1..200, unique and without gaps. (At most as many
    connections are open at once as the server allows; the rest of the threads wait their turn.)"""
    from kycuong.org.models import UnitKind
    from kycuong.org.tests.factories import UnitFactory

    unit = UnitFactory(code="H26.TTPVHCC.09", kind=UnitKind.RECEPTION_POINT)
    area = services.area_create(unit=unit, letter="A", name="Hộ tịch")
    n = 200
    with connection.cursor() as cursor:  # the server's connection limit is shared: leave room for others
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        free = cursor.fetchone()[0]
    gate = threading.BoundedSemaphore(max(8, min(n, free - 15)))
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    codes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait(timeout=60)
            with gate:
                try:
                    ticket = services.ticket_issue(area=area)
                finally:
                    connections.close_all()
            with lock:
                codes.append(ticket.code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    numbers = sorted(Ticket.objects.filter(issued_area=area).values_list("number", flat=True))
    assert numbers == list(range(1, n + 1))
    assert len(set(codes)) == n
    assert TicketSequence.objects.get(area=area).last == n


def test_failed_numbering_leaves_no_unnumbered_ticket(hall):
    from unittest import mock

    from django.db import DatabaseError

    with mock.patch("kycuong.ticketing.services.tickets._number_ticket", side_effect=DatabaseError("lost")), \
            pytest.raises(DatabaseError):
        services.ticket_issue(area=hall.area_a)
    assert Ticket.objects.count() == 0
    assert services.ticket_issue(area=hall.area_a).code == "A-001"


def test_nightly_close_frees_counters_left_busy(hall, time_machine):
    today = timezone.now()
    yesterday = today - dt.timedelta(days=1)
    time_machine.move_to(yesterday - dt.timedelta(minutes=30), tick=False)
    services.ticket_issue(area=hall.area_a)
    services.ticket_issue(area=hall.area_a)
    time_machine.move_to(yesterday, tick=False)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    services.ticket_call_next(counter=hall.counter2, staff=hall.officer2)
    services.ticket_start(counter=hall.counter2, staff=hall.officer2)
    time_machine.move_to(today, tick=False)
    result = services.tickets_close_day(before=timezone.localdate())
    assert result == {"no_show": 1, "done": 1, "removed": 0}
    assert services.tickets_close_day(before=timezone.localdate()) == {"no_show": 0, "done": 0, "removed": 0}
    services.ticket_issue(area=hall.area_a)
    assert services.ticket_call_next(counter=hall.counter1, staff=hall.officer1) is not None


def test_close_day_task_is_scheduled():
    from kycuong.core.scheduling import periodic_jobs

    assert "ticketing.close_day" in [j.label for j in periodic_jobs()]
