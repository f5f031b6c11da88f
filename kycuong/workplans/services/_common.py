"""Shared internals of the work-program services: the server clock, who the actor is and what they
manage, row locking against the one state machine (`lifecycle.py`) and `expected_version`, events,
audit, and the input rules every write applies (quantity, product type, due date in working time,
people in force, parent item). The import (`interchange.py`) calls the same checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import is_member_in_subtree, staff_for_user
from kycuong.workdays.engine import OutOfRange
from kycuong.workdays.services import calendar_for

from .. import lifecycle
from ..models import ProductType, Program, WorkItem, WorkItemEvent
from ..selectors.catalogue import product_types_for

WEIGHT_PLACES = Decimal("0.001")


def now() -> dt.datetime:
    """Every live transition happens now, by the server's clock; client times come only through
    the bounded import (interchange.py)."""
    return timezone.now()


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def staff_of(actor: Any) -> Staff | None:
    """The staff member behind `actor` (a Django user); None for the system (worker, import)."""
    return staff_for_user(actor) if actor is not None else None


def is_system(actor: Any) -> bool:
    """The worker and the import act with `actor=None`: no person's permission applies."""
    return actor is None


def manages(actor: Any, unit_id: int) -> bool:
    """A head or deputy with a membership in force over the unit (or a superuser / admin)."""
    return scope_for(actor).manages(unit_id)


def require(condition: bool, message: str, code: str = "forbidden") -> None:
    if not condition:
        raise Forbidden(message, code=code)


def stale(obj: Program | WorkItem, label: str) -> Conflict:
    return Conflict(_("%(what)s vừa được người khác cập nhật. Hãy tải lại trang rồi thực hiện lại.") % {"what": label},
                    code="stale", details={"version": obj.version})


def program_label(program: Program) -> str:
    return _("Chương trình %(period)s") % {"period": program.period}


def item_label(item: WorkItem) -> str:
    return _("Công việc %(code)s") % {"code": item.code}


def lock_program(program: Program, *, action: str, expected_version: int | None) -> Program:
    """The program row locked for `action`: 409 `stale` when it changed since `expected_version`,
    409 `invalid_transition` when the table does not allow `action` from its status."""
    locked = Program.objects.select_for_update(of=("self",)).select_related("unit", "owner").get(pk=program.pk)
    if expected_version is not None and locked.version != expected_version:
        raise stale(locked, program_label(locked))
    if not lifecycle.program_allowed(action, locked.status):
        raise Conflict(_("Không thể thực hiện với chương trình %(period)s đang ở trạng thái “%(status)s”.")
                       % {"period": locked.period, "status": locked.get_status_display()},
                       code="invalid_transition", details={"status": locked.status})
    return locked


def lock_item(item: WorkItem, *, action: str, expected_version: int | None = None) -> WorkItem:
    locked = (WorkItem.objects.select_for_update(of=("self",))
              .select_related("program", "unit", "owner", "product_type").get(pk=item.pk))
    if expected_version is not None and locked.version != expected_version:
        raise stale(locked, item_label(locked))
    if not lifecycle.item_allowed(action, locked.status):
        if action == "edit" and locked.program.status not in lifecycle.EDITABLE_PROGRAM:
            raise Conflict(_("Chương trình %(period)s đã gửi duyệt hoặc đã duyệt: phải mở lại chương trình trước khi sửa "
                             "công việc %(code)s.") % {"period": locked.program.period, "code": locked.code},
                           code="reopen_required", details={"status": locked.status})
        raise Conflict(_("Không thể thực hiện với công việc %(code)s đang ở trạng thái “%(status)s”.")
                       % {"code": locked.code, "status": locked.get_status_display()},
                       code="invalid_transition", details={"status": locked.status})
    return locked


def save(obj: Program | WorkItem, fields: list[str]) -> None:
    obj.version += 1
    extra = ["updated_at"] if isinstance(obj, WorkItem) else []
    obj.save(update_fields=[*fields, "version", *extra])


def event(item: WorkItem, type_: str, *, at: dt.datetime, actor: Staff | None, **kw: Any) -> WorkItemEvent:
    return WorkItemEvent.objects.create(item=item, type=type_, at=at, actor=actor, **kw)


def audit(action: str, obj: Program | WorkItem, *, actor: Any, **changes: Any) -> None:
    audit_record(action=f"workplans.{action}", obj=obj, actor=actor, unit_id=obj.unit_id,
                 changes={"status": obj.status, "version": obj.version, **changes})


def required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, details={"errors": {field: "required"}})
    return value


# --- input rules --------------------------------------------------------------------------

def clean_quantity(value: Any) -> Decimal:
    """A positive number (Decree 335 counts products; ≤ 0 is refused)."""
    try:
        qty = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        qty = Decimal("NaN")
    if not qty.is_finite() or qty <= 0 or qty >= Decimal("1000000"):
        raise ValidationFailed(_("Số lượng sản phẩm phải là số lớn hơn 0."), details={"errors": {"quantity": "positive"}})
    return qty.quantize(Decimal("0.01"))


