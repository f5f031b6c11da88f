"""Browser: ranking → unit → "why" → a late dossier's control sheet (form 05)."""

from __future__ import annotations

import pytest

from conftest import login
from kycuong.scorecard.services import scorecard_compute

from .conftest import NOW


@pytest.mark.e2e
def test_ranking_to_unit_to_why_to_control_sheet(transactional_db, dataset, page):
    for period in ("2026-09", "2026-10"):
        scorecard_compute(set_code="dvc766", period=period, now=NOW)
    login(page, "head_a")
    page.goto(f"{page.base_url}/chi-so/?set=dvc766&period=2026-10&group=local")
    rows = page.locator("#ranking tbody tr")
    assert rows.count() == 4
    assert rows.nth(0).locator("td").nth(0).inner_text() == "1"
    assert [rows.nth(i).locator("td").nth(0).inner_text() for i in range(4)] == ["1", "2", "2", "4"]

    page.get_by_role("link", name="Phường Hoàn Kiếm").click()
    page.wait_for_url("**/chi-so/don-vi/H26.P04/**")
    assert page.locator("#indicators tr[data-code='progress.on_time']").inner_text().count("5 / 9") == 1
    assert page.locator("svg.chart").count() >= 2

    page.click("#why-link")
    page.wait_for_url("**/vi-sao/**")
    late = page.locator("#late-dossiers tbody tr")
    assert late.count() == 4
    page.get_by_role("link", name="H26.P04-261020-0001").click()
    page.wait_for_url("**/ho-so/H26.P04-261020-0001/**")
    body = page.content()
    assert "H26.P04-261020-0001" in body
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in body or "Phiếu kiểm soát" in body
