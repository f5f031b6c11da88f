"""The product catalogue per unit (Decree 335/2025/NĐ-CP: products converted to standard units by a
factor > 0); a unit's items use its own product types or its ancestors' (selectors.catalogue)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed
from kycuong.org.models import Unit

from ..models import ProductType
from ._common import is_system, manages, require

EDITABLE = {"name", "factor", "is_active", "code"}


def clean_factor(value: Any) -> Decimal:
    try:
        factor = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        factor = Decimal("NaN")
    if not factor.is_finite() or factor <= 0 or factor >= Decimal("100000"):
        raise ValidationFailed(_("Hệ số quy đổi phải là số lớn hơn 0."), details={"errors": {"factor": "positive"}})
    if factor != factor.quantize(Decimal("0.001")):
        raise ValidationFailed(_("Hệ số quy đổi có tối đa 3 chữ số thập phân."), details={"errors": {"factor": "places"}})
    return factor


def clean_code(value: Any) -> str:
    code = str(value or "").strip()
    if not code or len(code) > 40 or any(c.isspace() for c in code):
        raise ValidationFailed(_("Mã sản phẩm phải có từ 1 đến 40 ký tự, không có khoảng trắng."),
                               details={"errors": {"code": "invalid"}})
    return code


def clean_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed(_("Phải nhập tên sản phẩm, công việc (tối đa 200 ký tự)."),
                               details={"errors": {"name": "required"}})
    return name


def _unique(unit: Unit, code: str, *, exclude: int | None = None) -> None:
    qs = ProductType.objects.filter(unit=unit, code=code)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if qs.exists():
        raise Conflict(_("Mã sản phẩm %(code)s đã có trong danh mục của %(unit)s.") % {"code": code, "unit": unit.name},
                       code="duplicate", details={"errors": {"code": "duplicate"}})


def _may_edit(actor: Any, unit: Unit) -> None:
    require(is_system(actor) or manages(actor, unit.pk),
            _("Chỉ thủ trưởng, cấp phó của đơn vị mới được sửa danh mục sản phẩm."))


@transaction.atomic
def product_type_create(*, unit: Unit, code: str, name: str, factor: Any, actor: Any) -> ProductType:
    _may_edit(actor, unit)
    code, name, value = clean_code(code), clean_name(name), clean_factor(factor)
    _unique(unit, code)
    pt = ProductType.objects.create(unit=unit, code=code, name=name, factor=value)
    audit_record(action="workplans.product_type_create", obj=pt, actor=actor,
                 changes={"code": code, "name": name, "factor": str(value)})
    return pt


@transaction.atomic
def product_type_update(*, product_type: ProductType, actor: Any, **fields: Any) -> ProductType:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationFailed(_("Trường không được hỗ trợ: %(f)s") % {"f": ", ".join(sorted(unknown))})
    pt = ProductType.objects.select_for_update(of=("self",)).select_related("unit").get(pk=product_type.pk)
    _may_edit(actor, pt.unit)
    changes: dict[str, Any] = {}
    if "code" in fields:
        code = clean_code(fields["code"])
        _unique(pt.unit, code, exclude=pt.pk)
        changes["code"] = [pt.code, code]
        pt.code = code
    if "name" in fields:
        name = clean_name(fields["name"])
        changes["name"] = [pt.name, name]
        pt.name = name
    if "factor" in fields:
        factor = clean_factor(fields["factor"])
        changes["factor"] = [str(pt.factor), str(factor)]
        pt.factor = factor
    if "is_active" in fields:
        if not isinstance(fields["is_active"], bool):
            raise ValidationFailed(_("is_active phải là true hoặc false."), details={"errors": {"is_active": "invalid"}})
        changes["is_active"] = [pt.is_active, fields["is_active"]]
        pt.is_active = fields["is_active"]
    pt.save()
    audit_record(action="workplans.product_type_update", obj=pt, actor=actor, changes=changes)
    return pt
