"""Public dossier lookup (domain.md §3): a citizen follows a dossier by code + secret, without
logging in. The answer shows status, the timeline of steps by unit, the appointment and any
apology; never staff names or the applicant's personal data in clear.

A wrong or missing secret gets exactly the same "not found" answer as an unknown code, so codes
cannot be enumerated; lookups are rate-limited per IP with a cache counter.
"""

from __future__ import annotations

import datetime as dt
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.translation import gettext_lazy as _

from kycuong.core.errors import DomainError, NotFound
from kycuong.core.periods import TZ
from kycuong.core.text import mask_name

from .models import Channel, Dossier, DossierEvent, EventType, FeePayment, Status

#: Lookups allowed per IP per window (settings can override).
LOOKUP_LIMIT = getattr(settings, "KYCUONG_PUBLIC_LOOKUP_LIMIT", 30)
LOOKUP_WINDOW_SECONDS = getattr(settings, "KYCUONG_PUBLIC_LOOKUP_WINDOW", 60)

#: Events a citizen sees; assignments, reassignments and notes are internal.
PUBLIC_EVENTS = (
    EventType.SUBMITTED, EventType.RECEIVED, EventType.REFUSED, EventType.HANDED_OVER, EventType.TRANSFERRED,
    EventType.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_COMPLETED, EventType.APOLOGIZED, EventType.FINISHED,
    EventType.RETURNED, EventType.WITHDRAWN, EventType.STOPPED,
)
#: Events whose reason the applicant must read (what to supplement, why refused/late/stopped).
REASON_EVENTS = (EventType.REFUSED, EventType.SUPPLEMENT_REQUESTED, EventType.APOLOGIZED, EventType.WITHDRAWN,
                 EventType.STOPPED)


def not_found_error() -> NotFound:
    """The single answer for unknown code, wrong secret and missing secret."""
    return NotFound(_("Không tìm thấy hồ sơ với mã và mã tra cứu đã nhập. Hãy kiểm tra lại phiếu hẹn."),
                    code="not_found")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429


