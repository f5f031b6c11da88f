"""Programs: get or create one per period, submit, approve or return with a comment, reopen, and
carry the unfinished items over into the next period (domain.md §9; the table in lifecycle.py).

Who: a personal program is written and submitted by its owner (or a head/deputy of its unit); a
unit program by a head/deputy of the unit. Approval and return are by a head/deputy with a
membership in force over the unit, or by the person who assigned the work — never of one's own
program (the 2018 Directive: the head approves the civil servant's program). `actor=None` is the
system (the worker generating recurring items, the import) and passes every permission check.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kycuong.core.errors import Forbidden, ValidationFailed
from kycuong.core.periods import parse_period
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for

from .. import lifecycle
from ..models import (
    EventType,
    ItemStatus,
    PeriodKind,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)
from ._common import (
    audit,
    is_system,
    last_working_end,
    local_day,
    lock_program,
    manages,
    member_ensure,
    now,
    program_label,
    require,
    required_text,
    save,
    staff_of,
)

PERSONAL_KINDS = {PeriodKind.WEEK, PeriodKind.MONTH}

#: The item status a new item takes in a program of each status (recurring items, carry-over).
ENTRY_STATUS: dict[str, str] = {ProgramStatus.DRAFT: ItemStatus.DRAFT, ProgramStatus.RETURNED: ItemStatus.DRAFT,
                ProgramStatus.SUBMITTED: ItemStatus.SUBMITTED, ProgramStatus.APPROVED: ItemStatus.IN_PROGRESS}
#: The events such an item records after `created`, so that its history replays to its status.
ENTRY_EVENTS: dict[str, tuple[str, ...]] = {ItemStatus.SUBMITTED: (EventType.SUBMITTED,),
                                            ItemStatus.IN_PROGRESS: (EventType.SUBMITTED, EventType.APPROVED)}


def new_item_code(program: Program) -> str:
    who = program.owner.code if program.owner is not None else program.unit.code
    return f"{program.period}-{who}-{uuid.uuid4().hex[:6].upper()}"


def may_write(actor: Any, program: Program) -> bool:
    """The owner of a personal program, or a head/deputy over its unit (or the system)."""
    if is_system(actor) or manages(actor, program.unit_id):
        return True
    me = staff_of(actor)
    return program.kind == ProgramKind.PERSONAL and me is not None and me.pk == program.owner_id


def check_approver(actor: Any, program: Program) -> Staff | None:
    """A head/deputy over the unit, or the person who assigned work in the program; never the
    program's own owner (403 `own_program`)."""
    if is_system(actor):
        return None
    me = staff_of(actor)
    if program.kind == ProgramKind.PERSONAL and me is not None and me.pk == program.owner_id:
        raise Forbidden(_("Không được tự duyệt chương trình công tác của chính mình."), code="own_program")
    assigned = me is not None and program.items.filter(assigned_by_id=me.pk).exists()
    require(manages(actor, program.unit_id) or assigned,
            _("Chỉ thủ trưởng, cấp phó của đơn vị hoặc người giao việc mới được duyệt chương trình này."))
    return me


@transaction.atomic
def program_get_or_create(*, kind: str, unit: Unit, period: str, owner: Staff | None = None, actor: Any) -> Program:
    """The unit's program (year, quarter, month, week) or a person's (week, month) for `period`."""
    p = parse_period(period)
    if kind not in ProgramKind.values:
        raise ValidationFailed(_("Loại chương trình không hợp lệ."), details={"errors": {"kind": "invalid"}})
    if kind == ProgramKind.PERSONAL:
        owner = owner or staff_of(actor)
        if p.kind not in PERSONAL_KINDS:
            raise ValidationFailed(_("Chương trình cá nhân chỉ theo tuần hoặc tháng."),
                                   details={"errors": {"period": "personal_week_or_month"}})
        member_ensure(owner, unit, field="owner", on=max(p.start, min(local_day(now()), p.end)))
    elif owner is not None:
        raise ValidationFailed(_("Chương trình của đơn vị không có người sở hữu."), details={"errors": {"owner": "unit_program"}})
    lookup: dict[str, Any] = {"kind": kind, "unit": unit, "period": p.label}
    if kind == ProgramKind.PERSONAL:
        lookup["owner"] = owner
    existing = Program.objects.filter(**lookup).select_related("unit", "owner").first()
    if existing is not None:
        require(is_system(actor) or scope_for(actor).allows(unit.pk) or may_write(actor, existing),
                _("Bạn không có quyền xem chương trình này."))
        return existing
    probe = Program(kind=kind, unit=unit, owner=owner)
    require(may_write(actor, probe), _("Bạn không có quyền lập chương trình này."))
    try:
        with transaction.atomic():
            program = Program.objects.create(**lookup, period_kind=p.kind, period_start=p.start, period_end=p.end)
    except IntegrityError:  # created meanwhile by a concurrent request
        return Program.objects.select_related("unit", "owner").get(**lookup)
    audit("program_create", program, actor=actor, kind=kind, period=p.label)
    return program


def _move_items(program: Program, action: str, *, actor: Staff | None, note: str = "") -> int:
    """Every item of the program the table moves with `action` (submit, approve, return, reopen)."""
    at = now()
    target = lifecycle.ITEM_TRANSITIONS[action]
    items = list(program.items.select_for_update().filter(status__in=target.sources))
    for it in items:
        it.status = lifecycle.item_next(it, action)
        it.version += 1
    WorkItem.objects.bulk_update(items, ["status", "version"])
    WorkItemEvent.objects.bulk_create([
        WorkItemEvent(item=it, type=lifecycle.ITEM_EVENT_OF[action], at=at, actor=actor, note=note) for it in items])
    return len(items)


