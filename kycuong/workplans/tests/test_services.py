"""Programs and items through the services: the life cycle, who may do what, and the bad input of
issue 11 (each a clear error with nothing changed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.org.models import Membership
from kycuong.workplans.models import (
    Completion,
    EventType,
    ItemStatus,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)
from kycuong.workplans.services.items import (
    item_accept,
    item_cancel,
    item_complete,
    item_confirm_cause,
    item_create,
    item_quality_fail,
    item_reschedule,
    item_update,
)
from kycuong.workplans.services.programs import (
    items_carry_over,
    program_approve,
    program_get_or_create,
    program_reopen,
    program_return,
    program_submit,
)

from .factories import at, clock, product_type, program

NOW = at("2026-11-16 09:00")  # Monday of 2026-W47


@pytest.fixture
def tick():
    with clock(NOW) as traveller:
        yield traveller


@pytest.fixture
def pt(org):
    return product_type(org.ward_a, code="VB.TOTRINH", name="Tờ trình, báo cáo", factor="1.5")


@pytest.fixture
def week(org, tick):
    return program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_a, period="2026-W47",
                                 actor=org.user("officer_a"))


def _item(org, week, pt, **kw):
    values = {"title": "Soạn tờ trình", "product_type": pt, "quantity": 2, "due_at": at("2026-11-19 17:00")}
    values.update(kw)
    return item_create(program=week, actor=org.user("officer_a"), **values)


def _approved(org, week, pt):
    it = _item(org, week, pt)
    program_submit(program=week, actor=org.user("officer_a"))
    program_approve(program=week, actor=org.user("head_a"))
    it.refresh_from_db()
    return it


def _count():
    return WorkItem.objects.count(), WorkItemEvent.objects.count()


# --- the happy path -------------------------------------------------------------------------

def test_draft_submit_return_fix_resubmit_approve_moves_items_in_progress(org, week, pt, tick):
    it = _item(org, week, pt)
    assert it.owner == org.staff["officer_a"] and it.weight == Decimal("3.000") and it.status == ItemStatus.DRAFT
    program_submit(program=week, actor=org.user("officer_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.SUBMITTED
    program_return(program=week, comment="Bổ sung sản phẩm", actor=org.user("head_a"))
    week.refresh_from_db()
    it.refresh_from_db()
    assert week.status == ProgramStatus.RETURNED and week.return_comment == "Bổ sung sản phẩm"
    assert it.status == ItemStatus.RETURNED
    item_update(item=it, actor=org.user("officer_a"), expected_version=it.version, quantity=3)
    program_submit(program=week, actor=org.user("officer_a"))
    program_approve(program=week, actor=org.user("head_a"))
    week.refresh_from_db()
    it.refresh_from_db()
    assert week.status == ProgramStatus.APPROVED and week.approved_by == org.staff["head_a"]
    assert it.status == ItemStatus.IN_PROGRESS and it.weight == Decimal("4.500")
    types = list(it.events.order_by("id").values_list("type", flat=True))
    assert types == ["created", "submitted", "returned", "edited", "submitted", "approved"]


def test_return_needs_a_comment(org, week, pt):
    _item(org, week, pt)
    program_submit(program=week, actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        program_return(program=week, comment="  ", actor=org.user("head_a"))
    week.refresh_from_db()
    assert week.status == ProgramStatus.SUBMITTED


def test_an_empty_program_cannot_be_submitted(org, week):
    with pytest.raises(ValidationFailed):
        program_submit(program=week, actor=org.user("officer_a"))


def test_complete_quality_fail_complete_accept(org, week, pt, tick):
    it = _approved(org, week, pt)
    item_complete(item=it, completion=Completion.DONE, note="Đã trình", actor=org.user("officer_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.REPORTED and it.completed_at == NOW
    item_quality_fail(item=it, note="Thiếu số liệu", actor=org.user("head_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.IN_PROGRESS and it.quality_failures == 1 and it.completion == ""
    assert it.events.filter(type=EventType.QUALITY_FAILED, note="Thiếu số liệu").exists()
    item_complete(item=it, completion=Completion.DONE, actor=org.user("officer_a"))
    item_accept(item=it, actor=org.user("head_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.ACCEPTED and it.accepted_at == NOW


def test_partly_done_needs_a_note(org, week, pt):
    it = _approved(org, week, pt)
    with pytest.raises(ValidationFailed):
        item_complete(item=it, completion=Completion.PARTLY, actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        item_complete(item=it, completion="finished", note="x", actor=org.user("officer_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.IN_PROGRESS


def test_one_cannot_accept_or_quality_fail_ones_own_output(org, week, pt):
    it = _approved(org, week, pt)
    item_complete(item=it, completion=Completion.DONE, actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        item_accept(item=it, actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        item_quality_fail(item=it, note="x", actor=org.user("officer_a"))
    with pytest.raises(Forbidden):  # a head of another unit
        item_accept(item=it, actor=org.user("head_b"))
    it.refresh_from_db()
    assert it.status == ItemStatus.REPORTED


# --- approval authority ------------------------------------------------------------------------

def test_approving_ones_own_program_is_refused(org, tick, pt):
    head_week = program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_a, period="2026-W47",
                                      actor=org.user("head_a"))
    item_create(program=head_week, title="Họp giao ban", product_type=pt, quantity=1,
                due_at=at("2026-11-16 10:00"), actor=org.user("head_a"))
    program_submit(program=head_week, actor=org.user("head_a"))
    with pytest.raises(Forbidden) as exc:
        program_approve(program=head_week, actor=org.user("head_a"))
    assert exc.value.code == "own_program"
    with pytest.raises(Forbidden):
        program_return(program=head_week, comment="x", actor=org.user("head_a"))
    head_week.refresh_from_db()
    assert head_week.status == ProgramStatus.SUBMITTED


def test_only_a_head_over_the_unit_or_the_assigner_approves(org, week, pt, tick):
    _item(org, week, pt)
    program_submit(program=week, actor=org.user("officer_a"))
    for who in ("onestop_a", "head_b", "dept_head"):
        with pytest.raises(Forbidden):
            program_approve(program=week, actor=org.user(who))
    week.refresh_from_db()
    assert week.status == ProgramStatus.SUBMITTED


def test_the_person_who_assigned_the_work_may_approve(org, week, pt, tick):
    """dept_head assigns work into officer_a's week (as a superuser-created item); the assigner approves."""
    it = _item(org, week, pt)
    WorkItem.objects.filter(pk=it.pk).update(assigned_by=org.staff["dept_head"])
    program_submit(program=week, actor=org.user("officer_a"))
    program_approve(program=week, actor=org.user("dept_head"))
    week.refresh_from_db()
    assert week.status == ProgramStatus.APPROVED


