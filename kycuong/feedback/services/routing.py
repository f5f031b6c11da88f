"""Routing and ownership: the responsible unit, the officer in charge, reassignment to another
unit and merging duplicates (domain.md §5). Every person or unit named must be in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit, UnitKind
from kycuong.org.selectors import heads_of, staff_for_user

from .. import lifecycle
from ..lifecycle import Action
from ..models import Category, EventType, FeedbackItem, Follower, RoutingRule, Status
from ..selectors import policy
from ._common import (
    MIN_REASON,
    active_memberships,
    ensure_manager,
    ensure_visible,
    event,
    fmt,
    is_member_of_subtree,
    lock,
    mail,
    scorecard_touch,
    server_now,
    staff_emails,
)


# --- routing ------------------------------------------------------------------------------------
def route_for(*, category: Category, place: Unit | None) -> Unit:
    """The responsible unit: the most specific active rule (category and place, then place
    only, then category only, then a catch-all), lowest priority number first; without a rule the
    ward/commune itself, else the city support centre."""
    rules = (RoutingRule.objects.filter(is_active=True)
             .filter(Q(category=category) | Q(category__isnull=True))
             .filter(Q(place=place) | Q(place__isnull=True) if place else Q(place__isnull=True))
             .select_related("responsible_unit"))

    def specificity(rule: RoutingRule) -> tuple[int, int, int]:
        return (0 if rule.category_id and rule.place_id else 1 if rule.place_id else 2 if rule.category_id else 3,
                rule.priority, rule.pk)

    best = min(rules, key=specificity, default=None)
    if best is not None:
        return best.responsible_unit
    if place is not None:
        return place
    return support_centre()


def support_centre() -> Unit:
    """The city support centre (last escalation level and default owner): the configured unit,
    else the city unit (the root)."""
    unit = Unit.objects.filter(code=policy().support_centre_code).first()
    if unit is None:
        unit = Unit.objects.filter(kind=UnitKind.CITY).order_by("depth", "id").first()
    if unit is None:
        raise ValidationFailed(_("Chưa cấu hình đơn vị đầu mối tiếp nhận phản ánh."))
    return unit


def feedback_assign(*, item: FeedbackItem, actor: Any, assignee: Staff | None = None) -> FeedbackItem:
    """Give the item to one officer of the responsible unit ("một việc – một đầu mối"): a head or
    deputy assigns anyone in the unit; an officer can take it for themself. The officer must hold
    a membership in force (today between `active_from` and `active_to`, staff still active) in the
    responsible unit or a unit below it: work given to someone outside it would stall."""
    now = server_now()
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        me = staff_for_user(actor)
        target = assignee or me
        if target is None:
            raise ValidationFailed(_("Hãy chọn cán bộ xử lý."), details={"errors": {"assignee": "required"}})
        if target != me:
            ensure_manager(actor, item.unit_id)
        if not is_member_of_subtree(target, item.unit, on=timezone.localdate(now)):
            raise ValidationFailed(_("Cán bộ được giao phải đang công tác tại đơn vị chịu trách nhiệm (%(unit)s).")
                                   % {"unit": item.unit.name}, details={"errors": {"assignee": "not_member"}})
        old = item.assignee_id
        item.assignee = target
        lifecycle.transition(item, Action.ASSIGN)
        item.save(update_fields=["assignee", "status", "updated_at"])
        event(item, EventType.ASSIGNED, at=now, actor=actor, note=target.full_name)
        scorecard_touch(item.unit_id)
        audit_record(action="feedback.assign", obj=item, actor=actor, at=now,
                     changes={"assignee": [old, target.pk]})
    return item


#: Units that can be made responsible for an item (the reassignment form offers these kinds).
HANDLING_UNIT_KINDS = (UnitKind.WARD, UnitKind.COMMUNE, UnitKind.DEPARTMENT, UnitKind.SERVICE_CENTRE, UnitKind.CITY)


def _check_target_unit(to_unit: Unit, *, current: FeedbackItem, on: dt.date) -> None:
    """A reassignment target is another unit that handles feedback, is in operation on `on`, and
    has at least one person in force to receive the item (otherwise it would stall there)."""
    if to_unit.pk == current.unit_id:
        raise ValidationFailed(_("Đơn vị nhận phải khác đơn vị hiện tại."), details={"errors": {"to_unit": "same"}})
    if to_unit.kind not in HANDLING_UNIT_KINDS:
        raise ValidationFailed(_("Đơn vị nhận phải là sở, ngành, phường, xã hoặc đơn vị đầu mối."),
                               details={"errors": {"to_unit": "kind"}})
    if not to_unit.is_active(on):
        raise ValidationFailed(_("Đơn vị nhận không còn hoạt động."), details={"errors": {"to_unit": "inactive"}})
    if not active_memberships(on).filter(unit=to_unit).exists():
        raise ValidationFailed(_("Đơn vị nhận chưa có cán bộ đang công tác để tiếp nhận phản ánh."),
                               details={"errors": {"to_unit": "no_members"}})


def feedback_reassign(*, item: FeedbackItem, to_unit: Unit | None, reason: str, actor: Any) -> FeedbackItem:
    """Send the item to the unit that is responsible. A reason AND the right unit are both
    required: never a bare "not our responsibility" (domain.md §5). The deadlines do not move:
    the overall clock keeps running from receipt."""
    now = server_now()
    reason = (reason or "").strip()
    errors = {}
    if to_unit is None:
        errors["to_unit"] = _("Phải nêu đơn vị có trách nhiệm giải quyết.")
    if len(reason) < MIN_REASON:
        errors["reason"] = _("Phải nêu lý do chuyển (ít nhất %(n)d ký tự).") % {"n": MIN_REASON}
    if errors:
        raise ValidationFailed(_("Chuyển đơn vị cần lý do và đơn vị có trách nhiệm."), details={"errors": errors})
    assert to_unit is not None
    with transaction.atomic():
        item = lock(item)
        ensure_visible(actor, item)
        lifecycle.next_status(item.status, Action.REASSIGN, has_assignee=False)
        _check_target_unit(to_unit, current=item, on=now.astimezone(TZ).date())
        old = item.unit
        item.unit = to_unit
        item.assignee = None
        lifecycle.transition(item, Action.REASSIGN)
        item.reassign_count += 1
        item.save(update_fields=["unit", "assignee", "status", "reassign_count", "updated_at"])
        event(item, EventType.REASSIGNED, at=now, actor=actor, from_unit=old, to_unit=to_unit, note=reason)
        scorecard_touch(old.pk, to_unit.pk)
        audit_record(action="feedback.reassign", obj=item, actor=actor, at=now, unit_id=to_unit.pk,
                     changes={"unit": [old.code, to_unit.code], "reason": reason})
        mail(staff_emails(heads_of(to_unit)), _("Phản ánh %(code)s được chuyển đến đơn vị") % {"code": item.code},
             _("%(from)s chuyển phản ánh %(code)s đến đơn vị. Lý do: %(reason)s. Hạn giải quyết vẫn là %(due)s.")
             % {"from": old.name, "code": item.code, "reason": reason, "due": fmt(item.due_at)})
    return item


def feedback_merge(*, duplicate: FeedbackItem, into: FeedbackItem, actor: Any) -> FeedbackItem:
    """Merge a duplicate into the item that is kept: the duplicate is closed and points to it,
    and the followers of both are kept on the remaining item (each e-mail once)."""
    now = server_now()
    if duplicate.pk == into.pk:
        raise ValidationFailed(_("Không thể gộp phản ánh vào chính nó."))
    with transaction.atomic():
        first, second = sorted([duplicate.pk, into.pk])
        locked = {i.pk: i for i in FeedbackItem.objects.select_for_update().filter(pk__in=[first, second])}
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        ensure_visible(actor, duplicate)
        ensure_visible(actor, into)
        lifecycle.next_status(duplicate.status, Action.MERGE, has_assignee=False)
        if into.status == Status.MERGED:
            raise Conflict(_("Phản ánh %(code)s đã được gộp vào phản ánh khác.") % {"code": into.code})
        existing = set(into.followers.values_list("email", flat=True))
        new = [Follower(item=into, email=f.email, name=f.name) for f in duplicate.followers.all() if f.email not in existing]
        Follower.objects.bulk_create(new)
        lifecycle.transition(duplicate, Action.MERGE)
        duplicate.merged_into = into
        duplicate.closed_at = now
        duplicate.due_at = None
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "due_at", "updated_at"])
        event(duplicate, EventType.MERGED, at=now, actor=actor, to_unit=into.unit, note=into.code)
        event(into, EventType.MERGED, at=now, actor=actor, note=_("Gộp phản ánh trùng %(code)s") % {"code": duplicate.code})
        scorecard_touch(duplicate.unit_id, into.unit_id)
        audit_record(action="feedback.merge", obj=duplicate, actor=actor, at=now,
                     changes={"into": into.code, "followers_added": len(new)})
    return into


