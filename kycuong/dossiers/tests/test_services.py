"""Life-cycle services: due dates, transitions, stale state, supplements, outcomes."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.dossiers import services as s
from kycuong.dossiers.models import Dossier, DossierEvent, EventType, Outcome, Status, StepStatus
from kycuong.procedures.models import TimeUnit

from .factories import APPLICANT, at, clock, procedure_create


def receive(org: Any, proc: Any, when: str, **kw: Any) -> Dossier:
    with clock(at(when)):
        return s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                 received_by=org.staff["onestop_a"], **kw)


# --- due dates ---------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "unit", "received", "expected"), [
    # across lunch: 10:00 + 4 working hours = 15:00 (12:00–13:00 not counted)
    (4, TimeUnit.WORKING_HOURS, "2026-11-16 10:00", "2026-11-16 15:00"),
    (0.5, TimeUnit.WORKING_DAYS, "2026-11-16 10:00", "2026-11-16 15:00"),
    # across a weekend: Friday 10:00 + 1 day = Monday 10:00
    (1, TimeUnit.WORKING_DAYS, "2026-11-13 10:00", "2026-11-16 10:00"),
    # across a holiday: 24/11/2026 (Vietnam Culture Day) skipped
    (1, TimeUnit.WORKING_DAYS, "2026-11-23 10:00", "2026-11-25 10:00"),
    # swapped Saturday 22/08/2026 is a working day; 31/08, 1/9, 2/9 are not
    (1, TimeUnit.WORKING_DAYS, "2026-08-21 10:00", "2026-08-22 10:00"),
    (2, TimeUnit.WORKING_DAYS, "2026-08-28 10:00", "2026-09-04 10:00"),
    # afternoon cut-off 15:00: received 15:30 counts from the next working day's start
    (1, TimeUnit.WORKING_DAYS, "2026-11-16 15:30", "2026-11-17 17:00"),
    (1, TimeUnit.WORKING_DAYS, "2026-11-16 14:59", "2026-11-17 14:59"),
    # received on a Sunday: the clock starts Monday 08:00
    (1, TimeUnit.WORKING_DAYS, "2026-11-15 09:00", "2026-11-16 17:00"),
    # calendar days end at 17:00, moved to the next working day
    (5, TimeUnit.CALENDAR_DAYS, "2026-11-16 09:00", "2026-11-23 17:00"),
])
def test_receive_computes_due_at_from_the_working_calendar(org: Any, value: float, unit: str, received: str,
                                                           expected: str) -> None:
    # given a procedure with that processing time
    proc = procedure_create(value=value, unit_of_time=unit)
    # when a dossier is received
    d = receive(org, proc, received)
    # then the appointment counts working time only
    assert d.due_at == at(expected)
    assert d.original_due_at == at(expected)
    assert d.status == Status.RECEIVED


def test_procedure_cutoff_overrides_the_default(org: Any) -> None:
    proc = procedure_create(value=1, cutoff=dt.time(16, 0))
    d = receive(org, proc, "2026-11-16 15:30")
    assert d.due_at == at("2026-11-17 15:30")


def test_supplement_pause_moves_due_at_by_the_working_time_paused(org: Any, proc: Any) -> None:
    # given a 3-working-day dossier received Monday 09:00 (due Thursday 09:00)
    d = receive(org, proc, "2026-11-16 09:00")
    assert d.due_at == at("2026-11-19 09:00")
    # when a supplement is requested Tuesday 10:00 and completed next Monday 10:00 (32 working hours)
    with clock(at("2026-11-17 10:00")):
        d = s.dossier_request_supplement(dossier=d, reason="Thiếu bản sao giấy chứng sinh", actor=org.staff["officer_a"])
    assert d.status == Status.WAITING_SUPPLEMENT and d.supplement_count == 1
    with clock(at("2026-11-23 10:00")):
        d = s.dossier_complete_supplement(dossier=d, actor=org.staff["onestop_a"])
    # then due_at moves 32 working hours later, skipping the weekend and the 24/11 holiday
    assert d.due_at == at("2026-11-26 09:00")
    assert d.original_due_at == at("2026-11-19 09:00")
    assert d.paused_seconds == 32 * 3600
    assert d.status == Status.IN_PROGRESS
    # and every open step moved too; the last step's due time is the appointment
    assert d.steps.order_by("-order").first().due_at == d.due_at


def test_steps_follow_the_procedure_with_shares_assignees_and_accountable(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 08:00")
    steps = list(d.steps.order_by("order"))
    assert [st.name for st in steps] == ["Tiếp nhận hồ sơ", "Thẩm định", "Phê duyệt", "Trả kết quả"]
    assert [st.allotted_seconds for st in steps] == [8640, 51840, 17280, 8640]  # 24 h × shares
    assert steps[0].due_at == at("2026-11-16 10:24")
    assert steps[-1].due_at == d.due_at
    assert steps[0].assignee == org.staff["onestop_a"] and steps[0].status == StepStatus.ACTIVE
    assert steps[1].assignee == org.staff["officer_a"]
    assert steps[2].assignee == org.staff["head_a"]
    assert d.accountable == org.staff["officer_a"]
    assert d.code == "H26.P04-261116-0001"
    assert receive(org, proc, "2026-11-16 09:00").code == "H26.P04-261116-0002"
    assert receive(org, proc, "2026-11-17 09:00").code == "H26.P04-261117-0001"


def test_full_life_cycle_records_events_audit_and_outcome(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with clock(at("2026-11-16 10:00")):
        d = s.dossier_hand_over(dossier=d, actor=org.staff["onestop_a"])
    assert d.status == Status.IN_PROGRESS
    first = d.steps.get(order=1)
    assert first.outcome == Outcome.ON_TIME  # due 11:24 the same day
    with clock(at("2026-11-18 16:00")):
        d = s.dossier_hand_over(dossier=d, actor=org.staff["officer_a"])
    assert d.steps.get(order=2).outcome == Outcome.LATE
    with clock(at("2026-11-18 16:30")):
        d = s.dossier_apologize(dossier=d, reason="Cần xác minh thêm", new_due_at=at("2026-11-20 17:00"),
                                actor=org.staff["officer_a"])
    assert d.apology_due_at == at("2026-11-20 17:00")
    with clock(at("2026-11-19 11:00")):
        d = s.dossier_finish(dossier=d, actor=org.staff["head_a"])
    # the apology does not make it on time
    assert d.outcome == Outcome.LATE and d.status == Status.RESULT_READY
    assert d.processing_seconds == 26 * 3600  # Mon 7 h + Tue 8 + Wed 8 + Thu 3
    with clock(at("2026-11-19 14:00")):
        d = s.dossier_return(dossier=d, actor=org.staff["onestop_a"])
    assert d.status == Status.RETURNED
    types = list(d.events.values_list("type", flat=True))
    assert types == [EventType.RECEIVED, EventType.HANDED_OVER, EventType.HANDED_OVER, EventType.APOLOGIZED,
                     EventType.FINISHED, EventType.RETURNED]
    assert AuditEvent.objects.filter(object_id=str(d.pk), action__startswith="dossier.").count() == 6


@pytest.mark.parametrize(("finished", "outcome"), [
    ("2026-11-18 16:00", Outcome.EARLY),
    ("2026-11-19 08:30", Outcome.ON_TIME),
    ("2026-11-19 09:00", Outcome.ON_TIME),
    ("2026-11-19 09:01", Outcome.LATE),
])
def test_outcome_classes(org: Any, proc: Any, finished: str, outcome: str) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with clock(at(finished)):
        d = s.dossier_finish(dossier=d, actor=org.staff["officer_a"])
    assert d.outcome == outcome


def test_stale_version_is_refused_and_changes_nothing(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    old = d.version
    with clock(at("2026-11-16 10:00")):
        s.dossier_hand_over(dossier=d, actor=org.staff["onestop_a"], expected_version=old)
    with pytest.raises(Conflict) as err, clock(at("2026-11-16 11:00")):
        s.dossier_request_supplement(dossier=d, reason="x", actor=org.staff["officer_a"], expected_version=old)
    assert err.value.code == "stale"
    d.refresh_from_db()
    assert d.status == Status.IN_PROGRESS and d.supplement_count == 0


def test_invalid_transitions_are_refused(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with pytest.raises(Conflict):
        s.dossier_return(dossier=d, actor=org.staff["onestop_a"])
    with pytest.raises(Conflict):
        s.dossier_complete_supplement(dossier=d, actor=org.staff["onestop_a"])
    with pytest.raises(Conflict):
        s.dossier_accept(dossier=d, accepted_by=org.staff["onestop_a"])
    with clock(at("2026-11-17 09:00")):
        s.dossier_finish(dossier=d, actor=org.staff["officer_a"])
    with pytest.raises(Conflict):
        s.dossier_hand_over(dossier=d, actor=org.staff["officer_a"])
    with pytest.raises(ValidationFailed):
        s.dossier_stop(dossier=d, reason="  ", actor=org.staff["officer_a"])
    assert DossierEvent.objects.filter(dossier=d).count() == 2


def test_online_submission_clock_starts_at_acceptance(org: Any, proc: Any) -> None:
    with clock(at("2026-11-14 22:00")):
        d = s.dossier_submit(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                             fee_payment="online")
    assert d.status == Status.SUBMITTED and d.due_at is None and d.code.startswith("H26.P04-261114-")
    with clock(at("2026-11-16 09:00")):
        d = s.dossier_accept(dossier=d, accepted_by=org.staff["onestop_a"])
    assert d.status == Status.RECEIVED and d.received_at == at("2026-11-16 09:00")
    assert d.due_at == at("2026-11-19 09:00")
    with clock(at("2026-11-14 22:05")):
        other = s.dossier_submit(procedure=proc, unit=org.ward_a, applicant=APPLICANT)
    other = s.dossier_refuse(dossier=other, reason="Không thuộc thẩm quyền", refused_by=org.staff["onestop_a"])
    assert other.status == Status.REFUSED and other.closed_at is not None


def test_refuse_intake_creates_a_refused_record_with_reason(org: Any, proc: Any) -> None:
    with clock(at("2026-11-16 09:00")):
        d = s.dossier_refuse_intake(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                    reason="Hồ sơ không thuộc thẩm quyền", refused_by=org.staff["onestop_a"])
    assert d.status == Status.REFUSED and d.events.get().reason == "Hồ sơ không thuộc thẩm quyền"


def test_receive_refuses_a_unit_that_does_not_decide_the_procedure(org: Any) -> None:
    proc = procedure_create(kinds=["department"])
    with pytest.raises(ValidationFailed):
        receive(org, proc, "2026-11-16 09:00")
    assert Dossier.objects.count() == 0


def test_transfer_moves_the_dossier_and_its_step(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with clock(at("2026-11-16 10:00")):
        d = s.dossier_hand_over(dossier=d, actor=org.staff["onestop_a"])
    with clock(at("2026-11-16 11:00")):
        d = s.dossier_transfer(dossier=d, to_unit=org.dept, actor=org.staff["officer_a"], reason="Liên thông Sở Tư pháp")
    assert d.current_unit == org.dept
    assert d.steps.get(status=StepStatus.ACTIVE).unit == org.dept
    assert d.events.filter(type=EventType.TRANSFERRED, to_unit=org.dept).exists()


def test_reassign_accountable_needs_a_manager(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with pytest.raises(Forbidden):
        s.dossier_reassign_accountable(dossier=d, accountable=org.staff["onestop_a"], actor=org.staff["officer_a"])
    d = s.dossier_reassign_accountable(dossier=d, accountable=org.staff["onestop_a"], actor=org.staff["head_a"],
                                       reason="Cân đối công việc")
    assert d.accountable == org.staff["onestop_a"]


def test_withdraw_and_stop_close_the_dossier(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with clock(at("2026-11-16 10:00")):
        d = s.dossier_request_supplement(dossier=d, reason="Thiếu giấy tờ", actor=org.staff["officer_a"])
    with clock(at("2026-11-17 10:00")):
        d = s.dossier_withdraw(dossier=d, reason="Công dân xin rút", actor=org.staff["onestop_a"])
    assert d.status == Status.WITHDRAWN and d.paused_at is None and d.paused_seconds == 8 * 3600
    assert not d.steps.filter(status=StepStatus.ACTIVE).exists()
    d2 = receive(org, proc, "2026-11-16 09:00")
    d2 = s.dossier_stop(dossier=d2, reason="Quá hạn bổ sung", actor=org.staff["head_a"])
    assert d2.status == Status.STOPPED


def test_rating_and_complaint_denormalised(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    s.dossier_set_rating(dossier=d, level="dissatisfied")
    s.dossier_mark_complained(dossier=d)
    d.refresh_from_db()
    assert d.latest_rating == "dissatisfied" and d.complained
    with pytest.raises(ValidationFailed):
        s.dossier_set_rating(dossier=d, level="great")


def test_codes_stay_unique_sequentially(org: Any) -> None:
    codes = {s.dossier_code_next(unit=org.ward_a, day=dt.date(2026, 11, 16)) for _ in range(50)}
    assert len(codes) == 50
    assert "H26.P04-261116-0050" in codes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL (CI runs both)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_never_share_a_code() -> None:
    from kycuong.org.tests.factories import build_org_tree

    tree = build_org_tree()
    proc = procedure_create()
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(10):
                with clock(at("2026-11-16 09:00")):
                    d = s.dossier_receive(procedure=proc, unit=tree.ward_a, received_unit=tree.ward_a, applicant=APPLICANT,
                                          received_by=tree.staff["onestop_a"])
                with lock:
                    codes.append(d.code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(codes) == 80 and len(set(codes)) == 80
    assert sorted(codes)[-1] == "H26.P04-261116-0080"
