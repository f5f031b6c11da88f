"""One-stop forms (Circular 01/2018/TT-VPCP, kept in spirit by Circular 03/2025/TT-VPCP) as
printable HTML and PDF: 01 receipt and appointment (with a QR code to the public lookup),
02 supplement request, 03 refusal, 04 apology and new appointment, 05 control sheet.

Each form is first built as a `FormDoc` (plain data); one HTML template and one PDF renderer
draw every form in the Vietnamese administrative layout (issuing body on the left, national
motto on the right, number and place-date line, title, body, signatures).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kycuong.core.errors import NotFound
from kycuong.core.periods import TZ
from kycuong.core.text import mask_id_number, mask_phone

from .models import Dossier, DossierEvent, EventType, Outcome

FORMS = {
    "01": "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    "02": "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    "03": "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    "04": "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    "05": "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
}
NUMBER_SUFFIX = {"01": "TNHS", "02": "BSHS", "03": "TCHS", "04": "XLHS", "05": "KSHS"}
FONT_DIR = Path(__file__).resolve().parent.parent / "core" / "static" / "kycuong" / "fonts"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass
class FormDoc:
    form: str
    title: str
    issuer_parent: str
    issuer: str
    number: str
    place_date: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    items_label: str = ""
    table_headers: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)
    steps_headers: list[str] = field(default_factory=list)
    steps_rows: list[list[str]] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    sign_left: tuple[str, str] = ("", "")
    sign_right: tuple[str, str] = ("", "")
    qr_url: str = ""
    code: str = ""

    @property
    def qr_svg(self) -> str:
        if not self.qr_url:
            return ""
        return segno.make(self.qr_url, error="m").svg_inline(scale=3, border=2)

    def qr_png(self) -> bytes:
        buf = io.BytesIO()
        segno.make(self.qr_url, error="m").save(buf, kind="png", scale=6, border=2)
        return buf.getvalue()


# --- formatting -----------------------------------------------------------------------------

def _local(at: dt.datetime | None) -> dt.datetime | None:
    return at.astimezone(TZ) if at else None


def fmt_moment(at: dt.datetime | None) -> str:
    """"14 giờ 30 phút, ngày 20/11/2026" (the wording used on receipts)."""
    at = _local(at)
    if at is None:
        return "—"
    return f"{at.hour:02d} giờ {at.minute:02d} phút, ngày {at:%d/%m/%Y}"


def fmt_short(at: dt.datetime | None) -> str:
    at = _local(at)
    return f"{at:%H:%M %d/%m/%Y}" if at else ""


def place_date(at: dt.datetime | None) -> str:
    at = _local(at) or dt.datetime.now(TZ)
    place = settings.KYCUONG_CITY_NAME.replace("Thành phố ", "").replace("Tỉnh ", "")
    return f"{place}, ngày {at.day:02d} tháng {at.month:02d} năm {at.year}"


def _issuer(unit: Any) -> tuple[str, str]:
    parent = unit.parent.name if getattr(unit, "parent", None) else settings.KYCUONG_CITY_NAME
    parent = parent.replace("Ủy ban nhân dân", "UBND")
    name = unit.name
    if unit.kind in ("ward", "commune"):
        name = f"UBND {name}"
    return parent.upper(), name.upper()


def _processing_label(dossier: Dossier) -> str:
    p = dossier.procedure
    value = p.processing_value.normalize()
    return f"{value:f}".replace(".", ",") + " " + str(p.get_processing_unit_display())


def _staff_name(staff: Any) -> str:
    return staff.full_name if staff is not None else ""


def _last(dossier: Dossier, type_: str) -> DossierEvent | None:
    return (DossierEvent.objects.filter(dossier=dossier, type=type_).select_related("actor")
            .order_by("-at", "-id").first())


def _applicant_lines(dossier: Dossier) -> list[tuple[str, str]]:
    lines = [(_("Người nộp hồ sơ"), dossier.applicant_name)]
    if dossier.applicant_id_number:
        lines.append((_("Số định danh cá nhân"), mask_id_number(dossier.applicant_id_number)))
    if dossier.applicant_address:
        lines.append((_("Địa chỉ"), dossier.applicant_address))
    if dossier.applicant_phone:
        lines.append((_("Số điện thoại"), mask_phone(dossier.applicant_phone)))
    return lines


def public_lookup_url_for(dossier: Dossier) -> str:
    from .public import public_lookup_url

    return public_lookup_url(code=dossier.code, secret=dossier.secret)


# --- the forms --------------------------------------------------------------------------------

def form_01(dossier: Dossier) -> FormDoc:
    """Receipt and appointment, with the code, the lookup secret and a QR code to /tra-cuu."""
    if dossier.received_at is None:
        raise NotFound(_("Hồ sơ chưa được tiếp nhận nên chưa có giấy hẹn."))
    received = _last(dossier, EventType.RECEIVED)
    parent, issuer = _issuer(dossier.received_unit)
    doc = FormDoc(form="01", title=FORMS["01"], issuer_parent=parent, issuer=issuer,
                  number=f"Số: {dossier.code}/{NUMBER_SUFFIX['01']}", place_date=place_date(dossier.received_at),
                  code=dossier.code, qr_url=public_lookup_url_for(dossier))
    doc.paragraphs.append(_("Bộ phận tiếp nhận và trả kết quả %(unit)s tiếp nhận hồ sơ của:") % {"unit": dossier.received_unit.name})
    doc.lines = [
        *_applicant_lines(dossier),
        (_("Nội dung yêu cầu giải quyết"), dossier.procedure.name),
        (_("Cơ quan giải quyết"), dossier.unit.name),
        (_("Mã hồ sơ"), dossier.code),
        (_("Mã tra cứu"), dossier.secret),
        (_("Thời gian giải quyết theo quy định"), _processing_label(dossier)),
        (_("Thời gian nhận hồ sơ"), fmt_moment(dossier.received_at)),
        (_("Thời gian trả kết quả giải quyết hồ sơ"), fmt_moment(dossier.original_due_at or dossier.due_at)),
        (_("Phí, lệ phí"), f"{dossier.fee_amount:,} đồng ({dossier.get_fee_payment_display()})".replace(",", ".")
         if dossier.fee_amount else _("Không thu")),
    ]
    doc.items_label = _("Thành phần hồ sơ gồm")
    doc.items = list(dossier.procedure.documents or [])
    doc.closing = [
        _("Số lượng hồ sơ: 01 bộ."),
        _("Tra cứu tình trạng hồ sơ tại %(url)s bằng mã hồ sơ và mã tra cứu, hoặc quét mã QR.")
        % {"url": settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/") + "/tra-cuu"},
    ]
    doc.sign_left = (_("NGƯỜI NỘP HỒ SƠ"), dossier.applicant_name)
    doc.sign_right = (_("NGƯỜI TIẾP NHẬN HỒ SƠ"), _staff_name(received.actor) if received else "")
    return doc


def form_02(dossier: Dossier) -> FormDoc:
    """Supplement request: what is missing and why; the clock pauses until it is supplied."""
    ev = _last(dossier, EventType.SUPPLEMENT_REQUESTED)
    if ev is None:
        raise NotFound(_("Hồ sơ không có yêu cầu bổ sung."))
    parent, issuer = _issuer(dossier.current_unit)
    doc = FormDoc(form="02", title=FORMS["02"], issuer_parent=parent, issuer=issuer,
                  number=f"Số: {dossier.code}/{NUMBER_SUFFIX['02']}-{dossier.supplement_count}", place_date=place_date(ev.at),
                  code=dossier.code)
    doc.lines = [*_applicant_lines(dossier), (_("Nội dung yêu cầu giải quyết"), dossier.procedure.name),
                 (_("Mã hồ sơ"), dossier.code), (_("Ngày tiếp nhận"), fmt_moment(dossier.received_at)),
                 (_("Ngày yêu cầu bổ sung"), fmt_moment(ev.at))]
    doc.paragraphs.append(_("Sau khi xem xét, đề nghị ông/bà bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:"))
    doc.items = [line for line in ev.reason.splitlines() if line.strip()] or [ev.reason]
    doc.closing = [
        _("Thời gian chờ bổ sung không tính vào thời hạn giải quyết; ngày hẹn trả kết quả sẽ được lùi tương ứng."),
        _("Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ %(unit)s để được hướng dẫn.")
        % {"unit": dossier.current_unit.name},
    ]
    doc.sign_right = (_("NGƯỜI HƯỚNG DẪN"), _staff_name(ev.actor))
    return doc


def form_03(dossier: Dossier) -> FormDoc:
    """Refusal to receive (or to process) with the concrete reason."""
    ev = _last(dossier, EventType.REFUSED)
    if ev is None:
        raise NotFound(_("Hồ sơ không bị từ chối tiếp nhận."))
    parent, issuer = _issuer(dossier.received_unit)
    doc = FormDoc(form="03", title=FORMS["03"], issuer_parent=parent, issuer=issuer,
                  number=f"Số: {dossier.code}/{NUMBER_SUFFIX['03']}", place_date=place_date(ev.at), code=dossier.code)
    doc.paragraphs.append(_("Bộ phận tiếp nhận và trả kết quả %(unit)s nhận được hồ sơ của:") % {"unit": dossier.received_unit.name})
    doc.lines = [*_applicant_lines(dossier), (_("Nội dung yêu cầu giải quyết"), dossier.procedure.name),
                 (_("Mã hồ sơ"), dossier.code)]
    doc.closing = [_("Căn cứ quy định hiện hành, cơ quan không tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:"),
                   ev.reason, _("Xin thông báo để ông/bà được biết và thực hiện.")]
    doc.sign_right = (_("NGƯỜI TIẾP NHẬN HỒ SƠ"), _staff_name(ev.actor))
    return doc


def form_04(dossier: Dossier) -> FormDoc:
    """Apology and new appointment (mandatory when a dossier will be late)."""
    ev = _last(dossier, EventType.APOLOGIZED)
    if ev is None:
        raise NotFound(_("Hồ sơ chưa có thư xin lỗi."))
    parent, issuer = _issuer(dossier.unit)
    doc = FormDoc(form="04", title=FORMS["04"], issuer_parent=parent, issuer=issuer,
                  number=f"Số: {dossier.code}/{NUMBER_SUFFIX['04']}", place_date=place_date(ev.at), code=dossier.code)
    doc.paragraphs.append(_("Kính gửi: Ông/Bà %(name)s") % {"name": dossier.applicant_name})
    doc.lines = [(_("Nội dung yêu cầu giải quyết"), dossier.procedure.name), (_("Mã hồ sơ"), dossier.code),
                 (_("Ngày tiếp nhận"), fmt_moment(dossier.received_at)), (_("Hẹn trả kết quả"), fmt_moment(dossier.due_at))]
    doc.closing = [
        _("Tuy nhiên đến nay, %(unit)s chưa trả kết quả giải quyết hồ sơ cho ông/bà đúng hẹn.") % {"unit": dossier.unit.name},
        _("Lý do: %(reason)s") % {"reason": ev.reason},
        _("Sự chậm trễ này đã gây phiền hà, tốn kém chi phí, công sức của ông/bà. %(unit)s xin lỗi ông/bà và "
          "hẹn lại thời gian trả kết quả vào: %(when)s.") % {"unit": dossier.unit.name, "when": fmt_moment(ev.new_due_at)},
        _("Rất mong nhận được sự thông cảm của ông/bà."),
    ]
    doc.sign_right = (_("THỦ TRƯỞNG CƠ QUAN"), "")
    return doc


CONTROL_EVENTS = (EventType.SUBMITTED, EventType.RECEIVED, EventType.HANDED_OVER, EventType.TRANSFERRED,
                  EventType.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_COMPLETED, EventType.APOLOGIZED,
                  EventType.FINISHED, EventType.RETURNED, EventType.REFUSED, EventType.WITHDRAWN, EventType.STOPPED,
                  EventType.ASSIGNED, EventType.REASSIGNED)


def _party(staff: Any, unit: Any) -> str:
    parts = [p for p in (_staff_name(staff), unit.name if unit else "") if p]
    return " – ".join(parts)


def control_rows(dossier: Dossier) -> list[list[str]]:
    """Form 05 rows: every hand-over, from whom to whom, when, and early/on time/late per step."""
    outcomes = dict(Outcome.choices)
    labels = dict(EventType.choices)
    events = (DossierEvent.objects.filter(dossier=dossier, type__in=CONTROL_EVENTS)
              .select_related("actor", "from_unit", "to_unit", "from_staff", "to_staff", "step").order_by("at", "id"))
    applicant = _("Người nộp hồ sơ")
    rows = []
    for ev in events:
        giver, taker = "", ""
        due = ""
        if ev.type in (EventType.SUBMITTED, EventType.RECEIVED):
            giver = applicant
            taker = _party(ev.actor, dossier.received_unit) if ev.type == EventType.RECEIVED else _party(None, ev.to_unit)
            due = fmt_short(ev.new_due_at)
        elif ev.type in (EventType.HANDED_OVER, EventType.TRANSFERRED, EventType.ASSIGNED, EventType.REASSIGNED):
            giver = _party(ev.from_staff or (ev.actor if ev.type != EventType.HANDED_OVER else None), ev.from_unit)
            taker = _party(ev.to_staff, ev.to_unit)
            due = fmt_short(ev.step.due_at) if ev.step else ""
        elif ev.type == EventType.SUPPLEMENT_REQUESTED:
            giver, taker = _party(ev.actor, None), applicant
        elif ev.type == EventType.SUPPLEMENT_COMPLETED:
            giver, taker = applicant, _party(ev.actor, None)
            due = fmt_short(ev.new_due_at)
        elif ev.type == EventType.RETURNED:
            giver, taker = _party(ev.actor, dossier.received_unit), applicant
        else:
            giver = _party(ev.actor, None)
            due = fmt_short(ev.new_due_at) if ev.new_due_at else ""
        outcome = (ev.data or {}).get("outcome", "")
        step = ev.step.name if ev.step else ""
        rows.append([
            str(labels.get(ev.type, ev.type)) + (f": {step}" if step else ""),
            fmt_short(ev.at), giver, taker, due, str(outcomes.get(outcome, "")), ev.reason,
        ])
    return rows


def form_05(dossier: Dossier) -> FormDoc:
    parent, issuer = _issuer(dossier.unit)
    doc = FormDoc(form="05", title=FORMS["05"], issuer_parent=parent, issuer=issuer,
                  number=f"Số: {dossier.code}/{NUMBER_SUFFIX['05']}", place_date=place_date(dossier.received_at or dossier.submitted_at),
                  code=dossier.code)
    doc.lines = [
        (_("Mã hồ sơ"), dossier.code), (_("Người nộp hồ sơ"), dossier.applicant_name),
        (_("Thủ tục"), dossier.procedure.name), (_("Cơ quan giải quyết"), dossier.unit.name),
        (_("Cán bộ chịu trách nhiệm"), _staff_name(dossier.accountable)),
        (_("Ngày nhận"), fmt_moment(dossier.received_at)), (_("Hẹn trả"), fmt_moment(dossier.due_at)),
        (_("Kết quả"), str(dossier.get_outcome_display()) if dossier.outcome else str(dossier.get_status_display())),
    ]
    doc.table_headers = [_("Nội dung"), _("Thời gian"), _("Bên giao"), _("Bên nhận"), _("Hạn xử lý"),
                         _("Trước/đúng/quá hạn"), _("Ghi chú")]
    doc.table_rows = control_rows(dossier)
    outcomes = dict(Outcome.choices)
    doc.steps_headers = [_("Bước"), _("Đơn vị"), _("Cán bộ"), _("Bắt đầu"), _("Hạn"), _("Hoàn thành"),
                         _("Trước/đúng/quá hạn")]
    doc.steps_rows = [
        [f"{s.order}. {s.name}", s.unit.name, _staff_name(s.assignee), fmt_short(s.started_at), fmt_short(s.due_at),
         fmt_short(s.finished_at), str(outcomes.get(s.outcome, "")) or str(s.get_status_display())]
        for s in dossier.steps.select_related("unit", "assignee").order_by("order")
    ]
    return doc


BUILDERS = {"01": form_01, "02": form_02, "03": form_03, "04": form_04, "05": form_05}


def form_build(dossier: Dossier, form: str) -> FormDoc:
    builder = BUILDERS.get(form)
    if builder is None:
        raise NotFound(_("Không có biểu mẫu %(form)s.") % {"form": form})
    return builder(dossier)


def form_html(doc: FormDoc, *, request: Any = None, standalone: bool = True) -> str:
    return render_to_string("dossiers/forms/form.html", {"doc": doc, "standalone": standalone}, request=request)


# --- PDF ----------------------------------------------------------------------------------------

def form_pdf(doc: FormDoc) -> bytes:
    """The same form as a PDF (A4, DejaVu Sans so Vietnamese renders everywhere)."""
    from fpdf import FPDF

    landscape = bool(doc.table_rows)
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
    pdf.set_title(f"{doc.title} {doc.code}")
    pdf.set_author("Kỷ cương")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 15, 18)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    left_w = width * 0.42
    right_w = width - left_w
    top = pdf.get_y()
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(left_w, 5, doc.issuer_parent, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(left_w, 5, doc.issuer, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(left_w, 6, doc.number, align="C", new_x="LEFT", new_y="NEXT")
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + left_w, top)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(right_w, 5, MOTTO[0], align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.cell(right_w, 5, MOTTO[1], align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_x(pdf.l_margin + left_w)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(right_w, 8, doc.place_date, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(width, 7, doc.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(width, 5, f"(Mẫu số {doc.form})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if doc.qr_url:
        size = 32
        pdf.image(io.BytesIO(doc.qr_png()), x=pdf.w - pdf.r_margin - size, y=pdf.get_y(), w=size, h=size)
    text_w = width - (36 if doc.qr_url else 0)
    pdf.set_font("DejaVu", "", 11)
    for p in doc.paragraphs:
        pdf.multi_cell(text_w, 6, p, new_x="LMARGIN", new_y="NEXT")
    for label, value in doc.lines:
        pdf.set_font("DejaVu", "B", 11)
        pdf.write(6, f"{label}: ")
        pdf.set_font("DejaVu", "", 11)
        pdf.multi_cell(max(text_w - (pdf.get_x() - pdf.l_margin), 40), 6, str(value), new_x="LMARGIN", new_y="NEXT")
    if doc.items:
        if doc.items_label:
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(width, 6, doc.items_label + ":", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        for i, item in enumerate(doc.items, start=1):
            pdf.multi_cell(width, 6, f"{i}. {item}", new_x="LMARGIN", new_y="NEXT")
    for title, headers, rows, widths in (
        (_("Các bước xử lý"), doc.steps_headers, doc.steps_rows, (52, 46, 40, 28, 28, 28, 39)),
        (_("Giao, nhận hồ sơ"), doc.table_headers, doc.table_rows, (44, 26, 46, 46, 26, 24, 49)),
    ):
        if not rows:
            continue
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.2, first_row_as_headings=True) as table:
            header = table.row()
            for h in headers:
                header.cell(h)
            for r in rows:
                row = table.row()
                for value in r:
                    row.cell(value)
    pdf.set_font("DejaVu", "", 11)
    for line in doc.closing:
        if line:
            pdf.multi_cell(width, 6, line, new_x="LMARGIN", new_y="NEXT")
    if any(doc.sign_left) or any(doc.sign_right):
        pdf.ln(6)
        y = pdf.get_y()
        half = width / 2
        for i, (title, name) in enumerate((doc.sign_left, doc.sign_right)):
            if not title:
                continue
            x = pdf.l_margin + i * half
            pdf.set_xy(x, y)
            pdf.set_font("DejaVu", "B", 11)
            pdf.cell(half, 6, title, align="C", new_x="LEFT", new_y="NEXT")
            pdf.set_x(x)
            pdf.set_font("DejaVu", "", 9)
            pdf.cell(half, 5, "(Ký, ghi rõ họ tên)", align="C", new_x="LEFT", new_y="NEXT")
            pdf.set_xy(x, y + 30)
            pdf.set_font("DejaVu", "B", 11)
            pdf.cell(half, 6, name, align="C")
    return bytes(pdf.output())
