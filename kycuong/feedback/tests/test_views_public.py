"""Public pages: the intake form (validation, photos, consent, rate limit), the tracking page
(secret, rating, reopen, escaping) and the knowledge base."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from kycuong.feedback import services
from kycuong.feedback.models import FeedbackItem, Photo, Satisfaction, Status


def png(size: tuple[int, int] = (20, 20), name: str = "anh.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def form_data(categories, **extra):
    data = {"kind": "feedback", "category": categories["duong"].pk, "description": "Ổ gà sâu trước số 10 phố Huế",
            "address": "10 phố Huế", "is_anonymous": "on", "step": "send"}
    data.update(extra)
    return data


def test_form_shows_the_consent_notice(client, categories):
    resp = client.get("/phan-anh/gui/")

    assert resp.status_code == 200
    assert "Luật số 91/2025/QH15" in resp.content.decode()


def test_check_your_answers_page_comes_before_sending_and_editing_keeps_the_answers(client, org, categories):
    data = form_data(categories, place=org.ward_a.pk, step="check", title="Ổ gà <b>to</b>")

    check = client.post("/phan-anh/gui/", data)
    edit = client.post("/phan-anh/gui/", {**data, "step": "edit"})

    page = check.content.decode()
    assert check.status_code == 200 and 'id="check-answers"' in page and "Phường Hoàn Kiếm" in page
    assert "Ổ gà &lt;b&gt;to&lt;/b&gt;" in page and 'name="photos"' in page
    assert FeedbackItem.objects.count() == 0
    assert edit.status_code == 200 and "Ổ gà sâu trước số 10 phố Huế" in edit.content.decode()
    assert 'id="feedback-form"' in edit.content.decode()


def test_anonymous_submission_with_a_photo_gives_code_and_secret_then_tracking_works(client, org, categories):
    resp = client.post("/phan-anh/gui/", {**form_data(categories, place=org.ward_a.pk), "photos": [png()]})

    assert resp.status_code == 302 and resp.url == "/phan-anh/da-gui/"
    item = FeedbackItem.objects.get()
    assert item.is_anonymous and item.unit == org.ward_a and item.photos.count() == 1
    assert Photo.objects.get().content_type == "image/png"
    page = client.get("/phan-anh/da-gui/").content.decode()
    assert item.code in page
    secret = client.session["feedback_submitted"]["secret"]
    assert item.check_secret(secret)
    track = client.get(f"/phan-anh/tra-cuu/{item.code}/?k={secret}")
    assert track.status_code == 200 and "Phường Hoàn Kiếm" in track.content.decode()


@pytest.mark.parametrize("bad", [
    lambda: SimpleUploadedFile("virus.jpg", b"MZ\x90\x00 not an image" * 10, content_type="image/jpeg"),
    lambda: SimpleUploadedFile("page.png", b"<html><script>alert(1)</script></html>", content_type="image/png"),
    lambda: SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), content_type="image/jpeg"),
])
def test_non_images_and_oversized_files_are_refused_and_nothing_is_stored(client, org, categories, bad):
    resp = client.post("/phan-anh/gui/", {**form_data(categories), "photos": [bad()]})

    assert resp.status_code == 422
    assert "error-summary" in resp.content.decode() and 'id="check-answers"' in resp.content.decode()
    assert FeedbackItem.objects.count() == 0 and Photo.objects.count() == 0


def test_more_than_three_photos_are_refused(client, org, categories):
    resp = client.post("/phan-anh/gui/", {**form_data(categories), "photos": [png(name=f"{i}.png") for i in range(4)]})

    assert resp.status_code == 422 and FeedbackItem.objects.count() == 0


def test_contact_details_without_consent_are_refused(client, categories):
    data = form_data(categories, reporter_name="Nguyễn Văn A", reporter_email="a@example.com")
    data.pop("is_anonymous")

    resp = client.post("/phan-anh/gui/", data)

    assert resp.status_code == 422 and "đồng ý" in resp.content.decode()
    assert FeedbackItem.objects.count() == 0


def test_anonymous_intake_is_rate_limited_per_ip(client, org, categories):
    statuses = [client.post("/phan-anh/gui/", form_data(categories), REMOTE_ADDR="10.0.0.9").status_code for _ in range(6)]
    other_ip = client.post("/phan-anh/gui/", form_data(categories), REMOTE_ADDR="10.0.0.10").status_code

    assert statuses == [302] * 5 + [429]
    assert other_ip == 302
    assert FeedbackItem.objects.count() == 6


def test_html_in_text_is_escaped_on_the_tracking_and_staff_pages(client, org, categories):
    sub = services.feedback_submit(category=categories["duong"], place=org.ward_a,
                                   description='<script>alert("x")</script><img src=x onerror=alert(1)>')

    public = client.get(f"/phan-anh/tra-cuu/{sub.item.code}/?k={sub.secret}").content.decode()
    client.force_login(org.user("officer_a"))
    staff = client.get(f"/phan-anh/{sub.item.code}/").content.decode()

    for page in (public, staff):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert" in page


def test_wrong_secret_shows_nothing(client, org, categories):
    sub = services.feedback_submit(category=categories["duong"], description="Nội dung riêng tư 123")

    resp = client.get(f"/phan-anh/tra-cuu/{sub.item.code}/?k=wrong")
    lookup = client.get(f"/phan-anh/tra-cuu/?code={sub.item.code}&k={sub.secret}")

    assert resp.status_code == 404 and "Nội dung riêng tư" not in resp.content.decode()
    assert lookup.status_code == 302 and lookup.url.endswith(f"?k={sub.secret}")


def _published(org, categories, **kw):
    sub = services.feedback_submit(category=categories["duong"], place=org.ward_a, reporter_name="Đỗ Văn Bảo",
                                   reporter_email="bao@example.com", consent=True,
                                   description="Ổ gà trên đường Tràng Tiền, tôi là Đỗ Văn Bảo", **kw)
    services.feedback_reassign(item=sub.item, to_unit=org.ward_b, reason="Ghi chú nội bộ: chuyển do nhầm địa bàn",
                               actor=org.user("officer_a"))
    services.answer_save_draft(item=sub.item, body="Đã sửa xong mặt đường.", actor=org.user("officer_b"))
    services.answer_approve(item=sub.item, actor=org.user("head_b"))
    return sub


def test_tracking_page_hides_internal_notes_and_unpublished_answer(client, org, categories):
    sub = _published(org, categories)

    page = client.get(f"/phan-anh/tra-cuu/{sub.item.code}/?k={sub.secret}").content.decode()

    assert "Ghi chú nội bộ" not in page, "reassignment reasons are internal"
    assert "Đã sửa xong mặt đường" not in page, "approved but unpublished answers are not shown"
    assert "Phường Ba Đình" in page


def test_citizen_rates_and_reopens_from_the_tracking_page(client, org, categories):
    sub = _published(org, categories)
    services.answer_publish(item=sub.item, actor=org.user("head_b"))
    url = f"/phan-anh/tra-cuu/{sub.item.code}/"

    page = client.get(url + f"?k={sub.secret}").content.decode()
    rate = client.post(url, {"k": sub.secret, "action": "rate", "satisfaction": Satisfaction.NOT_SATISFIED})
    reopen = client.post(url, {"k": sub.secret, "action": "reopen", "reason": "Mặt đường lại bị sụt sau mưa"})

    assert "Đã sửa xong mặt đường" in page
    assert rate.status_code == 302 and reopen.status_code == 302
    item = FeedbackItem.objects.get(pk=sub.item.pk)
    assert item.satisfaction == Satisfaction.NOT_SATISFIED and item.reopen_count == 1
    assert item.status == Status.ROUTED and item.due_at > timezone.now()


def test_reopen_after_the_window_is_refused(client, org, categories, time_machine):
    sub = _published(org, categories)
    services.answer_publish(item=sub.item, actor=org.user("head_b"))
    time_machine.move_to(timezone.now() + dt.timedelta(days=11))

    resp = client.post(f"/phan-anh/tra-cuu/{sub.item.code}/", {"k": sub.secret, "action": "reopen",
                                                                "reason": "Vẫn chưa sửa xong đường"})

    assert resp.status_code == 422 and "Đã quá 10 ngày" in resp.content.decode()
    assert FeedbackItem.objects.get(pk=sub.item.pk).reopen_count == 0


def test_knowledge_base_searches_without_diacritics_and_lists_only_published(client, org, categories):
    sub = _published(org, categories, title="Sửa ổ gà Tràng Tiền")
    services.answer_publish(item=sub.item, actor=org.user("head_b"))
    hidden = services.feedback_submit(category=categories["duong"], description="Ổ gà chưa trả lời").item

    found = client.get("/hoi-dap/?q=trang tien").content.decode()
    by_category = client.get("/hoi-dap/?linh_vuc=chieu-sang").content.decode()

    assert sub.item.code in found and hidden.code not in found
    assert sub.item.code not in by_category
    assert client.get(f"/hoi-dap/{sub.item.code}/").status_code == 200
    assert client.get(f"/hoi-dap/{hidden.code}/").status_code == 404
    detail = client.get(f"/hoi-dap/{sub.item.code}/").content.decode()
    assert "Đỗ Văn Bảo" not in detail and "bao@example.com" not in detail


def test_repeated_failed_lookups_are_rate_limited_per_ip(client, org, categories):
    sub = services.feedback_submit(category=categories["duong"], description="x")

    statuses = [client.get(f"/phan-anh/tra-cuu/{sub.item.code}/?k=wrong{i}").status_code for i in range(21)]
    right_secret_now = client.get(f"/phan-anh/tra-cuu/{sub.item.code}/?k={sub.secret}")

    assert statuses == [404] * 20 + [429]
    assert right_secret_now.status_code == 429, "blocked for the window, even with the right secret"


def test_knowledge_base_and_open311_lists_use_a_bounded_number_of_queries(client, org, categories,
                                                                          django_assert_max_num_queries):
    from kycuong.feedback.tests.factories import item

    for i in range(25):
        item(unit=org.ward_a, place=org.ward_a, status=Status.PUBLISHED, published_at=timezone.now(),
             received_at=timezone.now() - dt.timedelta(days=3), public_answer=f"Trả lời {i}",
             public_question="Hỏi", search_key=f"hoi tra loi {i}")

    with django_assert_max_num_queries(6):
        kb = client.get("/hoi-dap/")
    with django_assert_max_num_queries(4):
        o311 = client.get("/open311/v2/requests.json")

    assert kb.status_code == 200 and kb.content.decode().count("kb-entry") == 20
    assert len(o311.json()) == 25
