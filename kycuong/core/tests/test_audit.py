from __future__ import annotations

import pytest

from kycuong.core.audit import audit_record, personal_data_access_record
from kycuong.core.models import AppendOnlyError, AuditEvent, PersonalDataAccess
from kycuong.core.text import fold, mask_id_number, mask_phone
from kycuong.org.services import unit_create


def test_service_calls_are_audited_with_actor(org):
    unit = unit_create(code="H26.P99", name="Phường Mới", kind="ward", parent=org.city, actor=org.user("admin"))
    event = AuditEvent.objects.get(action="unit.create", object_id=str(unit.pk))
    assert event.actor == org.user("admin")
    assert event.changes["code"] == "H26.P99"


def test_audit_log_is_append_only(org):
    event = audit_record(action="x.y", object_type="t", object_id=1, actor=org.user("admin"))
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_personal_data_access_logged(org):
    staff = org.staff["officer_a"]
    personal_data_access_record(obj=staff, fields=["phone"], actor=org.user("head_a"), purpose="liên hệ")
    row = PersonalDataAccess.objects.get()
    assert row.fields == "phone" and row.actor == org.user("head_a")


def test_audit_page_visible_to_admin_and_filterable(client, org):
    unit_create(code="H26.P98", name="Phường Thử", kind="ward", parent=org.city, actor=org.user("admin"))
    client.force_login(org.user("admin"))
    page = client.get("/nhat-ky/", {"action": "unit.create"})
    assert page.status_code == 200 and "Phường Thử" in page.content.decode()
    export = client.get("/nhat-ky/xuat.xlsx", {"action": "unit.create"})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_audit_page_forbidden_for_officer(client, org):
    client.force_login(org.user("officer_a"))
    assert client.get("/nhat-ky/").status_code == 403


def test_fold_and_masks():
    assert fold("ĐĂNG KÝ KHAI SINH") == "dang ky khai sinh"
    assert fold("Đăng ký khai sinh") == fold("dang ky khai sinh")
    assert mask_id_number("001085012345") == "001*******45"
    assert mask_phone("0912345678") == "*******678"
