"""Helpers shared by the service-hall services: the server clock, membership in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.errors import Forbidden
from kycuong.org.models import Staff, Unit, UnitKind
from kycuong.org.selectors import is_member_in_subtree

from ..models import (
    Counter,
)

HALL_UNIT_KINDS = (UnitKind.RECEPTION_POINT, UnitKind.WARD, UnitKind.COMMUNE)


def server_now() -> dt.datetime:
    """Every event takes the server clock (issue 10): no service accepts a time from its caller."""
    return timezone.now()


def is_member_at(staff: Staff, unit: Unit, *, on: dt.date | None = None) -> bool:
    """`staff` is active and holds a membership in force on `on` (today by default, the one reading
    of `kycuong.org.models.in_force_q`) in `unit` or a unit below it."""
    return is_member_in_subtree(staff, [unit], on=on)


def ensure_member(staff: Staff, counter: Counter) -> None:
    if not is_member_at(staff, counter.unit):
        raise Forbidden(_("%(name)s không công tác tại %(unit)s nên không phục vụ được quầy này.")
                        % {"name": staff.full_name, "unit": counter.unit.name}, code="not_member_of_counter_unit")


def user_of(staff: Staff | None) -> Any:
    return staff.user if staff is not None else None
