"""Attendance writes: devices, the ADMS ingest path, PIN mapping, corrections, justifications
and the daily computation. Every state change is audited (except the machine ingest itself,
whose raw body is its own evidence)."""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, IntegerField, Max, Min, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Staff, Unit
from kycuong.org.scoping import scope_for

from .models import (
    Absence,
    AbsenceKind,
    AbsenceStatus,
    AttendancePolicy,
    CommandStatus,
    DailyAttendance,
    Device,
    DeviceCommand,
    DeviceUser,
    MalformedLine,
    PinMapping,
    Punch,
    PunchSource,
    RawPush,
    UnknownDeviceContact,
    local_day_seconds,
)
from .rules import compute_day

log = logging.getLogger(__name__)

#: A punch more than this far in the future of its arrival means the terminal's clock is ahead.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)
#: A punch dated this long before the terminal was registered means its clock was reset.
CLOCK_PAST_LIMIT = dt.timedelta(days=31)
DEFAULT_GRACE = (5, 5)
MAX_LINE = 500


# --- devices -------------------------------------------------------------------------------

def _ensure_manages(actor: Any, unit_id: int | None) -> None:
    if actor is not None and not scope_for(actor).manages(unit_id):
        raise Forbidden(_("Chỉ thủ trưởng đơn vị mới được thực hiện thao tác này."))


def device_register(*, serial_number: str, unit: Unit, location: str = "", actor: Any = None) -> Device:
    """Register a terminal: only registered, active serial numbers may push attendance."""
    serial_number = (serial_number or "").strip()
    if not serial_number or len(serial_number) > 64 or any(c.isspace() for c in serial_number):
        raise ValidationFailed(_("Số sê-ri máy chấm công không hợp lệ."))
    _ensure_manages(actor, unit.pk)
    try:
        with transaction.atomic():
            device = Device.objects.create(serial_number=serial_number, unit=unit, location=location.strip())
            audit_record(action="attendance.device.register", obj=device, actor=actor,
                         changes={"serial_number": serial_number, "unit": unit.code, "location": location})
    except IntegrityError as exc:
        raise Conflict(_("Số sê-ri %(sn)s đã được đăng ký.") % {"sn": serial_number}) from exc
    return device


def device_set_active(*, device: Device, active: bool, actor: Any = None) -> Device:
    _ensure_manages(actor, device.unit_id)
    with transaction.atomic():
        device.is_active = active
        device.save(update_fields=["is_active"])
        audit_record(action="attendance.device.activate" if active else "attendance.device.deactivate", obj=device, actor=actor)
    return device


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

