"""`/api/v1/workplans`: the week's life cycle, scoping, strict bodies, 409 on stale, the status report."""

from __future__ import annotations

import json

import pytest

from kycuong.workplans.models import WorkItem

from .factories import at, clock, product_type

API = "/api/v1/workplans"


def post(c, url, body, method="post"):
    return getattr(c, method)(f"{API}{url}", json.dumps(body), content_type="application/json")


@pytest.fixture
def tick():
    with clock(at("2026-11-16 09:00")) as traveller:
        yield traveller


@pytest.fixture
def pt(org):
    return product_type(org.ward_a, code="VB.TOTRINH", name="Tờ trình, báo cáo", factor="1.5")


def _week(c):
    r = post(c, "/programs", {"kind": "personal", "unit": "H26.P04", "period": "2026-W47"})
    assert r.status_code == 200, r.content
    return r.json()


def _add(c, program_id, **kw):
    body = {"program": program_id, "title": "Soạn tờ trình", "product": "VB.TOTRINH", "quantity": 2,
            "due_at": "2026-11-19T17:00:00+07:00", **kw}
    return post(c, "/items", body)


def test_week_life_cycle_through_the_api(org, pt, tick, api_client_for):
    officer, head = api_client_for(org.user("officer_a")), api_client_for(org.user("head_a"))
    week = _week(officer)
    assert week["status"] == "draft" and week["actions"] == ["submit"]
    r = _add(officer, week["id"])
    assert r.status_code == 201, r.content
    item = r.json()
    assert item["weight"] == "3.000" and item["owner"] == org.staff["officer_a"].code
    assert post(officer, f"/programs/{week['id']}/submit", {}).status_code == 200
    assert post(officer, f"/programs/{week['id']}/approve", {}).status_code == 403  # own program
    r = post(head, f"/programs/{week['id']}/return", {"comment": "Thêm số lượng"})
    assert r.json()["status"] == "returned"
    r = post(officer, f"/items/{item['code']}", {"expected_version": item["version"], "quantity": 3}, "patch")
    assert r.status_code == 409 and r.json()["code"] == "stale"
    item = officer.get(f"{API}/items/{item['code']}").json()
    r = post(officer, f"/items/{item['code']}", {"expected_version": item["version"], "quantity": 3}, "patch")
    assert r.status_code == 200 and r.json()["weight"] == "4.500"
    post(officer, f"/programs/{week['id']}/submit", {})
    r = post(head, f"/programs/{week['id']}/approve", {})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    item = officer.get(f"{API}/items/{item['code']}").json()
    assert item["status"] == "in_progress" and item["actions"] == ["complete", "reschedule", "cancel"]
    r = post(officer, f"/items/{item['code']}", {"expected_version": item["version"], "title": "Khác"}, "patch")
    assert r.status_code == 409 and r.json()["code"] == "reopen_required"
    r = post(officer, f"/items/{item['code']}/evidence", {"kind": "link", "url": "https://vanban.hanoi.gov.vn/1"})
    assert r.status_code == 201 and r.json()["evidence"][0]["url"].endswith("/1")
    r = post(officer, f"/items/{item['code']}/complete", {"completion": "done", "note": "Đã trình"})
    assert r.json()["status"] == "reported"
    r = post(head, f"/items/{item['code']}/quality-fail", {"note": "Thiếu số liệu"})
    assert r.json()["quality_failures"] == 1 and r.json()["status"] == "in_progress"
    post(officer, f"/items/{item['code']}/complete", {"completion": "done"})
    r = post(head, f"/items/{item['code']}/accept", {})
    assert r.json()["status"] == "accepted" and r.json()["status_class"] == "done_on_time"
    types = [e["type"] for e in r.json()["events"]]
    assert types[-4:] == ["completed", "quality_failed", "completed", "accepted"]


def test_a_client_sent_time_or_unknown_field_is_refused(org, pt, tick, api_client_for):
    officer = api_client_for(org.user("officer_a"))
    week = _week(officer)
    r = _add(officer, week["id"], at="2026-11-10T09:00:00+07:00")
    assert r.status_code == 422
    item = _add(officer, week["id"]).json()
    post(officer, f"/programs/{week['id']}/submit", {})
    post(api_client_for(org.user("head_a")), f"/programs/{week['id']}/approve", {})
    r = post(officer, f"/items/{item['code']}/complete", {"completion": "done", "at": "2026-11-15T09:00:00+07:00"})
    assert r.status_code == 422
    assert WorkItem.objects.get(code=item["code"]).status == "in_progress"


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": 0}, "quantity"),
    ({"product": "NOPE"}, "product_type"),
    ({"due_at": "2026-11-13T17:00:00+07:00"}, "due_at"),
])
def test_bad_input_is_a_translated_422_and_nothing_is_created(org, pt, tick, api_client_for, change, field):
    officer = api_client_for(org.user("officer_a"))
    week = _week(officer)
    r = _add(officer, week["id"], **change)
    assert r.status_code == 422, r.content
    assert field in r.json()["details"]["errors"] and r.json()["message"]
    assert not WorkItem.objects.exists()


def test_a_parent_in_another_unit_is_refused(org, pt, tick, api_client_for):
    product_type(org.ward_b, code="VB.TOTRINH")
    b = api_client_for(org.user("officer_b"))
    b_week = post(b, "/programs", {"kind": "personal", "unit": "H26.P01", "period": "2026-W47"}).json()
    foreign = _add(b, b_week["id"]).json()
    admin = api_client_for(org.user("admin"))
    week = post(admin, "/programs", {"kind": "personal", "unit": "H26.P04", "period": "2026-W47",
                                     "owner": org.staff["officer_a"].code}).json()
    r = _add(admin, week["id"], parent=foreign["code"])
    assert r.status_code == 422 and r.json()["details"]["errors"] == {"parent": "other_unit"}


