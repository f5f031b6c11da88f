"""Work items: create and edit (only while the program is a draft or returned: an approved item needs
`program_reopen` first), the completion report, quality acceptance or sending back, reschedule with
an objective cause the head confirms, cancel (head only), evidence (domain.md §9; lifecycle.py).

Each item has exactly one presiding person (`owner`, "một việc – một đầu mối", Decree 39/2022/NĐ-CP)
holding a membership in force in the item's unit or under it; co-workers the same. `weight` =
quantity × the product type's factor (Decree 335/2025/NĐ-CP). `expected_version` guards concurrent
edits: a stale one is a 409 `stale` and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.errors import ValidationFailed
from kycuong.org.models import Staff
from kycuong.org.scoping import scope_for

from .. import lifecycle
from ..models import (
    Completion,
    EventType,
    EvidenceKind,
    ItemStatus,
    ProductType,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
    WorkItemEvidence,
)
from ._common import (
    audit,
    check_parent,
    check_product_type,
    clean_quantity,
    due_in_working_time,
    event,
    is_system,
    local_day,
    lock_item,
    manages,
    member_ensure,
    now,
    require,
    required_text,
    save,
    staff_of,
    weight_of,
)
from .programs import ENTRY_EVENTS, ENTRY_STATUS, may_write, new_item_code

EDITABLE = {"title", "description", "product_type", "quantity", "due_at", "owner", "co_workers", "parent"}


def _clean_title(title: str) -> str:
    title = required_text(title, "title", _("Phải nhập nội dung công việc."))
    if len(title) > 300:
        raise ValidationFailed(_("Nội dung công việc tối đa 300 ký tự."), details={"errors": {"title": "too_long"}})
    return title


def _co_workers(staff: Iterable[Staff], item_unit: Any, owner: Staff, on: dt.date) -> list[Staff]:
    people = list(dict.fromkeys(staff))
    for person in people:
        if person.pk == owner.pk:
            raise ValidationFailed(_("Người chủ trì không đồng thời là người phối hợp."),
                                   details={"errors": {"co_workers": "owner"}})
        member_ensure(person, item_unit, field="co_workers", on=on)
    return people


def _is_head(actor: Any, item: WorkItem) -> bool:
    return is_system(actor) or manages(actor, item.unit_id)


def _may_report(actor: Any, item: WorkItem) -> None:
    """The presiding person reports (or a head/deputy over the unit for them)."""
    me = staff_of(actor)
    require(_is_head(actor, item) or (me is not None and me.pk == item.owner_id),
            _("Chỉ người chủ trì công việc hoặc thủ trưởng mới được thực hiện thao tác này."))


def _may_judge(actor: Any, item: WorkItem) -> Staff | None:
    """Quality acceptance: a head/deputy over the unit or the person who assigned the work — never
    the presiding person on their own output."""
    if is_system(actor):
        return None
    me = staff_of(actor)
    require(me is None or me.pk != item.owner_id, _("Không được tự nghiệm thu công việc của chính mình."),
            code="own_item")
    require(manages(actor, item.unit_id) or (me is not None and me.pk == item.assigned_by_id),
            _("Chỉ thủ trưởng, cấp phó hoặc người giao việc mới được nghiệm thu."))
    return me


@transaction.atomic
def item_create(*, program: Program, title: str, product_type: ProductType | None, quantity: Any, due_at: Any,
                owner: Staff | None = None, co_workers: Iterable[Staff] = (), parent: WorkItem | None = None,
                description: str = "", actor: Any) -> WorkItem:
    """A new item in a draft or returned program; in an approved program only a head/deputy (an
    extra assignment, straight in progress) or the system (recurring items)."""
    program = Program.objects.select_for_update(of=("self",)).select_related("unit", "owner").get(pk=program.pk)
    require(may_write(actor, program), _("Bạn không có quyền thêm công việc vào chương trình này."))
    if program.status == ProgramStatus.SUBMITTED or (
            program.status == ProgramStatus.APPROVED and not (is_system(actor) or manages(actor, program.unit_id))):
        raise lifecycle_conflict(program)
    at, me = now(), staff_of(actor)
    on = max(program.period_start, min(local_day(at), program.period_end - dt.timedelta(days=1)))
    if program.kind == ProgramKind.PERSONAL:
        if owner is not None and owner.pk != program.owner_id:
            raise ValidationFailed(_("Công việc trong chương trình cá nhân do chính người đó chủ trì."),
                                   details={"errors": {"owner": "not_program_owner"}})
        owner = program.owner
    title = _clean_title(title)
    qty = clean_quantity(quantity)
    pt = check_product_type(product_type, program.unit)
    due = due_in_working_time(due_at, program)
    owner = member_ensure(owner, program.unit, field="owner", on=on)
    people = _co_workers(co_workers, program.unit, owner, on)
    parent = check_parent(parent, program.unit)
    item = WorkItem.objects.create(
        code=new_item_code(program), program=program, unit=program.unit, owner=owner,
        assigned_by=me if me is not None and me.pk != owner.pk else (parent.assigned_by if parent else None),
        parent=parent, title=title, description=(description or "").strip(), product_type=pt, quantity=qty,
        weight=weight_of(qty, pt), first_due_at=due, due_at=due, status=ENTRY_STATUS[program.status])
    item.co_workers.set(people)
    event(item, EventType.CREATED, at=at, actor=me)
    for ev in ENTRY_EVENTS.get(item.status, ()):  # added to a submitted / approved program: its history says so
        event(item, ev, at=at, actor=me)
    audit("item_create", item, actor=actor, title=title, weight=str(item.weight), due_at=due.isoformat())
    return item


def lifecycle_conflict(program: Program) -> Exception:
    from kycuong.core.errors import Conflict

    return Conflict(_("Chương trình %(period)s đã gửi duyệt hoặc đã duyệt: phải mở lại chương trình trước khi thêm, "
                      "sửa công việc.") % {"period": program.period}, code="reopen_required",
                    details={"status": program.status})


@transaction.atomic
def item_update(*, item: WorkItem, actor: Any, expected_version: int | None, **fields: Any) -> WorkItem:
    """Edit a draft or returned item (the first due date moves with the due date until approval)."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationFailed(_("Trường không được hỗ trợ: %(f)s") % {"f": ", ".join(sorted(unknown))},
                               details={"errors": dict.fromkeys(sorted(unknown), "unknown")})
    item = lock_item(item, action="edit", expected_version=expected_version)
    program = item.program
    if program.status not in lifecycle.EDITABLE_PROGRAM:
        raise lifecycle_conflict(program)
    require(may_write(actor, program), _("Bạn không có quyền sửa công việc này."))
    on = max(program.period_start, min(local_day(now()), program.period_end - dt.timedelta(days=1)))
    changes: dict[str, Any] = {}
    if "title" in fields:
        item.title = changes.setdefault("title", _clean_title(fields["title"]))
    if "description" in fields:
        item.description = changes.setdefault("description", (fields["description"] or "").strip())
    if "quantity" in fields:
        item.quantity = clean_quantity(fields["quantity"])
        changes["quantity"] = str(item.quantity)
    if "product_type" in fields:
        item.product_type = check_product_type(fields["product_type"], item.unit)
        changes["product_type"] = item.product_type.code
    if "due_at" in fields:
        item.due_at = item.first_due_at = due_in_working_time(fields["due_at"], program)
        changes["due_at"] = item.due_at.isoformat()
    if "owner" in fields:
        if program.kind == ProgramKind.PERSONAL and (fields["owner"] is None or fields["owner"].pk != program.owner_id):
            raise ValidationFailed(_("Công việc trong chương trình cá nhân do chính người đó chủ trì."),
                                   details={"errors": {"owner": "not_program_owner"}})
        item.owner = member_ensure(fields["owner"], item.unit, field="owner", on=on)
        changes["owner"] = item.owner.code
    if "parent" in fields:
        item.parent = check_parent(fields["parent"], item.unit, item=item)
        changes["parent"] = item.parent.code if item.parent else None
    people = None
    if "co_workers" in fields:
        people = _co_workers(fields["co_workers"] or (), item.unit, item.owner, on)
        changes["co_workers"] = [p.code for p in people]
    item.weight = weight_of(item.quantity, item.product_type)
    save(item, ["title", "description", "quantity", "product_type", "due_at", "first_due_at", "owner", "parent", "weight"])
    if people is not None:
        item.co_workers.set(people)
    event(item, EventType.EDITED, at=now(), actor=staff_of(actor))
    audit("item_update", item, actor=actor, **changes)
    return item


