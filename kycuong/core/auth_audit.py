"""Logins, failed logins and logouts go into the audit trail (who, when, from which IP).

Django's authentication signals are the one place every login path passes through (the portal's
login form, the admin's, `client.login`); a failed attempt keeps the username typed, never the
password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .audit import audit_record
from .middleware import client_ip


def _ip(request: Any) -> str | None:
    return client_ip(request) if request is not None and hasattr(request, "META") else None


def on_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.login", obj=user, actor=user, ip=_ip(request))


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        audit_record(action="auth.logout", obj=user, actor=user, ip=_ip(request))


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit_record(action="auth.login_failed", object_type="auth.user", object_id="", changes={"username": username},
                 ip=_ip(request))


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="kycuong.audit.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="kycuong.audit.logout")
    user_login_failed.connect(on_login_failed, dispatch_uid="kycuong.audit.login_failed")