def test_a_head_whose_membership_ended_cannot_approve(org, week, pt, tick):
    _item(org, week, pt)
    program_submit(program=week, actor=org.user("officer_a"))
    Membership.objects.filter(staff=org.staff["head_a"]).update(active_to=NOW.date())
    user = type(org.user("head_a")).objects.get(pk=org.user("head_a").pk)  # no cached scope
    with pytest.raises(Forbidden):
        program_approve(program=week, actor=user)


# --- bad input (issue 11): a clear error and nothing changed ----------------------------------

def test_quantity_must_be_positive(org, week, pt):
    before = _count()
    for bad in (0, -1, "abc", None):
        with pytest.raises(ValidationFailed) as exc:
            _item(org, week, pt, quantity=bad)
        assert exc.value.details["errors"] == {"quantity": "positive"}
    assert _count() == before


def test_unknown_or_foreign_product_type_is_refused(org, week, pt):
    other = product_type(org.ward_b, code="B1")
    inactive = product_type(org.ward_a, code="OLD", is_active=False)
    before = _count()
    for bad in (other, inactive, None):
        with pytest.raises(ValidationFailed) as exc:
            _item(org, week, pt, product_type=bad)
        assert exc.value.details["errors"] == {"product_type": "unknown"}
    assert _count() == before


def test_an_ancestors_product_type_is_inherited(org, week):
    city_pt = product_type(org.city, code="HS.TTHC", factor="0.2")
    it = _item(org, week, city_pt, quantity=10)
    assert it.weight == Decimal("2.000")


def test_due_date_before_the_period_is_refused(org, week, pt):
    before = _count()
    with pytest.raises(ValidationFailed) as exc:
        _item(org, week, pt, due_at=at("2026-11-13 17:00"))
    assert exc.value.details["errors"] == {"due_at": "before_period"}
    with pytest.raises(ValidationFailed) as exc:
        _item(org, week, pt, due_at=at("2026-11-23 09:00"))
    assert exc.value.details["errors"] == {"due_at": "after_period"}
    assert _count() == before


def test_due_date_outside_working_time_moves_to_the_end_of_the_previous_session(org, week, pt):
    assert _item(org, week, pt, due_at=at("2026-11-18 10:30")).due_at == at("2026-11-18 10:30")
    assert _item(org, week, pt, due_at=at("2026-11-18 17:00")).due_at == at("2026-11-18 17:00")
    assert _item(org, week, pt, due_at=at("2026-11-18 12:30")).due_at == at("2026-11-18 12:00")
    assert _item(org, week, pt, due_at=at("2026-11-18 21:00")).due_at == at("2026-11-18 17:00")
    weekend = _item(org, week, pt, due_at=at("2026-11-21 10:00"))  # Saturday
    assert weekend.due_at == weekend.first_due_at == at("2026-11-20 17:00")