def test_scoping_outside_units_is_404(org, pt, tick, api_client_for):
    officer = api_client_for(org.user("officer_a"))
    week = _week(officer)
    item = _add(officer, week["id"]).json()
    other = api_client_for(org.user("officer_b"))
    assert other.get(f"{API}/items/{item['code']}").status_code == 404
    assert other.get(f"{API}/programs/{week['id']}").status_code == 404
    assert other.get(f"{API}/items", {"period": "2026-W47"}).json()["count"] == 0
    assert other.get(f"{API}/status", {"period": "2026-W47", "unit": "H26.P04"}).status_code == 404
    assert officer.get(f"{API}/items", {"period": "2026-W47", "owner": org.staff["officer_a"].code}).json()["count"] == 1


def test_status_report_classes_items_at_now(org, pt, api_client_for):
    officer, head = api_client_for(org.user("officer_a")), api_client_for(org.user("head_a"))
    with clock(at("2026-11-16 09:00")):
        week = _week(officer)
        a = _add(officer, week["id"], due_at="2026-11-17T17:00:00+07:00").json()
        b = _add(officer, week["id"], due_at="2026-11-19T17:00:00+07:00").json()
        post(officer, f"/programs/{week['id']}/submit", {})
        post(head, f"/programs/{week['id']}/approve", {})
        post(officer, f"/items/{a['code']}/complete", {"completion": "done"})
    with clock(at("2026-11-20 09:00")):
        r = head.get(f"{API}/status", {"period": "2026-W47", "unit": "H26.P04"})
    assert r.status_code == 200
    body = r.json()
    assert body["counts"] == {"done_on_time": 1, "done_late": 0, "not_done_in_time": 0, "not_done_overdue": 1}
    assert {row["code"]: row["status_class"] for row in body["items"]} == {
        a["code"]: "done_on_time", b["code"]: "not_done_overdue"}


def test_product_types_through_the_api(org, api_client_for):
    head = api_client_for(org.user("head_a"))
    r = post(head, "/product-types", {"unit": "H26.P04", "code": "VB.TRALOI", "name": "Văn bản trả lời", "factor": "1.0"})
    assert r.status_code == 201
    assert post(head, "/product-types", {"unit": "H26.P04", "code": "X", "name": "X", "factor": 0}).status_code == 422
    assert post(head, "/product-types", {"unit": "H26.P04", "code": "VB.TRALOI", "name": "Y",
                                         "factor": 1}).status_code == 409
    assert post(api_client_for(org.user("officer_a")), "/product-types",
                {"unit": "H26.P04", "code": "Z", "name": "Z", "factor": 1}).status_code == 403
    r = post(head, "/product-types/H26.P04/VB.TRALOI", {"factor": "2.5"}, "patch")
    assert r.status_code == 200 and float(r.json()["factor"]) == 2.5
    codes = [p["code"] for p in head.get(f"{API}/product-types", {"unit": "H26.P04"}).json()]
    assert codes == ["VB.TRALOI"]


def test_every_operation_has_an_id(org, api_client_for):
    schema = api_client_for(org.user("admin")).get("/api/v1/openapi.json").json()
    ops = {op["operationId"] for path, item in schema["paths"].items() if path.startswith(API) for op in item.values()}
    assert {"workplans_program_approve", "workplans_item_update", "workplans_status", "workplans_item_evidence_add",
            "workplans_program_carry_over", "workplans_item_confirm_cause"} <= ops


def test_reopen_reschedule_confirm_cancel_carry_over_through_the_api(org, pt, tick, api_client_for):
    officer, head = api_client_for(org.user("officer_a")), api_client_for(org.user("head_a"))
    week = _week(officer)
    a = _add(officer, week["id"]).json()
    b = _add(officer, week["id"], title="Việc thứ hai").json()
    post(officer, f"/programs/{week['id']}/submit", {})
    post(head, f"/programs/{week['id']}/approve", {})
    r = post(officer, f"/programs/{week['id']}/reopen", {})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    post(officer, f"/programs/{week['id']}/submit", {})
    post(head, f"/programs/{week['id']}/approve", {})
    r = post(officer, f"/items/{a['code']}/reschedule", {"new_due_at": "2026-11-20T16:00:00+07:00", "reason": "Chờ Sở",
                                                         "objective_cause": True})
    assert r.status_code == 200 and r.json()["reschedules"] == 1 and "confirm_cause" in r.json()["actions"]
    assert post(officer, f"/items/{a['code']}/confirm-cause", {}).status_code == 403
    r = post(head, f"/items/{a['code']}/confirm-cause", {})
    assert r.status_code == 200 and r.json()["objective_cause"] is True
    assert post(officer, f"/items/{b['code']}/cancel", {"reason": "Thôi"}).status_code == 403
    assert post(head, f"/items/{b['code']}/cancel", {"reason": "Thôi"}).json()["status"] == "cancelled"
    r = post(officer, f"/items/{a['code']}/evidence", {"kind": "dossier", "code": "H26.P04-261116-0001"})
    assert r.status_code == 422
    r = post(officer, f"/programs/{week['id']}/carry-over", {})
    assert r.status_code == 200 and [i["carried_from"] for i in r.json()] == [a["code"]]
    assert r.json()[0]["period"] == "2026-W48"
