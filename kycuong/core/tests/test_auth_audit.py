"""Logins, failed logins and logouts are in the audit trail, with the client's IP."""

from __future__ import annotations

import pytest

from kycuong.core.auditchain import chain_verify
from kycuong.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Dung-mat-khau-2026"  # noqa: S105


@pytest.fixture
def officer(org):
    user = org.user("officer_a")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_successful_login_is_audited_with_ip(client, officer):
    response = client.post("/dang-nhap/", {"username": officer.username, "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor_id, event.object_type, event.object_id) == (officer.pk, "auth.user", str(officer.pk))
    assert event.ip == "203.0.113.7"
    assert chain_verify().ok


def test_failed_login_keeps_the_username_never_the_password(client, officer):
    response = client.post("/dang-nhap/", {"username": officer.username, "password": "sai-mat-khau-123"},
                           HTTP_X_FORWARDED_FOR="198.51.100.4, 10.0.0.1")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.changes == {"username": officer.username}
    assert event.actor_id is None and event.ip == "198.51.100.4"
    assert "sai-mat-khau-123" not in str(event.changes) + event.object_label + event.actor_label
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_failed_login_for_an_unknown_username_is_audited(client, db):
    client.post("/dang-nhap/", {"username": "khong-ton-tai", "password": "x"})
    assert AuditEvent.objects.get(action="auth.login_failed").changes == {"username": "khong-ton-tai"}


def test_logout_is_audited(client, officer):
    client.post("/dang-nhap/", {"username": officer.username, "password": PASSWORD})
    client.post("/dang-xuat/", REMOTE_ADDR="203.0.113.8")
    event = AuditEvent.objects.get(action="auth.logout")
    assert event.actor_id == officer.pk and event.ip == "203.0.113.8"
