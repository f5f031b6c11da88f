"""The ADMS ingest path: device trust, contact bookkeeping, raw uploads stored before OK and parsed
into punches (device time kept next to the server's arrival time), backdated punches held, clock
drift read from real-time uploads. The machine path is not audited row by row: the raw body, kept
with its arrival time, is its own evidence. See docs/adms.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from kycuong.core.periods import TZ
from kycuong.org.models import Unit

from .models import (
    Device,
    DeviceUser,
    MalformedLine,
    PinMapping,
    Punch,
    RawPush,
    UnknownDeviceContact,
    local_day_seconds,
)

#: A punch more than this far in the future of its arrival means the terminal's clock is ahead.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)
#: A punch dated this long before the terminal was registered means its clock was reset.
CLOCK_PAST_LIMIT = dt.timedelta(days=31)
#: Default of the ATTENDANCE_BACKDATE_WINDOW setting: how far a device punch may be dated before
#: the device's previous upload (or its registration) and still be trusted; older ones are held.
DEFAULT_BACKDATE_WINDOW = dt.timedelta(hours=6)
#: A clock-drift reading is taken only from a real-time upload: at most this many lines, from a
#: device in contact within REALTIME_GAP before it, and never beyond ±MAX_DRIFT.
REALTIME_LINES = 5
REALTIME_GAP = dt.timedelta(minutes=2)
MAX_DRIFT = dt.timedelta(days=1)
MAX_LINE = 500


def device_trusts(*, device: Device, ip: str | None, key: str | None) -> bool:
    """Whether a push claiming to be `device` is believed: its secret key (header X-Device-Key), or
    a source address on its allow-list. The serial number alone is printed on the terminal and
    proves nothing, so a device with neither configured is refused."""
    import hashlib
    import hmac
    import ipaddress

    if key and device.key_hash and hmac.compare_digest(hashlib.sha256(key.encode()).hexdigest(), device.key_hash):
        return True
    if not ip or not device.allowed_ips:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for item in device.allowed_ips.split(","):
        try:
            if address in ipaddress.ip_network(item.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False

def unknown_device_log(*, serial_number: str, path: str, ip: str | None, reason: str = "unknown") -> None:
    """Count a contact from an unregistered or deactivated terminal (shown on the devices page)."""
    now = timezone.now()
    sn = (serial_number or "")[:64] or "(trống)"
    updated = UnknownDeviceContact.objects.filter(serial_number=sn).update(
        last_at=now, contacts=F("contacts") + 1, last_path=path[:300], last_ip=ip, reason=reason)
    if not updated:
        try:
            with transaction.atomic():
                UnknownDeviceContact.objects.create(serial_number=sn, first_at=now, last_at=now, contacts=1,
                                                    last_path=path[:300], last_ip=ip, reason=reason)
        except IntegrityError:
            UnknownDeviceContact.objects.filter(serial_number=sn).update(last_at=now, contacts=F("contacts") + 1)


def device_touch(*, device: Device, ip: str | None = None, info: str | None = None, pushed: bool = False) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"last_contact_at": now, "remote_ip": ip}
    if pushed:
        fields["last_push_at"] = now
    if info:
        fields["info"] = info[:300]
    Device.objects.filter(pk=device.pk).update(**fields)


# --- ADMS ingest ---------------------------------------------------------------------------

def backdate_window() -> dt.timedelta:
    """settings.ATTENDANCE_BACKDATE_WINDOW (a timedelta, or seconds), default six hours."""
    from django.conf import settings

    value = getattr(settings, "ATTENDANCE_BACKDATE_WINDOW", DEFAULT_BACKDATE_WINDOW)
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=float(value))


def raw_push_store(*, device: Device, table: str, stamp: str, body: str) -> RawPush:
    """Store the raw upload in its own committed transaction: the device is answered OK only
    after this row is durable, so a crash while parsing loses nothing (the worker re-parses).
    The arrival time is the server's; the device's previous upload and contact (as loaded before
    this request touched it) are kept with it for the backdating and drift checks."""
    with transaction.atomic():
        return RawPush.objects.create(device=device, table=(table or "")[:20].upper(), stamp=(stamp or "")[:32],
                                      body=body, received_at=timezone.now(), previous_push_at=device.last_push_at,
                                      previous_contact_at=device.last_contact_at,
                                      line_count=sum(1 for line in body.splitlines() if line.strip()))


def _pin_resolver(device: Device, pins: Iterable[str] | None = None) -> dict[str, int]:
    """PIN → staff id for a device: unit mappings from the root down (nearest unit wins), then the
    device's own. With `pins`, only those are looked up (one query for an upload of 100 lines)."""
    unit_path = Unit.objects.filter(pk=device.unit_id).values_list("path", flat=True).first() or ""
    chain = [int(p) for p in unit_path.strip("/").split("/") if p]
    order = {uid: i for i, uid in enumerate(chain)}
    qs = PinMapping.objects.filter(Q(unit_id__in=chain) | Q(device=device))
    if pins is not None:
        qs = qs.filter(pin__in=sorted(set(pins)))
    rows = list(qs.values_list("device_id", "unit_id", "pin", "staff_id"))
    resolved: dict[str, int] = {}
    for _dev, _uid, pin, staff_id in sorted((r for r in rows if r[0] is None), key=lambda r: order[r[1]]):
        resolved[pin] = staff_id
    for _dev, _uid, pin, staff_id in (r for r in rows if r[0] is not None):
        resolved[pin] = staff_id
    return resolved