@transaction.atomic
def item_complete(*, item: WorkItem, completion: str, note: str = "", actor: Any,
                  expected_version: int | None = None) -> WorkItem:
    """The completion report: done, partly done or not done (a note required unless done)."""
    if completion not in Completion.values:
        raise ValidationFailed(_("Kết quả phải là: hoàn thành, hoàn thành một phần hoặc chưa hoàn thành."),
                               details={"errors": {"completion": "invalid"}})
    note = (note or "").strip()
    if completion != Completion.DONE and not note:
        raise ValidationFailed(_("Phải nêu lý do khi chưa hoàn thành hết công việc."), details={"errors": {"note": "required"}})
    item = lock_item(item, action="complete", expected_version=expected_version)
    _may_report(actor, item)
    at = now()
    item.status = lifecycle.item_next(item, "complete")
    item.completion, item.completion_note, item.completed_at = completion, note, at
    save(item, ["status", "completion", "completion_note", "completed_at"])
    event(item, EventType.COMPLETED, at=at, actor=staff_of(actor), completion=completion, note=note)
    audit("item_complete", item, actor=actor, completion=completion)
    return item


@transaction.atomic
def item_accept(*, item: WorkItem, actor: Any, expected_version: int | None = None) -> WorkItem:
    item = lock_item(item, action="accept", expected_version=expected_version)
    me = _may_judge(actor, item)
    at = now()
    item.status = lifecycle.item_next(item, "accept")
    item.accepted_at = at
    save(item, ["status", "accepted_at"])
    event(item, EventType.ACCEPTED, at=at, actor=me)
    audit("item_accept", item, actor=actor)
    return item


