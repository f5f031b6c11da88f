"""Work program screens: my week / day / month, unit outline with roll-up, approval inbox, Gantt,
scoping (404 outside one's subtree), overdue marking, constant query counts, refused input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kycuong.workplans.models import Completion, ItemStatus, ProgramStatus, WorkItem
from kycuong.workplans.selectors.lists import rolled_up_progress

from .factories import at, clock, item, product_type, program, week_of

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_my_week_lists_my_items_and_marks_overdue_in_red(org: Any) -> None:
    prog = week_of(org, items=0, status=ProgramStatus.APPROVED)
    late = item(prog, title="Báo cáo quá hạn", due_at=at("2026-11-17 17:00"))
    fine = item(prog, title="Việc còn hạn", due_at=at("2026-11-20 17:00"))
    with clock(at("2026-11-18 09:00")):
        html = client_for(org.user("officer_a")).get(reverse("workplans:week"), {"ky": "2026-W47"}).content.decode()
    assert f'data-item="{late.code}" data-status="in_progress" class="overdue"' in html
    assert f'data-item="{fine.code}" data-status="in_progress">' in html
    assert 'data-status-class="not_done_overdue"' in html and 'data-status-class="not_done_in_time"' in html
    assert 'id="overdue-count"' in html
    assert "(16/11–22/11/2026)" in html  # the period's last day, not its exclusive end


def test_day_view_shows_items_due_that_day(org: Any) -> None:
    prog = week_of(org, items=0, status=ProgramStatus.APPROVED)
    tue = item(prog, title="Việc thứ Ba", due_at=at("2026-11-17 17:00"))
    fri = item(prog, title="Việc thứ Sáu", due_at=at("2026-11-20 17:00"))
    with clock(at("2026-11-17 08:00")):
        html = client_for(org.user("officer_a")).get(reverse("workplans:day"), {"ngay": "2026-11-17"}).content.decode()
    assert tue.code in html and fri.code not in html


def test_bad_period_and_day_are_refused_with_a_message_not_500(org: Any) -> None:
    c = client_for(org.user("officer_a"))
    r = c.get(reverse("workplans:week"), {"ky": "2026-W99"})
    assert r.status_code == 200 and "Kỳ không hợp lệ" in r.content.decode()
    r = c.get(reverse("workplans:day"), {"ngay": "hôm qua"})
    assert r.status_code == 200 and "Ngày không hợp lệ" in r.content.decode()
    assert c.get(reverse("workplans:unit"), {"ky": "x"}).status_code == 200


def test_rolled_up_progress_is_by_weight_of_the_children() -> None:
    parent = WorkItem(status=ItemStatus.IN_PROGRESS, weight=Decimal("3"))
    heavy = WorkItem(status=ItemStatus.ACCEPTED, completion=Completion.DONE, weight=Decimal("3"))
    light = WorkItem(status=ItemStatus.IN_PROGRESS, weight=Decimal("1"))
    half = WorkItem(status=ItemStatus.ACCEPTED, completion=Completion.PARTLY, weight=Decimal("2"))
    gone = WorkItem(status=ItemStatus.CANCELLED, weight=Decimal("10"))
    assert rolled_up_progress(parent, [heavy, light]) == 75  # 3 of 4 standard units, not 1 of 2 items
    assert rolled_up_progress(parent, [heavy, light, half]) == 67  # (3 + 1) / 6
    assert rolled_up_progress(parent, [heavy, light, gone]) == 75  # cancelled children left out
    assert rolled_up_progress(parent, []) == 0


def test_unit_outline_nests_personal_items_under_unit_items_with_progress(org: Any) -> None:
    unit_prog = program(org.ward_a, "2026-W47", status=ProgramStatus.APPROVED)
    parent = item(unit_prog, owner=org.staff["head_a"], title="Rà soát hồ sơ tồn đọng")
    mine = week_of(org, items=0, status=ProgramStatus.APPROVED)
    done = item(mine, title="Rà soát tổ 1", parent=parent, quantity="3", status=ItemStatus.ACCEPTED,
                completion=Completion.DONE, completed_at=at("2026-11-18 09:00"))
    item(mine, title="Rà soát tổ 2", parent=parent, quantity="1")
    loose = item(mine, title="Việc riêng")
    with clock(at("2026-11-18 10:00")):
        html = client_for(org.user("head_a")).get(reverse("workplans:unit"), {"ky": "2026-W47"}).content.decode()
    assert html.index(parent.code) < html.index(done.code) < html.index(loose.code)
    assert 'data-progress="75"' in html
    assert 'class="child"' in html


def test_ward_head_cannot_see_another_wards_program_or_items(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.SUBMITTED)
    code = prog.items.get().code
    other = client_for(org.user("head_b"))
    assert other.get(reverse("workplans:program", args=[prog.pk])).status_code == 404
    assert other.get(reverse("workplans:item", args=[code])).status_code == 404
    assert other.get(reverse("workplans:unit"), {"don-vi": org.ward_a.code}).status_code == 404
    assert other.get(reverse("workplans:export_program"), {"don-vi": org.ward_a.code, "ky": "2026-11"}).status_code == 404
    assert other.post(reverse("workplans:program_approve", args=[prog.pk])).status_code == 404
    assert other.post(reverse("workplans:item_accept", args=[code])).status_code == 404
    assert prog.pk not in [p.pk for p in other.get(reverse("workplans:inbox")).context["programs"]]
    mine = client_for(org.user("head_a"))
    assert mine.get(reverse("workplans:program", args=[prog.pk])).status_code == 200
    assert prog.pk in [p.pk for p in mine.get(reverse("workplans:inbox")).context["programs"]]


def test_inbox_lists_subtree_programs_and_reported_items_but_never_ones_own(org: Any) -> None:
    officer_prog = week_of(org, items=1, status=ProgramStatus.SUBMITTED)
    head_prog = week_of(org, "head_a", items=1, status=ProgramStatus.SUBMITTED)
    approved = week_of(org, "onestop_a", items=0, status=ProgramStatus.APPROVED)
    reported = item(approved, status=ItemStatus.REPORTED, completion=Completion.DONE,
                    completed_at=at("2026-11-18 09:00"))
    ctx = client_for(org.user("head_a")).get(reverse("workplans:inbox")).context
    assert [p.pk for p in ctx["programs"]] == [officer_prog.pk]  # not head_a's own program
    assert [i.code for i in ctx["reported"]] == [reported.code]
    assert head_prog.pk not in [p.pk for p in client_for(org.user("dept_head")).get(
        reverse("workplans:inbox")).context["programs"]]  # another subtree
    assert client_for(org.user("officer_a")).get(reverse("workplans:inbox")).context["programs"] == []


def test_list_pages_use_a_constant_number_of_queries(org: Any, django_assert_max_num_queries: Any) -> None:
    unit_prog = program(org.ward_a, "2026-W47", status=ProgramStatus.APPROVED)
    parent = item(unit_prog, owner=org.staff["head_a"])
    prog = week_of(org, items=2, status=ProgramStatus.APPROVED)
    item(prog, title="Đã có từ đầu", parent=parent, status=ItemStatus.REPORTED, completion=Completion.DONE,
         completed_at=at("2026-11-18 09:00"), due_at=at("2026-11-20 17:00"))
    pt = product_type(org.ward_a)
    officer, head = client_for(org.user("officer_a")), client_for(org.user("head_a"))
    urls = [(officer, reverse("workplans:week") + "?ky=2026-W47"), (officer, reverse("workplans:day") + "?ngay=2026-11-20"),
            (head, reverse("workplans:unit") + "?ky=2026-W47"), (head, reverse("workplans:inbox")),
            (head, reverse("workplans:gantt") + "?ky=2026-11"), (head, reverse("workplans:program", args=[prog.pk]))]
    with clock(at("2026-11-18 10:00")):
        counts = []
        for c, url in urls:
            c.get(url)
            with CaptureQueriesContext(connection) as q:
                assert c.get(url).status_code == 200
            counts.append(len(q))
        for n in range(15):
            child = item(prog, title=f"Thêm {n}", product=pt, parent=parent if n % 2 else None,
                         status=ItemStatus.REPORTED if n % 3 == 0 else ItemStatus.IN_PROGRESS,
                         completion=Completion.DONE if n % 3 == 0 else "")
            child.co_workers.add(org.staff["onestop_a"])
        for (c, url), count in zip(urls, counts, strict=True):
            with django_assert_max_num_queries(count, info=url):
                c.get(url)


def test_board_marks_people_who_have_not_submitted_by_the_deadline_in_red(org: Any) -> None:
    week_of(org, items=1, status=ProgramStatus.DRAFT)
    with clock(at("2026-11-16 11:00")):  # Monday past 10:00
        html = client_for(org.user("head_a")).get(reverse("workplans:board"), {"ky": "2026-W47"}).content.decode()
    officer = org.staff["officer_a"].code
    assert f'data-staff="{officer}" data-status="draft" data-late="1" class="overdue"' in html
    assert client_for(org.user("head_b")).get(reverse("workplans:board"),
                                               {"don-vi": org.ward_a.code}).status_code == 404


def _add(c: Client, pt: Any, **over: Any) -> Any:
    data = {"period": "2026-W47", "title": "Soạn tờ trình", "product_type": pt.pk, "quantity": "2",
            "due_date": "2026-11-19", "due_time": "17:00", **over}
    return c.post(reverse("workplans:item_add"), data, follow=True)


def test_adding_an_item_through_the_week_page_creates_the_program_and_the_item(org: Any) -> None:
    pt = product_type(org.ward_a, factor="1.5")
    c = client_for(org.user("officer_a"))
    with clock(at("2026-11-16 08:00")):
        r = _add(c, pt)
    assert "Đã thêm công việc." in r.content.decode()
    created = WorkItem.objects.get()
    assert created.program.owner == org.staff["officer_a"] and created.weight == Decimal("3.000")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("quantity", "0", "Số lượng"),
    ("due_date", "2026-11-10", "kỳ"),
    ("product_type", "999999", "Sản phẩm"),
])
def test_bad_item_input_gives_a_clear_error_and_creates_nothing(org: Any, field: str, value: str,
                                                                 message: str) -> None:
    pt = product_type(org.ward_a)
    c = client_for(org.user("officer_a"))
    with clock(at("2026-11-16 08:00")):
        r = _add(c, pt, **{field: value})
    assert r.status_code == 200 and 'class="notice notice-error"' in r.content.decode()
    assert message in r.content.decode()
    assert WorkItem.objects.count() == 0


def test_head_cannot_approve_own_program_and_a_stale_version_changes_nothing(org: Any) -> None:
    own = week_of(org, "head_a", items=1, status=ProgramStatus.SUBMITTED)
    head = client_for(org.user("head_a"))
    r = head.post(reverse("workplans:program_approve", args=[own.pk]), follow=True)
    assert "chính mình" in r.content.decode()
    own.refresh_from_db()
    assert own.status == ProgramStatus.SUBMITTED
    prog = week_of(org, items=1, status=ProgramStatus.DRAFT)
    officer = client_for(org.user("officer_a"))
    r = officer.post(reverse("workplans:program_submit", args=[prog.pk]), {"version": prog.version + 5}, follow=True)
    assert 'class="notice notice-error"' in r.content.decode()
    prog.refresh_from_db()
    assert prog.status == ProgramStatus.DRAFT


def test_return_needs_a_comment_and_shows_it_to_the_officer(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.DRAFT)
    officer, head = client_for(org.user("officer_a")), client_for(org.user("head_a"))
    with clock(at("2026-11-16 08:00")):
        officer.post(reverse("workplans:program_submit", args=[prog.pk]))
        head.post(reverse("workplans:program_return", args=[prog.pk]), {"comment": ""})
        prog.refresh_from_db()
        assert prog.status == ProgramStatus.SUBMITTED  # refused: no comment
        head.post(reverse("workplans:program_return", args=[prog.pk]), {"comment": "Thiếu việc tiếp dân"})
        html = officer.get(reverse("workplans:week"), {"ky": "2026-W47"}).content.decode()
    assert 'id="return-comment"' in html and "Thiếu việc tiếp dân" in html


def test_quick_completion_with_an_unknown_dossier_changes_nothing(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.APPROVED)
    it = prog.items.get()
    c = client_for(org.user("officer_a"))
    with clock(at("2026-11-18 09:00")):
        r = c.post(reverse("workplans:item_complete", args=[it.code]),
                   {"completion": "done", "dossier": "KHONG-CO"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'role="alert"' in r.content.decode() and "KHONG-CO" in r.content.decode()
    it.refresh_from_db()
    assert it.status == ItemStatus.IN_PROGRESS and not it.evidence.exists()
    with clock(at("2026-11-18 09:00")):
        r = c.post(reverse("workplans:item_complete", args=[it.code]), {"completion": "done"}, HTTP_HX_REQUEST="true")
    assert f'data-item="{it.code}" data-status="reported"' in r.content.decode()


def test_a_refused_completion_does_not_keep_its_dossier_evidence(org: Any) -> None:
    from kycuong.dossiers import services as dossier_services
    from kycuong.dossiers.tests.factories import APPLICANT, procedure_create

    prog = week_of(org, items=1, status=ProgramStatus.APPROVED)
    it = prog.items.get()
    with clock(at("2026-11-18 09:00")):
        dossier = dossier_services.dossier_receive(procedure=procedure_create(), unit=org.ward_a,
                                                   received_unit=org.ward_a, applicant=APPLICANT,
                                                   received_by=org.staff["onestop_a"])
        r = client_for(org.user("officer_a")).post(reverse("workplans:item_complete", args=[it.code]),
                                                   {"completion": "partly", "dossier": dossier.code}, follow=True)
    assert "Phải nêu lý do" in r.content.decode()  # partly done needs a note: refused
    it.refresh_from_db()
    assert it.status == ItemStatus.IN_PROGRESS and not it.evidence.exists()


def test_head_assigns_a_unit_item_that_officers_can_hang_their_items_under(org: Any) -> None:
    pt = product_type(org.ward_a)
    head = client_for(org.user("head_a"))
    data = {"unit": org.ward_a.code, "period": "2026-W47", "title": "Tổng rà soát hồ sơ", "owner": org.staff["officer_a"].pk,
            "product_type": pt.pk, "quantity": "4", "due_date": "2026-11-20", "due_time": "17:00"}
    with clock(at("2026-11-16 08:00")):
        r = head.post(reverse("workplans:unit_item_add"), data, follow=True)
        assert "Đã thêm công việc vào chương trình của đơn vị." in r.content.decode()
        unit_item = WorkItem.objects.get(program__kind="unit")
        assert unit_item.owner == org.staff["officer_a"] and unit_item.program.unit == org.ward_a
        html = client_for(org.user("officer_a")).get(reverse("workplans:week"), {"ky": "2026-W47"}).content.decode()
    assert f'<option value="{unit_item.pk}">{unit_item.code} – Tổng rà soát hồ sơ</option>' in html
    other = client_for(org.user("head_b"))
    assert other.post(reverse("workplans:unit_item_add"), data).status_code == 404
    officer = client_for(org.user("officer_a"))
    with clock(at("2026-11-16 08:00")):
        officer.post(reverse("workplans:unit_item_add"), {**data, "title": "Tự giao"})
    assert not WorkItem.objects.filter(title="Tự giao").exists()  # only a head/deputy assigns unit work


def test_a_claimed_objective_cause_reaches_the_heads_inbox_and_is_confirmed_there(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.APPROVED)
    it = prog.items.get()
    officer, head = client_for(org.user("officer_a")), client_for(org.user("head_a"))
    with clock(at("2026-11-18 09:00")):
        r = officer.post(reverse("workplans:item_reschedule", args=[it.code]),
                         {"new_due_date": "2026-11-25", "new_due_time": "17:00", "reason": "Mất điện diện rộng",
                          "objective_cause": "on"}, follow=True)
        assert "Đã lùi hạn công việc." in r.content.decode()
        assert [i.code for i in head.get(reverse("workplans:inbox")).context["causes"]] == [it.code]
        assert [i.code for i in officer.get(reverse("workplans:inbox")).context["causes"]] == []
        head.post(reverse("workplans:item_confirm_cause", args=[it.code]))
        assert head.get(reverse("workplans:inbox")).context["causes"] == []
    it.refresh_from_db()
    assert it.objective_cause and it.reschedules == 1 and it.due_at == at("2026-11-25 17:00")


def test_editing_a_returned_item_recomputes_its_weight_and_a_stale_form_changes_nothing(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.RETURNED)
    it = prog.items.get()
    pt = product_type(org.ward_a, factor="0.5")
    c = client_for(org.user("officer_a"))
    data = {"title": "Việc đã sửa", "product_type": pt.pk, "quantity": "4", "due_date": "2026-11-19",
            "due_time": "16:00", "version": it.version}
    with clock(at("2026-11-16 08:00")):
        assert 'id="item-edit-form"' in c.get(reverse("workplans:item", args=[it.code])).content.decode()
        r = c.post(reverse("workplans:item_edit", args=[it.code]), data, follow=True)
        assert "Đã sửa công việc." in r.content.decode()
        r = c.post(reverse("workplans:item_edit", args=[it.code]), {**data, "title": "Bản cũ ghi đè"}, follow=True)
    assert 'class="notice notice-error"' in r.content.decode()  # the version it was read at is stale: 409
    it.refresh_from_db()
    assert it.title == "Việc đã sửa" and it.weight == Decimal("2.000") and it.due_at == at("2026-11-19 16:00")


def test_an_approved_item_cannot_be_edited_without_reopening(org: Any) -> None:
    prog = week_of(org, items=1, status=ProgramStatus.APPROVED)
    it = prog.items.get()
    c = client_for(org.user("officer_a"))
    assert 'id="item-edit-form"' not in c.get(reverse("workplans:item", args=[it.code])).content.decode()
    r = c.post(reverse("workplans:item_edit", args=[it.code]),
               {"title": "Sửa lén", "product_type": it.product_type_id, "quantity": "1", "due_date": "2026-11-20",
                "due_time": "17:00", "version": it.version}, follow=True)
    assert 'class="notice notice-error"' in r.content.decode()
    it.refresh_from_db()
    assert it.title != "Sửa lén"


def test_day_view_also_shows_items_worked_on_that_day(org: Any) -> None:
    from kycuong.workplans.services.items import item_complete

    prog = week_of(org, items=0, status=ProgramStatus.APPROVED)
    fri = item(prog, title="Việc thứ Sáu làm sớm", due_at=at("2026-11-20 17:00"))
    untouched = item(prog, title="Việc chưa đụng tới", due_at=at("2026-11-20 17:00"))
    with clock(at("2026-11-17 10:00")):
        item_complete(item=fri, completion="done", actor=org.user("officer_a"))
        html = client_for(org.user("officer_a")).get(reverse("workplans:day"), {"ngay": "2026-11-17"}).content.decode()
    assert fri.code in html and untouched.code not in html


def test_my_month_shows_the_month_program_and_week_items_due_in_the_month(org: Any) -> None:
    month = program(org.ward_a, "2026-11", owner=org.staff["officer_a"], status=ProgramStatus.DRAFT)
    monthly = item(month, title="Báo cáo tháng", due_at=at("2026-11-27 17:00"))
    week = week_of(org, items=0, status=ProgramStatus.APPROVED)
    weekly = item(week, title="Việc trong tuần", due_at=at("2026-11-19 17:00"))
    december = item(program(org.ward_a, "2026-W49", owner=org.staff["officer_a"]), title="Tháng sau",
                    due_at=at("2026-12-02 17:00"))
    with clock(at("2026-11-18 10:00")):
        r = client_for(org.user("officer_a")).get(reverse("workplans:month"), {"ky": "2026-11"})
    assert [i.code for i in r.context["items"]] == [monthly.code]
    assert [i.code for i in r.context["others"]] == [weekly.code]
    assert december.code not in r.content.decode() and 'id="item-add-form"' in r.content.decode()


def test_gantt_bars_run_from_the_program_start_to_the_due_day_clipped_to_the_month(org: Any) -> None:
    from kycuong.core.periods import parse_period
    from kycuong.workplans.selectors.lists import gantt_month

    week = week_of(org, items=0, status=ProgramStatus.APPROVED)  # 16–22/11
    inside = item(week, due_at=at("2026-11-19 17:00"))
    spill = item(program(org.ward_a, "2026-W49", owner=org.staff["officer_a"]), due_at=at("2026-12-02 17:00"))
    data = gantt_month(unit=org.ward_a, period=parse_period("2026-11"), at=at("2026-11-18 10:00"))
    bars = {b["item"].code: b for b in data["bars"]}
    assert (bars[inside.code]["col_start"], bars[inside.code]["col_end"]) == (17, 21)  # 16/11 … 19/11
    assert (bars[spill.code]["col_start"], bars[spill.code]["col_end"]) == (31, 32) and bars[spill.code]["due_outside"]
    assert len(data["days"]) == 30
