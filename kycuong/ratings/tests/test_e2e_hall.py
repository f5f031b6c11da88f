"""Must show (issue 4), in a real browser: kiosk ticket → the counter calls it → the display board
shows it (within 2 s, with a chime) → the counter tablet's rating is accepted → a second rating of
the same ticket from the same tablet is refused with a clear reason. Plus the offline tablet:
a rating made without network is kept and resent once the network is back, counted once."""

from __future__ import annotations

import time

import pytest

from conftest import login
from kycuong.ratings.models import Rating
from kycuong.ticketing.models import Ticket, TicketStatus

pytestmark = pytest.mark.e2e


def wait_until(predicate, timeout: float) -> float:
    """Poll `predicate` from Python (page-side wait_for_function needs eval, which our CSP forbids)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - started


def paired_page(browser, base_url, token):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.goto(f"{base_url}/thiet-bi/ghep-noi/?t={token}")
    return pg


def test_ticket_call_board_rating_and_refused_second_rating(transactional_db, hall, page, browser):
    base = page.base_url
    # Display board open in the hall.
    board = paired_page(browser, base, "none")
    board.goto(f"{base}/man-hinh/{hall.unit.code}/")
    # Citizen takes a ticket on the kiosk (touch).
    kiosk = paired_page(browser, base, hall.kiosk_token)
    assert kiosk.url.endswith("/lay-so/")
    kiosk.click("button[data-area='A']")
    kiosk.wait_for_selector("[data-ticket-code]")
    assert kiosk.inner_text("[data-ticket-code]") == "A-001"
    # The officer at counter 1 calls the next number with the keyboard shortcut.
    login(page, "onestop_rp")
    page.goto(f"{base}/quay/{hall.counter1.pk}/")
    page.keyboard.press("n")
    page.wait_for_selector("[data-current='A-001']")
    # The board shows it within 2 seconds, without reload, and chimes once.
    wait_until(lambda: "A-001" in board.inner_text("#board-serving"), timeout=2.0)
    assert "Quầy 1" in board.inner_text("#board-serving")
    wait_until(lambda: board.get_attribute("body", "data-chimes") == "1", timeout=1.0)
    # Start, then finish serving.
    page.keyboard.press("b")
    page.wait_for_selector("[data-current='A-001'][data-status='serving']")
    page.keyboard.press("h")
    page.wait_for_selector("[data-current]", state="detached")
    assert Ticket.objects.get().status == TicketStatus.DONE
    # The counter tablet asks for a rating of A-001; the citizen answers.
    tablet = paired_page(browser, base, hall.tablet1_token)
    assert tablet.url.endswith("/may-danh-gia/")
    tablet.wait_for_selector("body[data-screen='ask']")
    assert tablet.inner_text("#t-subject") == "A-001"
    assert hall.officer1.full_name in tablet.inner_text("#t-officer")
    tablet.click("[data-level='very_satisfied']")
    tablet.check("input[data-criterion='civil_servant'][value='very_satisfied']")
    tablet.click("#t-send")
    tablet.wait_for_selector("body[data-screen='thanks']")
    rating = Rating.objects.get()
    assert rating.level == "very_satisfied" and rating.officer_level == "very_satisfied"
    assert rating.counter_id == hall.counter1.pk and rating.officer_id == hall.officer1.pk
    # The same tablet tries to rate A-001 again: refused with a clear reason, nothing counted.
    ticket_id = Ticket.objects.get().pk
    result = tablet.evaluate(
        """async (ticketId) => {
            const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch('/api/v1/ratings/device/ratings', {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
              body: JSON.stringify({idempotency_key: crypto.randomUUID(), ticket_id: ticketId, level: 'dissatisfied'})});
            return {status: r.status, body: await r.json()};
        }""", ticket_id)
    assert result["status"] == 409 and result["body"]["code"] == "already_rated"
    assert "đã được đánh giá" in result["body"]["message"]
    assert Rating.objects.count() == 1
    # And the tablet itself does not offer A-001 again.
    tablet.wait_for_selector("body[data-screen='idle']", timeout=8000)
    tablet.wait_for_timeout(3500)
    assert tablet.get_attribute("body", "data-screen") == "idle"


def test_tablet_keeps_rating_offline_and_resends_once(transactional_db, hall, browser, live_server):
    from kycuong.ticketing import services

    services.ticket_issue(area=hall.area_a)
    services.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    services.ticket_finish(counter=hall.counter1, staff=hall.officer1)
    tablet = paired_page(browser, live_server.url, hall.tablet1_token)
    tablet.wait_for_selector("body[data-screen='ask']")
    tablet.context.set_offline(True)
    tablet.click("[data-level='satisfied']")
    tablet.click("#t-send")
    tablet.wait_for_selector("body[data-screen='thanks']")
    assert tablet.get_attribute("#t-pending", "data-count") == "1"
    assert "sẽ tự gửi khi có mạng" in tablet.inner_text("#t-thanks-note")
    assert Rating.objects.count() == 0
    tablet.context.set_offline(False)
    tablet.wait_for_selector("#t-pending[data-count='0']", state="attached", timeout=20_000)
    assert Rating.objects.count() == 1
    # A reload (or power cycle) does not resend anything: the queue is empty and the ticket is rated.
    tablet.reload()
    tablet.wait_for_timeout(4000)
    assert Rating.objects.count() == 1 and tablet.get_attribute("body", "data-screen") == "idle"
