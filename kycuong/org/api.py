from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from kycuong.core.api import ERRORS
from kycuong.core.errors import NotFound

from .selectors import staff_visible_to, units_visible_to

router = Router(tags=["org"])


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    depth: int


class MembershipOut(Schema):
    unit: str
    role: str


class StaffOut(Schema):
    code: str
    name: str
    position: str
    memberships: list[MembershipOut]


@router.get("/units", response={200: list[UnitOut], **ERRORS}, operation_id="org_units_list")
def units_list(request: HttpRequest, kind: str | None = None) -> list[UnitOut]:
    """Units visible to the caller (their units' subtrees; city-wide roles see all)."""
    qs = units_visible_to(request.user).select_related("parent").order_by("path")
    if kind:
        qs = qs.filter(kind=kind)
    return [UnitOut(code=u.code, name=u.name, kind=u.kind, parent=u.parent.code if u.parent else None, depth=u.depth) for u in qs]


@router.get("/units/{code}", response={200: UnitOut, **ERRORS}, operation_id="org_units_get")
def units_get(request: HttpRequest, code: str) -> UnitOut:
    u = units_visible_to(request.user).select_related("parent").filter(code=code).first()
    if u is None:
        raise NotFound(_("Không tìm thấy đơn vị."))
    return UnitOut(code=u.code, name=u.name, kind=u.kind, parent=u.parent.code if u.parent else None, depth=u.depth)


@router.get("/staff", response={200: list[StaffOut], **ERRORS}, operation_id="org_staff_list")
def staff_list(request: HttpRequest, unit: str | None = None, limit: int = 200, offset: int = 0) -> list[StaffOut]:
    qs = staff_visible_to(request.user).order_by("code")
    if unit:
        qs = qs.filter(memberships__unit__code=unit).distinct()
    limit = max(1, min(limit, 1000))
    return [StaffOut(code=s.code, name=s.full_name, position=s.position,
                     memberships=[MembershipOut(unit=m.unit.code, role=m.role) for m in s.memberships.all()])
            for s in qs[offset:offset + limit]]
