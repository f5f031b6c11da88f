"""The one transition table: what each status allows, and that the services follow it."""

from __future__ import annotations

import pytest

from kycuong.core.errors import Conflict
from kycuong.workplans import lifecycle
from kycuong.workplans.models import Completion, ItemStatus, ProgramStatus
from kycuong.workplans.services.items import item_accept, item_complete, item_reschedule

from .factories import at, clock, item, program, week_of


def test_program_buttons_follow_the_table(org):
    p = program(org.ward_a, "2026-W47", owner=org.staff["officer_a"])
    assert lifecycle.program_actions(p) == ["submit"]
    p.status = ProgramStatus.SUBMITTED
    assert lifecycle.program_actions(p) == ["approve", "return", "reopen"]
    p.status = ProgramStatus.APPROVED
    assert lifecycle.program_actions(p) == ["reopen", "carry_over"]
    p.status = ProgramStatus.RETURNED
    assert lifecycle.program_actions(p) == ["submit"]


def test_item_buttons_follow_the_table(org):
    it = item(program(org.ward_a, "2026-W47", owner=org.staff["officer_a"]), status=ItemStatus.IN_PROGRESS)
    assert lifecycle.item_actions(it) == ["complete", "reschedule", "cancel"]  # no claim: no confirm_cause
    it.status = ItemStatus.REPORTED
    assert lifecycle.item_actions(it) == ["accept", "quality_fail", "cancel"]
    for closed in (ItemStatus.ACCEPTED, ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER):
        it.status = closed
        assert "complete" not in lifecycle.item_actions(it) and "cancel" not in lifecycle.item_actions(it)


def test_confirm_cause_is_offered_only_while_a_claim_waits(org):
    week = week_of(org, items=2, status=ProgramStatus.APPROVED)
    it = week.items.order_by("id").first()
    with clock(at("2026-11-16 09:00")):
        item_reschedule(item=it, new_due_at=at("2026-11-25 16:00"), reason="Mất điện", objective_cause=True,
                        actor=org.user("officer_a"))
    it.refresh_from_db()
    assert "confirm_cause" in lifecycle.item_actions(it)
    from kycuong.workplans.models import WorkItem

    annotated = WorkItem.objects.annotate(cause_pending=lifecycle.cause_pending_exists()).get(pk=it.pk)
    assert "confirm_cause" in lifecycle.item_actions(annotated)
    other = WorkItem.objects.annotate(cause_pending=lifecycle.cause_pending_exists()).exclude(pk=it.pk).get()
    assert other.status == ItemStatus.IN_PROGRESS and "confirm_cause" not in lifecycle.item_actions(other)


def test_every_transition_names_an_event_and_known_statuses():
    for action, t in lifecycle.ITEM_TRANSITIONS.items():
        assert action in lifecycle.ITEM_EVENT_OF
        assert t.sources <= set(ItemStatus.values) and (t.target is None or t.target in ItemStatus.values)
    for t in lifecycle.PROGRAM_TRANSITIONS.values():
        assert t.sources <= set(ProgramStatus.values)


def test_import_reads_approved_as_submit_then_approve():
    assert lifecycle.actions_for_event("approved", ItemStatus.DRAFT) == ["submit", "approve"]
    assert lifecycle.actions_for_event("completed", ItemStatus.IN_PROGRESS) == ["complete"]
    assert lifecycle.actions_for_event("nonsense", ItemStatus.DRAFT) == []


@pytest.mark.parametrize("status", [ItemStatus.DRAFT, ItemStatus.SUBMITTED, ItemStatus.ACCEPTED, ItemStatus.CANCELLED])
def test_services_refuse_what_the_table_refuses(org, status):
    it = item(program(org.ward_a, "2026-W47", owner=org.staff["officer_a"]), status=status)
    with clock(at("2026-11-16 09:00")):
        with pytest.raises(Conflict) as exc:
            item_complete(item=it, completion=Completion.DONE, actor=org.user("officer_a"))
        assert exc.value.code == "invalid_transition"
        with pytest.raises(Conflict):
            item_accept(item=it, actor=org.user("head_a"))
    it.refresh_from_db()
    assert it.status == status
