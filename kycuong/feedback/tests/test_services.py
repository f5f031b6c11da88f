"""Service rules: codes under concurrency, routing, permissions, deadlines, merge, reopen."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.core.periods import TZ
from kycuong.feedback import services
from kycuong.feedback.models import DeadlineAlert, FeedbackItem, FeedbackPolicy, Follower, RoutingRule, Status
from kycuong.feedback.tests.factories import CategoryFactory


def local(day: int, hour: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=TZ)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks (SQLite variant below)")
@pytest.mark.django_db(transaction=True)
def test_codes_are_unique_under_concurrent_intake(org, categories):
    """40 threads, each with its own connection, submit at the same moment: codes 1..40, no gaps."""
    n = 40
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)
    services.policy()  # the policy row exists before the race

    def worker() -> None:
        try:
            barrier.wait(timeout=30)
            sub = services.feedback_submit(category=categories["duong"], description="Ổ gà", place=org.ward_a)
            with lock:
                codes.append(sub.item.code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not errors, errors
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, n + 1))


def test_codes_sqlite_variant_sequence_row_is_locked_and_unique(org, categories):
    """SQLite variant: the counter row is read with select_for_update inside the intake's
    transaction, and both the counter and the code are unique in the database."""
    from django.db import IntegrityError, transaction

    from kycuong.feedback.models import FeedbackSequence

    codes = [services.feedback_submit(category=categories["duong"], description="x").item.code for _ in range(12)]
    seq = FeedbackSequence.objects.get(prefix="PA")

    assert len(set(codes)) == 12 and seq.value == 12
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackSequence.objects.create(prefix="PA", month=seq.month)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackItem.objects.filter(code=codes[0]).update(code=codes[1])


def test_question_and_feedback_use_separate_counters(org, categories):
    at = local(5, 9, month=11)
    assert services.code_next(kind="feedback", at=at) == "PA-2611-000001"
    assert services.code_next(kind="question", at=at) == "HD-2611-000001"
    assert services.code_next(kind="feedback", at=at) == "PA-2611-000002"


def test_routing_prefers_the_most_specific_rule(org, categories):
    duong, tthc = categories["duong"], categories["tthc"]
    RoutingRule.objects.create(category=None, place=None, responsible_unit=org.centre)
    RoutingRule.objects.create(category=tthc, place=None, responsible_unit=org.dept)
    RoutingRule.objects.create(category=None, place=org.ward_b, responsible_unit=org.ward_b)
    RoutingRule.objects.create(category=tthc, place=org.ward_b, responsible_unit=org.city, priority=5)
    RoutingRule.objects.create(category=tthc, place=org.ward_b, responsible_unit=org.commune_c, priority=1)

    assert services.route_for(category=tthc, place=org.ward_b) == org.commune_c
    assert services.route_for(category=duong, place=org.ward_b) == org.ward_b
    assert services.route_for(category=tthc, place=org.ward_a) == org.dept
    assert services.route_for(category=duong, place=None) == org.centre
    RoutingRule.objects.all().delete()
    assert services.route_for(category=duong, place=org.ward_a) == org.ward_a, "default: the ward itself"
    assert services.route_for(category=duong, place=None) == org.centre, "default: the support centre"


def test_refusal_and_information_requests_only_within_their_deadlines(org, categories, time_machine):
    time_machine.move_to(local(5, 9), tick=False)
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    time_machine.move_to(local(7, 10), tick=False)

    with pytest.raises(ValidationFailed) as refused:
        services.feedback_refuse(item=item, reason="Việc tranh chấp dân sự thuộc tòa án", actor=org.user("head_a"))
    services.feedback_request_info(item=item, message="Xin cho biết số nhà cụ thể", actor=org.user("officer_a"))
    time_machine.move_to(local(12, 10), tick=False)
    services.feedback_supply_info(item=FeedbackItem.objects.get(pk=item.pk), text="Số 25")
    with pytest.raises(ValidationFailed):
        services.feedback_request_info(item=item, message="Xin thêm ảnh chụp rõ hơn", actor=org.user("officer_a"))

    assert refused.value.code == "deadline_passed"
    item.refresh_from_db()
    assert item.status == Status.ROUTED and item.info_requested_at == local(7, 10)


def test_only_heads_refuse_and_refusal_closes_the_item(org, categories):
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item

    with pytest.raises(Forbidden):
        services.feedback_refuse(item=item, reason="Không thuộc thẩm quyền hành chính", actor=org.user("officer_a"))
    item = services.feedback_refuse(item=item, reason="Việc tranh chấp dân sự thuộc tòa án", actor=org.user("head_a"))

    assert item.status == Status.REFUSED and item.closed_at and item.due_at is None
    with pytest.raises(Conflict):
        services.answer_save_draft(item=item, body="x", actor=org.user("officer_a"))


def test_staff_outside_the_unit_cannot_touch_the_item(org, categories):
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item

    with pytest.raises(NotFound):
        services.feedback_assign(item=item, actor=org.user("officer_b"))
    with pytest.raises(NotFound):
        services.feedback_reassign(item=item, to_unit=org.ward_b, reason="Không phải của phường A", actor=org.user("officer_b"))
    with pytest.raises(Forbidden):
        services.feedback_assign(item=item, actor=org.user("officer_a"), assignee=org.staff["onestop_a"])
    with pytest.raises(ValidationFailed):
        services.feedback_assign(item=item, actor=org.user("head_a"), assignee=org.staff["officer_b"])
    assert services.feedback_assign(item=item, actor=org.user("head_a"), assignee=org.staff["onestop_a"]).assignee \
        == org.staff["onestop_a"]


def test_merging_keeps_the_followers_of_both_once(org, categories):
    a = services.feedback_submit(category=categories["duong"], description="Ổ gà", place=org.ward_a,
                                 reporter_email="x@example.com", reporter_name="X", consent=True).item
    b = services.feedback_submit(category=categories["duong"], description="Ổ gà to", place=org.ward_a,
                                 reporter_email="y@example.com", reporter_name="Y", consent=True).item
    Follower.objects.create(item=b, email="x@example.com")

    kept = services.feedback_merge(duplicate=b, into=a, actor=org.user("officer_a"))

    assert sorted(kept.followers.values_list("email", flat=True)) == ["x@example.com", "y@example.com"]
    b.refresh_from_db()
    assert b.status == Status.MERGED and b.merged_into == a and b.due_at is None
    with pytest.raises(Conflict):
        services.feedback_merge(duplicate=b, into=a, actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        services.feedback_merge(duplicate=a, into=a, actor=org.user("officer_a"))


def test_reopen_window_is_configurable(org, categories, time_machine):
    FeedbackPolicy.objects.update_or_create(pk=1, defaults={"reopen_window_days": 3})
    time_machine.move_to(local(5, 9), tick=False)
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    services.answer_save_draft(item=item, body="Đã xử lý", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))
    services.answer_publish(item=item, actor=org.user("head_a"))
    time_machine.move_to(local(8, 10), tick=False)

    with pytest.raises(ValidationFailed) as exc:
        services.feedback_reopen(item=item, reason="Chưa xử lý triệt để")

    assert exc.value.code == "reopen_window_closed"


def test_reopened_item_gets_a_new_round_and_keeps_the_first_resolution(org, categories, time_machine):
    time_machine.move_to(local(5, 9), tick=False)
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    services.answer_save_draft(item=item, body="Đã xử lý", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))
    services.answer_publish(item=item, actor=org.user("head_a"))
    time_machine.move_to(local(6, 9), tick=False)

    item = services.feedback_reopen(item=item, reason="Chưa xử lý triệt để")
    services.answer_save_draft(item=item, body="Đã xử lý lần hai", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))

    item.refresh_from_db()
    assert item.reopen_count == 1 and item.resolved_at == local(5, 9)
    assert list(item.answers.values_list("round", "body")) == [(0, "Đã xử lý"), (1, "Đã xử lý lần hai")]


def test_deadline_job_is_idempotent_and_escalates_to_the_centre_last(org, categories, time_machine):
    time_machine.move_to(local(5, 9), tick=False)
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    time_machine.move_to(local(30, 9), tick=False)

    first = services.feedback_deadlines_process()
    again = services.feedback_deadlines_process()

    assert first == {"reminders": 0, "escalations": 3} and again == {"reminders": 0, "escalations": 0}
    assert list(DeadlineAlert.objects.filter(item=item).values_list("level", "unit__code")) == [
        (1, "H26.P04"), (2, "H26"), (3, "H26.TTPVHCC")]
    assert AuditEvent.objects.filter(action="feedback.escalate").count() == 3


def test_publish_stage_is_watched_after_resolution(org, categories, time_machine):
    time_machine.move_to(local(5, 9), tick=False)
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    services.answer_save_draft(item=item, body="Đã xử lý", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))
    time_machine.move_to(local(7, 10), tick=False)

    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 1}
    assert DeadlineAlert.objects.get(item=item).stage == "publish"


def test_invalid_intake_changes_nothing(org, categories):
    inactive = CategoryFactory(code="cu", is_active=False)
    cases = [
        {"category": categories["duong"], "description": ""},
        {"category": inactive, "description": "x"},
        {"category": categories["duong"], "description": "x", "place": org.dept},
        {"category": categories["duong"], "description": "x", "lat": 21.0},
        {"category": categories["duong"], "description": "x", "reporter_email": "a@example.com"},
        {"category": categories["duong"], "description": "x", "reporter_email": "không-phải-email", "consent": True},
        {"category": categories["duong"], "description": "x" * 5001},
        {"category": categories["duong"], "description": "x", "channel": "hotline"},
    ]
    for kwargs in cases:
        with pytest.raises((ValidationFailed, Forbidden)):
            services.feedback_submit(**kwargs)
    assert FeedbackItem.objects.count() == 0
