"""The demo builds quickly, deterministically, with items in every state."""

from __future__ import annotations

import time

from kycuong.core.demodata import DemoContext
from kycuong.feedback import demo
from kycuong.feedback.models import DeadlineAlert, FeedbackItem, Status
from kycuong.org import demo as org_demo


def test_demo_builds_items_in_every_state(db):
    ctx = DemoContext(log=lambda _m: None)
    org_demo.build(ctx)

    started = time.monotonic()
    summary = demo.build(ctx)
    elapsed = time.monotonic() - started

    assert elapsed < 30, summary  # ~6 s on SQLite on an idle machine; generous bound for loaded CI
    statuses = set(FeedbackItem.objects.values_list("status", flat=True))
    assert statuses >= {Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED, Status.RESOLVED, Status.PUBLISHED,
                        Status.REFUSED, Status.MERGED}
    assert FeedbackItem.objects.count() >= 300
    assert FeedbackItem.objects.filter(reopen_count__gt=0).exists()
    assert FeedbackItem.objects.filter(satisfaction="not_satisfied").exists()
    assert DeadlineAlert.objects.filter(level=3).exists(), "some items escalated to the service centre"
    assert FeedbackItem.objects.filter(status=Status.PUBLISHED).exclude(search_key="").count() \
        == FeedbackItem.objects.filter(status=Status.PUBLISHED).count()
    assert not FeedbackItem.objects.filter(received_at__gt=ctx.now).exists()