@transaction.atomic
def item_quality_fail(*, item: WorkItem, note: str, actor: Any, expected_version: int | None = None) -> WorkItem:
    """The output does not meet quality: back in progress, one more quality failure (Decree 335:
    each one deducts 25% of the output's quality points)."""
    note = required_text(note, "note", _("Phải nêu lý do không đạt chất lượng."))
    item = lock_item(item, action="quality_fail", expected_version=expected_version)
    me = _may_judge(actor, item)
    item.status = lifecycle.item_next(item, "quality_fail")
    item.quality_failures += 1
    item.completion, item.completed_at = "", None
    save(item, ["status", "quality_failures", "completion", "completed_at"])
    event(item, EventType.QUALITY_FAILED, at=now(), actor=me, note=note)
    audit("item_quality_fail", item, actor=actor, note=note, quality_failures=item.quality_failures)
    return item


@transaction.atomic
def item_reschedule(*, item: WorkItem, new_due_at: Any, reason: str, objective_cause: bool = False, actor: Any,
                    expected_version: int | None = None) -> WorkItem:
    """A later due date with a reason; `objective_cause` is only a claim until the head confirms
    it (`item_confirm_cause`): only a confirmed cause spares the delay (Decree 335/2025/NĐ-CP)."""
    reason = required_text(reason, "reason", _("Phải nêu lý do lùi hạn."))
    item = lock_item(item, action="reschedule", expected_version=expected_version)
    _may_report(actor, item)
    if not isinstance(new_due_at, dt.datetime) or new_due_at.tzinfo is None:
        raise ValidationFailed(_("Hạn mới phải là thời điểm có múi giờ."), details={"errors": {"new_due_at": "invalid"}})
    at = now()
    due = _working_moment(item, new_due_at)
    if due <= item.due_at or due <= at:
        raise ValidationFailed(_("Hạn mới phải sau hạn hiện tại và sau thời điểm hiện tại."),
                               details={"errors": {"new_due_at": "not_later"}})
    item.due_at = due
    item.reschedules += 1
    save(item, ["due_at", "reschedules"])
    event(item, EventType.RESCHEDULED, at=at, actor=staff_of(actor), note=reason, new_due_at=due,
          cause_claimed=bool(objective_cause))
    audit("item_reschedule", item, actor=actor, due_at=due.isoformat(), reason=reason, cause_claimed=bool(objective_cause))
    return item


def _working_moment(item: WorkItem, at: dt.datetime) -> dt.datetime:
    """The same working-time rule as a due date (`due_in_working_time`) without the period bound:
    a reschedule may move the due date past the program's period."""
    from kycuong.workdays.engine import OutOfRange
    from kycuong.workdays.services import calendar_for

    calendar = calendar_for(item.unit)
    try:
        return at if calendar.is_working_moment(at) else calendar.from_ordinal(calendar.ordinal(at), at_end=True)
    except OutOfRange as exc:
        raise ValidationFailed(_("Hạn mới nằm ngoài phạm vi lịch làm việc."),
                               details={"errors": {"new_due_at": "out_of_range"}}) from exc


