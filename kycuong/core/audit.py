"""Audit trail services. Every state-changing service calls `audit_record` inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from . import context
from .auditchain import chain_advance, chain_link, chain_lock, chain_store, content_digest, event_values
from .models import AuditEvent, PersonalDataAccess


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None:
        actor = context.current().user
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_label": getattr(actor, "label", "") if actor is not None else ""}
    from .text import person_name

    return {"actor": actor, "actor_label": person_name(actor)[:200]}


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    actor: Any = None,
    changes: dict[str, Any] | None = None,
    unit_id: int | None = None,
    at: Any = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one audit event (who, what, which object, what changed, when, from which IP).

    The row is chained (kycuong.core.auditchain): one extra statement moves the chain head, which
    stays locked until the caller's transaction ends, so call this as the last write."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        if unit_id is None:
            unit_id = getattr(obj, "unit_id", None)
    event = AuditEvent(
        at=at or timezone.now(),
        action=action,
        object_type=object_type or "",
        object_id=str(object_id if object_id is not None else ""),
        object_label=str(obj)[:300] if obj is not None else "",
        unit_id=unit_id,
        changes=_jsonable(changes or {}),
        ip=ip or context.current().ip,
        **_actor_fields(actor),
    )
    with transaction.atomic(savepoint=False):
        event.seq, event.prev_hash, event.hash = chain_advance(content_digest(event_values(event)))
        event.save(force_insert=True)
    return event


def audit_record_many(events: list[dict[str, Any]]) -> None:
    """Bulk variant for imports and the demo: same content, one lock of the chain head, bulk INSERTs."""
    ip = context.current().ip
    now = timezone.now()
    rows = []
    for ev in events:
        actor_fields = _actor_fields(ev.get("actor"))
        rows.append(
            AuditEvent(
                at=ev.get("at") or now,
                action=ev["action"],
                object_type=ev["object_type"],
                object_id=str(ev["object_id"]),
                object_label=str(ev.get("object_label", ""))[:300],
                unit_id=ev.get("unit_id"),
                changes=_jsonable(ev.get("changes") or {}),
                ip=ip,
                **actor_fields,
            )
        )
    if not rows:
        return
    with transaction.atomic(savepoint=False):
        head = chain_lock()
        seq, prev_hash, row_hash = chain_link(rows, seq=head.seq, prev_hash=head.hash)
        AuditEvent.objects.bulk_create(rows, batch_size=1000)
        chain_store(seq=seq, prev_hash=prev_hash, row_hash=row_hash)


def personal_data_access_record(*, obj: models.Model, fields: list[str], actor: Any = None, purpose: str = "") -> None:
    """Log that personal data of `obj` was shown in clear (Law 91/2025, Decree 356/2025)."""
    PersonalDataAccess.objects.create(
        at=timezone.now(),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        fields=",".join(fields)[:200],
        purpose=purpose[:200],
        ip=context.current().ip,
        **_actor_fields(actor),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
