"""Excel exports in the layout agencies file: a unit's monthly program ("Chương trình công tác
tháng") and its report ("Báo cáo kết quả thực hiện").

Layout: the unit's superior and the unit (top left) beside the national motto (top right), the
title with the month, the period line, then one numbered row per item — unit items 1, 2, …, the
personal items under them 1.1, 1.2, …, then the unit's other personal items — with the columns
nội dung, người chủ trì, phối hợp, sản phẩm, thời hạn, kết quả/tiến độ (the report adds the
official status class and the evidence)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from kycuong.core.exports import xlsx_response
from kycuong.core.periods import TZ, Period
from kycuong.org.models import Unit

from .models import StatusClass, WorkItem
from .selectors import lists as sel
from .views.common import period_of, unit_of

_THIN = Side(style="thin", color="000000")
_BOX = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
PROGRAM_HEADERS = ("STT", "Nội dung công việc", "Người chủ trì", "Người phối hợp", "Sản phẩm", "Thời hạn",
                   "Kết quả/Tiến độ")
REPORT_HEADERS = (*PROGRAM_HEADERS, "Đánh giá", "Minh chứng")
WIDTHS = (7, 48, 22, 24, 26, 17, 22, 28, 24)


def _product(item: WorkItem) -> str:
    qty = item.quantity.normalize()
    return f"{qty:f} × {item.product_type.name}"


def _progress(item: WorkItem, percent: int | None = None) -> str:
    if percent is not None:
        return f"{percent}%"
    if item.completion:
        return str(item.get_completion_display())
    return str(item.get_status_display())


def numbered_rows(*, unit: Unit, period: Period, at: dt.datetime) -> Iterator[tuple[str, WorkItem, int | None]]:
    """(number, item, rolled-up percent or None) in outline order."""
    outline = sel.unit_outline(unit=unit, period=period, at=at)
    n = 0
    for n, row in enumerate(outline["rows"], start=1):
        yield str(n), row.item, row.progress
        for m, child in enumerate(row.children, start=1):
            yield f"{n}.{m}", child, None
    for m, item in enumerate(outline["loose"], start=n + 1):
        yield str(m), item, None


def _sheet(*, unit: Unit, period: Period, title: str, headers: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ncol = len(headers)
    parent_name = unit.parent.name.upper() if unit.parent is not None else ""
    ws.cell(row=1, column=1, value=parent_name)
    ws.cell(row=2, column=1, value=unit.name.upper()).font = Font(bold=True)
    ws.cell(row=1, column=5, value="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").font = Font(bold=True)
    ws.cell(row=2, column=5, value="Độc lập - Tự do - Hạnh phúc").font = Font(bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
    ws.merge_cells(start_row=1, start_column=5, end_row=1, end_column=ncol)
    ws.merge_cells(start_row=2, start_column=5, end_row=2, end_column=ncol)
    month = f"THÁNG {period.start.month:02d} NĂM {period.start.year}"
    ws.cell(row=4, column=1, value=f"{title.upper()} {month}").font = Font(bold=True, size=14)
    last = period.end - dt.timedelta(days=1)
    ws.cell(row=5, column=1, value=f"(Từ ngày {period.start:%d/%m/%Y} đến ngày {last:%d/%m/%Y})").font = Font(italic=True)
    for r in (4, 5):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center")
    for r in (1, 2):
        for c in (1, 5):
            ws.cell(row=r, column=c).alignment = Alignment(horizontal="center")
    header_row = 7
    for c, h in enumerate(headers, start=1):
        cell = ws.cell(row=header_row, column=c, value=h)
        cell.font = Font(bold=True)
        cell.border = _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, values in enumerate(rows, start=header_row + 1):
        top_level = "." not in str(values[0])
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.border = _BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if c == 1 else None)
            if top_level and c == 2:
                cell.font = Font(bold=True)
    from openpyxl.utils import get_column_letter

    for c in range(1, ncol + 1):
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS[c - 1]
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _base_row(number: str, item: WorkItem, percent: int | None) -> list[Any]:
    co = ", ".join(s.full_name for s in item.co_workers.all())
    due = item.due_at.astimezone(TZ).strftime("%H:%M %d/%m/%Y")
    return [number, item.title, item.owner.full_name, co, _product(item), due, _progress(item, percent)]


def monthly_program_xlsx(*, unit: Unit, period: Period, at: dt.datetime) -> bytes:
    rows = [_base_row(n, i, p) for n, i, p in numbered_rows(unit=unit, period=period, at=at)]
    return _sheet(unit=unit, period=period, title="Chương trình công tác", headers=PROGRAM_HEADERS, rows=rows)


def monthly_report_xlsx(*, unit: Unit, period: Period, at: dt.datetime) -> bytes:
    labels = dict(StatusClass.choices)
    rows = []
    for n, item, percent in numbered_rows(unit=unit, period=period, at=at):
        cls = getattr(item, "status_class", None)
        evidence = "; ".join(e.title or (e.dossier.code if e.dossier else e.url) for e in item.evidence.all())
        note = f" – {item.completion_note}" if item.completion_note else ""
        rows.append([*_base_row(n, item, percent)[:6], _progress(item, percent) + note,
                     str(labels.get(cls, "")) if cls else "", evidence])
    return _sheet(unit=unit, period=period, title="Báo cáo kết quả thực hiện", headers=REPORT_HEADERS, rows=rows)


@login_required
def monthly_program_view(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    period = period_of(request, "month")
    content = monthly_program_xlsx(unit=unit, period=period, at=timezone.now())
    return xlsx_response(content, f"chuong-trinh-cong-tac-{unit.code}-{period.label}.xlsx")


@login_required
def monthly_report_view(request: HttpRequest) -> HttpResponse:
    unit = unit_of(request)
    period = period_of(request, "month")
    content = monthly_report_xlsx(unit=unit, period=period, at=timezone.now())
    return xlsx_response(content, f"bao-cao-ket-qua-{unit.code}-{period.label}.xlsx")

