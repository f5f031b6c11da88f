from __future__ import annotations

from django.test import Client


def test_search_is_public_ranked_and_paginated(catalogue):
    r = Client().get("/api/v1/procedures/", {"q": "ĐĂNG KÝ KHAI SINH", "limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] >= 3
    assert [i["name"] for i in body["items"]] == ["Thủ tục đăng ký khai sinh",
                                                  "Thủ tục đăng ký khai sinh có yếu tố nước ngoài"]
    assert body["items"][0]["processing_time"] == {"value": 1, "unit": "working_days"}


def test_filters_by_sector_and_online_level(catalogue):
    body = Client().get("/api/v1/procedures/", {"online_level": "partial"}).json()
    assert [i["code"] for i in body["items"]] == ["1.009972"]
    body = Client().get("/api/v1/procedures/", {"sector": "chung-thuc"}).json()
    assert [i["code"] for i in body["items"]] == ["2.000815"]


def test_detail_and_sectors(catalogue):
    body = Client().get("/api/v1/procedures/1.001193").json()
    assert body["name"] == "Thủ tục đăng ký khai sinh"
    assert [s["role"] for s in body["steps"]] == ["one_stop_officer", "officer", "head"]
    assert body["form_fields"][2]["choices"] == ["Nam", "Nữ"]
    sectors = Client().get("/api/v1/procedures/sectors").json()
    assert {"code": "ho-tich", "name": "Hộ tịch", "procedures": 5} in sectors


def test_unknown_code_is_a_404_with_the_standard_shape(db):
    r = Client().get("/api/v1/procedures/9.999999")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found" and set(r.json()) == {"code", "message", "details"}


def test_in_openapi(db):
    schema = Client().get("/api/v1/openapi.json").json()
    ops = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"procedures_search", "procedures_get", "procedures_sectors", "public_dossier_lookup"} <= ops
