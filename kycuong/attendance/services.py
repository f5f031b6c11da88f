"""Attendance writes: devices and their trust, commands, PIN mapping, corrections, justifications,
the review of held punches. Every state change is audited. The ADMS ingest path lives in
ingest.py and the daily computation in compute.py; their names are re-exported here."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import parse_qsl

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for
from kycuong.org.selectors import memberships_overlapping, staff_unit_ids_on

from .compute import (  # noqa: F401 - the computation's public names, re-exported for callers of services
    LAST_TIMINGS,
    _UnitRules,
    attendance_compute,
    staff_unit_spans,
    tracked_staff_ids,
)
from .ingest import (  # noqa: F401 - the ingest path's public names, re-exported for callers of services
    CLOCK_PAST_LIMIT,
    CLOCK_TOLERANCE,
    DEFAULT_BACKDATE_WINDOW,
    MAX_DRIFT,
    REALTIME_GAP,
    REALTIME_LINES,
    _enqueue_recompute,
    _pin_resolver,
    backdate_window,
    device_touch,
    device_trusts,
    parse_attlog_line,
    pending_pushes_parse,
    raw_push_parse,
    raw_push_store,
    unknown_device_log,
)
from .models import (
    Absence,
    AbsenceKind,
    AbsenceStatus,
    AttendancePolicy,
    CommandStatus,
    Device,
    DeviceCommand,
    PinMapping,
    Punch,
    PunchSource,
    local_day_seconds,
)

log = logging.getLogger(__name__)


# --- devices -------------------------------------------------------------------------------

def _ensure_manages(actor: Any, unit_id: int | None) -> None:
    if actor is not None and not scope_for(actor).manages(unit_id):
        raise Forbidden(_("Chỉ thủ trưởng đơn vị mới được thực hiện thao tác này."))


def device_register(*, serial_number: str, unit: Unit, location: str = "", allowed_ips: str = "",
                    actor: Any = None) -> Device:
    """Register a terminal: only registered, active serial numbers pushing from an allowed address
    (or with the device key) may push attendance."""
    serial_number = (serial_number or "").strip()
    if not serial_number or len(serial_number) > 64 or any(c.isspace() for c in serial_number):
        raise ValidationFailed(_("Số sê-ri máy chấm công không hợp lệ."))
    networks = ", ".join(_parse_networks(allowed_ips))
    _ensure_manages(actor, unit.pk)
    try:
        with transaction.atomic():
            device = Device.objects.create(serial_number=serial_number, unit=unit, location=location.strip(),
                                           allowed_ips=networks[:500])
            audit_record(action="attendance.device.register", obj=device, actor=actor,
                         changes={"serial_number": serial_number, "unit": unit.code, "location": location,
                                  "allowed_ips": networks})
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


def _parse_networks(text: str) -> list[str]:
    import ipaddress

    out: list[str] = []
    for item in (text or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as exc:
            raise ValidationFailed(_("Địa chỉ IP không hợp lệ: %(ip)s") % {"ip": item[:60]},
                                   details={"allowed_ips": item[:60]}) from exc
    return out


def device_trust_set(*, device: Device, allowed_ips: str, actor: Any = None) -> Device:
    """The source addresses (IPs or CIDR networks) the terminal pushes from; audited."""
    networks = _parse_networks(allowed_ips)
    value = ", ".join(networks)
    if len(value) > 500:
        raise ValidationFailed(_("Danh sách địa chỉ IP quá dài."), details={"allowed_ips": "too long"})
    _ensure_manages(actor, device.unit_id)
    with transaction.atomic():
        before = device.allowed_ips
        device.allowed_ips = value
        device.save(update_fields=["allowed_ips"])
        audit_record(action="attendance.device.trust", obj=device, actor=actor, unit_id=device.unit_id,
                     changes={"allowed_ips": [before, value]})
    return device


def device_key_rotate(*, device: Device, actor: Any = None) -> str:
    """A new secret key for the device (or its relay), returned once; only its hash is stored."""
    import hashlib
    import secrets

    _ensure_manages(actor, device.unit_id)
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        device.key_hash = hashlib.sha256(key.encode()).hexdigest()
        device.save(update_fields=["key_hash"])
        audit_record(action="attendance.device.key_rotate", obj=device, actor=actor, unit_id=device.unit_id)
    return key


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
    if actor is not None:  # the person must work, today, in a unit this head manages
        _member_unit_managed(actor, staff, start=timezone.localdate())
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

def _staff_unit_id(staff: Staff, *, on: dt.date | None = None) -> int | None:
    """The unit a person is counted in on `on` (default today): primary membership in force, then the oldest."""
    units = staff_unit_ids_on(staff_id=staff.pk, day=on or timezone.localdate())
    return units[0] if units else None


def _member_unit_managed(actor: Any, staff: Staff, *, start: dt.date, end: dt.date | None = None) -> int:
    """The unit, managed by `actor`, in which `staff` holds a membership in force on some day of
    [start, end]: an action naming a person (correction, leave entered or approved, PIN mapping)
    needs one. No membership at all then → 422; only in units the actor does not manage → 403.
    Without an actor (system, import) the person's own unit is returned."""
    rows = list(memberships_overlapping(start=start, end=end or start, staff_ids=[staff.pk])
                .order_by("-is_primary", "id").values_list("unit_id", flat=True))
    if not rows:
        raise ValidationFailed(_("%(name)s không có vị trí công tác nào còn hiệu lực vào thời gian này.")
                               % {"name": staff.full_name}, details={"staff": staff.code})
    if actor is None:
        return rows[0]
    scope = scope_for(actor)
    for unit_id in rows:
        if scope.manages(unit_id):
            return unit_id
    raise Forbidden(_("%(name)s không thuộc đơn vị bạn quản lý.") % {"name": staff.full_name})


