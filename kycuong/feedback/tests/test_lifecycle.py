"""One state machine (issue 10, item 3): the services and the page's buttons both follow
`lifecycle.TRANSITIONS`; breaking the table changes both. Membership checks (item 2) and server
time (item 1) through the API."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kycuong.core.errors import Conflict
from kycuong.feedback import lifecycle, services
from kycuong.feedback.lifecycle import Action
from kycuong.feedback.models import Event, FeedbackItem, Status
from kycuong.org.models import Membership, Role, UnitKind
from kycuong.org.tests.factories import UnitFactory, staff_with_role


def _submit(org, categories):
    return services.feedback_submit(category=categories["duong"], description="Đèn đường hỏng", place=org.ward_a).item


def _page(client: Client, item: FeedbackItem) -> str:
    resp = client.get(f"/phan-anh/{item.code}/")
    assert resp.status_code == 200
    return resp.content.decode()


def _button(action: str) -> str:
    return f'name="action" value="{action}"'


@pytest.fixture
def table(monkeypatch):
    """A private copy of the transition table that a test may break."""
    broken = copy.deepcopy(lifecycle.TRANSITIONS)
    monkeypatch.setattr(lifecycle, "TRANSITIONS", broken)
    return broken


def test_every_status_is_in_the_table_and_results_are_statuses():
    assert set(lifecycle.TRANSITIONS) == set(Status.values)
    for actions in lifecycle.TRANSITIONS.values():
        assert set(actions) <= set(Action.values)
        assert set(actions.values()) <= {*Status.values, lifecycle.HANDLING}


def test_removing_refuse_from_the_table_removes_the_button_and_the_service_refuses(org, categories, table):
    item = _submit(org, categories)
    client = Client()
    client.force_login(org.user("head_a"))
    assert _button("refuse") in _page(client, item)

    del table[Status.ROUTED][Action.REFUSE]

    assert _button("refuse") not in _page(client, item)
    with pytest.raises(Conflict):
        services.feedback_refuse(item=item, reason="Không thuộc thẩm quyền hành chính", actor=org.user("head_a"))
    assert FeedbackItem.objects.get(pk=item.pk).status == Status.ROUTED


def test_adding_an_action_to_the_table_lets_the_service_and_the_page_offer_it(org, categories, table):
    item = _submit(org, categories)
    services.answer_save_draft(item=item, body="Đã thay bóng đèn.", actor=org.user("officer_a"))
    services.answer_approve(item=item, actor=org.user("head_a"))
    client = Client()
    client.force_login(org.user("head_a"))
    assert _button("merge") not in _page(client, item)
    with pytest.raises(Conflict):
        services.feedback_merge(duplicate=item, into=_submit(org, categories), actor=org.user("head_a"))

    table[Status.RESOLVED][Action.MERGE] = Status.MERGED

    assert _button("merge") in _page(client, item)
    into = _submit(org, categories)
    services.feedback_merge(duplicate=FeedbackItem.objects.get(pk=item.pk), into=into, actor=org.user("head_a"))
    assert FeedbackItem.objects.get(pk=item.pk).status == Status.MERGED


def test_changing_a_result_in_the_table_changes_what_the_service_does(org, categories, table):
    item = _submit(org, categories)
    table[Status.ROUTED][Action.ASSIGN] = Status.ROUTED
    assert services.feedback_assign(item=item, actor=org.user("officer_a")).status == Status.ROUTED


def test_citizen_buttons_follow_the_table(org, categories, table):
    sub = services.feedback_submit(category=categories["duong"], description="Đèn đường hỏng", place=org.ward_a)
    services.answer_save_draft(item=sub.item, body="Đã thay bóng đèn.", actor=org.user("officer_a"))
    services.answer_approve(item=sub.item, actor=org.user("head_a"))
    services.answer_publish(item=sub.item, actor=org.user("head_a"))
    url = f"/phan-anh/tra-cuu/{sub.item.code}/?k={sub.secret}"
    page = Client().get(url).content.decode()
    assert 'value="reopen"' in page and 'value="rate"' in page

    del table[Status.PUBLISHED][Action.REOPEN]

    page = Client().get(url).content.decode()
    assert 'value="reopen"' not in page and 'value="rate"' in page
    with pytest.raises(Conflict):
        services.feedback_reopen(item=sub.item, reason="Đèn lại hỏng sau hai ngày")


def test_an_action_the_table_refuses_is_a_409_and_changes_nothing(org, categories, api_client_for):
    item = _submit(org, categories)
    before = Event.objects.filter(item=item).count()
    api = api_client_for(org.user("head_a"))

    resp = api.post(f"/api/v1/feedback/items/{item.code}/publish", {}, content_type="application/json")

    assert resp.status_code == 409 and resp.json()["details"]["action"] == "publish"
    assert Event.objects.filter(item=item).count() == before


# --- membership checks (through the API) --------------------------------------------------------
def _assign(api, item, staff):
    return api.post(f"/api/v1/feedback/items/{item.code}/assign", {"assignee": staff.code},
                    content_type="application/json")


def test_assignee_needs_a_membership_in_force_in_the_responsible_unit(org, categories, api_client_for):
    item = _submit(org, categories)
    api = api_client_for(org.user("head_a"))
    today = timezone.localdate()
    ended = staff_with_role(org.ward_a, Role.OFFICER, "ended_yesterday")
    Membership.objects.filter(staff=ended).update(active_to=today - dt.timedelta(days=1))
    future = staff_with_role(org.ward_a, Role.OFFICER, "starts_tomorrow")
    Membership.objects.filter(staff=future).update(active_from=today + dt.timedelta(days=1))
    inactive = staff_with_role(org.ward_a, Role.OFFICER, "deactivated")
    inactive.is_active = False
    inactive.save()

    for staff in (org.staff["officer_b"], ended, future, inactive):
        resp = _assign(api, item, staff)
        assert resp.status_code == 422, staff
        assert resp.json()["details"]["errors"]["assignee"] == "not_member"
    assert FeedbackItem.objects.get(pk=item.pk).assignee_id is None
    # active_to is the first day a membership no longer applies (kycuong.org.models.in_force_q)
    ends_today = staff_with_role(org.ward_a, Role.OFFICER, "ends_today")
    Membership.objects.filter(staff=ends_today).update(active_to=today)
    assert _assign(api, item, ends_today).status_code == 422
    last_day = staff_with_role(org.ward_a, Role.OFFICER, "last_day_today")
    Membership.objects.filter(staff=last_day).update(active_to=today + dt.timedelta(days=1))
    assert _assign(api, item, last_day).json()["assignee"] == last_day.code


def test_approval_needs_a_head_in_force_of_the_unit(org, categories, api_client_for):
    item = _submit(org, categories)
    services.answer_save_draft(item=item, body="Đã thay bóng đèn.", actor=org.user("officer_a"))
    former = staff_with_role(org.ward_a, Role.HEAD, "former_head")
    Membership.objects.filter(staff=former).update(active_to=timezone.localdate() - dt.timedelta(days=1))
    Membership.objects.create(staff=former, unit=org.ward_a, role=Role.OFFICER, is_primary=False)

    it_admin = staff_with_role(org.city, Role.ADMIN, "it_admin")  # manages every unit's records, heads none

    resp = api_client_for(former.user).post(f"/api/v1/feedback/items/{item.code}/answer/approve")
    by_admin = api_client_for(it_admin.user).post(f"/api/v1/feedback/items/{item.code}/answer/approve")

    assert resp.status_code == 403 and by_admin.status_code == 403
    assert by_admin.json()["code"] == "not_head_of_unit"
    assert FeedbackItem.objects.get(pk=item.pk).status == Status.ROUTED
    assert api_client_for(org.user("head_a")).post(
        f"/api/v1/feedback/items/{item.code}/answer/approve").json()["status"] == Status.RESOLVED


def test_reassignment_target_must_handle_feedback_and_have_someone_in_force(org, categories, api_client_for):
    item = _submit(org, categories)
    api = api_client_for(org.user("head_a"))
    empty = UnitFactory(code="H26.P99", name="Phường Mới", kind=UnitKind.WARD, parent=org.city)
    gone = staff_with_role(empty, Role.HEAD, "gone_head")
    Membership.objects.filter(staff=gone).update(active_to=timezone.localdate() - dt.timedelta(days=1))
    reason = "Địa bàn thuộc phường khác theo bản đồ"

    def reassign(code):
        return api.post(f"/api/v1/feedback/items/{item.code}/reassign", {"unit": code, "reason": reason},
                        content_type="application/json")

    assert reassign(org.dept_office.code).json()["details"]["errors"]["to_unit"] == "kind"
    assert reassign(empty.code).json()["details"]["errors"]["to_unit"] == "no_members"
    assert FeedbackItem.objects.get(pk=item.pk).unit == org.ward_a
    assert reassign(org.ward_b.code).json()["unit"] == org.ward_b.code


# --- server time ----------------------------------------------------------------------------------
def test_a_client_time_is_refused_naming_the_field(org, categories, api_client_for):
    api = api_client_for(org.user("onestop_a"))
    resp = api.post("/api/v1/feedback/items", {"category": "duong-sa", "description": "Cây đổ", "place": "H26.P04",
                                                "received_at": "2020-01-01T09:00:00+07:00"},
                    content_type="application/json")
    assert resp.status_code == 422 and "received_at" in resp.json()["message"]
    assert FeedbackItem.objects.count() == 0

    item = _submit(org, categories)
    resp = api.post(f"/api/v1/feedback/items/{item.code}/answer", {"text": "Đã xử lý", "at": "2020-01-01T09:00:00Z"},
                    content_type="application/json")
    assert resp.status_code == 422 and "at" in [e["field"] for e in resp.json()["details"]["errors"]]
    assert not item.answers.exists()


def test_events_carry_the_server_time(org, categories, time_machine):
    moment = dt.datetime(2026, 10, 14, 9, 30, tzinfo=dt.UTC)
    time_machine.move_to(moment, tick=False)
    item = _submit(org, categories)
    services.feedback_assign(item=item, actor=org.user("officer_a"))
    assert set(Event.objects.filter(item=item).values_list("at", flat=True)) == {moment}
    assert item.received_at == moment


def test_assignment_form_lists_only_people_in_force(org, categories):
    item = _submit(org, categories)
    ended = staff_with_role(org.ward_a, Role.OFFICER, "left_unit")
    ended.full_name = "Người Đã Chuyển Công Tác"
    ended.save()
    Membership.objects.filter(staff=ended).update(active_to=timezone.localdate() - dt.timedelta(days=1))
    client = Client()
    client.force_login(org.user("head_a"))

    page = _page(client, item)

    assert org.staff["officer_a"].full_name in page and "Người Đã Chuyển Công Tác" not in page