def weight_of(quantity: Decimal, product_type: ProductType) -> Decimal:
    """Standard units: quantity × the product type's conversion factor (Decree 335/2025/NĐ-CP)."""
    return (quantity * product_type.factor).quantize(WEIGHT_PLACES)


def check_product_type(product_type: ProductType | None, unit: Unit) -> ProductType:
    """One of the unit's own product types or an inherited (ancestor's) one, in use."""
    if product_type is None or not product_types_for(unit).filter(pk=product_type.pk).exists():
        raise ValidationFailed(_("Loại sản phẩm không có trong danh mục của %(unit)s.") % {"unit": unit.name},
                               details={"errors": {"product_type": "unknown"}})
    return product_type


def due_in_working_time(due_at: Any, program: Program) -> dt.datetime:
    """The due date of an item of `program`, in working time (domain.md §2, via workdays).

    Decision: a due date that is a working moment, or exactly the end of a working session (12:00,
    17:00), is kept as given; any other moment (lunch break, evening, weekend, holiday) becomes the
    end of the last working session before it — the assigner's deadline is never silently
    extended, and work can only be done in working time. The result must lie inside the program's
    period [start, end): a due date before the period (or after it) is refused."""
    if not isinstance(due_at, dt.datetime) or due_at.tzinfo is None:
        raise ValidationFailed(_("Hạn hoàn thành phải là thời điểm có múi giờ."), details={"errors": {"due_at": "invalid"}})
    calendar = calendar_for(program.unit)
    try:
        if calendar.is_working_moment(due_at):
            moment = due_at
        else:
            moment = calendar.from_ordinal(calendar.ordinal(due_at), at_end=True)
    except OutOfRange as exc:
        raise ValidationFailed(_("Hạn hoàn thành nằm ngoài phạm vi lịch làm việc."),
                               details={"errors": {"due_at": "out_of_range"}}) from exc
    start = dt.datetime.combine(program.period_start, dt.time(0), tzinfo=TZ)
    end = dt.datetime.combine(program.period_end, dt.time(0), tzinfo=TZ)
    if moment < start:
        raise ValidationFailed(_("Hạn hoàn thành (%(due)s) trước kỳ %(period)s.")
                               % {"due": f"{due_at.astimezone(TZ):%d/%m/%Y %H:%M}", "period": program.period},
                               details={"errors": {"due_at": "before_period"}})
    if moment >= end:
        raise ValidationFailed(_("Hạn hoàn thành (%(due)s) sau kỳ %(period)s.")
                               % {"due": f"{due_at.astimezone(TZ):%d/%m/%Y %H:%M}", "period": program.period},
                               details={"errors": {"due_at": "after_period"}})
    return moment


def last_working_end(program: Program) -> dt.datetime:
    """The end of the period's last working day (a carried-over item's new due date)."""
    calendar = calendar_for(program.unit)
    day = program.period_end - dt.timedelta(days=1)
    while day >= program.period_start and not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    return calendar.day_end(max(day, program.period_start))


def member_ensure(staff: Staff | None, unit: Unit, *, field: str, on: dt.date) -> Staff:
    """The presiding person and each co-worker hold a membership in force in `unit` or a unit
    under it ("một việc – một đầu mối", Decree 39/2022/NĐ-CP: someone who can see and do it)."""
    if staff is None:
        raise ValidationFailed(_("Phải chọn người chủ trì."), details={"errors": {field: "required"}})
    if not is_member_in_subtree(staff, [unit], on=on):
        raise ValidationFailed(_("Cán bộ %(name)s không công tác tại %(unit)s.") % {"name": staff.full_name, "unit": unit.name},
                               details={"errors": {field: "not_member"}})
    return staff


def check_parent(parent: WorkItem | None, unit: Unit, *, item: WorkItem | None = None) -> WorkItem | None:
    """A parent item is in the same unit or an ancestor unit's program (personal items cascade
    from unit items); one in another, unrelated unit is refused, as is a cycle."""
    if parent is None:
        return None
    parent_unit = parent.unit if parent.unit_id == unit.pk else Unit.objects.get(pk=parent.unit_id)
    if not unit.path.startswith(parent_unit.path):
        raise ValidationFailed(_("Việc cấp trên %(code)s thuộc đơn vị khác (%(unit)s).")
                               % {"code": parent.code, "unit": parent_unit.name}, details={"errors": {"parent": "other_unit"}})
    if parent.status in (lifecycle.ItemStatus.CANCELLED, lifecycle.ItemStatus.CARRIED_OVER):
        raise ValidationFailed(_("Việc cấp trên %(code)s đã hủy hoặc đã chuyển kỳ.") % {"code": parent.code},
                               details={"errors": {"parent": "closed"}})
    if item is not None:
        node: WorkItem | None = parent
        while node is not None:
            if node.pk == item.pk:
                raise ValidationFailed(_("Việc cấp trên không thể là chính nó hoặc việc cấp dưới của nó."),
                                       details={"errors": {"parent": "cycle"}})
            node = node.parent
    return parent

