"""Must show (issue 11): an officer drafts and submits the week, the head returns it with a comment,
the officer fixes and resubmits, the head approves, the officer reports completion with a linked
dossier, the head sends one output back for quality, it is completed again; the unit outline and
the not-submitted board reflect each step.

The screens are the workplans module's (docs/modules/workplans.md); the clock is moved with
time-machine (it patches time for the live server thread too), so the Monday 10:00 deadline is real.
"""

from __future__ import annotations

import pytest
import time_machine

from conftest import login
from kycuong.dossiers import services as dossier_services
from kycuong.dossiers.tests.factories import APPLICANT, procedure_create
from kycuong.workplans.models import ItemStatus, ProgramStatus, WorkItem

from .factories import at, item, product_type, program

pytestmark = pytest.mark.e2e
WEEK = "2026-W47"


def as_user(page, username):
    page.context.clear_cookies()
    login(page, username)


def board_row(page, unit_code, staff_code):
    page.goto(f"{page.base_url}/chuong-trinh/chua-nop/?don-vi={unit_code}&ky={WEEK}")
    return page.locator(f"#board tr[data-staff='{staff_code}']")


def outline_row(page, code):
    page.goto(f"{page.base_url}/chuong-trinh/don-vi/?ky={WEEK}")
    return page.locator(f"#unit-outline tr[data-item='{code}']")


def add_item(page, title, *, product, parent=None, due="2026-11-19"):
    page.fill("#id_title", title)
    page.select_option("#id_product_type", str(product.pk))
    page.fill("#id_quantity", "2")
    page.fill("#id_due_date", due)
    if parent is not None:
        page.select_option("#id_parent", str(parent.pk))
    with page.expect_navigation():
        page.click("#item-add")
    assert page.locator(".notice-success").count() == 1, page.inner_text("main")


def complete(page, code, dossier=""):
    row = page.locator(f"tr[data-item='{code}']")
    row.locator("select[name=completion]").select_option("done")
    if dossier:
        row.locator("input[name=dossier]").fill(dossier)
    row.locator(".item-complete").click()  # htmx: the row is swapped in place
    page.wait_for_selector(f"tr[data-item='{code}'][data-status='reported']")


