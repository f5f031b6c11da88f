"""/api/v1/dossiers: create, get, list with filters, transitions, scoping, stale writes."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from kycuong.dossiers.models import Dossier

from .factories import at, clock


def post(c: Client, url: str, body: dict[str, Any]) -> Any:
    return c.post(url, json.dumps(body), content_type="application/json")


def create(c: Client, proc: Any, *, when: str = "2026-11-16 09:00", **kw: Any) -> Any:
    """Receive through the API with the server clock at `when` (local time)."""
    body = {"procedure": proc.code, "unit": "H26.P04",
            "applicant": {"name": "Phạm Văn Dũng", "id_number": "001088012345", "phone": "0911222333"}, **kw}
    with clock(at(when)):
        return post(c, "/api/v1/dossiers/", body)


def post_at(c: Client, when: str, url: str, body: dict[str, Any]) -> Any:
    with clock(at(when)):
        return post(c, url, body)


def test_create_get_and_life_cycle_through_the_api(org: Any, proc: Any, api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    r = create(c, proc)
    assert r.status_code == 201, r.content
    body = r.json()
    code = body["code"]
    assert code == "H26.P04-261116-0001" and body["due_at"].startswith("2026-11-19T09:00:00")
    assert body["applicant_id_number"] == "001*******45" and len(body["secret"]) == 8
    r = post_at(c, "2026-11-16 10:00", f"/api/v1/dossiers/{code}/hand_over", {"expected_version": body["version"]})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = post_at(c, "2026-11-17 10:00", f"/api/v1/dossiers/{code}/request_supplement", {"reason": "Thiếu giấy tờ"})
    assert r.json()["status"] == "waiting_supplement"
    r = post_at(c, "2026-11-23 10:00", f"/api/v1/dossiers/{code}/complete_supplement", {})
    assert r.json()["due_at"].startswith("2026-11-26T09:00:00")
    r = post_at(c, "2026-11-25 10:00", f"/api/v1/dossiers/{code}/finish", {})
    assert r.json()["outcome"] == "early"
    r = post_at(c, "2026-11-25 14:00", f"/api/v1/dossiers/{code}/return", {})
    detail = c.get(f"/api/v1/dossiers/{code}").json()
    assert detail["status"] == "returned"
    assert [e["type"] for e in detail["events"]] == ["received", "handed_over", "supplement_requested",
                                                     "supplement_completed", "finished", "returned"]


def test_stale_and_invalid_transitions_return_409(org: Any, proc: Any, api_client_for: Any) -> None:
    c = api_client_for(org.user("onestop_a"))
    code = create(c, proc).json()["code"]
    r = post(c, f"/api/v1/dossiers/{code}/return", {})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    post(c, f"/api/v1/dossiers/{code}/hand_over", {})
    r = post(c, f"/api/v1/dossiers/{code}/stop", {"reason": "x", "expected_version": 0})
    assert r.status_code == 409 and r.json()["code"] == "stale"
    r = post(c, f"/api/v1/dossiers/{code}/stop", {"reason": " "})
    assert r.status_code == 422


def test_list_filters_and_scoping(org: Any, proc: Any, api_client_for: Any) -> None:
    a = api_client_for(org.user("onestop_a"))
    create(a, proc)
    create(a, proc, when="2026-10-05 09:00")
    r = a.get("/api/v1/dossiers/", {"period": "2026-11"})
    assert r.json()["count"] == 1
    assert a.get("/api/v1/dossiers/", {"overdue": "true"}).json()["count"] == 2
    assert a.get("/api/v1/dossiers/", {"procedure": "nope"}).json()["count"] == 0
    assert a.get("/api/v1/dossiers/", {"status": "received", "unit": "H26.P04"}).json()["count"] == 2
    b = api_client_for(org.user("officer_b"))
    code = Dossier.objects.first().code
    assert b.get("/api/v1/dossiers/").json()["count"] == 0
    assert b.get(f"/api/v1/dossiers/{code}").status_code == 404
    assert post(b, f"/api/v1/dossiers/{code}/stop", {"reason": "x"}).status_code == 404
    # a ward-B officer cannot receive into ward A's counter either
    r = post(b, "/api/v1/dossiers/", {"procedure": proc.code, "unit": "H26.P04", "received_unit": "H26.P04",
                                     "applicant": {"name": "A"}})
    assert r.status_code == 404
    assert Client().get("/api/v1/dossiers/").status_code == 401


def test_openapi_lists_every_operation(org: Any, api_client_for: Any) -> None:
    schema = api_client_for(org.user("admin")).get("/api/v1/openapi.json").json()
    ops = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"dossiers_create", "dossiers_list", "dossiers_get", "dossiers_hand_over", "dossiers_apologize",
            "dossiers_request_supplement", "dossiers_complete_supplement", "dossiers_finish", "dossiers_return",
            "dossiers_transfer", "dossiers_withdraw", "dossiers_stop", "dossiers_reassign", "dossiers_accept",
            "dossiers_refuse", "dossiers_assign"} <= ops


def test_assign_without_an_assignee_is_a_422_not_a_500(org: Any, proc: Any, api_client_for: Any) -> None:
    code = create(api_client_for(org.user("onestop_a")), proc).json()["code"]
    before = Dossier.objects.get(code=code)
    r = post(api_client_for(org.user("head_a")), f"/api/v1/dossiers/{code}/assign", {"assignee": ""})
    assert r.status_code == 422 and r.json()["details"]["field"] == "assignee"
    after = Dossier.objects.get(code=code)
    assert after.version == before.version
    assert after.steps.get(order=1).assignee_id == before.steps.get(order=1).assignee_id