def raw_push_store(*, device: Device, table: str, stamp: str, body: str) -> RawPush:
    """Store the raw upload in its own committed transaction: the device is answered OK only
    after this row is durable, so a crash while parsing loses nothing (the worker re-parses)."""
    with transaction.atomic():
        return RawPush.objects.create(device=device, table=(table or "")[:20].upper(), stamp=(stamp or "")[:32],
                                      body=body, received_at=timezone.now(),
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
    received = raw_push.received_at
    earliest_ok = device.registered_at - CLOCK_PAST_LIMIT if device.registered_at else None
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
        staff_id = pins.get(pin)
        day, seconds = local_day_seconds(at)
        punches.append(Punch(device=device, pin=pin, punched_at=at, day=day, seconds=seconds, status=status, verify=verify,
                             workcode=workcode, raw=line[:MAX_LINE], staff_id=staff_id, clock_suspect=suspect,
                             raw_push=raw_push, received_at=received))
        if newest is None or at > newest:
            newest = at
        if staff_id is not None and day < today and not suspect:
            late_pairs.add((staff_id, day))
    with transaction.atomic():
        if punches:
            Punch.objects.bulk_create(punches, ignore_conflicts=True, batch_size=1000)
        if bad:
            MalformedLine.objects.bulk_create(bad, ignore_conflicts=True)
        health: dict[str, Any] = {}
        if newest is not None:
            drift = int((newest - received).total_seconds())
            # Real-time uploads (a few lines) tell the clock offset; a backlog only if it is ahead.
            if len(punches) <= 5 or drift > CLOCK_TOLERANCE.total_seconds():
                health.update(clock_drift_seconds=drift, clock_checked_at=received)
        if raw_push.stamp.isdigit():
            health["attlog_stamp"] = raw_push.stamp
        if health:
            Device.objects.filter(pk=device.pk).update(**health)
        _enqueue_recompute(late_pairs)
    return {"lines": len(punches) + len(bad), "stored": len(punches), "errors": len(bad)}


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


# --- commands -----------------------------------------------------------------------------

def zk_datetime(at: dt.datetime) -> int:
    """ZKTeco's encoding of a local time for `SET OPTIONS DateTime=`."""
    t = at.astimezone(TZ)
    return ((t.year - 2000) * 12 * 31 + (t.month - 1) * 31 + t.day - 1) * 86400 + (t.hour * 60 + t.minute) * 60 + t.second


def device_command_queue(*, device: Device, command: str, actor: Any = None) -> DeviceCommand:
    """Queue a command; the terminal fetches it on its next `getrequest` poll."""
    command = (command or "").strip()
    if not command or "\n" in command or len(command) > 1000:
        raise ValidationFailed(_("Lệnh gửi máy chấm công không hợp lệ."))
    _ensure_manages(actor, device.unit_id)
    with transaction.atomic():
        cmd = DeviceCommand.objects.create(device=device, command=command, created_at=timezone.now(),
                                           created_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit_record(action="attendance.command.queue", obj=cmd, actor=actor, unit_id=device.unit_id,
                     changes={"device": device.serial_number, "command": command})
    return cmd


def device_time_sync(*, device: Device, actor: Any = None) -> DeviceCommand:
    return device_command_queue(device=device, command=f"SET OPTIONS DateTime={zk_datetime(timezone.now())}", actor=actor)


def device_users_sync(*, device: Device, actor: Any = None) -> int:
    """Queue `DATA UPDATE USERINFO` for each staff member mapped to a PIN valid on this device."""
    pins = _pin_resolver(device)
    names = dict(Staff.objects.filter(pk__in=set(pins.values())).values_list("pk", "full_name"))
    count = 0
    for pin, staff_id in sorted(pins.items()):
        name = names.get(staff_id, "").replace("\t", " ")[:24]
        device_command_queue(device=device, command=f"DATA UPDATE USERINFO PIN={pin}\tName={name}\tPri=0", actor=actor)
        count += 1
    return count


def device_commands_fetch(*, device: Device, limit: int = 20) -> list[DeviceCommand]:
    """Commands to deliver on this poll: pending ones, marked sent (a lost answer re-sends them after 10 min)."""
    now = timezone.now()
    with transaction.atomic():
        qs = DeviceCommand.objects.filter(device=device).filter(
            Q(status=CommandStatus.PENDING) | Q(status=CommandStatus.SENT, sent_at__lt=now - dt.timedelta(minutes=10)))
        cmds = list(qs.select_for_update().order_by("id")[:limit])
        if cmds:
            DeviceCommand.objects.filter(pk__in=[c.pk for c in cmds]).update(status=CommandStatus.SENT, sent_at=now)
    return cmds


def device_commands_acknowledge(*, device: Device, body: str) -> int:
    """Apply `ID=<id>&Return=<code>&CMD=<name>` lines; Return ≥ 0 is success."""
    done = 0
    now = timezone.now()
    for line in body.splitlines():
        fields = {k.upper(): v for k, v in parse_qsl(line.strip(), keep_blank_values=True)}
        try:
            cmd_id = int(fields.get("ID", ""))
            code = int(fields.get("RETURN", "0") or 0)
        except ValueError:
            continue
        status = CommandStatus.DONE if code >= 0 else CommandStatus.FAILED
        done += DeviceCommand.objects.filter(device=device, pk=cmd_id).update(
            status=status, done_at=now, return_code=code, reply=line.strip()[:300])
    return done


# --- PIN mapping ---------------------------------------------------------------------------

def pin_mapping_set(*, staff: Staff, pin: str, device: Device | None = None, unit: Unit | None = None,
                    actor: Any = None) -> PinMapping:
    """Map a terminal PIN to a staff member for one device or a unit; punches already received
    under that PIN (not yet mapped) are attached and their days recomputed."""
    pin = (pin or "").strip()
    if not pin or len(pin) > 32:
        raise ValidationFailed(_("Mã chấm công không hợp lệ."))
    if (device is None) == (unit is None):
        raise ValidationFailed(_("Chọn đúng một phạm vi: một máy hoặc một đơn vị."))
    _ensure_manages(actor, device.unit_id if device else unit.pk)  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            mapping = PinMapping.objects.create(staff=staff, pin=pin, device=device, unit=unit)
            qs = Punch.objects.filter(pin=pin, staff__isnull=True)
            if device is not None:
                qs = qs.filter(device=device)
            else:
                qs = qs.filter(device__unit__path__startswith=unit.path)  # type: ignore[union-attr]
            days = set(qs.values_list("day", flat=True))
            qs.update(staff=staff)
            audit_record(action="attendance.pin.set", obj=mapping, actor=actor,
                         unit_id=device.unit_id if device else unit.pk,  # type: ignore[union-attr]
                         changes={"staff": staff.code, "pin": pin, "device": device.serial_number if device else None,
                                  "unit": unit.code if unit else None})
            _enqueue_recompute({(staff.pk, d) for d in days})
    except IntegrityError as exc:
        raise Conflict(_("Mã chấm công %(pin)s đã được gán trong phạm vi này.") % {"pin": pin}) from exc
    return mapping


# --- manual corrections --------------------------------------------------------------------

def _staff_unit_id(staff: Staff) -> int | None:
    return (Membership.objects.filter(staff=staff).order_by("-is_primary", "id").values_list("unit_id", flat=True).first())


def punch_add_manual(*, staff: Staff, at: dt.datetime, reason: str, actor: Any) -> Punch:
    """A punch the head adds (forgotten card, broken terminal), with the reason; audited."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Phải nêu lý do điều chỉnh."))
    if at.tzinfo is None:
        raise ValidationFailed(_("Thời điểm phải có múi giờ."))
    unit_id = _staff_unit_id(staff)
    _ensure_manages(actor, unit_id)
    if at > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationFailed(_("Không thể thêm lượt chấm công ở tương lai."))
    day, seconds = local_day_seconds(at)
    with transaction.atomic():
        punch = Punch.objects.create(device=None, pin="", punched_at=at, day=day, seconds=seconds, staff=staff,
                                     source=PunchSource.MANUAL, raw="", received_at=timezone.now(), note=reason.strip()[:300],
                                     created_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit_record(action="attendance.punch.add", obj=punch, actor=actor, unit_id=unit_id,
                     changes={"staff": staff.code, "at": at, "reason": reason})
        _enqueue_recompute({(staff.pk, day)})
    return punch


def punch_void(*, punch: Punch, reason: str, actor: Any) -> Punch:
    """Strike out a wrong punch (kept, marked void, with the reason); audited."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Phải nêu lý do điều chỉnh."))
    if punch.staff_id is None:
        raise ValidationFailed(_("Lượt chấm chưa gắn với cán bộ."))
    unit_id = _staff_unit_id(punch.staff)  # type: ignore[arg-type]
    _ensure_manages(actor, unit_id)
    with transaction.atomic():
        punch.voided_at = timezone.now()
        punch.note = reason.strip()[:300]
        punch.save(update_fields=["voided_at", "note"])
        audit_record(action="attendance.punch.void", obj=punch, actor=actor, unit_id=unit_id,
                     changes={"staff": punch.staff.code, "at": punch.punched_at, "reason": reason})  # type: ignore[union-attr]
        _enqueue_recompute({(punch.staff_id, punch.day)})
    return punch


