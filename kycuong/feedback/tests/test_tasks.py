from __future__ import annotations

import datetime as dt

from kycuong.core.scheduling import periodic_jobs
from kycuong.feedback import services
from kycuong.feedback.models import DeadlineAlert
from kycuong.feedback.tasks import PERIODIC, feedback_deadlines_check


def test_deadline_watch_is_a_periodic_job_every_minute():
    assert PERIODIC[0].task is feedback_deadlines_check and PERIODIC[0].every == dt.timedelta(minutes=1)
    assert any(job.task is feedback_deadlines_check for job in periodic_jobs())


def test_the_task_escalates_overdue_items_once(org, categories, time_machine):
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    time_machine.move_to(item.due_at + dt.timedelta(minutes=5), tick=False)

    first = feedback_deadlines_check.enqueue()
    second = feedback_deadlines_check.enqueue()

    assert first.return_value == {"reminders": 0, "escalations": 1}
    assert second.return_value == {"reminders": 0, "escalations": 0}
    assert DeadlineAlert.objects.filter(item=item, level=1).count() == 1
