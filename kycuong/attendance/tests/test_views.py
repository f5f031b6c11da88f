from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kycuong.attendance.models import Absence, DailyAttendance, DeviceCommand, Punch
from kycuong.attendance.services import absence_request, attendance_compute
from kycuong.core.models import AuditEvent
from kycuong.core.periods import TZ

from .factories import punch

D = dt.date
NOW = dt.datetime(2026, 9, 10, 9, 0, tzinfo=TZ)


@pytest.fixture
def month(device, org):
    me, other = org.staff["officer_a"], org.staff["onestop_a"]
    punch(device, me, D(2026, 8, 3), "08:20"); punch(device, me, D(2026, 8, 3), "17:00")  # noqa: E702
    punch(device, other, D(2026, 8, 3), "07:50", pin="2"); punch(device, other, D(2026, 8, 3), "17:05", pin="2")  # noqa: E702
    leave = absence_request(staff=other, kind="sick", start=D(2026, 8, 4), end=D(2026, 8, 4), reason="Ốm")
    Absence.objects.filter(pk=leave.pk).update(status="approved")
    attendance_compute(start=D(2026, 8, 1), end=D(2026, 8, 31), staff_ids=[me.pk, other.pk], now=NOW)


def _cell_texts(html: str) -> list[list[str]]:
    body = html.split('id="timesheet"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def test_timesheet_excel_matches_the_screen(client, org, month, django_assert_max_num_queries):
    client.force_login(org.user("head_a"))
    with django_assert_max_num_queries(25):
        page = client.get("/cham-cong/bang-cham-cong/", {"don-vi": "H26.P04", "thang": "2026-08"})
    assert page.status_code == 200
    screen = _cell_texts(page.content.decode())
    response = client.get("/cham-cong/bang-cham-cong/", {"don-vi": "H26.P04", "thang": "2026-08", "xuat": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws["A1"].value == "BẢNG CHẤM CÔNG" and "Tháng 08/2026" in ws["A2"].value
    header = [c.value for c in ws[4]]
    assert header[:4] == ["STT", "Họ và tên", "Mã cán bộ", "1\nT7"] and "Số công" in header
    excel = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(min_row=5, max_row=4 + len(screen), values_only=True)]
    assert excel == screen
    by_name = {row[1]: row for row in screen}
    officer = by_name[org.staff["officer_a"].full_name]
    assert officer[3 + 2] == "M"  # Monday 3/8: late
    sick = by_name[org.staff["onestop_a"].full_name]
    assert sick[3 + 2] == "+" and sick[3 + 3] == "Ô"


def test_timesheet_outside_scope_is_404(client, org, month):
    client.force_login(org.user("head_b"))
    assert client.get("/cham-cong/bang-cham-cong/", {"don-vi": "H26.P04"}).status_code == 404


def test_today_page_and_htmx_refresh(client, org, device):
    from django.utils import timezone

    today = timezone.localdate()
    punch(device, org.staff["officer_a"], today, "07:55")
    client.force_login(org.user("head_a"))
    page = client.get("/cham-cong/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-trigger="every 60s"' in html and org.staff["officer_a"].full_name in html
    partial = client.get("/cham-cong/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "<html" not in partial.content.decode()


def test_my_month_and_request_then_head_approves(client, org, month):
    client.force_login(org.user("officer_a"))
    page = client.get("/cham-cong/cua-toi/", {"thang": "2026-08"})
    assert page.status_code == 200 and "Đi muộn" in page.content.decode()
    response = client.post("/cham-cong/cua-toi/?thang=2026-08", {"kind": "business_trip", "start": "2026-08-05",
                                                                  "end": "2026-08-06", "reason": "Đi công tác Sở Nội vụ"})
    assert response.status_code == 302
    absence = Absence.objects.get(staff=org.staff["officer_a"])
    client.force_login(org.user("head_a"))
    assert org.staff["officer_a"].full_name in client.get("/cham-cong/duyet-don/").content.decode()
    client.post("/cham-cong/duyet-don/", {"id": absence.pk, "decision": "approve"})
    absence.refresh_from_db()
    assert absence.status == "approved"


def test_correction_is_audited_and_recomputes(client, org, month, django_capture_on_commit_callbacks):
    client.force_login(org.user("head_a"))
    url = f"/cham-cong/dieu-chinh/?can-bo={org.staff['officer_a'].code}&ngay=2026-08-05"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"at": "2026-08-05T07:58", "reason": "Máy hỏng, bảo vệ xác nhận"})
    assert response.status_code == 302
    punch_ = Punch.objects.get(source="manual")
    assert punch_.note == "Máy hỏng, bảo vệ xác nhận"
    assert AuditEvent.objects.filter(action="attendance.punch.add").exists()
    assert DailyAttendance.objects.get(staff=org.staff["officer_a"], day=D(2026, 8, 5)).status == "missing_punch"
    client.force_login(org.user("officer_a"))
    client.post(url, {"at": "2026-08-05T17:00", "reason": "tự sửa"})
    assert Punch.objects.filter(source="manual").count() == 1  # a person cannot correct themselves


def test_device_page_queues_commands(client, org, device):
    client.force_login(org.user("head_a"))
    assert client.get("/cham-cong/may/").status_code == 200
    client.post(f"/cham-cong/may/{device.pk}/", {"action": "time"})
    assert DeviceCommand.objects.get().command.startswith("SET OPTIONS DateTime=")
    client.force_login(org.user("officer_b"))
    assert client.get(f"/cham-cong/may/{device.pk}/").status_code == 404


def test_csv_upload_all_or_nothing(client, org, device):
    client.force_login(org.user("head_a"))
    good = "device,pin,time,status,verify\nCJDE123456789,1,2026-08-03 07:58:00,0,1\nCJDE123456789,1,2026-08-03 17:02:00,1,1\n"
    bad = good + "CJDE123456789,1,03/08/2026 18:00,0,1\n"
    response = client.post("/cham-cong/nhap-tep/", {"file": SimpleUploadedFile("p.csv", bad.encode())})
    assert "line 4" in response.content.decode() and Punch.objects.count() == 0
    client.post("/cham-cong/nhap-tep/", {"file": SimpleUploadedFile("p.csv", good.encode())})
    client.post("/cham-cong/nhap-tep/", {"file": SimpleUploadedFile("p.csv", good.encode())})
    assert Punch.objects.count() == 2 and Punch.objects.filter(staff=org.staff["officer_a"]).count() == 2
    client.force_login(org.user("officer_a"))
    assert client.get("/cham-cong/nhap-tep/").status_code == 404


def test_api_evidence_and_timesheet(api_client_for, org, month):
    api = api_client_for(org.user("head_a"))
    ev = api.get("/api/v1/attendance/evidence/H26.P04/2026-08")
    assert ev.status_code == 200
    mine = next(r for r in ev.json() if r["staff_code"] == org.staff["officer_a"].code)
    assert mine["late_count"] == 1 and mine["has_data"]
    sheet = api.get("/api/v1/attendance/timesheet/H26.P04/2026-08").json()
    assert len(sheet["days"]) == 31
    assert api_client_for(org.user("head_b")).get("/api/v1/attendance/evidence/H26.P04/2026-08").status_code == 404


def test_head_sets_grace_minutes_on_the_timesheet_page(client, org, month, django_capture_on_commit_callbacks):
    from kycuong.attendance.models import AttendancePolicy

    client.force_login(org.user("head_a"))
    url = "/cham-cong/bang-cham-cong/?don-vi=H26.P04&thang=2026-08"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"grace_late_minutes": 15, "grace_early_minutes": 0}).status_code == 302
    policy = AttendancePolicy.objects.get(unit=org.ward_a)
    assert (policy.grace_late_minutes, policy.grace_early_minutes) == (15, 0)
    assert AuditEvent.objects.filter(action="attendance.policy.set").exists()
    client.force_login(org.user("leader"))  # a city leader sees the timesheet but does not manage the ward
    client.post(url, {"grace_late_minutes": 60, "grace_early_minutes": 60})
    assert AttendancePolicy.objects.get(unit=org.ward_a).grace_late_minutes == 15


