"""Online submission: uploads checked by content and size, the citizen's pages, SUBMITTED dossier,
attachments served only to staff who may see the dossier."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kycuong.core.errors import ValidationFailed
from kycuong.core.models import PersonalDataAccess
from kycuong.dossiers import online
from kycuong.dossiers.models import Attachment, Dossier, EventType, FeePayment, Status
from kycuong.dossiers.services import dossier_accept
from kycuong.procedures.tests.factories import birth_registration, make_procedure

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
APPLICANT = {"name": "Lê Thị Hoa", "id_number": "001190012345", "phone": "0912345678"}


def upload(name, data):
    return online.upload_store(file=io.BytesIO(data), name=name)


@pytest.mark.parametrize("name, data", [("giay-to.pdf", PDF), ("anh.PNG", PNG), ("anh.jpeg", JPEG), ("anh.jpg", JPEG)])
def test_accepts_pdf_jpeg_png_by_content(db, name, data):
    stored = upload(name, data)
    assert stored.path.startswith("dossiers/online/") and name not in stored.path
    assert default_storage.open(stored.path).read() == data
    assert stored.size == len(data) and len(stored.sha256) == 64


@pytest.mark.parametrize("name, data", [
    ("hoa-don.pdf", EXE),  # executable renamed .pdf
    ("virus.exe", EXE),
    ("ghi-chu.txt", b"hello"),
    ("anh.png", PDF),  # content does not match the extension
    ("script.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("trong.pdf", b""),
    ("tai-lieu", PDF),
])
def test_rejects_executables_and_everything_else(db, name, data):
    with pytest.raises(ValidationFailed):
        upload(name, data)


def test_rejects_oversized_files(db):
    big = PDF + b"0" * (online.MAX_UPLOAD_BYTES + 1 - len(PDF))
    with pytest.raises(ValidationFailed) as err:
        upload("lon.pdf", big)
    assert "10 MB" in str(err.value.message)
    exactly = PDF + b"0" * (online.MAX_UPLOAD_BYTES - len(PDF))
    assert upload("vua.pdf", exactly).size == online.MAX_UPLOAD_BYTES


def test_submit_creates_a_submitted_dossier_with_attachments(org):
    proc = birth_registration()
    stored = [upload("giay-chung-sinh.pdf", PDF)]
    d = online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT, files=stored,
                                     form_data={"child_name": "Lê Minh An", "birth_date": "2026-11-01", "sex": "Nam"})
    assert d.status == Status.SUBMITTED and d.channel == "online" and d.received_at is None
    assert d.code.startswith("H26.P04-") and len(d.secret) >= 6
    assert d.form_data == {"child_name": "Lê Minh An", "birth_date": "2026-11-01", "sex": "Nam"}
    att = d.attachments.get()
    assert att.original_name == "giay-chung-sinh.pdf" and att.content_type == "application/pdf"
    assert d.events.filter(type=EventType.SUBMITTED).exists()


def test_submit_checks_the_procedure_fields_and_changes_nothing(org):
    proc = birth_registration()
    with pytest.raises(ValidationFailed):
        online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                                     form_data={"child_name": "An", "birth_date": "01/11/2026", "sex": "Nam"})
    with pytest.raises(ValidationFailed):
        online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                                     form_data={"child_name": "An", "birth_date": "2026-11-01", "sex": "Khác"})
    assert Dossier.objects.count() == 0


def test_fee_must_be_paid_online_or_at_the_counter(org):
    proc = make_procedure(fee=50000, online_level="partial")
    with pytest.raises(ValidationFailed):
        online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                                     form_data={}, fee_payment=FeePayment.NONE)
    d = online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT, fee_payment=FeePayment.ONLINE)
    assert d.fee_payment == FeePayment.ONLINE and d.fee_amount == 50000


def test_offline_only_procedure_cannot_be_submitted_online(org):
    proc = make_procedure(online_level="none")
    with pytest.raises(ValidationFailed):
        online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT)
    assert Client().get(f"/nop-truc-tuyen/{proc.code}/").status_code == 404


def test_citizen_pages_from_form_to_confirmation(org):
    proc = birth_registration()
    c = Client()
    assert proc.name in c.get("/nop-truc-tuyen/", {"q": "dang ky khai sinh"}).content.decode()
    form = c.get(f"/nop-truc-tuyen/{proc.code}/")
    assert form.status_code == 200 and "Giới tính" in form.content.decode()
    # Errors: summary at the top linking to each wrong field; the bad upload is refused.
    bad = c.post(f"/nop-truc-tuyen/{proc.code}/", {"unit": "H26.P04", "name": "", "phone": "12",
                                                    "files": SimpleUploadedFile("x.pdf", EXE)})
    html = bad.content.decode()
    assert bad.status_code == 200 and 'class="error-summary"' in html
    assert 'href="#id_name"' in html and 'href="#id_phone"' in html and 'href="#id_f_child_name"' in html
    assert Dossier.objects.count() == 0
    ok = c.post(f"/nop-truc-tuyen/{proc.code}/", {
        "unit": "H26.P04", "name": "Lê Thị Hoa", "id_number": "001190012345", "phone": "0912345678",
        "f_child_name": "Lê Minh An", "f_birth_date": "2026-11-01", "f_sex": "Nữ",
        "files": [SimpleUploadedFile("chung-sinh.pdf", PDF), SimpleUploadedFile("anh.png", PNG)],
    })
    assert ok.status_code == 302 and ok["Location"].endswith("/kiem-tra/")
    check = c.get(ok["Location"]).content.decode()
    for text in ("Kiểm tra thông tin", "Lê Thị Hoa", "Lê Minh An", "chung-sinh.pdf", "anh.png", "Phường Hoàn Kiếm"):
        assert text in check, text
    assert Dossier.objects.count() == 0  # nothing submitted before the citizen confirms
    done = c.post(ok["Location"])
    assert done.status_code == 302
    page = c.get(done["Location"]).content.decode()
    d = Dossier.objects.get()
    assert d.code in page and d.secret in page and 'class="big-code"' in page
    assert d.status == Status.SUBMITTED and d.attachments.count() == 2
    assert d.form_data["sex"] == "Nữ"


@pytest.fixture
def submitted(org):
    proc = birth_registration()
    return online.dossier_submit_online(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                                        files=[upload("chung-sinh.pdf", PDF)],
                                        form_data={"child_name": "An", "birth_date": "2026-11-01", "sex": "Nam"})


def test_attachment_served_only_to_staff_who_see_the_dossier(submitted, org):
    att = Attachment.objects.get()
    url = f"/ho-so/{submitted.code}/tep/{att.pk}/"
    assert Client().get(url).status_code == 302  # anonymous → login
    other = Client()
    other.force_login(org.user("officer_b"))
    assert other.get(url).status_code == 404
    officer = Client()
    officer.force_login(org.user("officer_a"))
    r = officer.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert r["Content-Type"] == "application/pdf" and "attachment" in r["Content-Disposition"]
    assert r["X-Content-Type-Options"] == "nosniff"
    assert PersonalDataAccess.objects.filter(object_id=str(submitted.pk)).exists()
    # Another dossier's attachment id under this code is not served.
    assert officer.get(f"/ho-so/{submitted.code}/tep/{att.pk + 999}/").status_code == 404
    listing = officer.get(f"/ho-so/{submitted.code}/tep/").content.decode()
    assert "chung-sinh.pdf" in listing


def test_officer_accepts_and_the_clock_starts(submitted, org):
    d = dossier_accept(dossier=submitted, accepted_by=org.staff["onestop_a"])
    assert d.status == Status.RECEIVED and d.received_at is not None and d.due_at is not None


def test_submissions_are_rate_limited_per_ip(org, monkeypatch):
    from django.core.cache import cache

    from kycuong.dossiers import public_views

    cache.clear()
    monkeypatch.setattr(public_views, "SUBMIT_LIMIT", 1)
    proc = make_procedure()
    c = Client(REMOTE_ADDR="10.1.1.1")
    data = {"unit": "H26.P04", "name": "Lê Thị Hoa", "phone": "0912345678"}
    for expected in (1, 1):
        c.post(f"/nop-truc-tuyen/{proc.code}/", data)
        r = c.post(f"/nop-truc-tuyen/{proc.code}/kiem-tra/")
        assert Dossier.objects.count() == expected
    assert "quá nhiều hồ sơ" in r.content.decode()
    cache.clear()


def test_orphaned_uploads_are_purged_after_two_days(submitted):
    import datetime as dt

    from django.utils import timezone

    from kycuong.dossiers.tasks import purge_orphaned_uploads

    kept = Attachment.objects.get().file.name
    orphan = upload("bo-do.pdf", PDF)
    online.uploads_orphaned_purge()
    assert default_storage.exists(orphan.path)  # too recent: the citizen may still submit it
    later = timezone.now() + dt.timedelta(days=3)
    assert online.uploads_orphaned_purge(now=later) >= 1  # (the in-memory storage is shared by tests)
    assert not default_storage.exists(orphan.path) and default_storage.exists(kept)
    assert online.uploads_orphaned_purge(now=later) == 0  # idempotent
    assert purge_orphaned_uploads.enqueue().return_value == 0  # the nightly task calls the same service


def test_check_page_asks_again_when_uploads_are_gone(org):
    proc = birth_registration()
    c = Client()
    c.post(f"/nop-truc-tuyen/{proc.code}/", {
        "unit": "H26.P04", "name": "Lê Thị Hoa", "phone": "0912345678", "f_child_name": "An",
        "f_birth_date": "2026-11-01", "f_sex": "Nam", "files": SimpleUploadedFile("a.pdf", PDF)})
    path = c.session[f"online_draft:{proc.code}"]["files"][0]["path"]
    default_storage.delete(path)
    r = c.get(f"/nop-truc-tuyen/{proc.code}/kiem-tra/")
    assert r.status_code == 302 and r["Location"].endswith(f"/nop-truc-tuyen/{proc.code}/")
    assert c.session[f"online_draft:{proc.code}"]["files"] == []
