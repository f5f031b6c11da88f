"""Browser test (Playwright + chromium): the public form and the tracking page."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from kycuong.feedback import services
from kycuong.feedback.models import FeedbackItem, Satisfaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def test_citizen_sends_feedback_tracks_it_and_rates_the_published_answer(page, org, categories):
    page.goto(f"{page.base_url}/phan-anh/gui/")
    assert page.locator("#consent-notice").is_visible()

    # An empty form shows the error summary, and nothing is stored.
    page.click("button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    assert FeedbackItem.objects.count() == 0

    # Anonymous hides the contact fields (static JS, no inline script).
    page.check("#id_is_anonymous")
    assert page.locator("#contact-fields").is_hidden()
    page.uncheck("#id_is_anonymous")
    assert page.locator("#contact-fields").is_visible()

    page.select_option("#id_category", label="Chiếu sáng công cộng")
    page.fill("#id_description", "Đèn đường ngõ 5 Hàng Bài tắt cả tuần <b>nguy hiểm</b>")
    page.select_option("#id_place", label="Phường Hoàn Kiếm")
    page.fill("#id_address", "Ngõ 5 Hàng Bài")
    page.fill("#id_reporter_name", "Trịnh Thu Trang")
    page.fill("#id_reporter_email", "trang@example.com")
    page.check("#id_consent")
    page.click("button[type=submit]")

    # Check your answers, then attach a photo and send.
    assert "Trịnh Thu Trang" in page.locator("#check-answers").inner_text()
    assert FeedbackItem.objects.count() == 0
    page.set_input_files("#id_photos", files=[{"name": "den.png", "mimeType": "image/png", "buffer": _png()}])
    page.click("#send")

    page.wait_for_url("**/phan-anh/da-gui/")
    code = page.locator("#item-code").inner_text().strip()
    secret = page.locator("#item-secret").inner_text().strip()
    item = FeedbackItem.objects.get(code=code)
    assert item.unit == org.ward_a and item.photos.count() == 1 and item.check_secret(secret)

    page.click("#track-link")
    assert "Đã chuyển đơn vị xử lý" in page.locator("#item-status").inner_text()
    assert page.get_by_text("<b>nguy hiểm</b>", exact=False).count() == 1, "shown as text"
    assert page.locator("dl.summary b").count() == 0, "citizen text is escaped, never rendered as HTML"

    services.answer_save_draft(item=item, body="Đã thay bóng đèn. Cảm ơn Trịnh Thu Trang.", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))
    services.answer_publish(item=item, actor=org.user("head_a"))
    page.reload()
    answer = page.locator("#public-answer").inner_text()
    assert "Đã thay bóng đèn" in answer and "Trịnh Thu Trang" not in answer

    page.click("button:has-text('Không hài lòng')")
    assert "Không hài lòng" in page.locator("#my-rating").inner_text()
    item.refresh_from_db()
    assert item.satisfaction == Satisfaction.NOT_SATISFIED


def test_lookup_with_a_wrong_secret_shows_an_error(page, org, categories):
    sub = services.feedback_submit(category=categories["duong"], description="Ổ gà", place=org.ward_b)

    page.goto(f"{page.base_url}/phan-anh/tra-cuu/")
    page.fill("#id_code", sub.item.code)
    page.fill("#id_k", "sai-ma")
    page.click("button.btn")
    assert page.locator(".error-summary").is_visible()
    page.fill("#id_k", sub.secret)
    page.click("button.btn")
    assert "Phường Ba Đình" in page.content()
