"""API building blocks: authentication (session or personal token), error shape, helpers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from .models import ApiToken


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


def _user_for_token(raw: str) -> Any:
    if not raw:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token (stored hashed, revocable)."""

    openapi_description = "Personal API token (Authorization: Bearer kc_...)"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = _user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = _user_for_token(key or "")
        if user is not None:
            request.user = user
        return user


STAFF_AUTH = [TokenAuth(), TokenHeaderAuth(), SessionAuth()]
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
