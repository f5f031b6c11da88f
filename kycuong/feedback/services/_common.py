"""Helpers shared by the feedback services: locking, rights, membership checks, events, mail."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import Forbidden, NotFound
from kycuong.core.hooks import unit_activity_send
from kycuong.core.periods import TZ
from kycuong.org.models import MANAGER_ROLES, Membership, Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import is_member_in_subtree, staff_for_user
from kycuong.workdays.services import calendar_for

from ..models import Event, FeedbackItem

MAX_DESCRIPTION = 5000
MIN_REASON = 10


def server_now() -> dt.datetime:
    """Every event is stamped with the server clock (issue 10): no service takes a time from its caller."""
    return timezone.now()


def add_working_days(unit: Unit, start: dt.datetime, days: decimal.Decimal | float) -> dt.datetime:
    return calendar_for(unit).add_working_time(start, days=float(days))


def event(item: FeedbackItem, type_: str, *, at: dt.datetime, actor: Any = None, from_unit: Unit | None = None,
          to_unit: Unit | None = None, note: str = "") -> Event:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Event.objects.create(item=item, type=type_, at=at, actor=user, from_unit=from_unit, to_unit=to_unit, note=note)


def scorecard_touch(*unit_ids: int | None) -> None:
    """Near-real-time scorecard: the responsible unit's running week/month is refreshed after commit."""
    for unit_id in dict.fromkeys(unit_ids):
        unit_activity_send(unit_id=unit_id, source="feedback")


def lock(item: FeedbackItem) -> FeedbackItem:
    return FeedbackItem.objects.select_for_update().select_related("unit", "category").get(pk=item.pk)


def ensure_visible(actor: Any, item: FeedbackItem) -> None:
    if not FeedbackItem.objects.visible_to(actor).filter(pk=item.pk).exists():
        raise NotFound(_("Không tìm thấy phản ánh hoặc bạn không có quyền xem."))


def ensure_manager(actor: Any, unit_id: int) -> None:
    if not scope_for(actor).manages(unit_id):
        raise Forbidden(_("Chỉ lãnh đạo đơn vị chịu trách nhiệm mới được thực hiện thao tác này."))


def active_memberships(on: dt.date | None = None) -> QuerySet[Membership]:
    """Memberships in force on `on` (today by default) of staff still active — the one reading of
    `kycuong.org.models.in_force_q` (`active_to` is the first day it no longer applies)."""
    return Membership.objects.in_force(on)


def is_member_of_subtree(staff: Staff, unit: Unit, *, on: dt.date | None = None) -> bool:
    """`staff` holds a membership in force in `unit` or a unit below it."""
    return is_member_in_subtree(staff, [unit], on=on)


def ensure_head_of(actor: Any, unit: Unit) -> None:
    """The actor is a head or deputy in force of `unit` itself or of a unit above it (a city-wide
    admin also may); otherwise Forbidden. Approving an answer commits the unit (domain.md §5)."""
    if getattr(actor, "is_superuser", False):
        return
    staff = staff_for_user(actor)
    ancestors = [*unit.ancestor_ids, unit.pk]
    if staff is None or not active_memberships().filter(staff=staff, unit_id__in=ancestors,
                                                        role__in=MANAGER_ROLES).exists():
        raise Forbidden(_("Chỉ lãnh đạo đương nhiệm của đơn vị chịu trách nhiệm mới được duyệt trả lời."),
                        code="not_head_of_unit")


def user_of(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def tracking_url(item: FeedbackItem, secret: str | None = None) -> str:
    path = reverse("feedback:track", args=[item.code])
    base = settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" + (f"?k={secret}" if secret else "")


def mail(recipients: list[str], subject: str, body: str) -> None:
    to = sorted({r for r in recipients if r})
    if not to:
        return
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def follower_emails(item: FeedbackItem) -> list[str]:
    return list(item.followers.values_list("email", flat=True))


def staff_emails(staff: Any) -> list[str]:
    return [s.email for s in staff if s.email]


def fmt(value: dt.datetime | None) -> str:
    return value.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if value else "—"
