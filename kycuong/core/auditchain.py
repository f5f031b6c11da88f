"""Hash chain over the audit trail: canonical content, link hashes, chain head, verification.

Each `AuditEvent` row carries its position `seq`, the previous row's hash `prev_hash` and its own
`hash = sha256(prev_hash ":" seq ":" content_digest)`, where `content_digest` is the SHA-256 of a
canonical JSON serialisation of the row's content. The one-row `AuditChainHead` holds the last
position and hash; locking it orders the chain (see docs/modules/audit.md for the reasoning).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
HEAD_PK = 1
CONTENT_FIELDS = ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "object_label", "unit_id",
                  "changes", "ip")

_at_field = AuditEvent._meta.get_field("at")
_ip_field = AuditEvent._meta.get_field("ip")


def _canonical_number(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical_number(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # jsonb may give 1e16 back as 10000000000000000
    return value


def canonical_time(value: Any) -> str:
    moment = _at_field.to_python(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the way Django stores a naive time
    return moment.astimezone(dt.UTC).isoformat()


def canonical_ip(value: Any) -> str | None:
    return _ip_field.get_prep_value(value) or None


def content_digest(values: dict[str, Any]) -> str:
    """SHA-256 of the row's content, serialised the same way whatever the database gave back."""
    payload = {
        "at": canonical_time(values["at"]),
        "actor": None if values["actor_id"] is None else int(values["actor_id"]),
        "actor_label": values["actor_label"] or "",
        "action": values["action"],
        "object_type": values["object_type"] or "",
        "object_id": str(values["object_id"]),
        "object_label": values["object_label"] or "",
        "unit": None if values["unit_id"] is None else int(values["unit_id"]),
        "changes": _canonical_number(values["changes"]),
        "ip": canonical_ip(values["ip"]),
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


def event_values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in CONTENT_FIELDS}


# --- appending -------------------------------------------------------------------------------

_ADVANCE_SQL = {
    # One statement: waits for the head's row lock (held to the end of the transaction), reads the
    # latest committed head and moves it on. In an UPDATE every SET expression sees the old row.
    "postgresql": (
        "UPDATE core_auditchainhead SET seq = seq + 1, prev_hash = hash, "
        "hash = encode(sha256(convert_to(hash || ':' || (seq + 1)::text || ':' || %s, 'UTF8')), 'hex') "
        "WHERE id = %s RETURNING seq, prev_hash, hash"
    ),
    # Django registers SHA256() (hex digest) on every SQLite connection.
    "sqlite": (
        "UPDATE core_auditchainhead SET seq = seq + 1, prev_hash = hash, "
        "hash = SHA256(hash || ':' || (seq + 1) || ':' || %s) WHERE id = %s RETURNING seq, prev_hash, hash"
    ),
}


