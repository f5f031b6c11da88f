"""Staff screens: inbox scoping and query count, item actions, contact reveal log, staff entry,
metrics, photos."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kycuong.core.models import PersonalDataAccess
from kycuong.feedback import services
from kycuong.feedback.models import Channel, FeedbackItem, Status
from kycuong.org.models import Role
from kycuong.org.tests.factories import staff_with_role


def _submit(categories, place, **kw):
    return services.feedback_submit(category=categories["duong"], place=place,
                                    description=kw.pop("description", "Cột đèn đổ"), **kw)


def test_inbox_shows_only_the_units_items_with_bounded_queries(client, org, categories, django_assert_max_num_queries):
    for _ in range(30):
        _submit(categories, org.ward_a)
    other = _submit(categories, org.ward_b).item
    client.force_login(org.user("officer_a"))

    with django_assert_max_num_queries(14):
        resp = client.get("/phan-anh/")

    page = resp.content.decode()
    assert resp.status_code == 200 and page.count('href="/phan-anh/PA-') == 30
    assert other.code not in page
    assert client.get(f"/phan-anh/{other.code}/").status_code == 404


def test_escalated_items_reach_the_support_centre_inbox(client, org, categories, time_machine):
    centre_head = staff_with_role(org.centre, Role.HEAD, "centre_head")
    item = _submit(categories, org.ward_a).item
    time_machine.move_to(item.due_at, tick=False)
    for days in (0, 1, 2):
        time_machine.move_to(services.calendar_for(org.ward_a).add_working_time(item.due_at, days=days), tick=False)
        services.feedback_deadlines_process()
    item.refresh_from_db()
    client.force_login(centre_head.user)

    resp = client.get("/phan-anh/?xem=chuyen-len")

    assert item.escalation_level == 3 and item.escalated_to == org.centre
    assert item.code in resp.content.decode()
    assert client.get(f"/phan-anh/{item.code}/").status_code == 200


def test_contact_is_masked_until_revealed_and_each_reveal_is_logged(client, org, categories):
    item = _submit(categories, org.ward_a, reporter_name="Ngô Thị Hằng", reporter_phone="0912345678",
                   reporter_email="hang@example.com", consent=True).item
    client.force_login(org.user("officer_a"))

    masked = client.get(f"/phan-anh/{item.code}/").content.decode()
    clear = client.post(f"/phan-anh/{item.code}/lien-he/").content.decode()

    assert "0912345678" not in masked and "*******678" in masked and "hang@example.com" not in masked
    assert "0912345678" in clear and "hang@example.com" in clear
    log = PersonalDataAccess.objects.get()
    assert log.object_id == str(item.pk) and log.actor == org.user("officer_a")


def test_reassign_without_reason_is_refused_on_the_page_and_changes_nothing(client, org, categories):
    item = _submit(categories, org.ward_a).item
    client.force_login(org.user("officer_a"))

    resp = client.post(f"/phan-anh/{item.code}/thao-tac/", {"action": "reassign", "to_unit": org.ward_b.pk, "reason": ""})
    ok = client.post(f"/phan-anh/{item.code}/thao-tac/", {"action": "reassign", "to_unit": org.ward_b.pk,
                                                           "reason": "Địa điểm thuộc phường Ba Đình"})

    assert resp.status_code == 422 and "lý do" in resp.content.decode()
    assert ok.status_code == 302
    assert FeedbackItem.objects.get(pk=item.pk).unit == org.ward_b


def test_page_workflow_draft_submit_approve_publish(client, org, categories):
    item = _submit(categories, org.ward_a, reporter_name="Vũ Minh Tâm", reporter_email="tam@example.com",
                   consent=True, description="Rác tồn đọng, liên hệ Vũ Minh Tâm").item
    client.force_login(org.user("officer_a"))
    act = f"/phan-anh/{item.code}/thao-tac/"

    assert client.post(act, {"action": "assign"}).status_code == 302
    assert client.post(act, {"action": "draft", "body": "Đã thu gom. Cảm ơn Vũ Minh Tâm."}).status_code == 302
    assert client.post(act, {"action": "submit"}).status_code == 302
    assert client.post(act, {"action": "approve"}).status_code == 403, "only the head approves"
    client.force_login(org.user("head_a"))
    assert client.post(act, {"action": "approve"}).status_code == 302
    page = client.get(f"/phan-anh/{item.code}/").content.decode()
    assert "[họ tên đã ẩn]" in page
    assert client.post(act, {"action": "publish", "public_question": "Rác tồn đọng",
                             "public_body": "Đã thu gom xong, cảm ơn Vũ Minh Tâm."}).status_code == 302

    item.refresh_from_db()
    assert item.status == Status.PUBLISHED and item.assignee == org.staff["officer_a"]
    assert "Vũ Minh Tâm" not in item.public_answer, "the reporter's name is removed even after a manual edit"


def test_staff_entry_records_a_hotline_call_and_shows_the_secret_once(client, org, categories):
    client.force_login(org.user("onestop_a"))

    resp = client.post("/phan-anh/nhap/", {"channel": "hotline", "kind": "question", "category": categories["tthc"].pk,
                                           "description": "Hỏi thủ tục cấp lại giấy khai sinh", "place": org.ward_a.pk,
                                           "reporter_name": "Lý Văn Tú", "reporter_phone": "0909123456",
                                           "consent": "on"})

    item = FeedbackItem.objects.get()
    assert resp.status_code == 200 and item.code in resp.content.decode()
    assert item.code.startswith("HD-") and item.channel == Channel.HOTLINE and item.received_by == org.staff["onestop_a"]


def test_metrics_page_and_csv(client, org, categories):
    _submit(categories, org.ward_a)
    client.force_login(org.user("leader"))

    page = client.get("/phan-anh/thong-ke/?theo=category")
    csv_resp = client.get("/phan-anh/thong-ke/?theo=unit&dinh_dang=csv")

    assert page.status_code == 200 and "Đường sá" in page.content.decode()
    assert csv_resp["Content-Type"].startswith("text/csv") and "Phường Hoàn Kiếm" in csv_resp.content.decode("utf-8-sig")


def test_photos_are_served_only_to_staff_in_scope(client, org, categories):
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    item = _submit(categories, org.ward_a, photos=[SimpleUploadedFile("a.jpg", buf.getvalue())]).item
    photo = item.photos.get()

    anonymous = client.get(f"/phan-anh/anh/{photo.pk}/")
    client.force_login(org.user("officer_b"))
    other_unit = client.get(f"/phan-anh/anh/{photo.pk}/")
    client.force_login(org.user("officer_a"))
    own_unit = client.get(f"/phan-anh/anh/{photo.pk}/")

    assert anonymous.status_code == 302 and other_unit.status_code == 404
    assert own_unit.status_code == 200 and own_unit["Content-Type"] == "image/jpeg"


def test_dashboard_cards_count_open_and_overdue(org, categories):
    from kycuong.feedback.navigation import dashboard_cards

    _submit(categories, org.ward_a)

    cards = dashboard_cards(org.user("officer_a"))

    assert cards[0]["value"] == 1 and cards[1]["value"] == 0
    assert dashboard_cards(org.user("officer_b")) == [], "nothing to show for a unit without items"
