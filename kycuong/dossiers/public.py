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
from django.utils.translation import gettext_lazy as _

from kycuong.core.errors import DomainError, NotFound
from kycuong.core.periods import TZ
from kycuong.core.text import mask_name

from .models import Dossier, DossierEvent, EventType, Status

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


def dossier_public_lookup(*, code: str | None, secret: str | None, at: dt.datetime | None = None) -> PublicDossier:
    """The public view of one dossier. Two queries: the dossier by its unique code (with its
    procedure and units joined) and its public events (with unit and step names)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 60:
        raise not_found_error()
    dossier = (
        Dossier.objects.select_related("procedure", "unit", "received_unit", "current_unit")
        .only("id", "code", "secret", "status", "channel", "applicant_name", "submitted_at", "received_at", "due_at",
              "apology_due_at", "finished_at", "returned_at", "fee_amount", "fee_payment",
              "procedure__code", "procedure__name", "unit__name", "received_unit__name", "current_unit__name")
        .filter(code=code).first()
    )
    if dossier is None or not _secret_matches(dossier.secret, secret):
        raise not_found_error()
    events = list(
        DossierEvent.objects.filter(dossier_id=dossier.pk, type__in=PUBLIC_EVENTS)
        .select_related("from_unit", "to_unit", "step")
        .only("type", "at", "reason", "new_due_at", "from_unit__name", "to_unit__name", "step__name")
        .order_by("at", "id")
    )
    labels = dict(EventType.choices)
    timeline = []
    apology_reason = ""
    for ev in events:
        unit = ev.to_unit.name if ev.to_unit else (ev.from_unit.name if ev.from_unit else dossier.unit.name)
        step = ev.step.name if ev.step else ""
        if ev.type == EventType.APOLOGIZED:
            apology_reason = ev.reason
        timeline.append(PublicEvent(type=ev.type, label=str(labels.get(ev.type, ev.type)), at=ev.at.astimezone(TZ), unit=unit,
                                    step=step, reason=ev.reason if ev.type in REASON_EVENTS else "",
                                    new_due_at=ev.new_due_at.astimezone(TZ) if ev.new_due_at and ev.type in (EventType.APOLOGIZED,
                                                                            EventType.SUPPLEMENT_COMPLETED) else None))
    from django.utils import timezone

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return value.astimezone(TZ) if value else None

    now = at or timezone.now()
    open_ = dossier.status in (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPPLEMENT)
    late = bool(dossier.due_at and ((open_ and now > dossier.due_at) or
                                     (dossier.finished_at and dossier.finished_at > dossier.due_at)))
    return PublicDossier(
        code=dossier.code, procedure_code=dossier.procedure.code, procedure_name=dossier.procedure.name,
        unit=dossier.unit.name, received_unit=dossier.received_unit.name, current_unit=dossier.current_unit.name,
        applicant=mask_name(dossier.applicant_name), status=dossier.status,
        status_label=str(dossier.get_status_display()), channel=str(dossier.get_channel_display()),
        submitted_at=local(dossier.submitted_at), received_at=local(dossier.received_at), due_at=local(dossier.due_at),
        apology_due_at=local(dossier.apology_due_at), apology_reason=apology_reason,
        finished_at=local(dossier.finished_at), returned_at=local(dossier.returned_at), is_late=late, fee_amount=dossier.fee_amount,
        fee_payment=str(dossier.get_fee_payment_display()), timeline=timeline,
    )


def public_lookup_url(*, code: str, secret: str) -> str:
    """The absolute URL printed as a QR code on the receipt (form 01)."""
    from urllib.parse import urlencode

    base = settings.KYCUONG_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/tra-cuu?{urlencode({'ma': code, 'bm': secret})}"