# --- justifications ------------------------------------------------------------------------

def absence_request(*, staff: Staff, kind: str, start: dt.date, end: dt.date, reason: str, actor: Any = None) -> Absence:
    """The person asks for leave / a business trip / training; overlapping live requests are refused."""
    if kind not in AbsenceKind.values:
        raise ValidationFailed(_("Loại đơn không hợp lệ."))
    if end < start:
        raise ValidationFailed(_("Ngày kết thúc phải sau ngày bắt đầu."))
    if (end - start).days > 366:
        raise ValidationFailed(_("Một đơn không quá một năm."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Phải nêu lý do."))
    if actor is not None and getattr(actor, "is_authenticated", False) and staff.user_id != actor.pk \
            and not scope_for(actor).manages(_staff_unit_id(staff)):
        raise Forbidden(_("Chỉ người nghỉ hoặc thủ trưởng đơn vị mới được lập đơn."))
    unit_id = _staff_unit_id(staff)
    if unit_id is None:
        raise ValidationFailed(_("Cán bộ chưa thuộc đơn vị nào."))
    with transaction.atomic():
        Staff.objects.select_for_update().filter(pk=staff.pk).first()  # serialise one person's requests
        if Absence.objects.filter(staff=staff).live().filter(start__lte=end, end__gte=start).exists():
            raise Conflict(_("Đã có đơn khác trùng thời gian này."))
        absence = Absence.objects.create(staff=staff, unit_id=unit_id, kind=kind, start=start, end=end,
                                         reason=reason.strip()[:300], requested_at=timezone.now())
        audit_record(action="attendance.absence.request", obj=absence, actor=actor,
                     changes={"staff": staff.code, "kind": kind, "start": start, "end": end, "reason": reason})
    return absence


def absence_decide(*, absence: Absence, approve: bool, actor: Any, note: str = "") -> Absence:
    """The head (scope.manages the person's unit) approves or rejects; approval recomputes the days."""
    if not scope_for(actor).manages(absence.unit_id):
        raise Forbidden(_("Chỉ thủ trưởng đơn vị mới được duyệt đơn."))
    if absence.staff.user_id is not None and absence.staff.user_id == getattr(actor, "pk", None) and not scope_for(actor).manages_all:
        raise Forbidden(_("Không tự duyệt đơn của chính mình."))
    with transaction.atomic():
        locked = Absence.objects.select_for_update().get(pk=absence.pk)
        if locked.status != AbsenceStatus.PENDING:
            raise Conflict(_("Đơn đã được xử lý."))
        locked.status = AbsenceStatus.APPROVED if approve else AbsenceStatus.REJECTED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_note = (note or "").strip()[:300]
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit_record(action="attendance.absence.approve" if approve else "attendance.absence.reject", obj=locked,
                     actor=actor, changes={"note": note})
        if approve:
            days = [locked.start + dt.timedelta(days=i) for i in range((locked.end - locked.start).days + 1)]
            _enqueue_recompute({(locked.staff_id, d) for d in days if d <= timezone.localdate()})
    return locked


def absence_cancel(*, absence: Absence, actor: Any) -> Absence:
    if absence.staff.user_id != getattr(actor, "pk", None) and not scope_for(actor).manages(absence.unit_id):
        raise NotFound(_("Không tìm thấy."))
    with transaction.atomic():
        locked = Absence.objects.select_for_update().get(pk=absence.pk)
        if locked.status not in (AbsenceStatus.PENDING, AbsenceStatus.APPROVED):
            raise Conflict(_("Đơn đã được xử lý."))
        was_approved = locked.status == AbsenceStatus.APPROVED
        locked.status = AbsenceStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(action="attendance.absence.cancel", obj=locked, actor=actor)
        if was_approved:
            days = [locked.start + dt.timedelta(days=i) for i in range((locked.end - locked.start).days + 1)]
            _enqueue_recompute({(locked.staff_id, d) for d in days if d <= timezone.localdate()})
    return locked


def policy_set(*, unit: Unit, grace_late_minutes: int, grace_early_minutes: int, actor: Any = None) -> AttendancePolicy:
    if not (0 <= grace_late_minutes <= 120 and 0 <= grace_early_minutes <= 120):
        raise ValidationFailed(_("Số phút cho phép phải từ 0 đến 120."))
    _ensure_manages(actor, unit.pk)
    with transaction.atomic():
        policy, _created = AttendancePolicy.objects.update_or_create(
            unit=unit, defaults={"grace_late_minutes": grace_late_minutes, "grace_early_minutes": grace_early_minutes})
        audit_record(action="attendance.policy.set", obj=unit, actor=actor, unit_id=unit.pk,
                     changes={"grace_late_minutes": grace_late_minutes, "grace_early_minutes": grace_early_minutes})
        # This month so far is recomputed under the new grace minutes; earlier months stay as decided.
        today = timezone.localdate()
        from .tasks import recompute_units

        unit_ids, start, end = [unit.pk], today.replace(day=1).isoformat(), today.isoformat()
        transaction.on_commit(lambda: recompute_units.enqueue(unit_ids=unit_ids, start=start, end=end))
    return policy


# --- daily computation ---------------------------------------------------------------------

class _UnitRules:
    """Calendars and grace minutes per unit, resolved once per computation run."""

    def __init__(self, unit_ids: Iterable[int]):
        from kycuong.workdays.models import CalendarOverride, WorkingSession
        from kycuong.workdays.services import calendar_for

        self._calendar_for = calendar_for
        ids = set(unit_ids)
        paths = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "path")) if len(ids) < 5000 else \
            {k: v for k, v in Unit.objects.values_list("pk", "path") if k in ids}
        self.chains = {uid: [int(p) for p in path.strip("/").split("/") if p] for uid, path in paths.items()}
        custom = set(WorkingSession.objects.values_list("unit_id", flat=True).distinct())
        custom |= set(CalendarOverride.objects.filter(unit__isnull=False).values_list("unit_id", flat=True).distinct())
        self.custom = custom
        self.policies = {u: (gl, ge) for u, gl, ge in
                         AttendancePolicy.objects.values_list("unit_id", "grace_late_minutes", "grace_early_minutes")}
        self._cal_cache: dict[int | None, Any] = {}

    def calendar(self, unit_id: int) -> Any:
        chain = self.chains.get(unit_id, [])
        key = unit_id if any(u in self.custom for u in chain) else None
        cal = self._cal_cache.get(key)
        if cal is None:
            cal = self._calendar_for(Unit.objects.get(pk=key) if key else None)
            self._cal_cache[key] = cal
        return cal

    def grace(self, unit_id: int) -> tuple[int, int]:
        for uid in reversed(self.chains.get(unit_id, [])):
            if uid in self.policies:
                return self.policies[uid]
        return DEFAULT_GRACE