def test_map_pin_for_the_whole_unit_from_the_device_page(client, org, device):
    from kycuong.attendance.models import PinMapping
    from kycuong.org.models import Role
    from kycuong.org.tests.factories import staff_with_role

    first = staff_with_role(org.ward_a, Role.OFFICER, "first_a")
    second = staff_with_role(org.ward_a, Role.OFFICER, "second_a")
    client.force_login(org.user("head_a"))
    client.post(f"/cham-cong/may/{device.pk}/", {"action": "pin", "staff_code": first.code, "pin": "40",
                                                 "whole_unit": "on"})
    client.post(f"/cham-cong/may/{device.pk}/", {"action": "pin", "staff_code": second.code, "pin": "41"})
    assert PinMapping.objects.get(pin="40").unit == org.ward_a
    assert PinMapping.objects.get(pin="41").device == device
    # Someone of another unit cannot be given a PIN by this head: refused with a message, nothing stored.
    response = client.post(f"/cham-cong/may/{device.pk}/", {"action": "pin", "staff_code": org.staff["officer_b"].code,
                                                             "pin": "42", "whole_unit": "on"}, follow=True)
    assert "không thuộc đơn vị bạn quản lý" in response.content.decode()
    assert not PinMapping.objects.filter(pin="42").exists()


def test_list_pages_query_counts(client, org, device, django_assert_max_num_queries):
    from django.utils import timezone

    from kycuong.attendance.models import Device

    for i in range(15):
        Device.objects.create(serial_number=f"Q{i:03d}", unit=org.ward_a)
        punch(device, org.staff["officer_a"], timezone.localdate(), f"07:{i + 10:02d}")
    client.force_login(org.user("head_a"))
    with django_assert_max_num_queries(20):
        assert client.get("/cham-cong/may/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/cham-cong/").status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get("/cham-cong/duyet-don/").status_code == 200


def test_devices_page_flags_lost_contact_and_clock_drift(client, org, device):
    from django.utils import timezone

    from kycuong.attendance.models import Device

    Device.objects.filter(pk=device.pk).update(last_contact_at=timezone.now(), clock_drift_seconds=3600)
    Device.objects.create(serial_number="SILENT0001", unit=org.ward_a, last_contact_at=None, clock_drift_seconds=0)
    client.force_login(org.user("head_a"))
    html = client.get("/cham-cong/may/").content.decode()
    rows = {sn: tr for tr in re.findall(r"<tr [^>]*>.*?</tr>", html, flags=re.S)
            for sn in ("CJDE123456789", "SILENT0001") if sn in tr}
    assert 'class="overdue"' in rows["CJDE123456789"] and "lệch giờ" in rows["CJDE123456789"]
    assert "mất liên lạc" not in rows["CJDE123456789"]
    assert 'class="overdue"' in rows["SILENT0001"] and "mất liên lạc" in rows["SILENT0001"]
    assert "lệch giờ" not in rows["SILENT0001"]
