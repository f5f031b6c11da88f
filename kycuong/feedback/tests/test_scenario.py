"""Must-show scenario with controlled time: intake → routed → reassigned with reason → deadline
missed → escalated twice → resolved → published with redaction → citizen marks it unsatisfied →
counted so in the metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from kycuong.core.errors import ValidationFailed
from kycuong.core.periods import TZ
from kycuong.feedback import services
from kycuong.feedback.models import (
    AnswerStatus,
    DeadlineAlert,
    Event,
    EventType,
    RoutingRule,
    Satisfaction,
    Status,
)
from kycuong.feedback.selectors import feedback_metrics, feedback_scorecard_counts, knowledge_base


def local(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.django_db(transaction=False)
def test_full_feedback_life_cycle_with_escalation_redaction_and_unsatisfied_rating(
        org, categories, time_machine, django_capture_on_commit_callbacks):
    ward_a, ward_b = org.ward_a, org.ward_b
    org.staff["head_a"].email = "head_a@hanoi.gov.vn"
    org.staff["head_a"].save()
    org.staff["leader"].email = "leader@hanoi.gov.vn"
    org.staff["leader"].save()
    from kycuong.org.models import Membership, Role
    Membership.objects.create(staff=org.staff["leader"], unit=org.city, role=Role.HEAD)
    RoutingRule.objects.create(category=categories["duong"], place=ward_b, responsible_unit=ward_b)

    # Intake on Monday 5 October 2026, 09:00, from the public web form.
    time_machine.move_to(local(5, 9), tick=False)
    submitted = services.feedback_submit(
        category=categories["duong"], place=ward_b, address="Ngõ 12 phố Đội Cấn",
        description="Ổ gà lớn trước nhà số 12, tôi là Trần Thị Bích, gọi 0912 345 678.",
        reporter_name="Trần Thị Bích", reporter_phone="0912345678", reporter_email="bich@example.com", consent=True)
    item = submitted.item
    assert item.code.startswith("PA-2610-")
    assert item.check_secret(submitted.secret)

    # Routed by the rule (category + place) to ward B; deadlines in working time: 2, 5 and 15 days.
    assert item.unit == ward_b and item.status == Status.ROUTED
    assert item.refuse_due_at == local(7, 9)
    assert item.info_due_at == local(12, 9)
    assert item.resolve_due_at == local(26, 9) == item.due_at
    services.feedback_assign(item=item, actor=org.user("officer_b"))

    # Reassigned: a bare "not ours" is refused; reason AND the responsible unit are required.
    time_machine.move_to(local(6, 10), tick=False)
    with pytest.raises(ValidationFailed):
        services.feedback_reassign(item=item, to_unit=None, reason="Không thuộc thẩm quyền", actor=org.user("head_b"))
    with pytest.raises(ValidationFailed):
        services.feedback_reassign(item=item, to_unit=ward_a, reason="", actor=org.user("head_b"))
    item = services.feedback_reassign(item=item, to_unit=ward_a, actor=org.user("head_b"),
                                      reason="Đoạn đường thuộc địa bàn phường Hoàn Kiếm sau sắp xếp địa giới")
    assert item.unit == ward_a and item.reassign_count == 1 and item.assignee is None
    assert item.due_at == local(26, 9), "the overall clock keeps running across reassignment"
    services.feedback_assign(item=item, actor=org.user("officer_a"))

    # A reminder one working day before the deadline, then the deadline passes.
    time_machine.move_to(local(23, 10), tick=False)
    assert services.feedback_deadlines_process()["reminders"] == 1
    time_machine.move_to(local(26, 10), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 1}
    item.refresh_from_db()
    assert item.escalation_level == 1 and item.escalated_to == ward_a
    assert any("head_a@hanoi.gov.vn" in m.to for m in mail.outbox)

    # One working day later: escalated to the parent unit (the city). Running again changes nothing.
    time_machine.move_to(local(27, 9, 30), tick=False)
    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 1}
    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 0}
    item.refresh_from_db()
    assert item.escalation_level == 2 and item.escalated_to == org.city
    assert list(DeadlineAlert.objects.filter(item=item).values_list("level", "unit__code")) == [
        (0, "H26.P04"), (1, "H26.P04"), (2, "H26")]
    assert Event.objects.filter(item=item, type=EventType.ESCALATED).count() == 2
    assert item.due_at == local(26, 9)

    # Resolved: draft → head approval. Public texts are proposed with personal data redacted.
    time_machine.move_to(local(28, 14), tick=False)
    services.answer_save_draft(item=item, actor=org.user("officer_a"), body=(
        "Phường đã liên hệ bà Trần Thị Bích (ĐT 0912.345.678, CCCD 001199012345, bich@example.com) "
        "và vá ổ gà ngày 27/10. Đầu mối: anh Lê Văn Hùng 0987654321."))
    services.answer_submit(item=item, actor=org.user("officer_a"))
    answer = services.answer_approve(item=item, actor=org.user("head_a"))
    item.refresh_from_db()
    assert item.status == Status.RESOLVED and item.resolved_at == local(28, 14)
    assert item.publish_due_at == local(30, 14)
    for secret in ("Trần Thị Bích", "0912.345.678", "001199012345", "bich@example.com", "0987654321"):
        assert secret not in answer.public_body
        assert secret not in answer.public_question
    assert "[họ tên đã ẩn]" in answer.public_body and "[số định danh đã ẩn]" in answer.public_body

    # Manual edit before publishing: staff also remove the name the redaction could not know.
    edited = answer.public_body.replace("anh Lê Văn Hùng", "cán bộ địa chính")
    with django_capture_on_commit_callbacks(execute=True):
        item = services.answer_publish(item=item, actor=org.user("head_a"), public_body=edited)
    assert item.status == Status.PUBLISHED and item.public_answer == edited
    assert item.answers.get().status == AnswerStatus.PUBLISHED
    assert knowledge_base(q="O GA").filter(pk=item.pk).exists(), "diacritics-insensitive search"
    published_mail = [m for m in mail.outbox if "bich@example.com" in m.to and "trả lời" in m.subject]
    assert published_mail and "cán bộ địa chính" in published_mail[0].body

    # The citizen marks the answer "Không hài lòng".
    time_machine.move_to(local(29, 8), tick=False)
    services.feedback_rate(item=item, satisfaction=Satisfaction.NOT_SATISFIED)

    # Counted so: resolved late and not satisfied, in ward A's October figures.
    counts = feedback_scorecard_counts(unit_ids=[ward_a.pk], start=local(1, 0), end=local(1, 0, month=11))
    assert counts == {"resolved": 1, "resolved_on_time": 0, "open_past_deadline": 0, "rated_not_satisfied": 1,
                      "reopened": 0, "late": 0, "has_data": True}
    assert feedback_scorecard_counts(unit_ids=[ward_b.pk], start=local(1, 0), end=local(1, 0, month=11))["has_data"] is False
    [row] = [r for r in feedback_metrics(user=org.user("admin"), start=local(1, 0), end=local(1, 0, month=11))
             if r["label"] == ward_a.name]
    assert row["stages"]["resolve"] == {"done": 1, "on_time": 0, "rate": 0.0}
    assert row["stages"]["publish"] == {"done": 1, "on_time": 1, "rate": 1.0}
    assert row["satisfaction_rate"] == 0.0