def staff_primary_units(staff_ids: set[int] | None = None) -> dict[int, int]:
    """staff id → the unit whose calendar and head apply (primary membership, oldest first)."""
    today = timezone.localdate()
    qs = Membership.objects.filter(staff__is_active=True).filter(Q(active_to__isnull=True) | Q(active_to__gt=today))
    rows = qs.values_list("staff_id", "unit_id", "is_primary", "id")
    best: dict[int, tuple[bool, int, int]] = {}
    for staff_id, unit_id, primary, mid in rows.iterator(chunk_size=5000):
        if staff_ids is not None and staff_id not in staff_ids:
            continue
        key = (not primary, mid)
        cur = best.get(staff_id)
        if cur is None or key < (cur[0], cur[1]):
            best[staff_id] = (not primary, mid, unit_id)
    return {s: v[2] for s, v in best.items()}


def tracked_staff_ids(*, start: dt.date, end: dt.date) -> set[int]:
    """Staff under automatic timekeeping: mapped to a PIN, or with punches in the period."""
    ids = set(PinMapping.objects.values_list("staff_id", flat=True).distinct())
    ids |= set(Punch.objects.filter(day__range=(start, end), staff__isnull=False).values_list("staff_id", flat=True).distinct())
    return ids


def _rules_loop(units: dict[int, int], per_unit: dict[int, Any], rules: _UnitRules, days: list[dt.date],
                absences: dict[int, list[tuple[dt.date, dt.date, str]]], agg: dict[dt.date, dict[int, tuple[int, int, int, int]]],
                clear: dict[tuple[dt.date, ...], list[int]], rows: list[tuple[Any, ...]], today: dt.date, now_sec: int) -> None:
    """The per staff × day classification (rules.compute_day) over preloaded data."""
    for staff_id, unit_id in units.items():
        plan = per_unit.get(unit_id)
        if plan is None:
            cal = rules.calendar(unit_id)
            sessions_by_day = [(d, cal.sessions_on(d)) for d in days]
            weekends = tuple(d for d, sess in sessions_by_day if not sess and d.weekday() >= 5)
            plan = per_unit[unit_id] = ([x for x in sessions_by_day if x[1] or x[0].weekday() < 5], rules.grace(unit_id),
                                        weekends)
        day_plan, (grace_late, grace_early), weekends = plan
        if weekends:
            clear[weekends].append(staff_id)
        mine = absences.get(staff_id, ())
        for day, sessions in day_plan:
            kind = None
            if sessions:
                for a_start, a_end, a_kind in mine:
                    if a_start <= day <= a_end:
                        kind = a_kind
                        break
            punch = agg[day].get(staff_id)
            first_s: int | None
            last_s: int | None
            if punch:
                first_s, last_s, count, suspect = punch
            else:
                first_s = last_s = None
                count = suspect = 0
            res = compute_day(sessions=sessions, weekday=day.weekday(), first=first_s, last=last_s, count=count,
                              absence_kind=kind, grace_late=grace_late, grace_early=grace_early,
                              now=now_sec if day == today else None)
            rows.append((staff_id, day, unit_id, bool(sessions), res.status, kind or "", res.symbol,
                         first_s, last_s if count > 1 else None, min(count, 32767), res.late_minutes, res.early_minutes,
                         res.worked_minutes, suspect > 0))


