from __future__ import annotations

from decimal import Decimal

import pytest

from kycuong.core.errors import ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.procedures.models import Procedure
from kycuong.procedures.services import procedure_create, procedure_update

from .factories import STEPS, make_procedure


def test_create_with_steps_keeps_search_key_and_audits(db):
    p = make_procedure(name="Thủ tục đăng ký khai sinh", code="1.001193")
    assert p.search_key == "thu tuc dang ky khai sinh | 1 001193 | ho tich"
    assert [(s.order, s.name, s.role, s.share) for s in p.steps.all()] == [
        (1, "Tiếp nhận hồ sơ", "one_stop_officer", Decimal("0.125")),
        (2, "Thẩm định hồ sơ", "officer", Decimal("0.625")),
        (3, "Phê duyệt", "head", Decimal("0.250")),
    ]
    assert AuditEvent.objects.filter(action="procedure.create", object_id=str(p.pk)).exists()


@pytest.mark.parametrize("steps, message", [
    ([{"name": "A", "role": "officer", "share": 0.5}], "Tổng tỷ lệ"),
    ([{"name": "A", "role": "chief", "share": 1}], "vai trò"),
    ([{"name": "", "role": "officer", "share": 1}], "thiếu tên"),
    ([{"name": "A", "role": "officer", "share": "x"}], "tỷ lệ"),
])
def test_bad_steps_are_refused_and_nothing_is_written(db, steps, message):
    with pytest.raises(ValidationFailed) as err:
        make_procedure(steps=steps)
    assert message in str(err.value.message)
    assert Procedure.objects.count() == 0


def test_duplicate_code_negative_time_and_bad_level_are_refused(db):
    make_procedure(code="1.000001")
    with pytest.raises(ValidationFailed):
        make_procedure(code="1.000001")
    with pytest.raises(ValidationFailed):
        make_procedure(processing_value=-1)
    with pytest.raises(ValidationFailed):
        make_procedure(online_level="everything")
    with pytest.raises(ValidationFailed):
        make_procedure(processing_unit="weeks")
    assert Procedure.objects.count() == 1


def test_form_fields_are_checked(db):
    with pytest.raises(ValidationFailed):
        make_procedure(form_fields=[{"name": "sex", "label": "Giới tính", "type": "choice"}])
    p = make_procedure(form_fields=[{"name": "Ngày sinh", "label": "Ngày sinh", "type": "date", "required": 1}])
    assert p.form_fields == [{"name": "ngay_sinh", "label": "Ngày sinh", "type": "date", "required": True}]


def test_update_replaces_steps_units_and_refreshes_search_key(org):
    p = make_procedure()
    procedure_update(procedure=p, name="Thủ tục cấp bản sao trích lục hộ tịch", sector="Chứng thực",
                     steps=[{"name": "Giải quyết", "role": "officer", "share": 1}], units=["H26.STP"])
    p.refresh_from_db()
    assert p.search_key.startswith("thu tuc cap ban sao trich luc ho tich |")
    assert p.search_key.endswith("| chung thuc")
    assert list(p.steps.values_list("name", flat=True)) == ["Giải quyết"]
    assert list(p.units.values_list("code", flat=True)) == ["H26.STP"]
    event = AuditEvent.objects.filter(action="procedure.update", object_id=str(p.pk)).get()
    assert {"name", "sector", "steps", "units"} <= set(event.changes)


def test_update_refuses_unknown_unit_and_changes_nothing(org):
    p = make_procedure()
    with pytest.raises(ValidationFailed):
        procedure_update(procedure=p, name="Tên mới", units=["H26.NOPE"])
    p.refresh_from_db()
    assert p.name.startswith("Thủ tục thử nghiệm")


def test_create_needs_a_name_and_a_sector(db):
    with pytest.raises(ValidationFailed):
        procedure_create(code="1", name=" ", sector="Hộ tịch", processing_value=1, steps=STEPS)
    with pytest.raises(ValidationFailed):
        procedure_create(code="1", name="Tên", sector="", processing_value=1, steps=STEPS)