@transaction.atomic
def program_submit(*, program: Program, actor: Any, expected_version: int | None = None) -> Program:
    program = lock_program(program, action="submit", expected_version=expected_version)
    require(may_write(actor, program), _("Chỉ người lập chương trình hoặc thủ trưởng mới được gửi duyệt."))
    if not program.items.exclude(status__in=[ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER]).exists():
        raise ValidationFailed(_("Chương trình chưa có công việc nào."), details={"errors": {"items": "empty"}})
    program.status = lifecycle.program_next(program, "submit")
    program.submitted_at = now()
    count = _move_items(program, "submit", actor=staff_of(actor))
    save(program, ["status", "submitted_at"])
    audit("program_submit", program, actor=actor, items=count)
    return program


@transaction.atomic
def program_approve(*, program: Program, actor: Any, expected_version: int | None = None) -> Program:
    program = lock_program(program, action="approve", expected_version=expected_version)
    me = check_approver(actor, program)
    program.status = lifecycle.program_next(program, "approve")
    program.approved_at = now()
    program.approved_by = me
    program.return_comment = ""
    count = _move_items(program, "approve", actor=me)
    save(program, ["status", "approved_at", "approved_by", "return_comment"])
    audit("program_approve", program, actor=actor, items=count)
    return program


@transaction.atomic
def program_return(*, program: Program, comment: str, actor: Any, expected_version: int | None = None) -> Program:
    comment = required_text(comment, "comment", _("Phải nêu ý kiến khi trả lại chương trình."))
    program = lock_program(program, action="return", expected_version=expected_version)
    me = check_approver(actor, program)
    program.status = lifecycle.program_next(program, "return")
    program.return_comment = comment
    count = _move_items(program, "return", actor=me, note=comment)
    save(program, ["status", "return_comment"])
    audit("program_return", program, actor=actor, comment=comment, items=count)
    return program


@transaction.atomic
def program_reopen(*, program: Program, actor: Any, expected_version: int | None = None) -> Program:
    """Back to draft to edit its items (then submit and approve again); reported and closed items
    keep their state."""
    program = lock_program(program, action="reopen", expected_version=expected_version)
    require(may_write(actor, program), _("Chỉ người lập chương trình hoặc thủ trưởng mới được mở lại chương trình."))
    program.status = lifecycle.program_next(program, "reopen")
    program.approved_at = None
    program.approved_by = None
    count = _move_items(program, "reopen", actor=staff_of(actor))
    save(program, ["status", "approved_at", "approved_by"])
    audit("program_reopen", program, actor=actor, items=count)
    return program


@transaction.atomic
def items_carry_over(*, program: Program, actor: Any) -> list[WorkItem]:
    """Each unfinished (in progress) item of an approved program becomes a new item of the same
    owner's program for the next period (`carried_from` the old one, due the end of that period's
    last working day); the old item becomes `carried_over`. Run twice, the second carries nothing."""
    program = lock_program(program, action="carry_over", expected_version=None)
    require(may_write(actor, program), _("Chỉ người lập chương trình hoặc thủ trưởng mới được chuyển việc sang kỳ sau."))
    items = list(program.items.select_for_update(of=("self",)).filter(status=ItemStatus.IN_PROGRESS)
                 .select_related("product_type").prefetch_related("co_workers").order_by("id"))
    if not items:
        return []
    nxt = parse_period(program.period).next()
    target = program_get_or_create(kind=program.kind, unit=program.unit, period=nxt.label, owner=program.owner, actor=None)
    if target.status == ProgramStatus.SUBMITTED:
        raise ValidationFailed(_("Chương trình %(period)s đang chờ duyệt: chưa thể chuyển việc vào.") % {"period": nxt.label},
                               details={"errors": {"program": "submitted"}})
    at, me = now(), staff_of(actor)
    due = last_working_end(target)
    created = []
    for old in items:
        new = WorkItem.objects.create(
            code=new_item_code(target), program=target, unit=target.unit, owner=old.owner, assigned_by=old.assigned_by,
            parent=old.parent, carried_from=old, title=old.title, description=old.description,
            product_type=old.product_type, quantity=old.quantity, weight=old.weight, first_due_at=due, due_at=due,
            status=ENTRY_STATUS[target.status])
        new.co_workers.set(old.co_workers.all())
        WorkItemEvent.objects.create(item=new, type=EventType.CREATED, at=at, actor=me,
                                     note=_("Chuyển từ %(code)s") % {"code": old.code})
        for ev in ENTRY_EVENTS.get(new.status, ()):
            WorkItemEvent.objects.create(item=new, type=ev, at=at, actor=me)
        old.status = lifecycle.item_next(old, "carry_over")
        old.version += 1
        old.save(update_fields=["status", "version", "updated_at"])
        WorkItemEvent.objects.create(item=old, type=EventType.CARRIED_OVER, at=at, actor=me,
                                     note=_("Chuyển sang %(code)s") % {"code": new.code})
        created.append(new)
    audit("items_carry_over", program, actor=actor, to=program_label(target), items=[i.code for i in created])
    return created
