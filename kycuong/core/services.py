"""Platform services: personal API tokens."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import NotFound, ValidationFailed
from .models import ApiToken


def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Issue a token; returns (token, clear value). Only the SHA-256 digest is kept."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Hãy đặt tên cho mã truy cập."), details={"field": "name"})
    raw = "kc_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:10], digest=ApiToken.hash(raw))
        audit_record(action="api_token.create", obj=token, actor=user, changes={"name": name, "prefix": token.prefix})
    return token, raw


def api_token_revoke(*, user: Any, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user, revoked_at__isnull=True).first()
        if token is None:
            raise NotFound(_("Không tìm thấy mã truy cập."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="api_token.revoke", obj=token, actor=user)
    return token
