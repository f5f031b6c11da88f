"""Writes for the organisation: units, staff, memberships. Each call is atomic and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed

from .models import Membership, Role, Staff, Unit, UnitKind


def _set_path(unit: Unit) -> None:
    parent = unit.parent
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.depth = (parent.depth + 1) if parent else 0


def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    short_name: str = "",
    active_from: dt.date | None = None,
    active_to: dt.date | None = None,
    actor: Any = None,
) -> Unit:
    """Create a unit under `parent` (any depth: city → department/ward/commune → office)."""
    code = code.strip()
    if not code or not name.strip():
        raise ValidationFailed(_("Mã và tên đơn vị là bắt buộc."))
    if kind not in UnitKind.values:
        raise ValidationFailed(_("Loại đơn vị không hợp lệ: %(kind)s") % {"kind": kind}, details={"kind": kind})
    if active_from and active_to and active_to <= active_from:
        raise ValidationFailed(_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."))
    with transaction.atomic():
        if Unit.objects.filter(code=code).exists():
            raise Conflict(_("Mã đơn vị %(code)s đã tồn tại.") % {"code": code}, details={"code": code})
        unit = Unit(code=code, name=name.strip(), kind=kind, parent=parent, short_name=short_name,
                    active_from=active_from, active_to=active_to)
        unit.save()
        _set_path(unit)
        unit.save(update_fields=["path", "depth"])
        audit_record(action="unit.create", obj=unit, actor=actor, unit_id=unit.pk,
                     changes={"code": code, "name": name, "kind": kind, "parent": parent.code if parent else None})
    return unit


def unit_update(*, unit: Unit, actor: Any = None, **fields: Any) -> Unit:
    """Change a unit's name, kind, dates or parent; moving re-roots the whole subtree."""
    allowed = {"name", "short_name", "kind", "active_from", "active_to", "parent", "successor", "address", "phone"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("Không thể sửa trường: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        changes = {}
        for key, value in fields.items():
            old = getattr(unit, key)
            if old != value:
                changes[key] = [str(old) if old is not None else None, str(value) if value is not None else None]
                setattr(unit, key, value)
        if "parent" in fields and fields["parent"] is not None:
            new_parent = fields["parent"]
            if new_parent.path.startswith(unit.path):
                raise ValidationFailed(_("Không thể chuyển đơn vị vào chính cây con của nó."))
        unit.save()
        if "parent" in changes:
            _reroot(unit)
        if changes:
            audit_record(action="unit.update", obj=unit, actor=actor, unit_id=unit.pk, changes=changes)
    return unit


def _reroot(unit: Unit) -> None:
    old_prefix = unit.path
    _set_path(unit)
    unit.save(update_fields=["path", "depth"])
    for child in Unit.objects.filter(path__startswith=old_prefix).exclude(pk=unit.pk).order_by("depth"):
        child.refresh_from_db(fields=["parent"])
        parent = Unit.objects.get(pk=child.parent_id or 0)
        child.path = f"{parent.path}{child.pk}/"
        child.depth = parent.depth + 1
        child.save(update_fields=["path", "depth"])


def staff_create(
    *,
    code: str,
    full_name: str,
    email: str = "",
    phone: str = "",
    position: str = "",
    username: str | None = None,
    password: str | None = None,
    memberships: list[tuple[Unit, str]] | None = None,
    actor: Any = None,
) -> Staff:
    """Create a staff member, optionally with a login account and roles in units."""
    if not code.strip() or not full_name.strip():
        raise ValidationFailed(_("Mã cán bộ và họ tên là bắt buộc."))
    with transaction.atomic():
        if Staff.objects.filter(code=code).exists():
            raise Conflict(_("Mã cán bộ %(code)s đã tồn tại.") % {"code": code})
        user = None
        if username:
            User = get_user_model()
            if User.objects.filter(username=username).exists():
                raise Conflict(_("Tên đăng nhập %(username)s đã tồn tại.") % {"username": username})
            parts = full_name.split()
            user = User(username=username, email=email, first_name=parts[-1] if parts else "",
                        last_name=" ".join(parts[:-1]))
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        staff = Staff.objects.create(user=user, code=code, full_name=full_name, email=email, phone=phone, position=position)
        for unit, role in memberships or []:
            membership_add(staff=staff, unit=unit, role=role, actor=actor, _audit=False)
        audit_record(action="staff.create", obj=staff, actor=actor,
                     changes={"code": code, "memberships": [[u.code, r] for u, r in memberships or []]})
    return staff


def membership_add(*, staff: Staff, unit: Unit, role: str, actor: Any = None, is_primary: bool = True,
                   _audit: bool = True) -> Membership:
    if role not in Role.values:
        raise ValidationFailed(_("Vai trò không hợp lệ: %(role)s") % {"role": role})
    try:
        with transaction.atomic():
            membership = Membership.objects.create(staff=staff, unit=unit, role=role, is_primary=is_primary)
    except IntegrityError as exc:
        raise Conflict(_("Cán bộ đã có vai trò này tại đơn vị.")) from exc
    if _audit:
        audit_record(action="membership.add", obj=membership, actor=actor, unit_id=unit.pk,
                     changes={"staff": staff.code, "unit": unit.code, "role": role})
    return membership


def membership_end(*, membership: Membership, on: dt.date, actor: Any = None) -> Membership:
    membership.active_to = on
    membership.save(update_fields=["active_to"])
    audit_record(action="membership.end", obj=membership, actor=actor, unit_id=membership.unit_id,
                 changes={"active_to": on})
    return membership
