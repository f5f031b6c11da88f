"""Ranking tables and a unit's report as Excel (the layout officials print), CSV and JSON — same data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from kycuong.core.exports import xlsx_bytes, xlsx_response

from .selectors import RankRow, UnitDetail, set_groups

FORMATS = ("xlsx", "csv", "json")


def fmt1(value: float | None) -> str:
    """One decimal for display (points are stored unrounded)."""
    return "—" if value is None else f"{value:.1f}"


def ranking_table(*, indicator_set: Any, rows: list[RankRow]) -> tuple[list[str], list[list[Any]]]:
    groups = set_groups(indicator_set)
    headers = ["Hạng", "Thay đổi", "Mã đơn vị", "Tên đơn vị", *[f"{name} ({mx:g})" for _c, name, mx in groups],
               "Điểm đạt", "Điểm tối đa áp dụng", "Chỉ số (/100)"]
    table = []
    for r in rows:
        table.append([r.rank, r.change, r.code, r.name,
                      *[_round(r.groups.get(code)) for code, _n, _m in groups],
                      _round(r.points), _round(r.max_points), _round(r.total)])
    return headers, table


def ranking_json(*, set_code: str, period: str, group: str, rows: list[RankRow]) -> dict[str, Any]:
    return {"set": set_code, "period": period, "group": group,
            "rows": [{"rank": r.rank, "previous_rank": r.previous_rank, "change": r.change, "unit": r.code,
                      "name": r.name, "kind": r.kind, "total": r.total, "points": r.points,
                      "max_points": r.max_points, "groups": r.groups} for r in rows]}


def unit_table(detail: UnitDetail) -> tuple[list[str], list[list[Any]]]:
    headers = ["STT", "Nhóm", "Mã chỉ số", "Tên chỉ số", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Điểm tối đa", "Điểm đạt",
               "Ghi chú"]
    table: list[list[Any]] = []
    for i, r in enumerate(detail.rows, start=1):
        note = r["note"] or ("" if r["applicable"] else "Không áp dụng (mẫu số bằng 0)")
        table.append([i, r["group_name"], r["code"], r["name"], r["numerator"], r["denominator"],
                      None if r["rate"] is None else round(r["rate"] * 100, 2), r["max_points"], _round(r["points"]),
                      note])
    table.append(["", "", "", "Tổng điểm (trên các chỉ số áp dụng)", "", "", "", _round(detail.max_points),
                  _round(detail.points), ""])
    table.append(["", "", "", "Chỉ số (quy về thang 100)", "", "", "", 100, _round(detail.total), ""])
    return headers, table


def _with_signatures(content: bytes, *, columns: int) -> bytes:
    """Append the place/date line and the signature block officials sign under a printed table."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    from kycuong.core.periods import TZ

    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    today = timezone.now().astimezone(TZ).date()
    row = ws.max_row + 2
    right = max(1, columns - 2)
    ws.cell(row=row, column=right, value=f"Hà Nội, ngày {today.day:02d} tháng {today.month:02d} năm {today.year}").font = \
        Font(italic=True)
    ws.cell(row=row + 1, column=1, value="NGƯỜI LẬP BIỂU").font = Font(bold=True)
    ws.cell(row=row + 1, column=right, value="THỦ TRƯỞNG ĐƠN VỊ").font = Font(bold=True)
    ws.cell(row=row + 2, column=1, value="(Ký, ghi rõ họ tên)").font = Font(italic=True)
    ws.cell(row=row + 2, column=right, value="(Ký, ghi rõ họ tên, đóng dấu)").font = Font(italic=True)
    for r in range(row, row + 3):
        for c in (1, right):
            ws.cell(row=r, column=c).alignment = Alignment(horizontal="center")
    ws.print_options.horizontalCentered = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def respond(*, fmt: str, filename: str, title: str, subtitle: str, headers: Sequence[str], rows: list[list[Any]],
            payload: Any, widths: Sequence[int] | None = None) -> HttpResponse:
    if fmt == "xlsx":
        content = xlsx_bytes(title=title, subtitle=subtitle, headers=headers, rows=rows, sheet="Chi so", widths=widths)
        return xlsx_response(_with_signatures(content, columns=len(headers)), f"{filename}.xlsx")
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel opens UTF-8 CSV with Vietnamese correctly only with a BOM
        writer = csv.writer(buf)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    response = HttpResponse(json.dumps(payload, ensure_ascii=False, default=str, indent=1),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response
