"""Must show (issue 3): the whole life cycle in a browser — intake → supplement → resume → late
warning → apology → result → return — and the public lookup showing each stage.

The officer screens are the dossiers module's (docs/modules/dossiers.md); the clock is moved with
time-machine (it patches time for the live server thread too), so deadlines are real deadlines.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from conftest import login
from kycuong.core.periods import TZ
from kycuong.procedures.tests.factories import make_procedure

pytestmark = pytest.mark.e2e


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def as_user(page, username):
    page.context.clear_cookies()
    login(page, username)


def action(page, code, name, fill=None):
    page.goto(f"{page.base_url}/ho-so/{code}/")
    page.click(f"#action-{name}")
    page.wait_for_selector("#action-form")
    for selector, value in (fill or {}).items():
        page.fill(selector, value)
    with page.expect_navigation():
        page.click("#action-submit")
    assert page.url.endswith(f"/ho-so/{code}/"), page.url


def public_lookup(page, code, secret):
    page.goto(f"{page.base_url}/tra-cuu?ma={code}&bm={secret}")
    return page.locator("[data-dossier]")


def test_whole_life_cycle_and_public_lookup(page, org):
    make_procedure(code="1.001193", name="Thủ tục đăng ký khai sinh", processing_value=3,
                   steps=[{"name": "Tiếp nhận hồ sơ", "role": "one_stop_officer", "share": 0.1},
                          {"name": "Thẩm định hồ sơ", "role": "officer", "share": 0.6},
                          {"name": "Phê duyệt, ký kết quả", "role": "head", "share": 0.2},
                          {"name": "Trả kết quả", "role": "one_stop_officer", "share": 0.1}],
                   form_fields=[{"name": "child_name", "label": "Họ tên người được khai sinh", "type": "text",
                                 "required": True}])
    with time_machine.travel(local("2026-11-16 09:00"), tick=True) as clock:
        # 1. Intake at the counter (Monday 09:00): code, secret and appointment = +3 working days.
        as_user(page, "onestop_a")
        page.goto(page.base_url + "/ho-so/tiep-nhan/?q=dang+ky+khai+sinh")
        page.click("[data-procedure='1.001193']")
        page.fill("#id_name", "Nguyễn Thị Lan")
        page.fill("#id_id_number", "001190012345")
        page.fill("#id_phone", "0912345678")
        page.fill("#id_f_child_name", "Nguyễn Minh Khang")
        page.click("#intake-continue")
        page.click("#intake-confirm")
        code = page.inner_text("#dossier-code").strip()
        secret = page.inner_text("#dossier-secret").strip()
        assert code.startswith("H26.P04-261116-")
        assert page.inner_text("#dossier-due").strip() == "09:00 19/11/2026"
        # The receipt (form 01) carries the QR code to the public lookup.
        page.click("#receipt-print")
        assert page.locator("article[data-form='01'] svg").count() == 1
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page.inner_text("article[data-form='01']")
        box = public_lookup(page, code, secret)
        assert box.locator("[data-status]").first.get_attribute("data-status") == "received"
        assert "09:00 19/11/2026" in box.locator("[data-due]").inner_text()
        action(page, code, "hand_over")

        # 2. Supplement request (Monday 10:00): the clock pauses.
        clock.move_to(local("2026-11-16 10:00"))
        as_user(page, "officer_a")
        action(page, code, "request_supplement", {"#id_reason": "Thiếu Giấy chứng sinh bản chính"})
        assert page.get_attribute("#dossier-status", "data-status") == "waiting_supplement"
        box = public_lookup(page, code, secret)
        assert box.locator("[data-status]").first.get_attribute("data-status") == "waiting_supplement"
        assert "Thiếu Giấy chứng sinh bản chính" in box.inner_text()

        # 3. Resume (Tuesday 10:00): one working day paused → the appointment moves to Friday.
        clock.move_to(local("2026-11-17 10:00"))
        action(page, code, "complete_supplement")
        assert page.inner_text("#dossier-due").startswith("09:00 20/11/2026")
        assert "09:00 20/11/2026" in public_lookup(page, code, secret).locator("[data-due]").inner_text()

        # 4. Late warning (Thursday 15:00): more than 80% of the time used, no apology yet.
        clock.move_to(local("2026-11-19 15:00"))
        page.goto(f"{page.base_url}/ho-so/{code}/")
        assert page.is_visible("#late-warning")

        # 5. Apology letter (form 04) with a reason and a new appointment, from the warning's link.
        page.click("#late-warning-apologize")
        page.fill("#id_reason", "Cần xác minh thông tin nơi sinh tại bệnh viện")
        page.fill("#id_new_due_at", "2026-11-25T16:00")
        with page.expect_navigation():
            page.click("#action-submit")
        assert page.inner_text("#dossier-apology-due").strip() == "16:00 25/11/2026"
        assert not page.is_visible("#late-warning")
        box = public_lookup(page, code, secret)
        assert "16:00 25/11/2026" in box.locator("[data-apology]").inner_text()
        assert "Cần xác minh thông tin nơi sinh" in box.inner_text()

        # 6. Result (Monday 23/11, after the appointment: late) and 7. return to the applicant.
        clock.move_to(local("2026-11-23 10:00"))
        action(page, code, "hand_over")
        as_user(page, "head_a")
        action(page, code, "finish")
        assert page.get_attribute("#dossier-outcome", "data-outcome") == "late"
        clock.move_to(local("2026-11-23 14:00"))
        as_user(page, "onestop_a")
        action(page, code, "return")
        assert page.get_attribute("#dossier-status", "data-status") == "returned"

        # The control sheet (form 05) shows every hand-over and the late steps.
        page.click("#doc-05")
        sheet = page.inner_text("article[data-form='05']")
        assert sheet.count("Chuyển bước") == 2 and "Trễ hạn" in sheet

        # The public lookup shows the whole story, without staff names.
        box = public_lookup(page, code, secret)
        assert box.locator("[data-status]").first.get_attribute("data-status") == "returned"
        events = [li.get_attribute("data-event") for li in box.locator("li[data-event]").all()]
        assert events == ["received", "handed_over", "supplement_requested", "supplement_completed", "apologized",
                          "handed_over", "finished", "returned"]
        text = box.inner_text()
        assert "Trễ hạn" in text and "Nguyễn Thị Lan" not in text
        for staff in org.staff.values():
            assert staff.full_name not in text
        # A wrong secret gets the same answer as an unknown code.
        page.goto(f"{page.base_url}/tra-cuu?ma={code}&bm=SAI")
        assert page.is_visible("#lookup-error") and page.locator("[data-dossier]").count() == 0


def test_online_submission_then_kiosk_lookup_by_touch(page, org):
    from kycuong.dossiers.models import Dossier

    make_procedure(code="1.001193", name="Thủ tục đăng ký khai sinh", processing_value=3)
    page.goto(page.base_url + "/nop-truc-tuyen/?q=khai+sinh")
    page.click("text=Thủ tục đăng ký khai sinh")
    page.select_option("#id_unit", "H26.P04")
    page.fill("#id_name", "Trần Văn Minh")
    page.fill("#id_phone", "0987654321")
    page.set_input_files("#id_files", files=[{"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf",
                                              "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.click("button[type=submit]")
    assert "giay-chung-sinh.pdf" in page.inner_text("main")
    page.get_by_role("button", name="Nộp hồ sơ", exact=True).click()
    code = page.inner_text("#dossier-code").strip()
    secret = page.inner_text("#dossier-secret").strip()
    assert Dossier.objects.get(code=code).status == "submitted"

    # Kiosk: tap the keypad, no typing.
    page.goto(page.base_url + "/kiosk")
    assert page.get_attribute("body", "data-idle-reset") == "60"
    page.click("text=Tra cứu hồ sơ đã nộp")
    for ch in code:
        page.click(f".keypad [data-key='{ch}']")
    assert page.input_value("#ma") == code
    for ch in secret:
        page.click(f".keypad [data-key='{ch}']")
    page.click(".keypad button[type=submit]")
    assert page.locator("[data-status]").first.get_attribute("data-status") == "submitted"
