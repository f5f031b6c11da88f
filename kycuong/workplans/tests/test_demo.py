"""The demo builds quickly, deterministically, consistent with the life cycle and the demo day."""

from __future__ import annotations

import time

from django.db.models import F

from kycuong.core.auditchain import chain_verify
from kycuong.core.demodata import DemoContext
from kycuong.org import demo as org_demo
from kycuong.workplans import demo
from kycuong.workplans.models import (
    EventType,
    ItemStatus,
    ItemTemplate,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)


def test_demo_builds_programs_in_every_state_within_the_demo_day(db):
    ctx = DemoContext(log=lambda _m: None)
    org_demo.build(ctx)
    started = time.monotonic()
    summary = demo.build(ctx)
    elapsed = time.monotonic() - started
    assert elapsed < 20, summary  # ~2 s on SQLite on an idle machine; generous bound for a loaded one

    assert set(Program.objects.filter(kind=ProgramKind.PERSONAL, period="2026-W47").values_list("status", flat=True)) \
        == set(ProgramStatus.values)
    assert Program.objects.filter(kind=ProgramKind.UNIT, period="2026-11").count() >= 4
    assert Program.objects.filter(period="2026-W48", status=ProgramStatus.DRAFT).exists()
    statuses = set(WorkItem.objects.values_list("status", flat=True))
    assert statuses >= {ItemStatus.ACCEPTED, ItemStatus.REPORTED, ItemStatus.IN_PROGRESS, ItemStatus.SUBMITTED,
                        ItemStatus.DRAFT, ItemStatus.RETURNED}
    assert WorkItem.objects.filter(completed_at__gt=F("due_at")).exists(), "some late items"
    assert WorkItem.objects.filter(quality_failures__gt=0).exists()
    assert WorkItem.objects.filter(reschedules__gt=0, objective_cause=True).exists()
    assert WorkItem.objects.filter(parent__isnull=False).exists()
    assert Program.objects.filter(return_comment__gt="").exists()
    assert ItemTemplate.objects.exists()
    # nothing after the demo day; events in order of the life cycle
    assert not WorkItemEvent.objects.filter(at__gt=ctx.now).exists()
    assert not WorkItemEvent.objects.filter(recorded_at__gt=ctx.now).exists()
    assert not WorkItem.objects.filter(completed_at__gt=ctx.now).exists()
    assert not WorkItem.objects.filter(accepted_at__lt=F("completed_at")).exists()
    assert not Program.objects.filter(approved_at__lt=F("submitted_at")).exists()
    for it in WorkItem.objects.filter(status=ItemStatus.ACCEPTED).order_by("pk")[:200]:
        types = list(it.events.order_by("at", "pk").values_list("type", flat=True))
        assert types[0] == EventType.CREATED and types[-1] == EventType.ACCEPTED
        assert types.index(EventType.APPROVED) < types.index(EventType.COMPLETED)
    weights_ok = all(it.weight == it.quantity * it.product_type.factor
                     for it in WorkItem.objects.select_related("product_type")[:500])
    assert weights_ok
    assert chain_verify().ok


def test_demo_is_deterministic(db):
    ctx = DemoContext(log=lambda _m: None, scale=0.05)
    org_demo.build(ctx)
    demo.build(ctx)
    first = sorted(WorkItem.objects.values_list("code", "title", "status", "due_at"))
    WorkItemEvent.objects.all().delete()
    WorkItem.objects.update(parent=None)
    WorkItem.objects.all().delete()
    Program.objects.all().delete()
    ItemTemplate.objects.all().delete()
    from kycuong.workplans.models import ProductType
    ProductType.objects.all().delete()
    demo.build(DemoContext(log=lambda _m: None, scale=0.05))
    assert sorted(WorkItem.objects.values_list("code", "title", "status", "due_at")) == first
