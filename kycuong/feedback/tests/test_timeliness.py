"""One meaning of "overdue" (issue 10, item 4) and the deadline edge cases (item 7): a reopened
item gets new working-time deadlines from the reopen moment and is not overdue at once on any
screen; the deadline instant itself is on time; reminders inside the window only, once;
escalation over a weekend in working time."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from kycuong.core.periods import TZ
from kycuong.feedback import services
from kycuong.feedback.models import DeadlineAlert, FeedbackItem, Status, is_overdue
from kycuong.feedback.selectors import counts_for_dashboard, feedback_scorecard_counts
from kycuong.feedback.tests.factories import item as make_item
from kycuong.workdays.services import calendar_for


def local(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=TZ)


def _published_late(org, categories, time_machine, secret_holder: dict) -> FeedbackItem:
    """Received Thu 1 Oct 2026 09:00 (resolve deadline 22 Oct), answered and published late on
    27 Oct: its first resolution is late."""
    time_machine.move_to(local(1, 9), tick=False)
    sub = services.feedback_submit(category=categories["duong"], description="Ổ gà trước số 5", place=org.ward_a)
    secret_holder["secret"] = sub.secret
    time_machine.move_to(local(27, 9), tick=False)
    services.answer_save_draft(item=sub.item, body="Đã vá ổ gà.", actor=org.user("officer_a"))
    services.answer_approve(item=sub.item, actor=org.user("head_a"))
    return services.answer_publish(item=sub.item, actor=org.user("head_a"))


def test_reopened_item_gets_new_working_time_deadlines_and_is_not_overdue_anywhere(
        org, categories, time_machine, api_client_for):
    held: dict = {}
    item = _published_late(org, categories, time_machine, held)
    first_due = item.resolve_due_at
    assert first_due == local(22, 9)

    reopen_at = local(28, 10)
    time_machine.move_to(reopen_at, tick=False)
    item = services.feedback_reopen(item=item, reason="Ổ gà lại xuất hiện sau trận mưa")

    cal = calendar_for(org.ward_a)
    assert item.resolve_due_at == item.due_at == cal.add_working_time(reopen_at, days=15) == local(18, 10, month=11)
    assert item.info_due_at == cal.add_working_time(reopen_at, days=5)
    assert item.first_resolve_due_at == first_due and item.publish_due_at is None
    now = local(28, 11)
    time_machine.move_to(now, tick=False)
    assert not item.is_overdue(now)
    assert not FeedbackItem.objects.overdue(now).filter(pk=item.pk).exists()
    assert counts_for_dashboard(user=org.user("head_a"), now=now)["overdue"] == 0
    client = Client()
    client.force_login(org.user("head_a"))
    assert item.code in _page(client, "/phan-anh/")
    assert item.code not in _page(client, "/phan-anh/?qua_han=1")
    assert 'class="overdue"' not in _page(client, "/phan-anh/")
    assert "quá hạn" not in _page(client, f"/phan-anh/{item.code}/")
    assert "Quá hạn" not in _page(Client(), f"/phan-anh/tra-cuu/{item.code}/?k={held['secret']}")
    assert api_client_for(org.user("head_a")).get(f"/api/v1/feedback/items/{item.code}").json()["overdue"] is False
    assert Client().get(f"/api/v1/feedback/public/track/{item.code}?secret={held['secret']}").json()["overdue"] is False
    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 0}
    # The first resolution stays late in the metrics (judged against the first round's deadline).
    october = feedback_scorecard_counts(unit_ids=[org.ward_a.pk], start=local(1, 0), end=local(1, 0, month=11))
    assert october["resolved"] == 1 and october["resolved_on_time"] == 0

    # Once the new round's deadline passes, every screen says overdue.
    later = local(18, 10, 1, month=11)
    time_machine.move_to(later, tick=False)
    assert counts_for_dashboard(user=org.user("head_a"), now=later)["overdue"] == 1
    client.force_login(org.user("head_a"))
    assert item.code in _page(client, "/phan-anh/?qua_han=1")
    assert "quá hạn" in _page(client, f"/phan-anh/{item.code}/")
    assert "Quá hạn" in _page(Client(), f"/phan-anh/tra-cuu/{item.code}/?k={held['secret']}")
    assert api_client_for(org.user("head_a")).get(f"/api/v1/feedback/items/{item.code}").json()["overdue"] is True
    assert services.feedback_deadlines_process()["escalations"] == 1


def test_overdue_is_strictly_after_the_deadline_in_sql_and_in_python(org):
    due = local(16, 15)
    items = [make_item(unit=org.ward_a, status=status, due_at=due)
             for status in (Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED, Status.RESOLVED,
                            Status.PUBLISHED, Status.REFUSED)]
    make_item(unit=org.ward_a, status=Status.IN_PROGRESS, due_at=None)
    for at in (due - dt.timedelta(seconds=1), due, due + dt.timedelta(seconds=1)):
        in_sql = set(FeedbackItem.objects.overdue(at).values_list("pk", flat=True))
        in_python = {i.pk for i in FeedbackItem.objects.all() if is_overdue(status=i.status, due_at=i.due_at, at=at)}
        assert in_sql == in_python
    assert not FeedbackItem.objects.overdue(due).exists(), "exactly at the deadline it is still on time"
    late = set(FeedbackItem.objects.overdue(due + dt.timedelta(seconds=1)).values_list("pk", flat=True))
    assert late == {i.pk for i in items[:4]}, "open and resolved-not-published items; closed ones never"


def _page(client: Client, url: str) -> str:
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.content.decode()


def _levels(item: FeedbackItem) -> list[int]:
    return sorted(DeadlineAlert.objects.filter(item=item).values_list("level", flat=True))


def test_escalation_over_a_weekend_counts_working_days(org, time_machine):
    # Deadline Friday 16 Oct 2026 15:00; one working day later is Monday 19 Oct 15:00.
    item = make_item(unit=org.ward_a, status=Status.IN_PROGRESS, due_at=local(16, 15))
    time_machine.move_to(local(16, 15), tick=False)
    services.feedback_deadlines_process()
    assert _levels(item) == [0], "at the deadline instant: still on time (reminder only)"
    time_machine.move_to(local(16, 15, 0, 1), tick=False)
    services.feedback_deadlines_process()
    assert _levels(item) == [0, 1]
    for saturday_or_sunday in (local(17, 15, 0, 1), local(17, 16), local(18, 16)):
        time_machine.move_to(saturday_or_sunday, tick=False)
        services.feedback_deadlines_process()
        assert _levels(item) == [0, 1], f"no level 2 on {saturday_or_sunday:%A %H:%M}"
    time_machine.move_to(local(19, 14, 59, 59), tick=False)
    services.feedback_deadlines_process()
    assert _levels(item) == [0, 1]
    time_machine.move_to(local(19, 15), tick=False)
    services.feedback_deadlines_process()
    assert _levels(item) == [0, 1, 2]
    assert DeadlineAlert.objects.get(item=item, level=2).unit == org.city
    time_machine.move_to(local(20, 15), tick=False)
    services.feedback_deadlines_process()
    assert _levels(item) == [0, 1, 2, 3]


def test_reminder_goes_out_exactly_inside_the_working_time_window_once(org, time_machine):
    # Deadline Monday 19 Oct 10:00; 8 working hours before (08-12, 13-17) is Friday 16 Oct 10:00.
    item = make_item(unit=org.ward_a, status=Status.IN_PROGRESS, due_at=local(19, 10))
    time_machine.move_to(local(16, 9, 59, 59), tick=False)
    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 0}
    time_machine.move_to(local(16, 10), tick=False)
    assert services.feedback_deadlines_process() == {"reminders": 1, "escalations": 0}
    for later in (local(16, 16), local(19, 9), local(19, 10)):
        time_machine.move_to(later, tick=False)
        assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 0}, "once"
    assert _levels(item) == [0]


def test_no_reminder_after_the_deadline_only_escalation(org, time_machine):
    item = make_item(unit=org.ward_a, status=Status.IN_PROGRESS, due_at=local(19, 10))
    time_machine.move_to(local(19, 10, 0, 1), tick=False)
    assert services.feedback_deadlines_process() == {"reminders": 0, "escalations": 1}
    assert _levels(item) == [1]


def test_reopened_round_is_reminded_and_escalated_again(org, time_machine):
    item = make_item(unit=org.ward_a, status=Status.IN_PROGRESS, due_at=local(19, 10))
    time_machine.move_to(local(19, 10, 0, 1), tick=False)
    services.feedback_deadlines_process()
    FeedbackItem.objects.filter(pk=item.pk).update(reopen_count=1, due_at=local(20, 10), escalation_level=0)
    time_machine.move_to(local(20, 9), tick=False)
    assert services.feedback_deadlines_process() == {"reminders": 1, "escalations": 0}