@transaction.atomic
def item_confirm_cause(*, item: WorkItem, actor: Any) -> WorkItem:
    """The head confirms the objective cause claimed by the latest unconfirmed reschedule."""
    item = lock_item(item, action="confirm_cause")
    if not is_system(actor):
        me = staff_of(actor)
        require(me is None or me.pk != item.owner_id, _("Không được tự xác nhận nguyên nhân khách quan của mình."),
                code="own_item")
        require(manages(actor, item.unit_id), _("Chỉ thủ trưởng, cấp phó mới được xác nhận nguyên nhân khách quan."))
    claim = (item.events.select_for_update().filter(type=EventType.RESCHEDULED, cause_claimed=True, objective_cause=False)
             .order_by("-at", "-id").first())
    if claim is None:
        raise ValidationFailed(_("Không có lần lùi hạn nào đang chờ xác nhận nguyên nhân khách quan."),
                               details={"errors": {"objective_cause": "no_claim"}})
    claim.objective_cause = True
    claim.save(update_fields=["objective_cause"])
    item.objective_cause = True
    save(item, ["objective_cause"])
    event(item, EventType.CAUSE_CONFIRMED, at=now(), actor=staff_of(actor), objective_cause=True, new_due_at=claim.new_due_at)
    audit("item_confirm_cause", item, actor=actor, rescheduled_event=claim.pk)
    return item


@transaction.atomic
def item_cancel(*, item: WorkItem, reason: str, actor: Any, expected_version: int | None = None) -> WorkItem:
    """Only a head/deputy over the unit cancels; the item leaves the assigned set."""
    reason = required_text(reason, "reason", _("Phải nêu lý do hủy công việc."))
    item = lock_item(item, action="cancel", expected_version=expected_version)
    require(_is_head(actor, item), _("Chỉ thủ trưởng, cấp phó mới được hủy công việc."))
    item.status = lifecycle.item_next(item, "cancel")
    save(item, ["status"])
    event(item, EventType.CANCELLED, at=now(), actor=staff_of(actor), note=reason)
    audit("item_cancel", item, actor=actor, reason=reason)
    return item


@transaction.atomic
def evidence_add(*, item: WorkItem, kind: str, dossier: Any = None, feedback: Any = None, document: Any = None,
                 url: str = "", title: str = "", actor: Any) -> WorkItemEvidence:
    """Link a dossier or a feedback item the actor can see, upload a document, or link a URL."""
    item = WorkItem.objects.select_for_update(of=("self",)).select_related("unit").get(pk=item.pk)
    me = staff_of(actor)
    require(_is_head(actor, item) or (me is not None and (
        me.pk == item.owner_id or item.co_workers.filter(pk=me.pk).exists())),
        _("Chỉ người chủ trì, người phối hợp hoặc thủ trưởng mới được thêm minh chứng."))
    if item.status in (ItemStatus.CANCELLED, ItemStatus.CARRIED_OVER):
        raise lifecycle_conflict_item(item)
    values: dict[str, Any] = {"kind": kind, "title": (title or "").strip()[:200]}
    if kind == EvidenceKind.DOSSIER:
        _visible(actor, dossier, "dossier")
        values["dossier"] = dossier
        values["title"] = values["title"] or dossier.code
    elif kind == EvidenceKind.FEEDBACK:
        _visible(actor, feedback, "feedback")
        values["feedback"] = feedback
        values["title"] = values["title"] or feedback.code
    elif kind == EvidenceKind.DOCUMENT:
        if not document:
            raise ValidationFailed(_("Phải chọn tệp tài liệu."), details={"errors": {"document": "required"}})
        values["document"] = document
    elif kind == EvidenceKind.LINK:
        url = (url or "").strip()
        if not url.startswith(("https://", "http://")) or len(url) > 200:
            raise ValidationFailed(_("Đường dẫn không hợp lệ."), details={"errors": {"url": "invalid"}})
        values["url"] = url
    else:
        raise ValidationFailed(_("Loại minh chứng không hợp lệ."), details={"errors": {"kind": "invalid"}})
    evidence = WorkItemEvidence.objects.create(item=item, added_by=me, **values)
    audit("evidence_add", item, actor=actor, kind=kind, evidence=evidence.pk, title=evidence.title)
    return evidence


def _visible(actor: Any, obj: Any, field: str) -> None:
    if obj is None:
        raise ValidationFailed(_("Không tìm thấy hồ sơ hoặc phản ánh để làm minh chứng."), details={"errors": {field: "required"}})
    if not is_system(actor) and not scope_for(actor).allows(obj.unit_id):
        raise ValidationFailed(_("Không tìm thấy hồ sơ hoặc phản ánh để làm minh chứng."), details={"errors": {field: "not_found"}})


def lifecycle_conflict_item(item: WorkItem) -> Exception:
    from kycuong.core.errors import Conflict

    return Conflict(_("Công việc %(code)s đã hủy hoặc đã chuyển kỳ.") % {"code": item.code}, code="invalid_transition",
                    details={"status": item.status})


def item_events(item: WorkItem) -> list[WorkItemEvent]:
    return list(item.events.select_related("actor").order_by("at", "id"))
