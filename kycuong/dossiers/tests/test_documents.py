"""Forms 01–05 as printable HTML and PDF (Vietnamese layout, QR code to the public lookup)."""

from __future__ import annotations

import re
import zlib

import pytest
from django.test import Client

from kycuong.dossiers import documents
from kycuong.dossiers.services import (
    dossier_apologize,
    dossier_complete_supplement,
    dossier_finish,
    dossier_hand_over,
    dossier_receive,
    dossier_refuse_intake,
    dossier_request_supplement,
    dossier_return,
)

from .factories import APPLICANT, at, clock, procedure_create


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}


def _stream(body: bytes) -> bytes:
    m = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    if not m:
        return b""
    try:
        return zlib.decompress(m.group(1))
    except zlib.error:
        return m.group(1)


def pdf_text(data: bytes) -> str:
    """Text drawn in a PDF written by fpdf2 (Identity-H fonts): glyph ids mapped back through each
    font's ToUnicode CMap. Enough to check that Vietnamese text really is in the document."""
    objs = _objects(data)
    cmaps: dict[bytes, dict[int, str]] = {}
    for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", data):
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", objs.get(int(ref), b""))
        cmap: dict[int, str] = {}
        if to_unicode:
            for gid, uni in re.findall(rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>", _stream(objs[int(to_unicode.group(1))])):
                cmap[int(gid, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
        cmaps[name] = cmap
    texts = []
    for body in objs.values():
        content = _stream(body)
        if b" Tf" not in content:
            continue
        font = b""
        for m in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", content, re.S):
            if m.group(1):
                font = m.group(1)
                continue
            raw = re.sub(rb"\\([\\()])", rb"\1", m.group(2))
            raw = re.sub(rb"\\(\d{3})", lambda x: bytes([int(x.group(1), 8)]), raw)
            raw = raw.replace(b"\\n", b"\n").replace(b"\\r", b"\r")
            cmap = cmaps.get(font, {})
            texts.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "?") for i in range(0, len(raw) - 1, 2)))
    return "\n".join(texts)


@pytest.fixture
def lifecycle(org):
    proc = procedure_create(name="Thủ tục đăng ký khai sinh", value=3)
    with clock(at("2026-11-16 09:00")):
        d = dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                            received_by=org.staff["onestop_a"])
    with clock(at("2026-11-16 09:30")):
        dossier_hand_over(dossier=d, actor=org.staff["onestop_a"])
    with clock(at("2026-11-16 10:00")):
        dossier_request_supplement(dossier=d, reason="Thiếu giấy chứng sinh bản chính", actor=org.staff["officer_a"])
    with clock(at("2026-11-17 10:00")):
        dossier_complete_supplement(dossier=d, actor=org.staff["onestop_a"])
    with clock(at("2026-11-19 16:00")):
        dossier_apologize(dossier=d, reason="Phải xác minh thông tin tại nơi sinh", new_due_at=at("2026-11-26 16:00"),
                          actor=org.staff["officer_a"])
    with clock(at("2026-11-24 10:00")):
        dossier_hand_over(dossier=d, actor=org.staff["officer_a"])
    with clock(at("2026-11-24 15:00")):
        dossier_finish(dossier=d, actor=org.staff["head_a"])
    with clock(at("2026-11-25 09:00")):
        dossier_return(dossier=d, actor=org.staff["onestop_a"])
    d.refresh_from_db()
    return d


def test_receipt_has_code_secret_appointment_and_qr(lifecycle, settings):
    settings.KYCUONG_PUBLIC_BASE_URL = "https://dvc.hanoi.gov.vn"
    doc = documents.form_build(lifecycle, "01")
    values = dict(doc.lines)
    assert values["Mã hồ sơ"] == lifecycle.code and values["Mã tra cứu"] == lifecycle.secret
    assert values["Thời gian trả kết quả giải quyết hồ sơ"] == "09 giờ 00 phút, ngày 19/11/2026"
    assert values["Số định danh cá nhân"] == "001*******45"
    assert doc.qr_url == f"https://dvc.hanoi.gov.vn/tra-cuu?ma={lifecycle.code}&bm={lifecycle.secret}"
    assert doc.qr_svg.startswith("<svg")
    assert doc.place_date == "Hà Nội, ngày 16 tháng 11 năm 2026"
    assert doc.issuer == "UBND PHƯỜNG HOÀN KIẾM"


