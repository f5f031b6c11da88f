from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from kycuong.scorecard.services import scorecard_compute

from .conftest import NOW


@pytest.fixture
def computed(dataset):
    for period in ("2026-09", "2026-10"):
        scorecard_compute(set_code="dvc766", period=period, now=NOW)
    return dataset


def test_ranking_page_shows_ranks_and_change(computed, client, django_assert_max_num_queries):
    client.force_login(computed.user("officer_a"))
    with django_assert_max_num_queries(25):
        response = client.get("/chi-so/?set=dvc766&period=2026-10&group=local")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Phường Cửa Nam") < html.index("Phường Ba Đình") < html.index("Phường Hoàn Kiếm")
    assert "<svg" in html and "https://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_ranking_exports_carry_the_same_data(computed, client):
    client.force_login(computed.user("leader"))
    base = "/chi-so/?set=dvc766&period=2026-10&group=local&format="
    data = json.loads(client.get(base + "json").content)
    assert [(r["unit"], r["rank"]) for r in data["rows"]] == [("H26.P02", 1), ("H26.P01", 2), ("H26.X01", 2),
                                                               ("H26.P04", 4)]
    rows = list(csv.reader(io.StringIO(client.get(base + "csv").content.decode("utf-8-sig"))))
    assert rows[0][0] == "Hạng" and [r[2] for r in rows[1:]] == ["H26.P02", "H26.P01", "H26.X01", "H26.P04"]
    assert float(rows[1][-1]) == 100.0
    wb = openpyxl.load_workbook(io.BytesIO(client.get(base + "xlsx").content))
    ws = wb.active
    assert ws["A1"].value.startswith("BẢNG XẾP HẠNG")
    assert [ws.cell(row=r, column=3).value for r in range(5, 9)] == ["H26.P02", "H26.P01", "H26.X01", "H26.P04"]


def test_unit_page_has_trend_charts_with_numbers(computed, client):
    client.force_login(computed.user("officer_a"))
    response = client.get("/chi-so/don-vi/H26.P04/?set=dvc766&period=2026-10")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<svg") >= 2 + 11 + 11  # totals, each indicator by month and by week
    assert "Số liệu" in html and "xu-huong.csv" in html
    assert "Chưa có dữ liệu từ phân hệ nguồn" in html or "Phân hệ nguồn chưa được cài đặt" in html
    csv_response = client.get("/chi-so/don-vi/H26.P04/xu-huong.csv?set=dvc766&period=2026-10&kind=month")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    october = [r for r in rows if r[0] == "2026-10" and r[1] == "progress.on_time"]
    assert october[0][3:5] == ["5", "9"]


def test_unit_report_exports(computed, client):
    client.force_login(computed.user("officer_a"))
    data = json.loads(client.get("/chi-so/don-vi/H26.P04/?set=dvc766&period=2026-10&format=json").content)
    assert data["unit"] == "H26.P04" and len(data["indicators"]) == 11
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/chi-so/don-vi/H26.P04/?period=2026-10&format=xlsx").content))
    ws = wb.active
    codes = [ws.cell(row=r, column=3).value for r in range(5, 16)]
    assert codes[2] == "progress.on_time" and ws.cell(row=7, column=5).value == 5 and ws.cell(row=7, column=6).value == 9


def test_why_lists_late_dossiers_procedures_and_officers(computed, client):
    client.force_login(computed.user("head_a"))
    response = client.get("/chi-so/don-vi/H26.P04/vi-sao/?set=dvc766&a=2026-09&b=2026-10")
    html = response.content.decode()
    assert response.status_code == 200
    ctx = response.context["why"]
    late = {d["code"]: d["reason"] for d in ctx.late_dossiers}
    # late finished (after due_at), late by two supplement requests, overdue open, and the September one finished late.
    assert set(late) == {"H26.P04-261012-0001", "H26.P04-261006-0001", "H26.P04-261020-0001", "H26.P04-260928-0001"}
    assert late["H26.P04-261006-0001"] == "Yêu cầu bổ sung 2 lần"
    assert late["H26.P04-261020-0001"] == "Quá hạn, chưa giải quyết"
    assert ctx.late_total == 4
    assert {p["code"]: p["b"] for p in ctx.procedures} == {"T.001": 3, "T.002": 1}
    assert [o["name"] for o in ctx.officers] == ["Cán bộ officer_a"]
    assert ctx.lost_by_indicator["progress.on_time"]["b"] == 4
    assert ctx.lost_by_indicator["transparency.sync"]["b"] == 2
    assert [g["code"] for g in ctx.catalog_gaps] == ["T.002"]
    assert "H26.P04-261020-0001" in html
    # each late dossier links to its control sheet (form 05)
    assert {d["url"] for d in ctx.late_dossiers} == {f"/ho-so/{code}/bieu-mau/05/" for code in late}


