"""Punches as JSON Lines or CSV (a terminal's USB export, another timekeeping system):
`{"device": "<serial number>", "pin": "12", "time": "2026-11-18T07:58:12+07:00", "status": 0, "verify": 1}`.

All-or-nothing: every line is validated first and an error names the line; then the punches are
inserted in one transaction, ignoring those already stored (same device, PIN, time, status), so
importing the same file twice stores each punch once."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import check_keys, read_jsonl
from kycuong.core.periods import TZ, parse_period

from .models import Device, Punch, PunchSource, local_day_seconds
from .services import _enqueue_recompute, _pin_resolver

Progress = Callable[..., None] | None
FIELDS = ["device", "pin", "time", "status", "verify"]


def _rows(stream: IO[str] | Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if fmt == "csv":
        reader = csv.DictReader(stream)
        if reader.fieldnames is None:
            return
        unknown = [f for f in reader.fieldnames if f and f.strip() not in FIELDS]
        if unknown:
            raise ImportFailed(_("Cột không được hỗ trợ: %(cols)s") % {"cols": ", ".join(unknown)}, line=1)
        for row in reader:
            obj: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for key in ("status", "verify"):
                if obj.get(key) == "":
                    obj.pop(key)
            yield reader.line_num, obj
    else:
        yield from read_jsonl(stream)


def _parse_time(value: Any, line: int) -> dt.datetime:
    if not isinstance(value, str) or not value.strip():
        raise ImportFailed(_("Thiếu thời điểm chấm công."), line=line)
    text = value.strip()
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ImportFailed(_("Thời điểm không hợp lệ: %(v)s") % {"v": text}, line=line) from exc
    return at.replace(tzinfo=TZ) if at.tzinfo is None else at


def _int(value: Any, line: int, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ImportFailed(_("%(name)s phải là số nguyên.") % {"name": name}, line=line) from exc
    if not -32768 <= number <= 32767:
        raise ImportFailed(_("%(name)s ngoài phạm vi.") % {"name": name}, line=line)
    return number


def import_punches(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None, actor: Any = None,
                   allowed_unit_ids: set[int] | None = None) -> int:
    """Validate every line, then store. `allowed_unit_ids` (upload page) limits the devices to the
    uploader's units; the command line (administrator) may import for any registered device."""
    devices = {d.serial_number: d for d in Device.objects.all()}
    parsed: list[tuple[Device, str, dt.datetime, int, int, str]] = []
    now = timezone.now()
    for line, obj in _rows(stream, fmt):
        check_keys(obj, line=line, required={"device", "pin", "time"}, optional={"status", "verify"})
        device = devices.get(str(obj["device"]).strip())
        if device is None:
            raise ImportFailed(_("Máy chấm công %(sn)s chưa được đăng ký.") % {"sn": obj["device"]}, line=line)
        if allowed_unit_ids is not None and device.unit_id not in allowed_unit_ids:
            raise ImportFailed(_("Máy chấm công %(sn)s không thuộc đơn vị bạn quản lý.") % {"sn": obj["device"]}, line=line)
        pin = str(obj["pin"]).strip()
        if not pin or len(pin) > 32:
            raise ImportFailed(_("Mã chấm công (PIN) trống hoặc quá dài."), line=line)
        at = _parse_time(obj["time"], line)
        if at > now + dt.timedelta(minutes=10):
            raise ImportFailed(_("Thời điểm chấm công ở tương lai."), line=line)
        status = _int(obj.get("status", 0), line, "status")
        verify = _int(obj.get("verify", 0), line, "verify")
        raw = f"{pin}\t{at.astimezone(TZ):%Y-%m-%d %H:%M:%S}\t{status}\t{verify}"
        parsed.append((device, pin, at, status, verify, raw))
    resolvers: dict[int, dict[str, int]] = {}
    rows: list[Punch] = []
    pairs: set[tuple[int, dt.date]] = set()
    for device, pin, at, status, verify, raw in parsed:
        pins = resolvers.get(device.pk)
        if pins is None:
            pins = resolvers[device.pk] = _pin_resolver(device)
        staff_id = pins.get(pin)
        day, seconds = local_day_seconds(at)
        rows.append(Punch(device=device, pin=pin, punched_at=at, day=day, seconds=seconds, status=status, verify=verify, raw=raw,
                          staff_id=staff_id, source=PunchSource.CSV, received_at=now))
        if staff_id is not None:
            pairs.add((staff_id, day))
    with transaction.atomic():
        for start in range(0, len(rows), 2000):
            Punch.objects.bulk_create(rows[start:start + 2000], ignore_conflicts=True)
            if progress:
                progress(min(start + 2000, len(rows)), len(rows))
        audit_record(action="attendance.punches.import", object_type="attendance.punch", object_id="*", actor=actor,
                     changes={"count": len(rows), "format": fmt})
        _enqueue_recompute({p for p in pairs if p[1] < timezone.localdate()})
    return len(rows)


def export_punches(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    """Device punches (not manual corrections), oldest first, in the import format."""
    qs = Punch.objects.filter(device__isnull=False, voided_at__isnull=True, held=False).select_related("device").order_by("punched_at", "id")
    if period:
        p = parse_period(period)
        qs = qs.filter(day__gte=p.start, day__lt=p.end)
    if unit:
        from kycuong.org.selectors import unit_by_code

        qs = qs.filter(device__unit__path__startswith=unit_by_code(unit).path)
    for punch in qs.iterator(chunk_size=5000):
        yield {"device": punch.device.serial_number, "pin": punch.pin,  # type: ignore[union-attr]
               "time": punch.punched_at.astimezone(TZ).isoformat(), "status": punch.status, "verify": punch.verify}


IMPORTERS = {"punches": import_punches}
EXPORTERS = {"punches": export_punches}
