"""Open311 GeoReport v2: the spec's endpoints, used by the independent PyPI client `georeport`
(JSON, and XML through its xmltodict path) against the live server, plus POST and errors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from georeport import GeoReport

from kycuong.feedback import services
from kycuong.feedback.models import Channel, FeedbackItem, Open311Key, Status

live = pytest.mark.django_db(transaction=True)  # the live server runs in another thread


@pytest.fixture
def published(org, categories):
    """One published item (redacted public texts) and one open item with personal data."""
    sub = services.feedback_submit(category=categories["chieusang"], place=org.ward_a, address="Số 5 Hàng Bài",
                                   description="Đèn đường hỏng, gọi tôi 0912345678", reporter_name="Lê Văn Nam",
                                   reporter_email="nam@example.com", consent=True)
    services.answer_save_draft(item=sub.item, body="Đã thay bóng đèn. Cảm ơn ông Lê Văn Nam.", actor=org.user("officer_a"))
    services.answer_approve(item=sub.item, actor=org.user("head_a"))
    done = services.answer_publish(item=sub.item, actor=org.user("head_a"))
    other = services.feedback_submit(category=categories["duong"], place=org.ward_b,
                                      description="Ổ gà, nhà tôi số 7, SĐT 0987000111", reporter_name="Phạm Thị Hoa",
                                      reporter_email="hoa@example.com", consent=True).item
    return done, other


@live
def test_georeport_client_reads_services_requests_and_one_request_in_json(live_server, published):
    done, other = published
    client = GeoReport(f"{live_server.url}/open311/v2")

    services_list = client.get_service_list()
    assert {"duong-sa", "chieu-sang", "thu-tuc-hanh-chinh"} <= {s["service_code"] for s in services_list}
    assert client.get_service_definition("chieu-sang") == {"service_code": "chieu-sang", "attributes": []}

    requests_list = client.get_service_requests()
    by_id = {r["service_request_id"]: r for r in requests_list}
    assert set(by_id) == {done.code, other.code}
    assert by_id[done.code]["status"] == "closed" and by_id[other.code]["status"] == "open"
    assert by_id[other.code]["agency_responsible"] == "Phường Ba Đình"
    assert by_id[other.code]["expected_datetime"] == other.resolve_due_at.astimezone().isoformat(timespec="seconds") \
        or by_id[other.code]["expected_datetime"].startswith(other.resolve_due_at.strftime("%Y-%m-%d"))
    assert client.get_service_requests(status="open")[0]["service_request_id"] == other.code
    assert [r["service_request_id"] for r in client.get_service_requests(service_code="chieu-sang")] == [done.code]

    one = client.get_service_request(done.code)
    assert one["service_request_id"] == done.code and one["service_code"] == "chieu-sang"
    assert "[số điện thoại đã ẩn]" in one["description"] and "[họ tên đã ẩn]" in one["service_notice"]
    raw = json.dumps(requests_list, ensure_ascii=False)
    for secret in ("0912345678", "Lê Văn Nam", "nam@example.com", "0987000111", "Phạm Thị Hoa", "Ổ gà, nhà tôi"):
        assert secret not in raw, "the public never sees personal data nor unpublished text"


@live
def test_georeport_client_reads_services_requests_and_one_request_in_xml(live_server, published):
    done, other = published
    client = GeoReport(f"{live_server.url}/open311/v2", output_format="xml")

    services_list = client.get_service_list()
    assert {"duong-sa", "chieu-sang"} <= {s["service_code"] for s in services_list}
    assert services_list[0]["metadata"] == "false"

    requests_list = client.get_service_requests()
    assert {r["service_request_id"] for r in requests_list} == {done.code, other.code}
    open_only = client.get_service_requests(status="open")  # one element: xmltodict gives a dict
    assert open_only["service_request_id"] == other.code and open_only["status_notes"].startswith("Đã chuyển")

    one = client.get_service_request(done.code)
    assert one["service_request_id"] == done.code and one["status"] == "closed"
    assert one["agency_responsible"] == "Phường Hoàn Kiếm"


def test_post_with_api_key_creates_a_request_and_token_lookup_returns_it(org, categories):
    _key, raw = services.open311_key_create(name="Ứng dụng iHanoi")
    c = Client()

    resp = c.post("/open311/v2/requests.json", {"api_key": raw, "service_code": "duong-sa", "lat": "21.028511",
                                                "long": "105.854167", "address_id": "H26.P04",
                                                "description": "Sụt lún mặt đường", "email": "a@example.com",
                                                "first_name": "Văn", "last_name": "An"})

    assert resp.status_code == 201
    [body] = resp.json()
    item = FeedbackItem.objects.get(code=body["service_request_id"])
    assert item.channel == Channel.OPEN311 and item.unit == org.ward_a and item.status == Status.ROUTED
    assert item.consent_at is not None and item.followers.filter(email="a@example.com").exists()
    token = c.get(f"/open311/v2/tokens/{body['token']}.json").json()
    assert token == [{"service_request_id": item.code, "token": body["token"]}]
    xml = ET.fromstring(c.get(f"/open311/v2/requests/{item.code}.xml").content)
    assert xml.tag == "service_requests" and len(xml) == 1
    assert xml.find("request/expected_datetime").text.startswith(item.resolve_due_at.astimezone().strftime("%Y-%m-%d"))
    assert xml.find("request/lat").text == "21.029", "coordinates are coarsened"


@pytest.mark.parametrize(("data", "status"), [
    ({"api_key": "wrong", "service_code": "duong-sa", "address_string": "x", "description": "y"}, 403),
    ({"service_code": "duong-sa", "address_string": "x", "description": "y"}, 403),
    ({"api_key": "KEY", "service_code": "khong-co", "address_string": "x", "description": "y"}, 400),
    ({"api_key": "KEY", "service_code": "duong-sa", "description": "không có vị trí"}, 400),
    ({"api_key": "KEY", "service_code": "duong-sa", "address_string": "x", "description": ""}, 400),
    ({"api_key": "KEY", "service_code": "duong-sa", "address_id": "H26.STP", "description": "y"}, 400),
    # The receipt time is the server's (issue 10): a client-supplied one is refused, naming it.
    ({"api_key": "KEY", "service_code": "duong-sa", "address_string": "x", "description": "y",
      "requested_datetime": "2020-01-01T09:00:00+07:00"}, 400),
])
def test_bad_posts_get_spec_errors_and_change_nothing(org, categories, data, status):
    _key, raw = services.open311_key_create(name="app")
    data = {k: (raw if v == "KEY" else v) for k, v in data.items()}

    resp = Client().post("/open311/v2/requests.json", data)
    xml_resp = Client().post("/open311/v2/requests.xml", data)

    assert resp.status_code == status
    [err] = resp.json()
    assert err["code"] == status and err["description"]
    assert "requested_datetime" not in data or "requested_datetime" in err["description"]
    assert ET.fromstring(xml_resp.content).find("error/code").text == str(status)
    assert FeedbackItem.objects.count() == 0


def test_revoked_key_is_refused(org, categories):
    key, raw = services.open311_key_create(name="app")
    Open311Key.objects.filter(pk=key.pk).update(revoked_at="2026-01-01T00:00:00+07:00")

    resp = Client().post("/open311/v2/requests.json", {"api_key": raw, "service_code": "duong-sa",
                                                       "address_string": "x", "description": "y"})

    assert resp.status_code == 403


def test_discovery_unknown_request_and_bad_filters(org, categories):
    c = Client()

    disc = c.get("/open311/v2/discovery.json").json()
    assert disc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert disc["endpoints"][0]["url"].endswith("/open311/v2")
    assert ET.fromstring(c.get("/open311/v2/discovery.xml").content).find("endpoints/endpoint/formats/format") is not None
    assert c.get("/open311/v2/requests/PA-0000-000000.json").status_code == 404
    assert c.get("/open311/v2/requests/PA-0000-000000.json").json()[0]["code"] == 404
    assert c.get("/open311/v2/services/none.xml").status_code == 404
    assert c.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400
    assert c.get("/open311/v2/requests.json?status=pending").status_code == 400
    assert c.get("/open311/v2/services.csv").status_code == 404


def test_requests_filters_by_ids_and_dates(org, categories, published):
    done, other = published
    c = Client()

    both = c.get(f"/open311/v2/requests.json?service_request_id={done.code},{other.code}").json()
    none = c.get("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z").json()

    assert {r["service_request_id"] for r in both} == {done.code, other.code}
    assert none == []