def _head_create() -> None:
    """(Re)create the head after a flush of the test database: from the last row, or the genesis."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, head_hash = last if last else (0, GENESIS)
    AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK, seq=seq, hash=head_hash)], ignore_conflicts=True)


def chain_advance(digest: str) -> tuple[int, str, str]:
    """Claim the next position for one row: (seq, prev_hash, hash). Call inside the transaction."""
    sql = _ADVANCE_SQL.get(connection.vendor)
    if sql is None:
        head = chain_lock()
        seq, prev = head.seq + 1, head.hash
        row_hash = link_hash(prev, seq, digest)
        chain_store(seq=seq, prev_hash=prev, row_hash=row_hash)
        return seq, prev, row_hash
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [digest, HEAD_PK])
            row = cursor.fetchone()
        if row is not None:
            return int(row[0]), row[1], row[2]
        _head_create()
    raise RuntimeError("audit chain head missing")  # pragma: no cover - created just above


def chain_lock() -> AuditChainHead:
    """Lock the head for a bulk append (one SELECT … FOR UPDATE) and return it."""
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        _head_create()
        head = AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
    return head


def chain_store(*, seq: int, prev_hash: str, row_hash: str) -> None:
    AuditChainHead.objects.filter(pk=HEAD_PK).update(seq=seq, prev_hash=prev_hash, hash=row_hash)


def chain_link(events: Iterable[AuditEvent], *, seq: int, prev_hash: str) -> tuple[int, str, str]:
    """Number and hash unsaved events after (seq, prev_hash); returns the new head."""
    before = prev_hash
    for event in events:
        seq += 1
        event.seq, event.prev_hash = seq, prev_hash
        event.hash = link_hash(prev_hash, seq, content_digest(event_values(event)))
        before, prev_hash = prev_hash, event.hash
    return seq, before, prev_hash


# --- verification ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainBreak:
    kind: str  # "edited" | "missing" | "inserted" | "head"
    event_id: int | None
    seq: int | None
    detail: str


@dataclass(frozen=True)
class ChainReport:
    count: int
    head_seq: int
    head_hash: str
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def chain_verify(*, chunk_size: int = 2000) -> ChainReport:
    """Recompute the chain in order and stop at the first row that does not fit.

    Read in one snapshot (REPEATABLE READ on PostgreSQL) so rows appended meanwhile by live
    traffic are either all seen with the head that counts them or not at all."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = AuditChainHead.objects.filter(pk=HEAD_PK).values_list("seq", "hash").first()
        head_seq, head_hash = head if head else (0, GENESIS)
        rows = AuditEvent.objects.order_by("seq").values_list("id", "seq", "prev_hash", "hash", *CONTENT_FIELDS)
        count, expected_seq, expected_prev = 0, 1, GENESIS
        for row in rows.iterator(chunk_size=chunk_size):
            event_id, seq, prev_hash, row_hash = row[:4]
            broken = _check_row(event_id, seq, prev_hash, row_hash, dict(zip(CONTENT_FIELDS, row[4:], strict=True)),
                                expected_seq=expected_seq, expected_prev=expected_prev, head_seq=head_seq,
                                head_missing=head is None)
            if broken is not None:
                return ChainReport(count, head_seq, head_hash, broken)
            count, expected_seq, expected_prev = count + 1, seq + 1, row_hash
        if head_seq != count or head_hash != expected_prev:
            broken = ChainBreak("missing", None, count + 1,
                                _("đầu chuỗi ghi #%(head)s nhưng dòng cuối là #%(last)s: dòng cuối đã bị xoá")
                                % {"head": head_seq, "last": count})
            return ChainReport(count, head_seq, head_hash, broken)
        return ChainReport(count, head_seq, head_hash, None)


def _check_row(event_id: int, seq: int, prev_hash: str, row_hash: str, values: dict[str, Any], *, expected_seq: int,
               expected_prev: str, head_seq: int, head_missing: bool) -> ChainBreak | None:
    if head_missing:
        return ChainBreak("head", event_id, seq, _("thiếu dòng đầu chuỗi (core_auditchainhead)"))
    if seq > head_seq or seq < expected_seq:
        return ChainBreak("inserted", event_id, seq,
                          _("dòng #%(seq)s nằm ngoài chuỗi (đầu chuỗi #%(head)s): dòng bị chèn thêm")
                          % {"seq": seq, "head": head_seq})
    if seq != expected_seq:
        missing = f"#{expected_seq}" if seq == expected_seq + 1 else f"#{expected_seq}–#{seq - 1}"
        return ChainBreak("missing", event_id, seq,
                          _("thiếu dòng %(missing)s trước dòng #%(seq)s (đứt số thứ tự): dòng bị xoá")
                          % {"missing": missing, "seq": seq})
    if prev_hash != expected_prev:
        return ChainBreak("inserted", event_id, seq,
                          _("mã băm dòng trước không khớp dòng #%(prev)s: dòng bị chèn hoặc chuỗi bị viết lại")
                          % {"prev": seq - 1})
    if link_hash(prev_hash, seq, content_digest(values)) != row_hash:
        return ChainBreak("edited", event_id, seq, _("nội dung không khớp mã băm: dòng bị sửa"))
    return None