def parse_attlog_line(line: str) -> tuple[str, dt.datetime, int, int, str]:
    """`PIN\\tYYYY-MM-DD HH:MM:SS\\tstatus\\tverify\\tworkcode\\t...` by position; extra columns
    (reserved fields, mask flag, temperature ...) vary by firmware and are kept only in the raw line."""
    cols = line.rstrip("\r\n").split("\t")
    if len(cols) < 2:
        raise ValueError("thiếu cột thời gian")
    pin = cols[0].strip()
    if not pin or len(pin) > 32:
        raise ValueError("mã chấm công (PIN) trống hoặc quá dài")
    try:
        local = dt.datetime.strptime(cols[1].strip(), "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise ValueError("thời gian không đúng dạng YYYY-MM-DD HH:MM:SS") from exc
    try:
        status = int(cols[2].strip()) if len(cols) > 2 and cols[2].strip() else 0
        verify = int(cols[3].strip()) if len(cols) > 3 and cols[3].strip() else 0
    except ValueError as exc:
        raise ValueError("trạng thái hoặc kiểu xác thực không phải số") from exc
    if not (-32768 <= status <= 32767 and -32768 <= verify <= 32767):
        raise ValueError("trạng thái hoặc kiểu xác thực ngoài phạm vi")
    workcode = cols[4].strip()[:20] if len(cols) > 4 else ""
    return pin, local.replace(tzinfo=TZ), status, verify, workcode


def _enqueue_recompute(pairs: set[tuple[int, dt.date]]) -> None:
    if not pairs:
        return
    from .tasks import recompute_days

    staff_ids = sorted({s for s, _d in pairs})
    days = sorted({d for _s, d in pairs})
    start, end = days[0].isoformat(), days[-1].isoformat()
    transaction.on_commit(lambda: recompute_days.enqueue(staff_ids=staff_ids, start=start, end=end))


def raw_push_parse(*, raw_push: RawPush) -> dict[str, int]:
    """Turn a stored upload into punches / enrolments. Idempotent: punches are unique on
    (device, PIN, time, status) and inserted with ignore-conflicts, so a resend or a second
    parse of the same upload stores nothing twice. Malformed lines are kept raw and reported
    without blocking the good lines of the same upload."""
    device = raw_push.device
    if raw_push.table == "ATTLOG":
        result = _parse_attlog(raw_push, device)
    elif raw_push.table == "OPERLOG":
        result = _parse_operlog(raw_push, device)
    else:
        result = {"lines": raw_push.line_count, "stored": 0, "errors": 0}
    RawPush.objects.filter(pk=raw_push.pk).update(parsed_at=timezone.now(), stored_count=result["stored"],
                                                  error_count=result["errors"])
    return result


def _parse_attlog(raw_push: RawPush, device: Device) -> dict[str, int]:
    """Device times are the terminal's clock (kept as punched_at, next to the server's received_at).
    A punch more than the backdate window before the device's previous upload or its registration
    is stored held (not counted) until the unit head reviews it (punch_review)."""
    received = raw_push.received_at
    earliest_ok = device.registered_at - CLOCK_PAST_LIMIT if device.registered_at else None
    anchors = [t for t in (device.registered_at, raw_push.previous_push_at) if t is not None]
    hold_before = max(anchors) - backdate_window() if anchors else None
    punches: list[Punch] = []
    bad: list[MalformedLine] = []
    newest: dt.datetime | None = None
    today = received.astimezone(TZ).date()
    late_pairs: set[tuple[int, dt.date]] = set()
    parsed: list[tuple[str, str, dt.datetime, int, int, str]] = []
    for number, line in enumerate(raw_push.body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed.append((line, *parse_attlog_line(line)))
        except ValueError as exc:
            bad.append(MalformedLine(device=device, raw_push=raw_push, line_no=number, raw=line[:MAX_LINE], error=str(exc)[:200],
                                     received_at=received))
    pins = _pin_resolver(device, [p[1] for p in parsed]) if parsed else {}
    for line, pin, at, status, verify, workcode in parsed:
        suspect = at > received + CLOCK_TOLERANCE or (earliest_ok is not None and at < earliest_ok)
        held = hold_before is not None and at < hold_before
        staff_id = pins.get(pin)
        day, seconds = local_day_seconds(at)
        punches.append(Punch(device=device, pin=pin, punched_at=at, day=day, seconds=seconds, status=status, verify=verify,
                             workcode=workcode, raw=line[:MAX_LINE], staff_id=staff_id, clock_suspect=suspect,
                             raw_push=raw_push, received_at=received, held=held,
                             held_reason="backdated" if held else ""))
        if not held and (newest is None or at > newest):
            newest = at
        if staff_id is not None and day < today and not suspect and not held:
            late_pairs.add((staff_id, day))
    with transaction.atomic():
        if punches:
            Punch.objects.bulk_create(punches, ignore_conflicts=True, batch_size=1000)
        if bad:
            MalformedLine.objects.bulk_create(bad, ignore_conflicts=True)
        health: dict[str, Any] = {}
        if newest is not None:
            drift = _drift_reading(raw_push, newest, len(punches))
            if drift is not None:
                health.update(clock_drift_seconds=drift, clock_checked_at=received)
        if raw_push.stamp.isdigit():
            health["attlog_stamp"] = raw_push.stamp
        if health:
            Device.objects.filter(pk=device.pk).update(**health)
        _enqueue_recompute(late_pairs)
    return {"lines": len(punches) + len(bad), "stored": len(punches), "errors": len(bad)}


def _drift_reading(raw_push: RawPush, newest: dt.datetime, lines: int) -> int | None:
    """The device clock's offset (newest trusted punch − arrival), or None when this upload cannot
    tell it: a reading is taken from a real-time upload (a few lines from a device that was in
    contact just before, so its newest punch is "now" on its clock), or from punches in the future
    (the clock is ahead); never beyond ±MAX_DRIFT (a backlog or a forged line is not a clock)."""
    drift = int((newest - raw_push.received_at).total_seconds())
    if abs(drift) > MAX_DRIFT.total_seconds():
        return None
    online = raw_push.previous_contact_at is not None and \
        raw_push.received_at - raw_push.previous_contact_at <= REALTIME_GAP
    if (lines <= REALTIME_LINES and online) or drift > CLOCK_TOLERANCE.total_seconds():
        return drift
    return None


def _kv_line(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split("\t"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip().upper()] = value.strip()
    return out


def _parse_operlog(raw_push: RawPush, device: Device) -> dict[str, int]:
    """Enrolments: `USER PIN=12\\tName=Nguyễn Văn An\\tPri=0\\tPasswd=\\tCard=\\tGrp=1 ...`.
    Other records (OPLOG operation log, FP/BIODATA templates, USERPIC) are kept in the raw body only."""
    now = timezone.now()
    users: dict[str, DeviceUser] = {}
    bad: list[MalformedLine] = []
    for number, line in enumerate(raw_push.body.splitlines(), start=1):
        if not line.strip():
            continue
        head, _sep, rest = line.strip().partition(" ")
        if head != "USER":
            continue
        fields = _kv_line(rest)
        pin = fields.get("PIN", "")
        if not pin or len(pin) > 32:
            bad.append(MalformedLine(device=device, raw_push=raw_push, line_no=number, raw=line[:MAX_LINE],
                                     error="USER thiếu PIN", received_at=raw_push.received_at))
            continue
        try:
            pri = int(fields.get("PRI") or 0)
        except ValueError:
            pri = 0
        users[pin] = DeviceUser(device=device, pin=pin, name=fields.get("NAME", "")[:100], privilege=pri,
                                card=fields.get("CARD", "")[:40], updated_at=now)
    with transaction.atomic():
        if users:
            DeviceUser.objects.bulk_create(list(users.values()), update_conflicts=True, unique_fields=["device", "pin"],
                                           update_fields=["name", "privilege", "card", "updated_at"])
        if bad:
            MalformedLine.objects.bulk_create(bad, ignore_conflicts=True)
        if raw_push.stamp.isdigit():
            Device.objects.filter(pk=device.pk).update(operlog_stamp=raw_push.stamp)
    return {"lines": raw_push.line_count, "stored": len(users), "errors": len(bad)}


def pending_pushes_parse(*, older_than: dt.timedelta = dt.timedelta(seconds=30), limit: int = 500) -> int:
    """Worker safety net: parse uploads stored but not parsed (a crash after the raw commit)."""
    cutoff = timezone.now() - older_than
    done = 0
    for raw_push in RawPush.objects.filter(parsed_at__isnull=True, received_at__lt=cutoff).select_related("device")[:limit]:
        raw_push_parse(raw_push=raw_push)
        done += 1
    return done
