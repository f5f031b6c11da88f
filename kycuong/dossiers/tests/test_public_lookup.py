"""Public lookup by code + secret: no enumeration, no staff data, rate-limited, fast path."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from kycuong.core.errors import NotFound
from kycuong.dossiers import public
from kycuong.dossiers.services import (
    dossier_apologize,
    dossier_complete_supplement,
    dossier_finish,
    dossier_hand_over,
    dossier_receive,
    dossier_request_supplement,
)

from .factories import APPLICANT, at, clock, procedure_create


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier(org):
    proc = procedure_create(name="Thủ tục đăng ký khai sinh", value=3)
    with clock(at("2026-11-16 09:00")):
        return dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                               received_by=org.staff["onestop_a"])


def api(code, secret=None, **kw):
    params = {} if secret is None else {"secret": secret}
    return Client(**kw).get(f"/api/v1/public/dossiers/{code}", params)


def test_lookup_shows_status_timeline_and_appointment(dossier, org):
    with clock(at("2026-11-16 10:00")):
        dossier_hand_over(dossier=dossier, actor=org.staff["onestop_a"])
    with clock(at("2026-11-16 14:00")):
        dossier_request_supplement(dossier=dossier, reason="Thiếu giấy chứng sinh bản chính", actor=org.staff["officer_a"])
    r = api(dossier.code, dossier.secret)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "waiting_supplement" and body["status_label"] == "Chờ bổ sung"
    assert body["applicant"] == "T. T. Bình"
    assert [e["type"] for e in body["timeline"]] == ["received", "handed_over", "supplement_requested"]
    assert body["timeline"][1]["unit"] == "Phường Hoàn Kiếm" and body["timeline"][1]["step"] == "Tiếp nhận hồ sơ"
    assert body["timeline"][2]["reason"] == "Thiếu giấy chứng sinh bản chính"
    assert body["due_at"].startswith("2026-11-19T09:00")


def test_no_staff_personal_data_in_the_public_answer(dossier, org):
    text = api(dossier.code, dossier.secret).content.decode()
    for staff in org.staff.values():
        assert staff.full_name not in text and staff.code not in text
    assert APPLICANT["id_number"] not in text and APPLICANT["phone"] not in text and APPLICANT["name"] not in text


def test_wrong_missing_and_unknown_answer_exactly_alike(dossier):
    answers = [api(dossier.code, "WRONG123"), api(dossier.code), api(dossier.code, ""),
               api("H26.P04-261116-9999", dossier.secret), api("nothing", "x")]
    assert {r.status_code for r in answers} == {404}
    assert len({r.content for r in answers}) == 1
    assert answers[0].json()["code"] == "not_found"


def test_secret_is_case_insensitive_and_code_trimmed(dossier):
    assert api(f" {dossier.code.lower()} ", dossier.secret.lower()).status_code == 200


def test_rate_limited_per_ip_with_the_standard_error_shape(dossier, monkeypatch):
    monkeypatch.setattr(public, "LOOKUP_LIMIT", 3)
    codes = [api(dossier.code, "bad", REMOTE_ADDR="10.0.0.1").status_code for _ in range(3)]
    assert codes == [404, 404, 404]
    r = api(dossier.code, dossier.secret, REMOTE_ADDR="10.0.0.1")
    assert r.status_code == 429
    assert r.json()["code"] == "rate_limited" and set(r.json()) == {"code", "message", "details"}
    # Another IP is not affected.
    assert api(dossier.code, dossier.secret, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_html_page_rate_limited_too(dossier, monkeypatch):
    monkeypatch.setattr(public, "LOOKUP_LIMIT", 1)
    c = Client(REMOTE_ADDR="10.0.0.9")
    assert c.get("/tra-cuu", {"ma": dossier.code, "bm": dossier.secret}).status_code == 200
    assert c.get("/tra-cuu", {"ma": dossier.code, "bm": dossier.secret}).status_code == 429
    # Showing the empty form does not count.
    assert c.get("/tra-cuu").status_code == 200


def test_html_page_shows_apology_and_late_result(dossier, org):
    with clock(at("2026-11-16 10:00")):
        dossier_hand_over(dossier=dossier, actor=org.staff["onestop_a"])
    with clock(at("2026-11-18 15:00")):
        dossier_apologize(dossier=dossier, reason="Cần xác minh thêm tại nơi sinh", new_due_at=at("2026-11-25 16:00"),
                          actor=org.staff["officer_a"])
    with clock(at("2026-11-24 10:00")):
        dossier_finish(dossier=dossier, actor=org.staff["head_a"])
    r = Client().get("/tra-cuu", {"ma": dossier.code, "bm": dossier.secret})
    html = r.content.decode()
    assert r.status_code == 200
    assert "Cần xác minh thêm tại nơi sinh" in html and "16:00 25/11/2026" in html
    assert 'data-status="result_ready"' in html and "Trễ hạn" in html
    assert org.staff["officer_a"].full_name not in html


def test_html_page_same_not_found_for_wrong_secret_and_unknown_code(dossier):
    a = Client().get("/tra-cuu", {"ma": dossier.code, "bm": "NOPE"})
    b = Client().get("/tra-cuu", {"ma": "H26.X01-000000-0000", "bm": "NOPE"})
    assert a.status_code == b.status_code == 404
    def strip(r, code):
        html = re.sub(r'"X-CSRFToken": "[^"]+"', "", r.content.decode().replace(code, ""))
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)

    assert strip(a, dossier.code) == strip(b, "H26.X01-000000-0000")


def test_supplement_completed_moves_the_appointment_shown(dossier, org):
    with clock(at("2026-11-16 14:00")):
        dossier_request_supplement(dossier=dossier, reason="Thiếu tờ khai", actor=org.staff["officer_a"])
    with clock(at("2026-11-17 14:00")):
        dossier_complete_supplement(dossier=dossier, actor=org.staff["onestop_a"])
    body = api(dossier.code, dossier.secret).json()
    assert body["timeline"][-1]["type"] == "supplement_completed"
    assert body["due_at"].startswith("2026-11-20T09:00")


def test_fast_path_is_one_query(dossier, org, django_assert_num_queries):
    with clock(at("2026-11-16 10:00")):
        dossier_hand_over(dossier=dossier, actor=org.staff["onestop_a"])
    with django_assert_num_queries(1):
        found = public.dossier_public_lookup(code=dossier.code, secret=dossier.secret)
    assert [e.type for e in found.timeline] == ["received", "handed_over"]
    with django_assert_num_queries(1), pytest.raises(NotFound):
        public.dossier_public_lookup(code=dossier.code, secret="WRONG")


def test_a_dossier_without_public_events_still_answers(org):
    from kycuong.dossiers.models import DossierEvent

    proc = procedure_create(name="Thủ tục đăng ký khai sinh")
    with clock(at("2026-11-16 09:00")):
        d = dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                            received_by=org.staff["onestop_a"])
    DossierEvent.objects.filter(dossier=d).delete()
    found = public.dossier_public_lookup(code=d.code, secret=d.secret)
    assert found.timeline == [] and found.status == "received"


def test_qr_url_points_to_the_lookup(dossier, settings):
    settings.KYCUONG_PUBLIC_BASE_URL = "https://dichvucong.hanoi.gov.vn/"
    url = public.public_lookup_url(code=dossier.code, secret=dossier.secret)
    assert url == f"https://dichvucong.hanoi.gov.vn/tra-cuu?ma={dossier.code}&bm={dossier.secret}"
