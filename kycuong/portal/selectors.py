"""Reads of the audit trail and the personal-data access log (admins, inspectors, city leaders)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from kycuong.core.models import AuditEvent, PersonalDataAccess
from kycuong.core.periods import TZ
from kycuong.org.scoping import scope_for


def audit_events(*, user: Any, action: str = "", object_type: str = "", actor: str = "", object_id: str = "",
                 date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet[AuditEvent]:
    """Audit events the user may see (city-wide roles: all; others: their units' events), filtered."""
    qs = AuditEvent.objects.all()
    scope = scope_for(user)
    if not scope.all_units:
        qs = qs.filter(Q(unit_id__in=scope.unit_ids) | Q(actor=user))
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if date_from:
        qs = qs.filter(at__gte=dt.datetime.combine(date_from, dt.time(0), tzinfo=TZ))
    if date_to:
        qs = qs.filter(at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=TZ))
    return qs.order_by("-at", "-id")


def personal_data_accesses(*, user: Any, object_id: str = "", actor: str = "") -> QuerySet[PersonalDataAccess]:
    qs = PersonalDataAccess.objects.all()
    if object_id:
        qs = qs.filter(object_id=object_id)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    return qs.order_by("-at", "-id")
