"""Working calendar services: which calendar a unit uses, due dates, and admin overrides.

Due dates follow domain.md §2: processing times count working time only; a receipt after
the afternoon cut-off (default 15:00) counts from the next working day; a deadline on the end
of a session is that session's end.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, ValidationFailed
from kycuong.org.models import Unit

from .engine import DEFAULT_CUTOFF, DEFAULT_SESSIONS, OutOfRange, WorkCalendar, spec_from
from .models import CalendarOverride, CalendarRevision, OverrideKind, WorkingSession

_lock = threading.Lock()
_cache: dict[tuple[int | None, str, int], WorkCalendar] = {}


def _revision() -> int:
    row = CalendarRevision.objects.filter(pk=1).values_list("value", flat=True).first()
    return row or 0


def calendar_cache_clear() -> None:
    """Forget every cached calendar (tests, or after restoring a database whose revision went back)."""
    with _lock:
        _cache.clear()


def _bump_revision() -> None:
    updated = CalendarRevision.objects.filter(pk=1).update(value=F("value") + 1)
    if not updated:
        CalendarRevision.objects.get_or_create(pk=1, defaults={"value": 1})


def _sessions_for(unit: Unit | None) -> tuple[tuple[tuple[int, int], ...], ...]:
    if unit is None:
        return DEFAULT_SESSIONS
    chain = [*unit.ancestor_ids, unit.pk][::-1]
    rows = list(WorkingSession.objects.filter(unit_id__in=chain).values_list("unit_id", "weekday", "start", "end"))
    for unit_id in chain:
        mine = [r for r in rows if r[0] == unit_id]
        if mine:
            weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
            for _u, weekday, start, end in sorted(mine, key=lambda r: (r[1], r[2])):
                weekly[weekday].append((start.hour * 3600 + start.minute * 60, end.hour * 3600 + end.minute * 60))
            return tuple(tuple(day) for day in weekly)
    return DEFAULT_SESSIONS


def calendar_for(unit: Unit | None = None) -> WorkCalendar:
    """The working calendar of `unit` (None: the city default), cached until the calendar changes."""
    revision = _revision()
    # the path is part of the key: a unit moved under another parent inherits other overrides/sessions
    key = (unit.pk if unit else None, unit.path if unit else "", revision)
    cal = _cache.get(key)
    if cal is not None:
        return cal
    with _lock:
        cal = _cache.get(key)
        if cal is None:
            overrides: dict[dt.date, bool] = {}
            scope_ids = [*(unit.ancestor_ids if unit else []), *([unit.pk] if unit else [])]
            # City-wide overrides first, then the unit chain from the root down (nearest wins).
            rows = list(CalendarOverride.objects.filter(unit__isnull=True).values_list("date", "kind"))
            chain_rows = list(CalendarOverride.objects.filter(unit_id__in=scope_ids).values_list("unit_id", "date", "kind"))
            order = {uid: i for i, uid in enumerate(scope_ids)}
            for d, kind in rows:
                overrides[d] = kind == OverrideKind.WORKING_DAY
            for _uid, d, kind in sorted(chain_rows, key=lambda r: order[r[0]]):
                overrides[d] = kind == OverrideKind.WORKING_DAY
            cal = WorkCalendar(spec_from(weekly_sessions=_sessions_for(unit), overrides=overrides))
            for stale in [k for k in _cache if k[2] != revision]:
                _cache.pop(stale, None)
            _cache[key] = cal
    return cal


def due_at_compute(
    *,
    received_at: dt.datetime,
    value: float,
    unit_of_time: str = "working_days",
    unit: Unit | None = None,
    cutoff: dt.time | None = DEFAULT_CUTOFF,
    calendar: WorkCalendar | None = None,
) -> dt.datetime:
    """The appointment for a receipt at `received_at` with the given processing time
    (on `calendar` when the caller already holds the unit's calendar)."""
    if unit_of_time not in {"working_days", "working_hours", "calendar_days"}:
        raise ValidationFailed(_("Đơn vị thời gian không hợp lệ: %(unit)s") % {"unit": unit_of_time})
    if value < 0:
        raise ValidationFailed(_("Thời hạn giải quyết không được âm."))
    if received_at.tzinfo is None:
        raise ValidationFailed(_("Thời điểm phải có múi giờ (ví dụ +07:00)."))
    try:
        return (calendar or calendar_for(unit)).due_at(received_at, value=value, unit=unit_of_time, cutoff=cutoff)
    except OutOfRange as exc:
        raise ValidationFailed(_("Thời điểm nằm ngoài phạm vi lịch (2015–2040).")) from exc


def calendar_override_set(*, date: dt.date, kind: str, reason: str, unit: Unit | None = None, actor: Any = None) -> CalendarOverride:
    """Record a government-announced or unit-specific extra day off / extra working day."""
    if kind not in OverrideKind.values:
        raise ValidationFailed(_("Loại điều chỉnh không hợp lệ."))
    if not reason.strip():
        raise ValidationFailed(_("Phải nêu lý do điều chỉnh lịch."))
    with transaction.atomic():
        existing = CalendarOverride.objects.filter(unit=unit, date=date).first()
        if existing:
            raise Conflict(_("Ngày %(date)s đã có điều chỉnh lịch.") % {"date": date.isoformat()})
        override = CalendarOverride.objects.create(unit=unit, date=date, kind=kind, reason=reason.strip(),
                                                   created_by=actor if getattr(actor, "is_authenticated", False) else None)
        _bump_revision()
        audit_record(action="calendar.override.set", obj=override, actor=actor, unit_id=unit.pk if unit else None,
                     changes={"date": date, "kind": kind, "reason": reason})
    return override


def calendar_override_remove(*, override: CalendarOverride, actor: Any = None) -> None:
    with transaction.atomic():
        audit_record(action="calendar.override.remove", obj=override, actor=actor, unit_id=override.unit_id,
                     changes={"date": override.date, "kind": override.kind})
        override.delete()
        _bump_revision()


def working_sessions_set(*, unit: Unit, sessions: list[tuple[int, dt.time, dt.time]], actor: Any = None) -> None:
    """Replace a unit's weekly sessions [(weekday, start, end), ...]; empty list = inherit again."""
    for weekday, start, end in sessions:
        if not 0 <= weekday <= 6 or end <= start:
            raise ValidationFailed(_("Ca làm việc không hợp lệ."))
    with transaction.atomic():
        WorkingSession.objects.filter(unit=unit).delete()
        WorkingSession.objects.bulk_create([WorkingSession(unit=unit, weekday=w, start=s, end=e) for w, s, e in sessions])
        _bump_revision()
        audit_record(action="calendar.sessions.set", obj=unit, actor=actor, unit_id=unit.pk,
                     changes={"sessions": [[w, s.isoformat(), e.isoformat()] for w, s, e in sessions]})