def rate_limit_check(*, ip: str | None, bucket: str = "lookup", limit: int | None = None,
                     window: int | None = None) -> None:
    """Count one request for `ip` in the current window; raise RateLimited above `limit`."""
    limit = limit or LOOKUP_LIMIT
    window = window or LOOKUP_WINDOW_SECONDS
    slot = int(time.time() // window)
    key = f"kc:rl:{bucket}:{ip or '-'}:{slot}"
    if cache.add(key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window + 5)
            count = 1
    if count > limit:
        raise RateLimited(_("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau một phút."),
                          details={"retry_after": window})


@dataclass(frozen=True)
class PublicEvent:
    type: str
    label: str
    at: dt.datetime
    unit: str
    step: str = ""
    reason: str = ""
    new_due_at: dt.datetime | None = None


@dataclass(frozen=True)
class PublicDossier:
    code: str
    procedure_code: str
    procedure_name: str
    unit: str
    received_unit: str
    current_unit: str
    applicant: str
    status: str
    status_label: str
    channel: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    apology_due_at: dt.datetime | None
    apology_reason: str
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    is_late: bool
    fee_amount: int
    fee_payment: str
    timeline: list[PublicEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _secret_matches(stored: str, given: str | None) -> bool:
    given = (given or "").strip().upper()
    if not given or not stored:
        return False
    return hmac.compare_digest(stored.upper().encode(), given.encode())


_DOSSIER_FIELDS = ("id", "code", "secret", "status", "channel", "applicant_name", "submitted_at", "received_at",
                   "due_at", "apology_due_at", "finished_at", "returned_at", "fee_amount", "fee_payment",
                   "procedure__code", "procedure__name", "unit__name", "received_unit__name", "current_unit__name")
_EVENT_FIELDS = ("type", "at", "reason", "new_due_at", "from_unit__name", "to_unit__name", "step__name")
_OPEN = frozenset({Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPPLEMENT})
_DUE_EVENTS = frozenset({EventType.APOLOGIZED, EventType.SUPPLEMENT_COMPLETED})


def _aware(value: Any) -> dt.datetime | None:
    """A datetime column read through a plain cursor: SQLite gives naive-UTC text, PostgreSQL an
    aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(TZ)


#: SQL compiled once per database connection alias from the ORM querysets below; compiling a
#: three-join query costs more than running it, and the lookup is the busiest public endpoint.
_SQL_CACHE: dict[tuple[str, str], str] = {}


def _compiled(name: str) -> str:
    key = (connection.alias, connection.vendor + ":" + name)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        if name == "dossier":
            qs: Any = Dossier.objects.filter(code="?").order_by().values_list(*_DOSSIER_FIELDS)[:1]
        else:
            qs = (DossierEvent.objects.filter(dossier_id=0, type__in=PUBLIC_EVENTS).order_by("at", "id")
                  .values_list(*_EVENT_FIELDS))
        sql, _params = qs.query.sql_with_params()
        _SQL_CACHE[key] = sql
    return sql


def dossier_public_lookup(*, code: str | None, secret: str | None, at: dt.datetime | None = None) -> PublicDossier:
    """The public view of one dossier. Two indexed queries (the dossier by its unique code with
    procedure and unit names joined; its public events with unit and step names joined), compiled
    once and run on a plain cursor."""
    code = (code or "").strip().upper()
    if not code or len(code) > 60:
        raise not_found_error()
    with connection.cursor() as cursor:
        cursor.execute(_compiled("dossier"), [code])
        values = cursor.fetchone()
        if values is None:
            raise not_found_error()
        row = dict(zip(_DOSSIER_FIELDS, values, strict=True))
        if not _secret_matches(row["secret"], secret):
            raise not_found_error()
        cursor.execute(_compiled("events"), [row["id"], *[str(t) for t in PUBLIC_EVENTS]])
        events = cursor.fetchall()
    labels = dict(EventType.choices)
    timeline = []
    apology_reason = ""
    for type_, ev_at, reason, new_due_at, from_unit, to_unit, step in events:
        if type_ == EventType.APOLOGIZED:
            apology_reason = reason
        timeline.append(PublicEvent(
            type=type_, label=str(labels.get(type_, type_)), at=_aware(ev_at),
            unit=to_unit or from_unit or row["unit__name"], step=step or "",
            reason=reason if type_ in REASON_EVENTS else "",
            new_due_at=_aware(new_due_at) if type_ in _DUE_EVENTS else None))
    for key in ("submitted_at", "received_at", "due_at", "apology_due_at", "finished_at", "returned_at"):
        row[key] = _aware(row[key])
    from django.utils import timezone

    now = at or timezone.now()
    due, finished = row["due_at"], row["finished_at"]
    late = bool(due and ((row["status"] in _OPEN and now > due) or (finished and finished > due)))
    return PublicDossier(
        code=row["code"], procedure_code=row["procedure__code"], procedure_name=row["procedure__name"],
        unit=row["unit__name"], received_unit=row["received_unit__name"], current_unit=row["current_unit__name"],
        applicant=mask_name(row["applicant_name"]), status=row["status"],
        status_label=str(Status(row["status"]).label), channel=str(Channel(row["channel"]).label),
        submitted_at=row["submitted_at"], received_at=row["received_at"], due_at=due,
        apology_due_at=row["apology_due_at"], apology_reason=apology_reason,
        finished_at=finished, returned_at=row["returned_at"], is_late=late,
        fee_amount=row["fee_amount"], fee_payment=str(FeePayment(row["fee_payment"]).label), timeline=timeline,
    )


def public_lookup_url(*, code: str, secret: str) -> str:
    """The absolute URL printed as a QR code on the receipt (form 01)."""
    from urllib.parse import urlencode

    base = settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/tra-cuu?{urlencode({'ma': code, 'bm': secret})}"