def punch_add_manual(*, staff: Staff, at: dt.datetime, reason: str, actor: Any) -> Punch:
    """A punch the head adds (forgotten card, broken terminal), with the reason; audited."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Phải nêu lý do điều chỉnh."))
    if at.tzinfo is None:
        raise ValidationFailed(_("Thời điểm phải có múi giờ."))
    if at > timezone.now() + CLOCK_TOLERANCE:
        raise ValidationFailed(_("Không thể thêm lượt chấm công ở tương lai."))
    day, seconds = local_day_seconds(at)
    unit_id = _member_unit_managed(actor, staff, start=day)
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
    unit_id = _member_unit_managed(actor, punch.staff, start=punch.day)  # type: ignore[arg-type]
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
    on_behalf = actor is not None and getattr(actor, "is_authenticated", False) and staff.user_id != actor.pk
    # The request belongs to the unit the person is in during the absence; someone else entering it
    # must manage that unit.
    unit_id = _member_unit_managed(actor if on_behalf else None, staff, start=start, end=end)
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
    if approve:  # the person must still belong, during the absence, to a unit this head manages
        _member_unit_managed(actor, absence.staff, start=absence.start, end=absence.end)
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




# --- punches held for review -----------------------------------------------------------------

def punch_review(*, punch: Punch, accept: bool, reason: str, actor: Any) -> Punch:
    """The head of the terminal's unit decides a punch held as backdated: accepted, it is counted
    from now on (its day recomputed); rejected, it is voided with the reason. Audited either way."""
    if not (reason or "").strip():
        raise ValidationFailed(_("Phải nêu lý do."), details={"reason": "required"})
    unit_id = punch.device.unit_id if punch.device_id else None  # type: ignore[union-attr]
    _ensure_manages(actor, unit_id)
    if actor is None:
        raise Forbidden(_("Chỉ thủ trưởng đơn vị mới được thực hiện thao tác này."))
    now = timezone.now()
    with transaction.atomic():
        locked = Punch.objects.select_for_update().get(pk=punch.pk)
        if not locked.held or locked.reviewed_at is not None:
            raise Conflict(_("Lượt chấm này không chờ xem xét."))
        locked.reviewed_at = now
        locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.note = reason.strip()[:300]
        if accept:
            locked.held = False
        else:
            locked.voided_at = now
        locked.save(update_fields=["held", "reviewed_at", "reviewed_by", "note", "voided_at"])
        audit_record(action="attendance.punch.accept" if accept else "attendance.punch.reject", obj=locked,
                     actor=actor, unit_id=unit_id,
                     changes={"pin": locked.pin, "device_time": locked.punched_at, "received_at": locked.received_at,
                              "held_reason": locked.held_reason, "reason": reason})
        if accept and locked.staff_id is not None:
            _enqueue_recompute({(locked.staff_id, locked.day)})
    return locked
