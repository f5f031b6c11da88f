"""Kiosk pages: large-type procedure search by tapping sectors and letters, keypad lookup,
idle reset back to the start page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from kycuong.dossiers.services import dossier_receive
from kycuong.procedures.tests.factories import birth_registration, make_procedure

from .factories import APPLICANT, at, clock


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def kiosk_catalogue(db):
    birth_registration()
    make_procedure(code="1.000894", name="Thủ tục đăng ký kết hôn")
    make_procedure(code="1.000656", name="Thủ tục đăng ký khai tử")
    make_procedure(code="2.000815", name="Chứng thực bản sao từ bản chính", sector="Chứng thực")


def test_every_kiosk_page_resets_after_inactivity(kiosk_catalogue):
    for url in ("/kiosk", "/kiosk/thu-tuc/", "/kiosk/thu-tuc/?linh-vuc=ho-tich", "/kiosk/thu-tuc/1.001193/",
                "/kiosk/tra-cuu/"):
        html = Client().get(url).content.decode()
        assert 'class="kiosk" data-idle-reset="60" data-idle-url="/kiosk"' in html, url
        assert "<script>" not in html  # CSP: no inline scripts


def test_sector_tiles_then_letters_then_procedure(kiosk_catalogue, django_assert_max_num_queries):
    c = Client()
    html = c.get("/kiosk/thu-tuc/").content.decode()
    assert 'href="?linh-vuc=ho-tich"' in html and 'href="?linh-vuc=chung-thuc"' in html
    with django_assert_max_num_queries(3):
        html = c.get("/kiosk/thu-tuc/", {"linh-vuc": "ho-tich"}).content.decode()
    # Letters skip the "Thủ tục" prefix: đăng ký → D.
    assert "chu=D" in html and "Thủ tục đăng ký kết hôn" in html
    html = c.get("/kiosk/thu-tuc/", {"linh-vuc": "chung-thuc", "chu": "C"}).content.decode()
    assert "Chứng thực bản sao từ bản chính" in html
    html = c.get("/kiosk/thu-tuc/1.001193/").content.decode()
    assert "1 ngày làm việc" in html and "Tờ khai theo mẫu" in html


def test_unknown_sector_is_404(kiosk_catalogue):
    assert Client().get("/kiosk/thu-tuc/", {"linh-vuc": "khong-co"}).status_code == 404


def test_keypad_lookup_has_every_character_of_codes_and_secrets(org):
    with clock(at("2026-11-16 09:00")):
        d = dossier_receive(procedure=birth_registration(), unit=org.ward_a, received_unit=org.ward_a,
                            applicant=APPLICANT, received_by=org.staff["onestop_a"])
    html = Client().get("/kiosk/tra-cuu/").content.decode()
    for ch in set(d.code + d.secret):
        assert f'data-key="{ch}"' in html, ch
    assert 'inputmode="none"' in html
    found = Client().get("/kiosk/tra-cuu/", {"ma": d.code, "bm": d.secret})
    assert found.status_code == 200 and 'data-status="received"' in found.content.decode()
    missing = Client().get("/kiosk/tra-cuu/", {"ma": d.code, "bm": "SAI"})
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ" in missing.content.decode()


def test_public_links_on_the_home_page(db):
    html = Client().get("/").content.decode()
    for url in ("/thu-tuc/", "/nop-truc-tuyen/", "/tra-cuu", "/kiosk"):
        assert f'href="{url}' in html, url
