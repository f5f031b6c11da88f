"""Reads for the organisation. Other modules call these instead of querying org models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from kycuong.core.errors import NotFound
from kycuong.org.scoping import scope_for

from .models import MANAGER_ROLES, Membership, Role, Staff, Unit, UnitKind, in_force_during_q, in_force_on


def unit_by_code(code: str) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        from django.utils.translation import gettext as _

        raise NotFound(_("Không có đơn vị mã %(code)s.") % {"code": code}, details={"unit": code}) from exc


def unit_subtree_ids(unit: Unit) -> list[int]:
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def units_visible_to(user: Any) -> QuerySet[Unit]:
    scope = scope_for(user)
    qs = Unit.objects.all()
    if scope.all_units:
        return qs
    return qs.filter(id__in=scope.unit_ids)


def staff_visible_to(user: Any) -> QuerySet[Staff]:
    scope = scope_for(user)
    qs = Staff.objects.prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("unit")))
    if scope.all_units:
        return qs
    return qs.filter(memberships__unit_id__in=scope.unit_ids).distinct()


def staff_for_user(user: Any) -> Staff | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Staff.objects.filter(user=user).first()


_ROLES_ATTR = "_kycuong_roles"


def roles_of(user: Any) -> set[str]:
    """The roles a user holds in any unit, cached on the user object for the request
    (like kycuong.org.scoping.scope_for; `forget_scope` clears both)."""
    cached = getattr(user, _ROLES_ATTR, None)
    if cached is not None:
        return set(cached)
    staff = staff_for_user(user)
    if staff is None:
        roles: set[str] = {Role.ADMIN} if getattr(user, "is_superuser", False) else set()
    else:
        roles = set(staff.memberships.values_list("role", flat=True))
        if getattr(user, "is_superuser", False):
            roles.add(Role.ADMIN)
    if getattr(user, "is_authenticated", False):
        setattr(user, _ROLES_ATTR, frozenset(roles))
    return roles


def primary_unit_of(staff: Staff) -> Unit | None:
    membership = staff.memberships.select_related("unit").order_by("-is_primary", "id").first()
    return membership.unit if membership else None


def heads_of(unit: Unit) -> QuerySet[Staff]:
    return Staff.objects.filter(memberships__unit=unit, memberships__role__in=MANAGER_ROLES, is_active=True).distinct()


def deciding_units() -> QuerySet[Unit]:
    """Units that decide dossiers: departments, wards and communes."""
    return Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.WARD, UnitKind.COMMUNE])


def unit_ancestors(unit: Unit) -> list[Unit]:
    ids = unit.ancestor_ids
    by_id = Unit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def memberships_overlapping(*, start: dt.date, end: dt.date, staff_ids: Iterable[int] | None = None) -> QuerySet[Membership]:
    """Memberships in force on at least one day of [start, end] (both inclusive), whatever today is.

    A membership is in force on `day` when `active_from` is empty or ≤ day and `active_to` is empty
    or > day (`active_to` is the first day it no longer applies, as `membership_end` sets it and
    `scope_for(on=...)` reads it). History is computed from these dates, not from today's facts."""
    qs = Membership.objects.filter(in_force_during_q(start, end + dt.timedelta(days=1)))
    if staff_ids is not None:
        qs = qs.filter(staff_id__in=list(staff_ids))
    return qs


membership_in_force = in_force_on  # the same rule for one loaded membership and one day


def is_member_in_subtree(staff: Staff, units: Iterable[Unit], *, on: dt.date | None = None) -> bool:
    """`staff` is active and holds a membership in force on `on` (today by default) in one of
    `units` or a unit below it — the one check behind "work goes only to someone of the unit"."""
    subtree = Q(pk__in=[])
    for unit in units:
        subtree |= Q(unit__path__startswith=unit.path)
    return staff.is_active and Membership.objects.filter(subtree, staff_id=staff.pk).in_force(on).exists()


def staff_unit_ids_on(*, staff_id: int, day: dt.date) -> list[int]:
    """Units `staff_id` is a member of on `day`, primary membership first (then the oldest)."""
    return list(memberships_overlapping(start=day, end=day, staff_ids=[staff_id])
                .order_by("-is_primary", "id").values_list("unit_id", flat=True))
