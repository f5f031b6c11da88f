"""Officer screens: intake, lists sorted by urgency, detail and actions, statistics, scoping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kycuong.core.models import PersonalDataAccess
from kycuong.dossiers import services as s
from kycuong.dossiers.models import Dossier, Status

from .factories import APPLICANT, at, clock


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def receive(org: Any, proc: Any, when: str, unit: Any = None) -> Dossier:
    unit = unit or org.ward_a
    with clock(at(when)):
        return s.dossier_receive(procedure=proc, unit=unit, received_unit=unit, applicant=APPLICANT,
                                 received_by=org.staff["onestop_a"] if unit == org.ward_a else None)


@time_machine.travel(dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC), tick=False)
def test_intake_check_confirm_then_receipt(org: Any, proc: Any) -> None:
    c = client_for(org.user("onestop_a"))
    r = c.get(reverse("dossiers:intake"), {"q": "khai sinh"})
    assert f'data-procedure="{proc.code}"' in r.content.decode()
    url = reverse("dossiers:intake_form", args=[proc.code])
    data = {"unit": org.ward_a.pk, "name": "Lê Văn Cường", "id_number": "001090012345", "phone": "0987654321",
            "fee_payment": "none"}
    r = c.post(url, {**data, "stage": "check"})
    assert r.status_code == 200 and 'id="intake-confirm"' in r.content.decode()
    assert Dossier.objects.count() == 0
    r = c.post(url, {**data, "stage": "confirm"})
    d = Dossier.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("dossiers:receipt", args=[d.code])
    page = c.get(r["Location"]).content.decode()
    assert d.code in page and d.secret in page
    assert d.received_unit == org.ward_a and d.status == Status.RECEIVED


def test_intake_errors_are_listed_and_nothing_is_saved(org: Any, proc: Any) -> None:
    c = client_for(org.user("onestop_a"))
    r = c.post(reverse("dossiers:intake_form", args=[proc.code]), {"unit": org.ward_a.pk, "name": "",
                                                                   "stage": "check", "fee_payment": "none"})
    assert "error-summary" in r.content.decode()
    assert Dossier.objects.count() == 0


def test_refuse_at_intake(org: Any, proc: Any) -> None:
    c = client_for(org.user("onestop_a"))
    r = c.post(reverse("dossiers:intake_form", args=[proc.code]),
               {"unit": org.ward_a.pk, "name": "Lê Văn Cường", "fee_payment": "none", "stage": "refuse",
                "refuse_reason": "Thiếu tờ khai"})
    d = Dossier.objects.get()
    assert r.status_code == 302 and d.status == Status.REFUSED


@time_machine.travel(dt.datetime(2026, 11, 18, 3, 0, tzinfo=dt.UTC), tick=False)  # 10:00 in Hanoi
def test_my_list_sorted_by_urgency_with_constant_queries(org: Any, proc: Any,
                                                         django_assert_max_num_queries: Any) -> None:
    overdue = receive(org, proc, "2026-11-12 09:00")  # due 17/11 09:00
    today = receive(org, proc, "2026-11-13 14:00")  # due 18/11 14:00
    later = receive(org, proc, "2026-11-18 08:00")  # due 23/11
    c = client_for(org.user("officer_a"))
    head = client_for(org.user("head_a"))
    c.get(reverse("dossiers:my"))
    head.get(reverse("dossiers:unit"))
    with CaptureQueriesContext(connection) as head_few:
        head.get(reverse("dossiers:unit"))
    with CaptureQueriesContext(connection) as few:
        html = c.get(reverse("dossiers:my")).content.decode()
    assert html.index(overdue.code) < html.index(today.code) < html.index(later.code)
    assert f'data-code="{overdue.code}" data-urgency="0" class="overdue"' in html
    assert f'data-code="{today.code}" data-urgency="1" class="due-today"' in html
    for i in range(20):
        receive(org, proc, f"2026-11-1{i % 8 + 2} 09:{i:02d}")
    with django_assert_max_num_queries(len(few)):
        c.get(reverse("dossiers:my"))
    with django_assert_max_num_queries(len(head_few)):
        head.get(reverse("dossiers:unit"))
    assert len(few) <= 16


def test_ward_officer_cannot_see_another_wards_dossier(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    c = client_for(org.user("officer_b"))
    assert c.get(reverse("dossiers:detail", args=[d.code])).status_code == 404
    assert c.post(reverse("dossiers:action", args=[d.code, "dung-xu-ly"]), {"reason": "x"}).status_code == 404
    assert d.code not in c.get(reverse("dossiers:my")).content.decode()
    assert d.code not in client_for(org.user("head_b")).get(reverse("dossiers:unit")).content.decode()
    assert client_for(org.user("leader")).get(reverse("dossiers:detail", args=[d.code])).status_code == 200


def test_detail_actions_and_stale_post(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    c = client_for(org.user("onestop_a"))
    html = c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
    assert 'id="action-hand_over"' in html and 'id="action-return"' not in html
    assert "001*******45" in html and PersonalDataAccess.objects.count() == 0
    c.get(reverse("dossiers:detail", args=[d.code]), {"pii": "1"})
    assert PersonalDataAccess.objects.count() == 1
    url = reverse("dossiers:action", args=[d.code, "chuyen-buoc"])
    assert 'id="action-form"' in c.get(url, HTTP_HX_REQUEST="true").content.decode()
    r = c.post(url, {"version": d.version}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"] == reverse("dossiers:detail", args=[d.code])
    r = c.post(reverse("dossiers:action", args=[d.code, "yeu-cau-bo-sung"]), {"version": d.version, "reason": "Thiếu"})
    assert r.status_code == 422 and "vừa được người khác cập nhật" in r.content.decode()
    d.refresh_from_db()
    assert d.status == Status.IN_PROGRESS


def test_apology_form_and_late_warning(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    with time_machine.travel(at("2026-11-19 08:00"), tick=False):
        c = client_for(org.user("officer_a"))
        html = c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
        assert 'id="late-warning"' in html
        r = c.post(reverse("dossiers:action", args=[d.code, "xin-loi"]),
                   {"version": d.version, "reason": "Chờ xác minh", "new_due_at": "2026-11-23T16:00"})
        assert r.status_code == 302
        d.refresh_from_db()
        assert d.apology_due_at == at("2026-11-23 16:00")
        assert 'id="late-warning"' not in c.get(reverse("dossiers:detail", args=[d.code])).content.decode()


def test_statistics_page_and_excel(org: Any, proc: Any) -> None:
    d1 = receive(org, proc, "2026-11-02 09:00")
    with clock(at("2026-11-03 09:00")):
        s.dossier_finish(dossier=d1, actor=org.staff["officer_a"])
    d2 = receive(org, proc, "2026-11-02 09:00")
    with clock(at("2026-11-06 09:00")):
        s.dossier_finish(dossier=d2, actor=org.staff["officer_a"])
    receive(org, proc, "2026-11-04 09:00")
    receive(org, proc, "2026-11-04 09:00", unit=org.ward_b)
    c = client_for(org.user("head_a"))
    with time_machine.travel(at("2026-11-20 10:00"), tick=False):
        html = c.get(reverse("dossiers:stats"), {"period": "2026-11", "group": "unit"}).content.decode()
        assert 'data-key="H26.P04"' in html and 'data-key="H26.P01"' not in html
        r = c.get(reverse("dossiers:stats"), {"period": "2026-11", "group": "procedure", "format": "xlsx"})
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(r.content)).active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert values[0][:7] == [proc.code, proc.name, 3, 2, 1, 0, 1]
    assert values[0][8:10] == [1, 1]


def test_unit_head_reassigns_from_the_unit_view(org: Any, proc: Any) -> None:
    d = receive(org, proc, "2026-11-16 09:00")
    head = client_for(org.user("head_a"))
    html = head.get(reverse("dossiers:unit")).content.decode()
    assert 'data-action="reassign"' in html
    url = reverse("dossiers:action", args=[d.code, "doi-can-bo"])
    r = head.post(url, {"version": d.version, "accountable": org.staff["onestop_a"].pk, "reason": "Cân đối"})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.accountable == org.staff["onestop_a"]
    # an officer does not see the reassignment button nor may reassign
    officer = client_for(org.user("officer_a"))
    assert officer.get(reverse("dossiers:unit")).status_code == 403
    r = officer.post(url, {"version": d.version, "accountable": org.staff["officer_a"].pk, "reason": "x"})
    assert r.status_code == 422 and "lãnh đạo" in r.content.decode()


def test_control_sheet_lists_steps_with_outcomes(org: Any, proc: Any) -> None:
    from kycuong.dossiers.selectors import dossier_control_sheet

    d = receive(org, proc, "2026-11-16 09:00")
    with clock(at("2026-11-16 09:30")):
        s.dossier_hand_over(dossier=d, actor=org.staff["onestop_a"])
    with clock(at("2026-11-19 08:00")):
        s.dossier_hand_over(dossier=d, actor=org.staff["officer_a"])
    rows = dossier_control_sheet(dossier=d)
    assert [(r["order"], r["status"], r["outcome"]) for r in rows] == [
        (1, "done", "on_time"), (2, "done", "late"), (3, "active", ""), (4, "pending", "")]
    assert rows[0]["handed_to"] == org.staff["officer_a"].full_name


def test_online_submissions_wait_in_the_counter_staffs_list(org: Any, proc: Any) -> None:
    with clock(at("2026-11-15 20:00")):
        d = s.dossier_submit(procedure=proc, unit=org.ward_a, applicant=APPLICANT)
    html = client_for(org.user("onestop_a")).get(reverse("dossiers:my")).content.decode()
    assert f'data-code="{d.code}"' in html
    assert d.code not in client_for(org.user("officer_a")).get(reverse("dossiers:my")).content.decode()
    c = client_for(org.user("onestop_a"))
    assert 'id="action-accept"' in c.get(reverse("dossiers:detail", args=[d.code])).content.decode()
    r = c.post(reverse("dossiers:action", args=[d.code, "tiep-nhan"]), {"version": d.version})
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.RECEIVED and d.due_at is not None