def test_a_parent_in_another_unit_is_refused_an_ancestors_is_allowed(org, week, pt, tick):
    b_prog = program(org.ward_b, "2026-11")
    from .factories import item as make_item

    foreign = make_item(b_prog, owner=org.staff["officer_b"])
    city_prog = program(org.city, "2026-11")
    city_item = make_item(city_prog, owner=org.staff["leader"])
    unit_prog = program(org.ward_a, "2026-11")
    unit_item = make_item(unit_prog, owner=org.staff["officer_a"])
    before = _count()
    with pytest.raises(ValidationFailed) as exc:
        _item(org, week, pt, parent=foreign)
    assert exc.value.details["errors"] == {"parent": "other_unit"}
    assert _count() == before
    assert _item(org, week, pt, parent=unit_item).parent == unit_item
    assert _item(org, week, pt, parent=city_item).parent == city_item


def test_owner_and_co_workers_hold_a_membership_in_force_in_the_unit(org, tick, pt):
    unit_prog = program_get_or_create(kind=ProgramKind.UNIT, unit=org.ward_a, period="2026-11",
                                      actor=org.user("head_a"))
    values = {"title": "Rà soát", "product_type": pt, "quantity": 1, "due_at": at("2026-11-20 17:00")}
    with pytest.raises(ValidationFailed) as exc:
        item_create(program=unit_prog, owner=org.staff["officer_b"], actor=org.user("head_a"), **values)
    assert exc.value.details["errors"] == {"owner": "not_member"}
    with pytest.raises(ValidationFailed) as exc:
        item_create(program=unit_prog, owner=org.staff["officer_a"], co_workers=[org.staff["officer_b"]],
                    actor=org.user("head_a"), **values)
    assert exc.value.details["errors"] == {"co_workers": "not_member"}
    Membership.objects.filter(staff=org.staff["onestop_a"]).update(active_to=NOW.date())
    with pytest.raises(ValidationFailed):
        item_create(program=unit_prog, owner=org.staff["onestop_a"], actor=org.user("head_a"), **values)
    with pytest.raises(ValidationFailed):
        item_create(program=unit_prog, owner=None, actor=org.user("head_a"), **values)
    assert not unit_prog.items.exists()
    it = item_create(program=unit_prog, owner=org.staff["officer_a"], co_workers=[org.staff["head_a"]],
                     actor=org.user("head_a"), **values)
    assert list(it.co_workers.all()) == [org.staff["head_a"]] and it.assigned_by == org.staff["head_a"]


