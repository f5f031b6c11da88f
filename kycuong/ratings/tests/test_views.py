from __future__ import annotations

import io
import uuid

from django.test import Client
from openpyxl import load_workbook

from kycuong.ratings import services
from kycuong.ratings.models import Rating
from kycuong.ticketing import services as ticketing
from kycuong.ticketing.tests.factories import make_dossier


def test_tablet_page_needs_tablet_pairing(hall):
    assert Client().get("/may-danh-gia/").status_code == 403
    c = Client()
    c.get(f"/thiet-bi/ghep-noi/?t={hall.tablet1_token}")
    html = c.get("/may-danh-gia/").content.decode()
    assert "tablet.js" in html and "Rất hài lòng" in html and "Tiếp cận dịch vụ" in html


def test_online_rating_flow(org, client):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP")
    start = client.get(f"/danh-gia/?ma={dossier.code}").content.decode()
    assert dossier.code in start
    wrong = client.post("/danh-gia/", {"step": "check", "code": dossier.code, "secret": "x"}).content.decode()
    assert "error-summary" in wrong and "không đúng" in wrong
    form = client.post("/danh-gia/", {"step": "check", "code": dossier.code, "secret": "K7Q2ZP"}).content.decode()
    assert "Mức độ hài lòng chung" in form and "Applicant" not in form and "001099012345" not in form
    key = str(uuid.uuid4())
    done = client.post("/danh-gia/", {"step": "submit", "code": dossier.code, "secret": "K7Q2ZP", "level": "satisfied",
                                      "result": "satisfied", "comment": "", "idempotency_key": key}).content.decode()
    assert "Cảm ơn" in done
    # Double submit of the same form (same key) counts once.
    client.post("/danh-gia/", {"step": "submit", "code": dossier.code, "secret": "K7Q2ZP", "level": "satisfied",
                               "result": "satisfied", "comment": "", "idempotency_key": key})
    assert Rating.objects.filter(dossier=dossier).count() == 1
    missing = client.post("/danh-gia/", {"step": "submit", "code": dossier.code, "secret": "K7Q2ZP"}).content.decode()
    assert "error-summary" in missing


def test_online_rating_throttles_guessing(org, client):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP")
    from django.core.cache import cache

    cache.clear()
    for _ in range(10):
        client.post("/danh-gia/", {"step": "check", "code": dossier.code, "secret": "bad"})
    html = client.post("/danh-gia/", {"step": "check", "code": dossier.code, "secret": "K7Q2ZP"}).content.decode()
    assert "quá nhiều lần" in html
    cache.clear()


def test_stats_page_export_and_followups(hall, org, client, django_assert_max_num_queries):
    ticketing.ticket_issue(area=hall.area_a)
    ticketing.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    t = ticketing.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    services.rating_submit_kiosk(device=hall.tablet1, ticket_id=t.pk, level="dissatisfied", comment="Phải chờ lâu",
                                 idempotency_key=uuid.uuid4())
    client.force_login(org.user("admin"))
    with django_assert_max_num_queries(15):
        html = client.get("/danh-gia/thong-ke/?nhom=officer").content.decode()
    assert hall.officer1.full_name in html
    ws = load_workbook(io.BytesIO(client.get("/danh-gia/thong-ke.xlsx?nhom=counter").content)).active
    assert ws["A1"].value == "Kết quả đánh giá sự hài lòng"
    with django_assert_max_num_queries(15):
        fu = client.get("/danh-gia/can-xu-ly/").content.decode()
    assert "Phải chờ lâu" in fu
    cards = client.get("/trang-cua-toi/").content.decode()
    assert "Đánh giá không hài lòng cần xử lý" in cards