def test_why_evidence_respects_scope(computed, client):
    client.force_login(computed.user("officer_b"))  # Phường Ba Đình: P04's dossiers are out of scope
    response = client.get("/chi-so/don-vi/H26.P04/vi-sao/?set=dvc766&a=2026-09&b=2026-10")
    assert response.status_code == 200
    ctx = response.context["why"]
    assert ctx.late_dossiers == [] and ctx.officers == [] and ctx.in_scope is False
    assert "H26.P04-261020-0001" not in response.content.decode()
    # …but the aggregate comparison is still there
    assert any(r["code"] == "progress.on_time" and r["b"]["numerator"] == 5 for r in ctx.rows)


def test_public_dashboard_has_aggregates_only(computed, client):
    response = client.get("/cong-khai/chi-so/?set=dvc766&period=2026-10")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Phường Hoàn Kiếm" in html and "Sở Tư pháp" in html
    for private in ("H26.P04-2610", "Cán bộ officer_a", "NV9000", "Nguyễn Thị Hoa", "/chi-so/don-vi/"):
        assert private not in html


def test_public_dashboard_refuses_internal_sets(db, client):
    assert client.get("/cong-khai/chi-so/?set=kycuong").status_code == 404


@pytest.mark.parametrize("url", ["/chi-so/?period=2026-13", "/chi-so/?set=zzz", "/chi-so/don-vi/NOPE/",
                                 "/chi-so/?group=provinces"])
def test_pages_explain_bad_input(computed, client, url):
    client.force_login(computed.user("officer_a"))
    response = client.get(url)
    assert response.status_code in (404, 422)
    assert "error-summary" in response.content.decode()


def test_pages_need_login(db, client):
    assert client.get("/chi-so/").status_code == 302


def test_dashboard_card_for_the_users_unit(computed, client):
    from django.utils import timezone

    from kycuong.core.periods import period_containing

    scorecard_compute(set_code="dvc766", period=period_containing(timezone.localdate(), "month"))
    client.force_login(computed.user("officer_a"))
    html = client.get("/trang-cua-toi/").content.decode()
    assert "Chỉ số phục vụ tháng" in html


def test_demo_computes_history(dataset):
    from kycuong.core.demodata import DemoContext
    from kycuong.scorecard import demo
    from kycuong.scorecard.models import Result

    summary = demo.build(DemoContext(log=lambda s: None))
    assert "2 bộ chỉ số" in summary and "27 lượt tính" in summary
    assert Result.objects.filter(period="2026-10", indicator_set__code="dvc766", unit__code="H26.P04",
                                 indicator__code="progress.on_time").get().numerator == 5
    assert Result.objects.filter(period="2026-W47").exists()


def test_why_for_the_city_covers_every_unit(computed, client):
    client.force_login(computed.user("leader"))
    ctx = client.get("/chi-so/don-vi/H26/vi-sao/?set=dvc766&a=2026-09&b=2026-10").context["why"]
    # P04: 4; P01 and X01: one late each; Sở Tư pháp's office: one overdue open.
    assert ctx.late_total == 7
    assert {p["code"]: p["b"] for p in ctx.procedures} == {"T.001": 3, "T.002": 3, "T.003": 1}


def test_excel_report_ends_with_the_signature_block(computed, client):
    client.force_login(computed.user("officer_a"))
    ws = openpyxl.load_workbook(io.BytesIO(client.get("/chi-so/don-vi/H26.P04/?period=2026-10&format=xlsx").content)).active
    values = [c.value for row in ws.iter_rows(min_row=ws.max_row - 3) for c in row if c.value]
    assert "NGƯỜI LẬP BIỂU" in values and "THỦ TRƯỞNG ĐƠN VỊ" in values
    assert any(str(v).startswith("Hà Nội, ngày") for v in values)


def test_discipline_set_says_which_sources_have_no_data(computed, client):
    client.force_login(computed.user("head_a"))
    response = client.get("/chi-so/don-vi/H26.P04/?set=kycuong&period=2026-10")
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.context["detail"].rows}
    for code in ("inspection.coverage", "inspection.no_violation"):
        assert rows[code]["note"] == "Phân hệ nguồn chưa được cài đặt" and rows[code]["applicable"] is False
        assert rows[code]["numerator"] is None
    # Work programs are installed but nobody uses them in the dataset: "no data", never a zero.
    for code in ("workplan.programs_on_time", "workplan.completion", "workplan.not_overdue"):
        assert rows[code]["note"] == "Chưa có dữ liệu từ phân hệ nguồn" and rows[code]["applicable"] is False
        assert rows[code]["numerator"] is None
    # No timekeeping and no feedback in the dataset: "no data", never a zero.
    for code in ("attendance.compliance", "attendance.no_unjustified_absence", "feedback.on_time"):
        assert rows[code]["applicable"] is False and rows[code]["points"] is None and rows[code]["note"]
    assert response.context["detail"].total is None
