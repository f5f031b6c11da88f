"""Browser tests of the shell: Vietnamese home page, login per role, keyboard focus, no external assets."""

from __future__ import annotations

import pytest

from conftest import login

pytestmark = pytest.mark.e2e


def test_home_page_in_vietnamese_with_local_assets_only(page, org):
    external = []
    page.on("request", lambda req: external.append(req.url) if not req.url.startswith(page.base_url) else None)
    page.goto(page.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Kỷ luật")
    assert external == []


@pytest.mark.parametrize("username", ["admin", "leader", "inspector", "head_a", "officer_a", "onestop_a"])
def test_each_role_logs_in_and_sees_landing_page(page, org, username):
    login(page, username)
    assert "Xin chào" in page.get_by_role("heading", level=1).inner_text()


def test_skip_link_and_visible_focus(page, org):
    page.goto(page.base_url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused


def test_switch_to_english(page, org):
    page.goto(page.base_url + "/dang-nhap/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
