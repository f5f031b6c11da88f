"""Django-admin edits write audit rows with before/after, for every registered model."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from kycuong.core.admin_audit import AuditedModelAdmin
from kycuong.core.auditchain import chain_verify
from kycuong.core.models import AuditEvent
from kycuong.org.models import Membership, Role, Unit


class _FormFields(HTMLParser):
    """The values a browser would post for the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_data(client: Any, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    return {k: v for k, v in parser.data.items() if "__prefix__" not in k}


@pytest.fixture
def superuser_client(client: Any, db: Any) -> Any:
    root = get_user_model().objects.create_superuser(username="quantri", password="x", email="")  # noqa: S106
    client.force_login(root)
    client.root = root
    return client


def test_every_registered_model_admin_is_audited():
    assert admin.site._registry
    unaudited = [m._meta.label for m, ma in admin.site._registry.items() if not isinstance(ma, AuditedModelAdmin)]
    assert unaudited == []


def test_a_future_registration_is_audited_too():
    from django.contrib.admin import ModelAdmin

    class Plain(ModelAdmin):
        pass

    site = type(admin.site._wrapped if hasattr(admin.site, "_wrapped") else admin.site)()
    site.register(Unit, Plain)
    assert isinstance(site._registry[Unit], AuditedModelAdmin) and isinstance(site._registry[Unit], Plain)


def test_granting_city_leader_through_the_staff_admin_is_audited(superuser_client, org):
    staff = org.staff["officer_a"]
    url = f"/quan-tri/org/staff/{staff.pk}/change/"
    data = form_data(superuser_client, url)
    n = int(data["memberships-TOTAL_FORMS"])
    data.update({"memberships-TOTAL_FORMS": str(n + 1), f"memberships-{n}-unit": str(org.city.pk),
                 f"memberships-{n}-role": Role.CITY_LEADER, f"memberships-{n}-staff": str(staff.pk)})
    response = superuser_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    grant = Membership.objects.get(staff=staff, role=Role.CITY_LEADER)
    event = AuditEvent.objects.get(action="admin.add", object_type="org.membership", object_id=str(grant.pk))
    assert event.actor_id == superuser_client.root.pk
    assert event.changes["fields"]["role"] == {"before": None, "after": "city_leader"}
    assert event.changes["fields"]["unit"]["after"] == org.city.pk
    assert event.changes["parent"] == f"org.staff#{staff.pk}"
    assert event.unit_id == org.city.pk
    assert chain_verify().ok


def test_changing_a_role_through_the_admin_keeps_before_and_after(superuser_client, org):
    staff = org.staff["officer_a"]
    membership = Membership.objects.get(staff=staff, role=Role.OFFICER)
    url = f"/quan-tri/org/staff/{staff.pk}/change/"
    data = form_data(superuser_client, url)
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(membership.pk))
    data[f"memberships-{index}-role"] = Role.CITY_LEADER
    data["position"] = "Phó Chủ tịch"
    assert superuser_client.post(url, data).status_code == 302
    inline = AuditEvent.objects.get(action="admin.change", object_type="org.membership", object_id=str(membership.pk))
    assert inline.changes["fields"] == {"role": {"before": "officer", "after": "city_leader"}}
    main = AuditEvent.objects.get(action="admin.change", object_type="org.staff", object_id=str(staff.pk))
    assert main.changes["fields"]["position"]["after"] == "Phó Chủ tịch"
    assert main.changes["fields"]["position"]["before"] == staff.position


def test_deleting_through_the_admin_is_audited_with_the_row_before(superuser_client, org):
    unit = Unit.objects.create(code="H26.X1", name="Tổ thử", kind=org.ward_b.kind, parent=org.city)
    response = superuser_client.post(f"/quan-tri/org/unit/{unit.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.delete", object_type="org.unit", object_id=str(unit.pk))
    assert event.changes["fields"]["code"] == {"before": "H26.X1", "after": None}


def test_bulk_delete_action_is_audited_per_object(superuser_client, org):
    units = [Unit.objects.create(code=f"H26.X{i}", name=f"Tổ {i}", kind=org.ward_b.kind, parent=org.city)
             for i in (2, 3)]
    response = superuser_client.post("/quan-tri/org/unit/", {"action": "delete_selected", "post": "yes",
                                                              "_selected_action": [str(u.pk) for u in units]})
    assert response.status_code == 302
    assert not Unit.objects.filter(pk__in=[u.pk for u in units]).exists()
    audited = set(AuditEvent.objects.filter(action="admin.delete").values_list("object_id", flat=True))
    assert audited == {str(u.pk) for u in units}


def test_a_password_set_in_the_admin_is_audited_without_the_hash(superuser_client, org):
    user = org.user("officer_a")
    response = superuser_client.post(f"/quan-tri/auth/user/{user.pk}/password/",
                                     {"password1": "Mat-khau-moi-2026", "password2": "Mat-khau-moi-2026",
                                      "usable_password": "true"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.change", object_type="auth.user", object_id=str(user.pk))
    text = str(event.changes)
    assert "password" in text and "Mat-khau-moi-2026" not in text and "md5$" not in text
