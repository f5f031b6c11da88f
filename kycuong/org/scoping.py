"""Access scoping: the one place that decides which units' records a user may see.

Every staff-facing selector and API endpoint filters through `scope_for(user)` or
`ScopedQuerySet.visible_to(user)`. A membership in a unit grants that unit's whole subtree;
city-wide roles (city leader, inspector of the Department of Home Affairs, admin) and any
membership in the city unit itself see every unit. The public (anonymous) sees no staff
records at all: public pages use explicit public selectors that return public fields only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from kycuong.core.errors import NotFound


@dataclass(frozen=True)
class Scope:
    all_units: bool = False
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    managed_unit_ids: frozenset[int] = field(default_factory=frozenset)
    manages_all: bool = False

    def allows(self, unit_id: int | None) -> bool:
        return unit_id is not None and (self.all_units or unit_id in self.unit_ids)

    def manages(self, unit_id: int | None) -> bool:
        if unit_id is None:
            return False
        return self.manages_all or unit_id in self.managed_unit_ids

    @property
    def is_empty(self) -> bool:
        return not self.all_units and not self.unit_ids


EMPTY_SCOPE = Scope()
_CACHE_ATTR = "_kycuong_scope"


def scope_for(user: Any, *, on: dt.date | None = None) -> Scope:
    """Units `user` may see (each membership unit and its subtree), cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return EMPTY_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None and on is None:
        return cached
    from kycuong.org.models import CITY_WIDE_ROLES, MANAGER_ROLES, Membership, Role, Unit, UnitKind

    on = on or timezone.localdate()
    if user.is_superuser:
        scope = Scope(all_units=True, manages_all=True)
    else:
        memberships = list(
            Membership.objects.filter(staff__user=user).in_force(on)
            .select_related("unit")
        )
        city_wide = any(m.role in CITY_WIDE_ROLES or m.unit.kind == UnitKind.CITY for m in memberships)
        path_filter = Q()
        managed_paths = Q()
        for m in memberships:
            path_filter |= Q(path__startswith=m.unit.path)
            if m.role in MANAGER_ROLES:
                managed_paths |= Q(path__startswith=m.unit.path)
        unit_ids: frozenset[int] = frozenset()
        managed: frozenset[int] = frozenset()
        if memberships:
            unit_ids = frozenset(Unit.objects.filter(path_filter).values_list("id", flat=True))
            if managed_paths:
                managed = frozenset(Unit.objects.filter(managed_paths).values_list("id", flat=True))
        is_admin = any(m.role == Role.ADMIN for m in memberships)
        scope = Scope(all_units=city_wide, unit_ids=unit_ids, managed_unit_ids=managed, manages_all=is_admin)
    if on == timezone.localdate():
        setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the per-request caches of scope and roles (after memberships change)."""
    for attr in (_CACHE_ATTR, "_kycuong_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


_QS = TypeVar("_QS", bound="ScopedQuerySet[Any]")
_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """QuerySet with `visible_to(user)`. Subclasses set `scope_field` to the lookup of their Unit FK."""

    scope_field: str = "unit"

    def visible_to(self: _QS, user: Any) -> _QS:
        scope = scope_for(user)
        if scope.all_units:
            return self
        if scope.is_empty:
            return self.none()
        return self.filter(**{f"{self.scope_field}__in": scope.unit_ids})


def ensure_unit_visible(user: Any, unit_id: int | None) -> None:
    """Raise NotFound (not Forbidden: no enumeration) when `unit_id` is outside the user's scope."""
    from django.utils.translation import gettext_lazy as _

    if not scope_for(user).allows(unit_id):
        raise NotFound(_("Không tìm thấy hoặc bạn không có quyền xem."))
