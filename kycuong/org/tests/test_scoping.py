"""Access scoping: a ward officer cannot read another ward's records, through the UI nor the API."""

from __future__ import annotations

from kycuong.org.scoping import scope_for
from kycuong.org.selectors import units_visible_to


def test_ward_officer_sees_own_ward_only(org):
    scope = scope_for(org.user("officer_a"))
    assert scope.allows(org.ward_a.pk)
    assert not scope.allows(org.ward_b.pk)
    assert not scope.all_units


def test_department_head_sees_department_subtree(org):
    scope = scope_for(org.user("dept_head"))
    assert scope.allows(org.dept.pk) and scope.allows(org.dept_office.pk)
    assert not scope.allows(org.ward_a.pk)
    assert scope.manages(org.dept_office.pk)


def test_city_wide_roles_see_everything(org):
    for name in ("leader", "inspector", "admin"):
        assert scope_for(org.user(name)).all_units, name


def test_anonymous_sees_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    assert scope_for(AnonymousUser()).is_empty


def test_units_selector_is_scoped(org):
    codes = set(units_visible_to(org.user("officer_b")).values_list("code", flat=True))
    assert codes == {"H26.P01"}


def test_ui_hides_other_ward(client, org):
    client.force_login(org.user("officer_a"))
    assert client.get("/don-vi/H26.P04/").status_code == 200
    assert client.get("/don-vi/H26.P01/").status_code == 404
    listing = client.get("/don-vi/").content.decode()
    assert "Phường Hoàn Kiếm" in listing and "Phường Ba Đình" not in listing


def test_api_hides_other_ward(api_client_for, org):
    api = api_client_for(org.user("officer_a"))
    assert api.get("/api/v1/org/units/H26.P04").status_code == 200
    response = api.get("/api/v1/org/units/H26.P01")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    codes = {u["code"] for u in api.get("/api/v1/org/units").json()}
    assert codes == {"H26.P04"}
    staff_units = {m["unit"] for s in api.get("/api/v1/org/staff").json() for m in s["memberships"]}
    assert staff_units == {"H26.P04"}


def test_api_requires_authentication(client, org):
    response = client.get("/api/v1/org/units")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_revoked_token_no_longer_works(org):
    from django.test import Client

    from kycuong.core.services import api_token_create, api_token_revoke

    token, raw = api_token_create(user=org.user("officer_a"), name="x")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/org/units").status_code == 200
    api_token_revoke(user=org.user("officer_a"), token_id=token.pk)
    assert api.get("/api/v1/org/units").status_code == 401


def test_token_stored_hashed(org):
    from kycuong.core.models import ApiToken
    from kycuong.core.services import api_token_create

    _token, raw = api_token_create(user=org.user("officer_a"), name="x")
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert ApiToken.objects.filter(digest=ApiToken.hash(raw)).exists()
