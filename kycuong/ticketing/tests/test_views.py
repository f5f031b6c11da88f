from __future__ import annotations

import io

from django.test import Client
from openpyxl import load_workbook

from kycuong.ticketing import services
from kycuong.ticketing.models import Device, Ticket, TicketStatus


def paired_client(token: str) -> Client:
    c = Client()
    r = c.get(f"/thiet-bi/ghep-noi/?t={token}")
    assert r.status_code == 302
    return c


def test_kiosk_needs_a_paired_device(hall, client):
    assert client.get("/lay-so/").status_code == 403
    assert client.get("/thiet-bi/ghep-noi/?t=kd_forged").status_code == 403


def test_kiosk_pairing_then_touch_issue(hall):
    c = paired_client(hall.kiosk_token)
    page = c.get("/lay-so/")
    html = page.content.decode()
    assert page.status_code == 200 and 'class="kiosk"' in html and 'data-idle-reset="60"' in html
    assert "Hộ tịch, chứng thực" in html and "Đất đai, xây dựng" in html
    r = c.post("/lay-so/", {"area": hall.area_b.pk, "priority": "none"})
    assert r.status_code == 302 and "/lay-so/phieu/" in r["Location"]
    ticket_page = c.get(r["Location"]).content.decode()
    assert "B-001" in ticket_page and "data:image/svg+xml" in ticket_page and "data-print" in ticket_page


def test_kiosk_priority_ticket(hall):
    c = paired_client(hall.kiosk_token)
    assert "Người cao tuổi" in c.get("/lay-so/?nhom=chon").content.decode()
    assert "Luồng xanh" in c.get("/lay-so/?nhom=elderly").content.decode()
    c.post("/lay-so/", {"area": hall.area_a.pk, "priority": "elderly"})
    assert Ticket.objects.get().is_priority


def test_tablet_token_cannot_open_the_kiosk(hall):
    c = paired_client(hall.tablet1_token)
    assert c.get("/lay-so/").status_code == 403


def test_public_status_page_shows_position_without_personal_data(hall, client):
    services.ticket_issue(area=hall.area_a)
    t = services.ticket_issue(area=hall.area_a)
    html = client.get(f"/so-thu-tu/{t.public_token}/").content.decode()
    assert "A-002" in html and "Trước bạn còn 1 người" in html
    assert client.get("/so-thu-tu/unknown/").status_code == 404


def test_board_page_is_public_and_full_screen(hall, client):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    html = client.get(f"/man-hinh/{hall.unit.code}/").content.decode()
    assert 'class="board"' in html and "A-001" in html and "board.js" in html
    assert "data-board-url=\"/api/v1/ticketing/public/board/H26.TTPVHCC.01\"" in html


def test_console_htmx_flow_with_shortcuts(hall, org, client):
    client.force_login(org.user("onestop_rp"))
    services.ticket_issue(area=hall.area_a)
    page = client.get(f"/quay/{hall.counter1.pk}/").content.decode()
    assert 'data-shortcut="n"' in page
    r = client.post(f"/quay/{hall.counter1.pk}/goi-tiep/", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert 'data-current="A-001"' in html and 'data-shortcut="r"' in html and 'data-shortcut="v"' in html
    client.post(f"/quay/{hall.counter1.pk}/bat-dau/", HTTP_HX_REQUEST="true")
    client.post(f"/quay/{hall.counter1.pk}/hoan-thanh/", HTTP_HX_REQUEST="true")
    assert Ticket.objects.get().status == TicketStatus.DONE
    again = client.post(f"/quay/{hall.counter1.pk}/goi-lai/", HTTP_HX_REQUEST="true").content.decode()
    assert "data-console-error" in again


def test_console_link_dossier_by_code(hall, org, client):
    from .factories import make_dossier

    dossier = make_dossier(unit=org.ward_a, received_unit=hall.unit)
    client.force_login(org.user("onestop_rp"))
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    html = client.post(f"/quay/{hall.counter1.pk}/gan-ho-so/", {"code": dossier.code}, HTTP_HX_REQUEST="true").content.decode()
    assert dossier.code in html
    assert Ticket.objects.get().dossier_id == dossier.pk


def test_console_of_other_unit_is_404(hall, org, client):
    client.force_login(org.user("officer_b"))
    assert client.get(f"/quay/{hall.counter1.pk}/").status_code == 404


def test_counters_list_query_count(hall, org, client, django_assert_max_num_queries):
    client.force_login(org.user("admin"))
    with django_assert_max_num_queries(15):
        assert client.get("/quay/").status_code == 200


def test_metrics_page_and_excel(hall, org, client, django_assert_max_num_queries):
    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    client.force_login(org.user("admin"))
    with django_assert_max_num_queries(15):
        html = client.get("/xep-hang/thong-ke/?nhom=counter").content.decode()
    assert "Quầy 1" in html
    r = client.get("/xep-hang/thong-ke.xlsx?nhom=officer")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["A1"].value == "Thống kê xếp hàng lấy số"
    assert any(hall.officer1.full_name in str(c.value) for row in ws.iter_rows() for c in row)


def test_devices_page_pairs_shows_token_once_and_revokes(hall, org, client):
    client.force_login(org.user("admin"))
    html = client.post("/thiet-bi/", {"kind": "kiosk", "unit": hall.unit.code, "name": "Máy lấy số 2"}).content.decode()
    assert "data-device-token" in html and "Mã thiết bị chỉ hiển thị một lần" in html
    device = Device.objects.get(name="Máy lấy số 2")
    listing = client.get("/thiet-bi/").content.decode()
    assert "data-device-token" not in listing and device.prefix in listing
    client.post(f"/thiet-bi/{device.pk}/thu-hoi/")
    device.refresh_from_db()
    assert device.revoked_at is not None


def test_devices_page_is_for_managers(hall, org, client):
    client.force_login(org.user("onestop_rp"))
    assert client.get("/thiet-bi/").status_code == 403
