"""Excel exports of a unit's month: "Chương trình công tác tháng" and "Báo cáo kết quả thực hiện"
in the agencies' layout (unit header and national motto, title with the month, period line,
numbered outline rows 1, 1.1, …, the fixed columns)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from kycuong.workplans.exports import PROGRAM_HEADERS, REPORT_HEADERS
from kycuong.workplans.models import Completion, EvidenceKind, ItemStatus, ProgramStatus, WorkItemEvidence

from .factories import at, clock, item, program

pytestmark = pytest.mark.django_db


def month_setup(org: Any) -> dict[str, Any]:
    unit_prog = program(org.ward_a, "2026-11", status=ProgramStatus.APPROVED)
    parent = item(unit_prog, owner=org.staff["head_a"], title="Cải cách thủ tục hành chính",
                  due_at=at("2026-11-30 17:00"))
    mine = program(org.ward_a, "2026-W47", owner=org.staff["officer_a"], status=ProgramStatus.APPROVED)
    child = item(mine, title="Rà soát thủ tục khai sinh", parent=parent, quantity="2",
                 status=ItemStatus.ACCEPTED, completion=Completion.DONE, completed_at=at("2026-11-19 10:00"),
                 completion_note="Đã rà soát 12 thủ tục", due_at=at("2026-11-20 17:00"))
    child.co_workers.add(org.staff["onestop_a"])
    WorkItemEvidence.objects.create(item=child, kind=EvidenceKind.LINK, url="https://example.org/bc",
                                    title="Báo cáo rà soát")
    late = item(mine, title="Báo cáo tình hình tiếp dân", due_at=at("2026-11-17 17:00"))
    return {"parent": parent, "child": child, "late": late}


def sheet(response: Any) -> Any:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)).active


def rows_of(ws: Any, first: int = 8) -> list[tuple[Any, ...]]:
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def test_monthly_program_layout_and_numbered_outline_rows(org: Any) -> None:
    month_setup(org)
    c = Client()
    c.force_login(org.user("head_a"))
    with clock(at("2026-11-25 10:00")):
        ws = sheet(c.get(reverse("workplans:export_program"), {"ky": "2026-11"}))
    assert ws["A1"].value == "UBND THÀNH PHỐ HÀ NỘI" and ws["A2"].value == "PHƯỜNG HOÀN KIẾM"
    assert ws["E1"].value == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert ws["A4"].value == "CHƯƠNG TRÌNH CÔNG TÁC THÁNG 11 NĂM 2026"
    assert ws["A5"].value == "(Từ ngày 01/11/2026 đến ngày 30/11/2026)"
    assert tuple(c.value for c in ws[7]) == PROGRAM_HEADERS
    rows = rows_of(ws)
    assert [r[0] for r in rows] == ["1", "1.1", "2"]
    assert rows[0][1] == "Cải cách thủ tục hành chính" and rows[0][6] == "100%"  # rolled up by weight
    assert rows[1][1:6] == ("Rà soát thủ tục khai sinh", "Cán bộ officer_a", "Cán bộ onestop_a",
                            "2 × Tờ trình, báo cáo", "17:00 20/11/2026")
    assert rows[2][1] == "Báo cáo tình hình tiếp dân"


def test_monthly_report_adds_the_status_class_and_evidence(org: Any) -> None:
    month_setup(org)
    c = Client()
    c.force_login(org.user("head_a"))
    with clock(at("2026-11-25 10:00")):
        ws = sheet(c.get(reverse("workplans:export_report"), {"ky": "2026-11", "don-vi": org.ward_a.code}))
    assert ws["A4"].value == "BÁO CÁO KẾT QUẢ THỰC HIỆN THÁNG 11 NĂM 2026"
    assert tuple(c.value for c in ws[7]) == REPORT_HEADERS
    rows = rows_of(ws)
    assert rows[1][6] == "Hoàn thành – Đã rà soát 12 thủ tục"
    assert rows[1][7] == "Đã hoàn thành đúng hạn" and rows[1][8] == "Báo cáo rà soát"
    assert rows[2][7] == "Chưa hoàn thành, quá hạn"


def test_export_of_another_ward_is_404_and_a_bad_month_is_not_a_500(org: Any) -> None:
    c = Client()
    c.force_login(org.user("head_b"))
    assert c.get(reverse("workplans:export_program"), {"don-vi": org.ward_a.code}).status_code == 404
    assert c.get(reverse("workplans:export_report"), {"ky": "2026-13"}).status_code == 200