def test_control_sheet_lists_every_hand_over_with_timeliness(lifecycle, org):
    doc = documents.form_build(lifecycle, "05")
    kinds = [row[0].split(":")[0] for row in doc.table_rows]
    assert kinds == ["Tiếp nhận", "Chuyển bước", "Yêu cầu bổ sung", "Đã bổ sung", "Thư xin lỗi, hẹn lại", "Chuyển bước",
                     "Có kết quả", "Trả kết quả"]
    first_hand_over = doc.table_rows[1]
    assert first_hand_over[2].startswith(org.staff["onestop_a"].full_name)
    assert first_hand_over[5] in {"Trước hạn", "Đúng hạn", "Trễ hạn"}
    assert doc.table_rows[5][5] == "Trễ hạn"  # the examination step overran its due time
    assert doc.table_rows[6][5] == "Trễ hạn"
    # Per step: unit, officer, due and early / on time / late; the unused last step is skipped.
    assert [row[0] for row in doc.steps_rows] == ["1. Tiếp nhận hồ sơ", "2. Thẩm định", "3. Phê duyệt", "4. Trả kết quả"]
    assert [row[6] for row in doc.steps_rows][1:] == ["Trễ hạn", "Trễ hạn", "Bỏ qua"]


@pytest.mark.parametrize("form, title", [
    ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"), ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
    ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"), ("05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
])
def test_html_forms_in_the_administrative_layout(lifecycle, org, form, title):
    c = Client()
    c.force_login(org.user("officer_a"))
    r = c.get(f"/ho-so/{lifecycle.code}/bieu-mau/{form}/")
    html = r.content.decode()
    assert r.status_code == 200
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "PHƯỜNG HOÀN KIẾM",
                 f"Số: {lifecycle.code}/", "Hà Nội, ngày", title, f"Mẫu số {form}"):
        assert text in html, text


@pytest.mark.parametrize("form", ["01", "02", "04", "05"])
def test_pdf_is_valid_and_carries_vietnamese_text(lifecycle, form):
    data = documents.form_pdf(documents.form_build(lifecycle, form))
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    text = pdf_text(data)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert documents.FORMS[form] in text
    assert b"DejaVu" in data


def test_pdf_view_and_specific_texts(lifecycle, org):
    c = Client()
    c.force_login(org.user("head_a"))
    r = c.get(f"/ho-so/{lifecycle.code}/bieu-mau/04/", {"format": "pdf"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = pdf_text(r.content)
    assert "Phải xác minh thông tin tại nơi sinh" in text.replace("\n", " ")


def test_refusal_form(org):
    proc = procedure_create(name="Thủ tục đăng ký kết hôn")
    with clock(at("2026-11-16 09:00")):
        d = dossier_refuse_intake(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                  reason="Hồ sơ không thuộc thẩm quyền giải quyết", refused_by=org.staff["onestop_a"])
    doc = documents.form_build(d, "03")
    assert "Hồ sơ không thuộc thẩm quyền giải quyết" in doc.closing
    assert "Hồ sơ không thuộc thẩm quyền giải quyết" in pdf_text(documents.form_pdf(doc))
    with pytest.raises(Exception):  # noqa: B017 - no receipt for a refused dossier
        documents.form_build(d, "01")


def test_forms_are_staff_only_and_scoped(lifecycle, org):
    url = f"/ho-so/{lifecycle.code}/bieu-mau/01/"
    assert Client().get(url).status_code == 302
    other = Client()
    other.force_login(org.user("officer_b"))
    assert other.get(url).status_code == 404
    c = Client()
    c.force_login(org.user("officer_a"))
    assert c.get(f"/ho-so/{lifecycle.code}/bieu-mau/03/").status_code == 404  # never refused
    assert c.get(f"/ho-so/{lifecycle.code}/bieu-mau/09/").status_code == 404
