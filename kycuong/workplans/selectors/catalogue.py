"""The product catalogue a unit's items may use (Decree 335/2025/NĐ-CP conversion factors)."""

from __future__ import annotations

from django.db.models import QuerySet

from kycuong.org.models import Unit

from ..models import ProductType


def product_types_for(unit: Unit) -> QuerySet[ProductType]:
    """The unit's own product types and its ancestors' (inherited down the tree), in use; a code
    defined both by the unit and an ancestor is listed twice (the nearer one first)."""
    ids = [*unit.ancestor_ids, unit.pk]
    return (ProductType.objects.filter(unit_id__in=ids, is_active=True)
            .select_related("unit").order_by("-unit__depth", "code"))


def product_type_by_code(unit: Unit, code: str) -> ProductType | None:
    """The product type `code` for the unit's items: its own first, else the nearest ancestor's."""
    return product_types_for(unit).filter(code=code).first()