#: Stage timings of the last attendance_compute run in this process (read by bench/attendance.py).
LAST_TIMINGS: dict[str, float] = {}


def attendance_compute(*, start: dt.date, end: dt.date, staff_ids: Iterable[int] | None = None,
                       unit_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """(Re)compute DailyAttendance for staff × each day in [start, end] (inclusive); returns the
    number of staff-days written (working days and holidays; weekends have no row).

    Idempotent: one upsert per staff × day. Set-based: punch first/last/count come from one
    GROUP BY in SQL on integer local seconds, absences and calendars are loaded once, results go
    back with COPY + INSERT ... ON CONFLICT on PostgreSQL. Days after today are skipped; today
    is computed "so far" (no absence or missing punch until the day's last session ends)."""
    now = now or timezone.now()
    local_now = now.astimezone(TZ)
    today = local_now.date()
    end = min(end, today)
    if end < start:
        return 0
    wanted = set(staff_ids) if staff_ids is not None else tracked_staff_ids(start=start, end=end)
    if not wanted:
        return 0
    units = staff_primary_units(wanted)
    if unit_ids is not None:
        subtree = _subtree_ids(unit_ids)
        units = {s: u for s, u in units.items() if u in subtree}
    if not units:
        return 0
    timings = LAST_TIMINGS
    timings.clear()
    mark = time.perf_counter()
    rules = _UnitRules(set(units.values()))
    small = len(units) <= 500
    punch_qs = Punch.objects.filter(day__range=(start, end), staff__isnull=False, voided_at__isnull=True)
    if small:
        punch_qs = punch_qs.filter(staff_id__in=list(units))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    agg: dict[dt.date, dict[int, tuple[int, int, int, int]]] = {}
    with connection.cursor() as cursor:
        for day in days:
            # One day at a time, executed raw: only integers come back, no per-value converters.
            qs = punch_qs.filter(day=day).order_by().values("staff_id").annotate(
                first=Min("seconds"), last=Max("seconds"), n=Count("seconds"),
                suspect=Sum(Cast("clock_suspect", IntegerField()))).values_list("staff_id", "first", "last", "n", "suspect")
            sql, params = qs.query.sql_with_params()
            cursor.execute(sql, params)
            agg[day] = {staff_id: (first, last, n, suspect or 0) for staff_id, first, last, n, suspect in cursor.fetchall()}
    timings["read_punches"] = time.perf_counter() - mark
    mark = time.perf_counter()
    absences: dict[int, list[tuple[dt.date, dt.date, str]]] = defaultdict(list)
    abs_qs = Absence.objects.filter(status=AbsenceStatus.APPROVED, start__lte=end, end__gte=start)
    if small:
        abs_qs = abs_qs.filter(staff_id__in=list(units))
    for staff_id, a_start, a_end, kind in abs_qs.values_list("staff_id", "start", "end", "kind"):
        if staff_id in units:
            absences[staff_id].append((a_start, a_end, kind))
    now_sec = local_now.hour * 3600 + local_now.minute * 60 + local_now.second
    rows: list[tuple[Any, ...]] = []
    # Per unit: (sessions per day, grace); staff grouped by the set of weekend days to clear.
    per_unit: dict[int, tuple[list[tuple[dt.date, Any]], tuple[int, int], tuple[dt.date, ...]]] = {}
    clear: dict[tuple[dt.date, ...], list[int]] = defaultdict(list)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small tuples: generational passes would only slow the loop
    try:
        _rules_loop(units, per_unit, rules, days, absences, agg, clear, rows, today, now_sec)
    finally:
        if gc_was_enabled:
            gc.enable()
    timings["rules"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with transaction.atomic():
        for weekend_days, staff_list in clear.items():  # a day that stopped being a working day keeps no row
            for i in range(0, len(staff_list), 20000):
                chunk = staff_list[i:i + 20000]
                DailyAttendance.objects.filter(day__in=weekend_days).filter(
                    staff_id__in=_id_array(chunk) if connection.vendor == "postgresql" else chunk).delete()
        timings["clear_weekends"] = time.perf_counter() - mark
        mark = time.perf_counter()
        _upsert_daily(rows, computed_at=timezone.now())
        timings["write"] = time.perf_counter() - mark
    return len(rows)


_DAILY_COLS = ["staff_id", "day", "unit_id", "is_working_day", "status", "absence_kind", "symbol", "first_in", "last_out",
               "punch_count", "late_minutes", "early_minutes", "worked_minutes", "clock_suspect", "computed_at"]
_UPDATE_COLS = [c for c in _DAILY_COLS if c not in ("staff_id", "day", "computed_at")]


def _id_array(ids: list[int]) -> Any:
    """`staff_id__in=` for many ids on PostgreSQL: one array parameter instead of thousands."""
    from django.db.models.expressions import RawSQL

    return RawSQL("SELECT unnest(%s::bigint[])", (ids,))


def _clock(seconds: int | None) -> dt.time | None:
    return None if seconds is None else dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _upsert_daily(rows: list[tuple[Any, ...]], *, computed_at: dt.datetime) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        _upsert_daily_pg(rows, computed_at)
        return
    if connection.vendor == "sqlite":
        _upsert_daily_sqlite(rows, computed_at)
        return
    objs = [DailyAttendance(staff_id=r[0], day=r[1], unit_id=r[2], is_working_day=r[3], status=r[4], absence_kind=r[5],
                            symbol=r[6], first_in=_clock(r[7]), last_out=_clock(r[8]), punch_count=r[9], late_minutes=r[10],
                            early_minutes=r[11], worked_minutes=r[12], clock_suspect=r[13], computed_at=computed_at)
            for r in rows]
    DailyAttendance.objects.bulk_create(objs, batch_size=2000, update_conflicts=True, unique_fields=["staff", "day"],
                                        update_fields=[*_UPDATE_COLS, "computed_at"])


_HMS: list[str] = []


def _upsert_daily_sqlite(rows: list[tuple[Any, ...]], computed_at: dt.datetime) -> None:
    """One prepared INSERT ... ON CONFLICT DO UPDATE run with executemany (no model instances)."""
    table = DailyAttendance._meta.db_table
    cols = ", ".join(_DAILY_COLS)
    marks = ", ".join(["%s"] * len(_DAILY_COLS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in [*_UPDATE_COLS, "computed_at"])
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    params = [(r[0], r[1].isoformat(), r[2], r[3], r[4], r[5], r[6], None if r[7] is None else _hms(r[7]),
               None if r[8] is None else _hms(r[8]), r[9], r[10], r[11], r[12], r[13], stamp) for r in rows]
    sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608 - identifiers from the model
           f"ON CONFLICT (staff_id, day) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _hms(seconds: int | None) -> str:
    if seconds is None:
        return "\\N"
    if not _HMS:
        _HMS.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))
    return _HMS[seconds] if 0 <= seconds < 86400 else "00:00:00"


def _upsert_daily_pg(rows: list[tuple[Any, ...]], computed_at: dt.datetime) -> None:
    """COPY (text format, formatted here: psycopg's per-row adaptation is the slow part) into a
    temporary table, then one INSERT ... ON CONFLICT DO UPDATE that skips unchanged rows."""
    table = DailyAttendance._meta.db_table
    cols = ", ".join(_DAILY_COLS)
    changed = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in _UPDATE_COLS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*_UPDATE_COLS, "computed_at"])
    stamp = computed_at.isoformat()

    def copy_into(cursor: Any, target: str) -> None:
        lines = (f"{r[0]}\t{r[1].isoformat()}\t{r[2]}\t{'t' if r[3] else 'f'}\t{r[4]}\t{r[5]}\t{r[6]}\t"
                 f"{_hms(r[7])}\t{_hms(r[8])}\t{r[9]}\t{r[10]}\t{r[11]}\t{r[12]}\t{'t' if r[13] else 'f'}\t{stamp}\n"
                 for r in rows)
        with cursor.cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            buf: list[str] = []
            for line in lines:
                buf.append(line)
                if len(buf) >= 5000:
                    copy.write("".join(buf))
                    buf.clear()
            if buf:
                copy.write("".join(buf))

    days = sorted({r[1] for r in rows})
    with connection.cursor() as cursor:
        if not DailyAttendance.objects.filter(day__in=days, staff_id__in=_id_array(sorted({r[0] for r in rows}))).exists():
            # First computation of these staff-days: straight COPY (a concurrent run makes it fail
            # on the unique constraint, and then the upsert below runs instead).
            try:
                with transaction.atomic():
                    copy_into(cursor, table)
                return
            except IntegrityError:
                pass
        cursor.execute("DROP TABLE IF EXISTS att_daily_in")
        cursor.execute(f"CREATE TEMP TABLE att_daily_in (LIKE {table} INCLUDING DEFAULTS)")
        cursor.execute("ALTER TABLE att_daily_in ALTER COLUMN id DROP NOT NULL")
        copy_into(cursor, "att_daily_in")
        sql = (f"INSERT INTO {table} ({cols}) SELECT {cols} FROM att_daily_in ORDER BY staff_id, day "  # noqa: S608
               f"ON CONFLICT (staff_id, day) DO UPDATE SET {updates} WHERE {changed}")  # identifiers from the model
        cursor.execute(sql)
        cursor.execute("DROP TABLE att_daily_in")


def _subtree_ids(unit_ids: Iterable[int]) -> set[int]:
    paths = list(Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    if not paths:
        return set()
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return set(Unit.objects.filter(q).values_list("pk", flat=True))