def test_week_program_from_draft_to_accepted_output(page, org):
    ward, officer = org.ward_a, org.staff["officer_a"]
    answer = product_type(ward, code="VBTL", name="Văn bản trả lời", factor="1.0")
    unit_program = program(ward, WEEK, status=ProgramStatus.APPROVED)
    unit_item = item(unit_program, owner=org.staff["head_a"], title="Giải quyết hồ sơ khai sinh đúng hạn")
    proc = procedure_create(name="Đăng ký khai sinh")
    with time_machine.travel(at("2026-11-16 08:00"), tick=True) as clock:
        dossier = dossier_services.dossier_receive(procedure=proc, unit=ward, received_unit=ward, applicant=APPLICANT,
                                                   received_by=org.staff["onestop_a"])
        # 1. The officer drafts the week (Monday 08:00): two items, one under the unit's item.
        as_user(page, "officer_a")
        page.goto(f"{page.base_url}/chuong-trinh/?ky={WEEK}")
        assert page.get_attribute("#program-status", "data-status") == "none"
        add_item(page, "Thẩm định hồ sơ khai sinh", product=answer, parent=unit_item)
        add_item(page, "Trả lời đơn của công dân", product=answer, due="2026-11-20")
        assert page.get_attribute("#program-status", "data-status") == "draft"
        first, second = WorkItem.objects.filter(owner=officer).order_by("id")
        assert first.parent_id == unit_item.pk and first.weight == 2  # 2 × factor 1.0
        as_user(page, "head_a")
        row = board_row(page, ward.code, officer.code)
        assert row.get_attribute("data-status") == "draft" and row.get_attribute("data-late") == "0"
        assert outline_row(page, first.code).get_attribute("data-status") == "draft"

        # 2. Submitted at 08:30.
        clock.move_to(at("2026-11-16 08:30"))
        as_user(page, "officer_a")
        page.goto(f"{page.base_url}/chuong-trinh/?ky={WEEK}")
        with page.expect_navigation():
            page.click("#program-submit")
        assert page.get_attribute("#program-status", "data-status") == "submitted"
        # 3. The head returns it with a comment from the approval inbox.
        clock.move_to(at("2026-11-16 09:00"))
        as_user(page, "head_a")
        assert board_row(page, ward.code, officer.code).get_attribute("data-status") == "submitted"
        page.goto(f"{page.base_url}/chuong-trinh/duyet/")
        with page.expect_navigation():
            page.click("#inbox-programs tr[data-program] a.btn")
        page.fill("#id_comment", "Bổ sung việc báo cáo tuần gửi Văn phòng.")
        with page.expect_navigation():
            page.click("#program-return")
        assert page.get_attribute("#program-status", "data-status") == "returned"
        assert board_row(page, ward.code, officer.code).get_attribute("data-status") == "returned"
        assert outline_row(page, first.code).get_attribute("data-status") == "returned"

        # 4. The officer reads the comment, fixes the program and resubmits (09:30, before the deadline).
        clock.move_to(at("2026-11-16 09:30"))
        as_user(page, "officer_a")
        page.goto(f"{page.base_url}/chuong-trinh/?ky={WEEK}")
        assert "Bổ sung việc báo cáo tuần" in page.inner_text("#return-comment")
        add_item(page, "Báo cáo tuần gửi Văn phòng", product=answer, due="2026-11-20")
        with page.expect_navigation():
            page.click("#program-submit")
        assert page.get_attribute("#program-status", "data-status") == "submitted"

        # 5. The head approves (09:45): on time on the board, the items in progress on the outline.
        clock.move_to(at("2026-11-16 09:45"))
        as_user(page, "head_a")
        page.goto(f"{page.base_url}/chuong-trinh/duyet/")
        with page.expect_navigation():
            page.click("#inbox-programs tr[data-program] a.btn")
        with page.expect_navigation():
            page.click("#program-approve")
        assert page.get_attribute("#program-status", "data-status") == "approved"
        clock.move_to(at("2026-11-16 10:30"))  # past the deadline: approved in time, not late
        row = board_row(page, ward.code, officer.code)
        assert row.get_attribute("data-status") == "approved" and row.get_attribute("data-late") == "0"
        assert "overdue" not in (row.get_attribute("class") or "")
        assert outline_row(page, first.code).get_attribute("data-status") == "in_progress"
        others = page.locator(f"#board tr[data-staff='{org.staff['onestop_a'].code}']")
        board_row(page, ward.code, org.staff["onestop_a"].code)
        assert others.get_attribute("data-late") == "1" and "overdue" in others.get_attribute("class")

        # 6. Wednesday: the officer reports completion, the first with the dossier as evidence.
        clock.move_to(at("2026-11-18 15:00"))
        as_user(page, "officer_a")
        page.goto(f"{page.base_url}/chuong-trinh/?ky={WEEK}")
        complete(page, first.code, dossier=dossier.code)
        complete(page, second.code)
        assert dossier.code in page.inner_text(f"tr[data-item='{first.code}'] [data-evidence]")
        as_user(page, "head_a")
        assert outline_row(page, first.code).get_attribute("data-status") == "reported"
        assert page.get_attribute(f"#unit-outline tr[data-item='{unit_item.code}'] [data-progress]",
                                  "data-progress") == "0"  # reported is not yet accepted

        # 7. The head sends the first output back for quality and accepts the second.
        clock.move_to(at("2026-11-18 16:00"))
        page.goto(f"{page.base_url}/chuong-trinh/duyet/")
        page.fill(f"#q-{first.code}", "Thiếu ý kiến thẩm định của công chức tư pháp.")
        with page.expect_navigation():
            page.click(f"tr[data-item='{first.code}'] .item-quality-fail")
        with page.expect_navigation():
            page.click(f"tr[data-item='{second.code}'] .item-accept")
        assert outline_row(page, first.code).get_attribute("data-status") == "in_progress"

        # 8. Thursday: completed again, accepted: the unit item is 100% done by weight.
        clock.move_to(at("2026-11-19 09:00"))
        as_user(page, "officer_a")
        page.goto(f"{page.base_url}/chuong-trinh/?ky={WEEK}")
        complete(page, first.code)
        as_user(page, "head_a")
        page.goto(f"{page.base_url}/chuong-trinh/duyet/")
        with page.expect_navigation():
            page.click(f"tr[data-item='{first.code}'] .item-accept")
        assert outline_row(page, first.code).get_attribute("data-status") == "accepted"
        assert page.get_attribute(f"#unit-outline tr[data-item='{unit_item.code}'] [data-progress]",
                                  "data-progress") == "100"
        page.goto(f"{page.base_url}/chuong-trinh/viec/{first.code}/")
        events = [e.get_attribute("data-event") for e in page.locator("tr[data-event]").all()]
        assert events.count("completed") == 2 and "quality_failed" in events and events[-1] == "accepted"
        assert dossier.code in page.inner_text("dl")
    first.refresh_from_db()
    assert first.status == ItemStatus.ACCEPTED and first.quality_failures == 1
    assert first.evidence.get().dossier_id == dossier.pk
