"""The product catalogue (Decree 335/2025/NĐ-CP): factor > 0, one code per unit, inherited down the tree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.workplans.models import ProductType
from kycuong.workplans.selectors.catalogue import product_type_by_code, product_types_for
from kycuong.workplans.services.catalogue import product_type_create, product_type_update


def test_create_and_inherit_down_the_tree(org):
    city = product_type_create(unit=org.city, code="VB.TRALOI", name="Văn bản trả lời", factor="1.0",
                               actor=org.user("admin"))
    dept = product_type_create(unit=org.dept, code="VB.TOTRINH", name="Tờ trình, báo cáo", factor=1.5,
                               actor=org.user("dept_head"))
    assert dept.factor == Decimal("1.5")
    assert set(product_types_for(org.dept_office)) == {city, dept}
    assert set(product_types_for(org.ward_a)) == {city}
    assert set(product_types_for(org.city)) == {city}


def test_a_units_own_code_wins_over_an_ancestors(org):
    product_type_create(unit=org.city, code="HS", name="Hồ sơ", factor="0.2", actor=org.user("admin"))
    own = product_type_create(unit=org.ward_a, code="HS", name="Hồ sơ phường", factor="0.3", actor=org.user("head_a"))
    assert product_type_by_code(org.ward_a, "HS") == own


@pytest.mark.parametrize("factor", [0, -1, "abc", None, "1.0001"])
def test_factor_must_be_positive(org, factor):
    with pytest.raises(ValidationFailed):
        product_type_create(unit=org.ward_a, code="X", name="X", factor=factor, actor=org.user("head_a"))
    assert not ProductType.objects.exists()


def test_code_is_unique_per_unit(org):
    product_type_create(unit=org.ward_a, code="X", name="X", factor=1, actor=org.user("head_a"))
    with pytest.raises(Conflict):
        product_type_create(unit=org.ward_a, code="X", name="Y", factor=2, actor=org.user("head_a"))
    product_type_create(unit=org.ward_b, code="X", name="X", factor=1, actor=org.user("head_b"))
    assert ProductType.objects.count() == 2


def test_only_heads_over_the_unit_edit_the_catalogue(org):
    with pytest.raises(Forbidden):
        product_type_create(unit=org.ward_a, code="X", name="X", factor=1, actor=org.user("officer_a"))
    pt = product_type_create(unit=org.ward_a, code="X", name="X", factor=1, actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        product_type_update(product_type=pt, factor=2, actor=org.user("head_b"))
    with pytest.raises(ValidationFailed):
        product_type_update(product_type=pt, factor=0, actor=org.user("head_a"))
    with pytest.raises(ValidationFailed):
        product_type_update(product_type=pt, unit=org.ward_b, actor=org.user("head_a"))
    product_type_update(product_type=pt, factor="2.5", is_active=False, actor=org.user("head_a"))
    pt.refresh_from_db()
    assert pt.factor == Decimal("2.5") and not pt.is_active
    assert not product_types_for(org.ward_a).exists()
