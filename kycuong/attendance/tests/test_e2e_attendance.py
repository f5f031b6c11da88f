"""Browser: the head opens the timesheet, downloads the Excel file, and it matches the screen;
the "today" board renders and refreshes itself with htmx."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import login
from kycuong.attendance.services import attendance_compute
from kycuong.core.periods import TZ

from .factories import punch

pytestmark = pytest.mark.e2e


def test_timesheet_excel_download_matches_the_page(page, org, device):
    me = org.staff["officer_a"]
    punch(device, me, dt.date(2026, 8, 3), "08:20")
    punch(device, me, dt.date(2026, 8, 3), "17:00")
    attendance_compute(start=dt.date(2026, 8, 1), end=dt.date(2026, 8, 31), staff_ids=[me.pk],
                       now=dt.datetime(2026, 9, 10, 9, 0, tzinfo=TZ))
    login(page, "head_a")
    page.goto(f"{page.base_url}/cham-cong/bang-cham-cong/?don-vi=H26.P04&thang=2026-08")
    rows = page.locator("#timesheet tbody tr")
    screen = [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]
    assert any(row[1] == me.full_name and row[3 + 2] == "M" for row in screen)
    with page.expect_download() as info:
        page.get_by_role("link", name="Xuất Excel").click()
    ws = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    excel = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(min_row=5, max_row=4 + len(screen), values_only=True)]
    assert excel == screen


def test_today_board_refreshes(page, org, device):
    login(page, "head_a")
    page.clock.install()
    page.goto(f"{page.base_url}/cham-cong/")
    assert page.locator("#today-board").get_attribute("hx-trigger") == "every 60s"
    with page.expect_response(lambda r: "/cham-cong/" in r.url and r.request.headers.get("hx-request") == "true") as resp:
        page.clock.run_for(61_000)
    assert resp.value.status == 200
    assert page.locator("#count-present").is_visible()
