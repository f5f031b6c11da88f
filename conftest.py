"""Shared fixtures: a small organisation tree, users per role, API clients, and the browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from kycuong.org.tests.factories import OrgTree, build_org_tree


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters and cached lookups live in the cache: start every test with it empty."""
    from django.core.cache import cache

    from kycuong.workdays.services import calendar_cache_clear

    cache.clear()
    calendar_cache_clear()  # keyed by unit id and revision, both of which a rolled-back test reuses
    yield
    cache.clear()


@pytest.fixture
def org(db: Any) -> OrgTree:
    """City → Sở Tư pháp (→ office), Phường A, Phường B, Xã C, service centre → reception point,
    with users: admin, leader, inspector, head_a, officer_a, onestop_a, officer_b, dept_head, dept_officer."""
    return build_org_tree()


@pytest.fixture
def api_client_for() -> Any:
    """Return a Django test client authenticated with a fresh API token for `user`."""
    from django.test import Client

    from kycuong.core.services import api_token_create

    def make(user: Any) -> Client:
        _token, raw = api_token_create(user=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install -y chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.base_url = live_server.url  # type: ignore[attr-defined]
    yield pg
    context.close()


def login(page: Any, username: str, password: str = "pw") -> None:
    page.goto(f"{page.base_url}/dang-nhap/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/trang-cua-toi/")
