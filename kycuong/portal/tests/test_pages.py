from __future__ import annotations

import pytest


def test_home_page_is_vietnamese(client, db):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="vi"' in html and "Kỷ cương" in html
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.parametrize("name", ["admin", "leader", "inspector", "head_a", "officer_a", "onestop_a", "dept_head"])
def test_each_role_can_log_in_and_land(client, org, name):
    response = client.post("/dang-nhap/", {"username": name, "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/trang-cua-toi/"
    landing = client.get("/trang-cua-toi/")
    assert landing.status_code == 200


def test_bad_login_shows_error(client, org):
    response = client.post("/dang-nhap/", {"username": "admin", "password": "wrong"})
    assert response.status_code == 200
    assert "không đúng" in response.content.decode()


def test_openapi_and_local_docs(client, db):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/workdays/due" in schema.json()["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.content.decode()


def test_security_headers(client, db):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_api_token_page(client, org):
    client.force_login(org.user("officer_a"))
    response = client.post("/ma-truy-cap/", {"name": "script"})
    assert "kc_" in response.content.decode()


def test_demo_builds_hanoi(db):
    from kycuong.core.demodata import DemoContext, build_demo
    from kycuong.org.models import Staff, Unit, UnitKind

    build_demo(DemoContext(log=lambda s: None), only={"org"})
    assert Unit.objects.filter(kind__in=[UnitKind.WARD, UnitKind.COMMUNE]).count() == 126
    assert Unit.objects.filter(kind=UnitKind.WARD).count() == 51
    assert Staff.objects.count() > 1900
    assert Unit.objects.get(code="H26.P04").name == "Phường Hoàn Kiếm"


def test_every_demo_login_works(client, db):
    from kycuong.core.demodata import DEMO_PASSWORD, DemoContext, build_demo
    from kycuong.org.demo import DEMO_ACCOUNTS

    build_demo(DemoContext(log=lambda s: None), only={"org"})
    for account in DEMO_ACCOUNTS:
        client.logout()
        response = client.post("/dang-nhap/", {"username": account["username"], "password": DEMO_PASSWORD})
        assert response.status_code == 302, account["username"]
        assert client.get("/trang-cua-toi/").status_code == 200


def test_header_menu_groups_pages_by_module(client, org):
    from kycuong.portal.navigation import grouped_navigation_for

    entries = grouped_navigation_for(org.user("head_a"))
    labels = [str(e["label"]) for e in entries]
    assert labels[0] == "Trang của tôi" and "url" in entries[0]
    for entry in entries:
        assert ("children" in entry) != ("url" in entry)
        for child in entry.get("children", []):
            assert child["url"].startswith("/")
    client.force_login(org.user("head_a"))
    html = client.get("/trang-cua-toi/").content.decode()
    assert '<a href="" ' not in html
