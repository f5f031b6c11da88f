from __future__ import annotations

import pytest

from kycuong.feedback.redaction import redact


@pytest.mark.parametrize("text", [
    "Gọi 0912345678 nhé", "Gọi 0912 345 678 nhé", "Gọi 0912.345.678 nhé", "Gọi +84 912 345 678 nhé",
    "Gọi +84912345678 nhé", "Máy bàn 024 3825 1234 giờ hành chính", "ĐT: 02438251234.",
])
def test_phone_numbers_are_redacted_in_every_common_spelling(text):
    out = redact(text)

    assert "[số điện thoại đã ẩn]" in out.text
    assert not any(ch.isdigit() for ch in out.text), out.text
    assert out.counts == {"phone": 1}


@pytest.mark.parametrize("number", ["001199012345", "012345678"])
def test_id_numbers_of_9_or_12_digits_are_redacted(number):
    out = redact(f"CCCD số {number}, cấp ngày 01/02/2021")

    assert number not in out.text and "[số định danh đã ẩn]" in out.text
    assert "01/02/2021" in out.text, "dates are not personal data"


def test_emails_and_the_reporters_names_are_redacted_but_ordinary_numbers_kept():
    out = redact("Bà NGUYỄN THỊ LAN (lan.nguyen+pa@gmail.com) báo: Thị Lan thấy 3 cột đèn hỏng, dài 120 m, số nhà 45.",
                 names=["Nguyễn Thị Lan"])

    assert out.text == ("Bà [họ tên đã ẩn] ([email đã ẩn]) báo: [họ tên đã ẩn] thấy 3 cột đèn hỏng, dài 120 m, "
                        "số nhà 45.")
    assert out.counts == {"email": 1, "name": 2}


def test_reporters_own_values_are_removed_verbatim():
    out = redact("Liên hệ zalo 09-12-34-56-78", extra_values=["09-12-34-56-78"])

    assert "09-12-34-56-78" not in out.text
