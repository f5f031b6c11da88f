from __future__ import annotations

from django.test import Client

from kycuong.core.models import AuditEvent
from kycuong.procedures.models import Procedure


def test_admin_edit_keeps_search_key_and_audits(org, khai_sinh):
    c = Client()
    c.force_login(org.user("admin"))
    url = f"/quan-tri/procedures/procedure/{khai_sinh.pk}/change/"
    assert c.get(url).status_code == 200
    data = {
        "code": khai_sinh.code, "name": "Thủ tục đăng ký khai sinh lưu động", "sector": khai_sinh.sector_id,
        "deciding_unit_kinds": '["ward", "commune"]', "processing_value": "1", "processing_unit": "working_days",
        "fee": "0", "online_level": "full", "documents": '["Tờ khai"]', "form_fields": "[]", "legal_basis": "",
        "result": "", "is_active": "on",
        "steps-TOTAL_FORMS": "0", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    p = Procedure.objects.get(pk=khai_sinh.pk)
    assert p.search_key.startswith("thu tuc dang ky khai sinh luu dong |")
    assert AuditEvent.objects.filter(action="procedure.update", object_id=str(p.pk), changes__via="admin").exists()