def test_editing_an_approved_item_needs_reopening_first(org, week, pt, tick):
    it = _approved(org, week, pt)
    with pytest.raises(Conflict) as exc:
        item_update(item=it, actor=org.user("officer_a"), expected_version=it.version, title="Khác")
    assert exc.value.code == "reopen_required"
    with pytest.raises(Conflict):
        _item(org, week, pt)
    it.refresh_from_db()
    assert it.title == "Soạn tờ trình"
    program_reopen(program=week, actor=org.user("officer_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.DRAFT
    item_update(item=it, actor=org.user("officer_a"), expected_version=it.version, title="Khác")
    it.refresh_from_db()
    assert it.title == "Khác"


def test_a_stale_version_is_409_and_the_first_edit_is_kept(org, week, pt):
    it = _item(org, week, pt)
    seen = it.version
    item_update(item=it, actor=org.user("officer_a"), expected_version=seen, title="Bản của người thứ nhất")
    with pytest.raises(Conflict) as exc:
        item_update(item=it, actor=org.user("officer_a"), expected_version=seen, title="Bản của người thứ hai")
    assert exc.value.code == "stale"
    it.refresh_from_db()
    assert it.title == "Bản của người thứ nhất"
    with pytest.raises(Conflict):
        program_submit(program=week, actor=org.user("officer_a"), expected_version=week.version + 5)


def test_unknown_fields_are_refused(org, week, pt):
    it = _item(org, week, pt)
    with pytest.raises(ValidationFailed):
        item_update(item=it, actor=org.user("officer_a"), expected_version=it.version, status="accepted")


def test_personal_programs_are_weekly_or_monthly_and_of_members(org, tick):
    with pytest.raises(ValidationFailed):
        program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_a, period="2026-Q4", actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_b, period="2026-W47", actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        program_get_or_create(kind=ProgramKind.UNIT, unit=org.ward_a, period="2026", actor=org.user("officer_a"))
    with pytest.raises(Forbidden):  # someone else's week
        program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_a, period="2026-W47",
                              owner=org.staff["onestop_a"], actor=org.user("officer_a"))
    one = program_get_or_create(kind=ProgramKind.UNIT, unit=org.ward_a, period="2026", actor=org.user("head_a"))
    again = program_get_or_create(kind=ProgramKind.UNIT, unit=org.ward_a, period="2026", actor=org.user("officer_a"))
    assert one == again and one.period_kind == "year"


# --- reschedule, objective cause, cancel, carry-over -----------------------------------------------

def test_reschedule_claims_a_cause_only_the_head_confirms(org, week, pt, tick):
    it = _approved(org, week, pt)
    with pytest.raises(ValidationFailed):
        item_reschedule(item=it, new_due_at=at("2026-11-20 17:00"), reason="", actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):  # not later than the current due date
        item_reschedule(item=it, new_due_at=at("2026-11-18 17:00"), reason="x", actor=org.user("officer_a"))
    item_reschedule(item=it, new_due_at=at("2026-11-25 17:00"), reason="Chờ số liệu của Sở", objective_cause=True,
                    actor=org.user("officer_a"))
    it.refresh_from_db()
    assert it.due_at == at("2026-11-25 17:00") and it.first_due_at == at("2026-11-19 17:00")
    assert it.reschedules == 1 and it.objective_cause is False
    ev = it.events.get(type=EventType.RESCHEDULED)
    assert ev.cause_claimed and not ev.objective_cause
    with pytest.raises(Forbidden):
        item_confirm_cause(item=it, actor=org.user("officer_a"))
    item_confirm_cause(item=it, actor=org.user("head_a"))
    it.refresh_from_db()
    ev.refresh_from_db()
    assert it.objective_cause and ev.objective_cause
    assert it.events.filter(type=EventType.CAUSE_CONFIRMED).count() == 1
    with pytest.raises(ValidationFailed):  # nothing left to confirm
        item_confirm_cause(item=it, actor=org.user("head_a"))


def test_a_reschedule_without_a_claim_cannot_be_confirmed(org, week, pt, tick):
    it = _approved(org, week, pt)
    item_reschedule(item=it, new_due_at=at("2026-11-20 17:00"), reason="Bận họp", actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        item_confirm_cause(item=it, actor=org.user("head_a"))
    it.refresh_from_db()
    assert not it.objective_cause


def test_only_the_head_cancels(org, week, pt):
    it = _approved(org, week, pt)
    with pytest.raises(Forbidden):
        item_cancel(item=it, reason="Không cần nữa", actor=org.user("officer_a"))
    with pytest.raises(ValidationFailed):
        item_cancel(item=it, reason="", actor=org.user("head_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.IN_PROGRESS
    item_cancel(item=it, reason="Không cần nữa", actor=org.user("head_a"))
    it.refresh_from_db()
    assert it.status == ItemStatus.CANCELLED
    with pytest.raises(Conflict):
        item_complete(item=it, completion=Completion.DONE, actor=org.user("officer_a"))


def test_carry_over_moves_unfinished_items_into_the_next_week(org, week, pt, tick):
    unfinished = _approved(org, week, pt)
    done = item_create(program=week, title="Việc phát sinh", product_type=pt, quantity=1,
                       due_at=at("2026-11-18 17:00"), actor=org.user("head_a"))
    assert done.status == ItemStatus.IN_PROGRESS and done.assigned_by == org.staff["head_a"]
    item_complete(item=done, completion=Completion.DONE, actor=org.user("officer_a"))
    with pytest.raises(Forbidden):
        items_carry_over(program=week, actor=org.user("onestop_a"))
    new = items_carry_over(program=week, actor=org.user("officer_a"))
    assert len(new) == 1 and new[0].carried_from == unfinished
    nxt = new[0].program
    assert (nxt.period, nxt.owner, nxt.kind) == ("2026-W48", org.staff["officer_a"], ProgramKind.PERSONAL)
    assert new[0].due_at == at("2026-11-27 17:00") and new[0].status == ItemStatus.DRAFT
    unfinished.refresh_from_db()
    assert unfinished.status == ItemStatus.CARRIED_OVER
    assert items_carry_over(program=week, actor=org.user("officer_a")) == []


def test_carry_over_of_a_draft_program_is_refused(org, week, pt):
    _item(org, week, pt)
    with pytest.raises(Conflict):
        items_carry_over(program=week, actor=org.user("officer_a"))
