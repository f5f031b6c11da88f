"""The ninja router at /api/v1/feedback/: staff token auth, error shape, public endpoints."""

from __future__ import annotations

from django.test import Client

from kycuong.feedback import services
from kycuong.feedback.models import FeedbackItem, Status


def test_staff_creates_a_hotline_item_and_lists_it(org, categories, api_client_for):
    api = api_client_for(org.user("onestop_a"))

    resp = api.post("/api/v1/feedback/items", {"category": "duong-sa", "description": "Cây đổ chắn đường",
                                                "place": "H26.P04", "reporter_phone": "0912000111",
                                                "reporter_name": "Hà Văn Lộc", "consent": True},
                    content_type="application/json")

    assert resp.status_code == 201
    body = resp.json()
    assert body["unit"] == "H26.P04" and body["code"].startswith("PA-") and len(body["secret"]) == 8
    listed = api.get("/api/v1/feedback/items").json()
    assert [i["code"] for i in listed] == [body["code"]]
    detail = api.get(f"/api/v1/feedback/items/{body['code']}").json()
    assert detail["reporter_phone_masked"] == "*******111" and "0912000111" not in str(detail)


def test_reassign_without_reason_returns_the_error_shape_and_changes_nothing(org, categories, api_client_for):
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item
    api = api_client_for(org.user("officer_a"))

    resp = api.post(f"/api/v1/feedback/items/{item.code}/reassign", {"unit": "H26.P01", "reason": "x"},
                    content_type="application/json")
    no_unit = api.post(f"/api/v1/feedback/items/{item.code}/reassign", {"unit": "KHONG", "reason": "Lý do đầy đủ ở đây"},
                       content_type="application/json")

    assert resp.status_code == 422
    assert resp.json()["code"] == "validation_error" and "reason" in resp.json()["details"]["errors"]
    assert no_unit.status_code == 422 and "to_unit" in no_unit.json()["details"]["errors"]
    assert FeedbackItem.objects.get(pk=item.pk).unit == org.ward_a


def test_answer_flow_over_the_api(org, categories, api_client_for):
    item = services.feedback_submit(category=categories["duong"], description="Gọi 0912345678", place=org.ward_a).item
    officer, head = api_client_for(org.user("officer_a")), api_client_for(org.user("head_a"))

    officer.post(f"/api/v1/feedback/items/{item.code}/answer", {"text": "Đã xử lý"}, content_type="application/json")
    forbidden = officer.post(f"/api/v1/feedback/items/{item.code}/answer/approve")
    approved = head.post(f"/api/v1/feedback/items/{item.code}/answer/approve")
    published = head.post(f"/api/v1/feedback/items/{item.code}/publish", {}, content_type="application/json")

    assert forbidden.status_code == 403
    assert approved.json()["status"] == Status.RESOLVED
    assert published.json()["status"] == Status.PUBLISHED
    assert "0912345678" not in published.json()["public_question"]


def test_other_units_items_are_not_found(org, categories, api_client_for):
    item = services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a).item

    resp = api_client_for(org.user("officer_b")).get(f"/api/v1/feedback/items/{item.code}")

    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_public_endpoints_need_no_login_and_expose_no_personal_data(org, categories):
    sub = services.feedback_submit(category=categories["duong"], description="Đèn hỏng, tôi là Mai Anh Đào",
                                   reporter_name="Mai Anh Đào", reporter_email="dao@example.com", consent=True,
                                   place=org.ward_a, title="Đèn hỏng trước nhà Mai Anh Đào")
    services.answer_save_draft(item=sub.item, body="Đã thay đèn", actor=org.user("officer_a"))
    services.answer_approve(item=sub.item, actor=org.user("head_a"))
    services.answer_publish(item=sub.item, actor=org.user("head_a"))
    c = Client()

    answers = c.get("/api/v1/feedback/public/answers?q=den hong").json()
    track = c.get(f"/api/v1/feedback/public/track/{sub.item.code}?secret={sub.secret}")
    wrong = c.get(f"/api/v1/feedback/public/track/{sub.item.code}?secret=nope")

    assert [a["code"] for a in answers] == [sub.item.code]
    assert "Mai Anh Đào" not in str(answers) and "dao@example.com" not in str(answers)
    assert track.status_code == 200 and track.json()["public_answer"] == "Đã thay đèn"
    assert wrong.status_code == 404
    assert c.get("/api/v1/feedback/items").status_code == 401
    assert c.get("/api/v1/feedback/categories").status_code == 200


def test_scorecard_counts_endpoint_sums_the_subtree(org, categories, api_client_for):
    from kycuong.feedback.tests.factories import at, item

    item(unit=org.ward_a, status=Status.PUBLISHED, received_at=at(1), resolved_at=at(5))
    item(unit=org.ward_b, status=Status.IN_PROGRESS, received_at=at(1), resolve_due_at=at(20))

    resp = api_client_for(org.user("leader")).get("/api/v1/feedback/scorecard-counts/2026-10/H26")
    ward = api_client_for(org.user("officer_a")).get("/api/v1/feedback/scorecard-counts/2026-10/H26.P04")
    hidden = api_client_for(org.user("officer_b")).get("/api/v1/feedback/scorecard-counts/2026-10/H26.P04")

    assert resp.status_code == 200
    assert resp.json() == {"resolved": 1, "resolved_on_time": 1, "open_past_deadline": 1, "rated_not_satisfied": 0,
                           "reopened": 0, "late": 1, "has_data": True}
    assert ward.json()["open_past_deadline"] == 0 and ward.json()["resolved"] == 1
    assert hidden.status_code == 404


def test_metrics_endpoint(org, categories, api_client_for):
    services.feedback_submit(category=categories["duong"], description="x", place=org.ward_a)
    from django.utils import timezone

    from kycuong.core.periods import TZ, period_containing

    period = period_containing(timezone.now().astimezone(TZ).date(), "month").label
    rows = api_client_for(org.user("leader")).get(f"/api/v1/feedback/metrics?period={period}&group_by=category").json()

    assert rows[0]["label"] == "Đường sá, vỉa hè" and rows[0]["received"] == 1
    assert set(rows[0]["stages"]) == {"refuse", "info", "resolve", "publish"}


def test_openapi_document_lists_the_feedback_operations(client):
    doc = client.get("/api/v1/openapi.json").json()

    ops = {op["operationId"] for path in doc["paths"].values() for op in path.values() if isinstance(op, dict)}
    assert {"feedback_items_list", "feedback_items_reassign", "feedback_scorecard_counts", "feedback_public_answers",
            "feedback_public_track"} <= ops


def test_public_track_is_rate_limited_after_repeated_failures(org, categories):
    sub = services.feedback_submit(category=categories["duong"], description="x")
    c = Client()

    statuses = [c.get(f"/api/v1/feedback/public/track/{sub.item.code}?secret=bad{i}").status_code for i in range(21)]
    last = c.get(f"/api/v1/feedback/public/track/{sub.item.code}?secret={sub.secret}")

    assert statuses == [404] * 20 + [429]
    assert last.status_code == 429 and last.json()["code"] == "rate_limited"
