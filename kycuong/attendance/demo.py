"""Demo timekeeping: a terminal per reception point and department (and at the two demo wards),
PINs for their staff, a month of punches before ctx.today with realistic habits (mostly on time,
some chronic late-comers, forgotten punches, a few unexplained absences), leave, sick days, a
maternity leave, business trips and training, then the computed daily attendance."""

from __future__ import annotations

import datetime as dt

from kycuong.core.demodata import DemoContext
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Role, Unit, UnitKind

from .models import (
    Absence,
    CommandStatus,
    Device,
    DeviceCommand,
    PinMapping,
    Punch,
    UnknownDeviceContact,
)
from .services import attendance_compute

DEMO_WARDS = ("H26.P04", "H26.P01")


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("attendance")
    units = list(Unit.objects.filter(kind__in=[UnitKind.DEPARTMENT, UnitKind.RECEPTION_POINT]).order_by("code"))
    units += list(Unit.objects.filter(code__in=DEMO_WARDS).order_by("code"))
    if not units:
        return "no units (run the org demo first)"
    now = ctx.now
    devices = []
    for i, unit in enumerate(units, start=1):
        model = "SpeedFace-V5L" if unit.kind == UnitKind.RECEPTION_POINT else "MB460"
        devices.append(Device(serial_number=f"CQZ7{i:09d}", unit=unit, location=f"Sảnh tầng 1 – {unit.short_name or unit.name}",
                              last_contact_at=now - dt.timedelta(seconds=rng.randint(5, 50)), last_push_at=now,
                              clock_drift_seconds=rng.choice([0, 1, 2, -1, 3]), clock_checked_at=now,
                              attlog_stamp=str(9_000_000 + i), info=f"{model}, Ver 8.0.4.3",
                              remote_ip=f"10.26.{i}.201", allowed_ips=f"10.26.{i}.201/32"))
    # One terminal that lost contact, one whose clock runs 17 minutes ahead (flagged on the devices page).
    devices[3].last_contact_at = now - dt.timedelta(hours=6)
    devices[5].clock_drift_seconds = 17 * 60
    Device.objects.bulk_create(devices)
    devices = list(Device.objects.filter(serial_number__startswith="CQZ7").select_related("unit").order_by("serial_number"))
    Device.objects.filter(pk__in=[d.pk for d in devices]).update(registered_at=now - dt.timedelta(days=400))
    by_unit = {d.unit_id: d for d in devices}

    # PIN per staff member, mapped on the unit that owns the terminal (departments cover their offices).
    paths = {u.pk: u.path for u in units}
    memberships = list(Membership.objects.filter(unit__path__regex=r"^(" + "|".join(paths.values()) + ")")
                       .select_related("unit", "staff").order_by("staff_id", "id"))
    owner: dict[int, tuple[int, str]] = {}
    for m in memberships:
        if m.staff_id in owner:
            continue
        unit_id = next((uid for uid, p in paths.items() if m.unit.path.startswith(p)), None)
        if unit_id is not None:
            owner[m.staff_id] = (unit_id, m.role)
    counters: dict[int, int] = {}
    mappings = []
    pins: dict[int, tuple[Device, str]] = {}
    for staff_id, (unit_id, _role) in sorted(owner.items()):
        counters[unit_id] = counters.get(unit_id, 0) + 1
        pin = str(counters[unit_id])
        mappings.append(PinMapping(staff_id=staff_id, pin=pin, unit_id=unit_id))
        pins[staff_id] = (by_unit[unit_id], pin)
    PinMapping.objects.bulk_create(mappings, batch_size=2000)

    # Habits: most people are punctual, some are chronically late, a few forget to punch.
    start = ctx.today - dt.timedelta(days=30)
    days = [start + dt.timedelta(days=i) for i in range((ctx.today - start).days + 1)]
    from kycuong.workdays.services import calendar_for

    cal = calendar_for(None)
    work_days = [d for d in days if cal.is_working_day(d)]
    staff_ids = sorted(pins)
    demo_staff = set(Membership.objects.filter(staff__user__username__in=["chuyenvien.hoankiem", "motcua.hoankiem",
                                                                           "chutich.hoankiem", "phochutich.hoankiem"])
                     .values_list("staff_id", flat=True))
    absences: list[Absence] = []
    away: dict[int, set[dt.date]] = {}

    def add_absence(staff_id: int, kind: str, first: dt.date, length: int, reason: str, status: str = "approved") -> None:
        chosen = [d for d in work_days if d >= first][:length]
        if not chosen:
            return
        absences.append(Absence(staff_id=staff_id, unit_id=pins[staff_id][0].unit_id, kind=kind, start=chosen[0], end=chosen[-1],
                                reason=reason, status=status, requested_at=now - dt.timedelta(days=35),
                                decided_at=None if status == "pending" else now - dt.timedelta(days=33)))
        if status == "approved":
            away.setdefault(staff_id, set()).update(chosen)

    reasons = {"annual": "Nghỉ phép năm – việc gia đình", "sick": "Ốm, có giấy của bệnh viện", "maternity": "Nghỉ sinh con",
               "business_trip": "Công tác tại Bộ Nội vụ", "training": "Lớp bồi dưỡng quản lý nhà nước ngạch chuyên viên chính",
               "other": "Việc riêng: đám cưới người thân", "unpaid": "Nghỉ không lương giải quyết việc riêng"}
    for staff_id in staff_ids:
        if staff_id in demo_staff:
            continue
        roll = rng.random()
        if roll < 0.08:
            add_absence(staff_id, "annual", rng.choice(work_days), rng.randint(1, 3), reasons["annual"])
        elif roll < 0.11:
            add_absence(staff_id, "sick", rng.choice(work_days), rng.randint(1, 2), reasons["sick"])
        elif roll < 0.16:
            add_absence(staff_id, "business_trip", rng.choice(work_days), rng.randint(1, 3), reasons["business_trip"])
        elif roll < 0.18:
            add_absence(staff_id, "training", rng.choice(work_days), 5, reasons["training"])
        elif roll < 0.185:
            add_absence(staff_id, "maternity", work_days[0], len(work_days), reasons["maternity"])
        elif roll < 0.19:
            add_absence(staff_id, rng.choice(["other", "unpaid"]), rng.choice(work_days), 1, reasons["other"])
    # The demo officer of Hoàn Kiếm: a business trip and a pending leave request for the head to decide.
    officer = next(iter(Membership.objects.filter(staff__user__username="chuyenvien.hoankiem").values_list("staff_id", flat=True)), None)
    if officer in pins:
        add_absence(officer, "business_trip", work_days[5], 2, "Công tác tại Sở Tư pháp: tập huấn hộ tịch điện tử")
        add_absence(officer, "annual", ctx.today + dt.timedelta(days=4), 1, "Nghỉ phép năm", status="pending")
        absences[-1].start = absences[-1].end = ctx.today + dt.timedelta(days=4)
    Absence.objects.bulk_create(absences)

    punches: list[Punch] = []
    received = now
    for staff_id in staff_ids:
        device, pin = pins[staff_id]
        habit = rng.random()
        late_p = 0.03 if habit < 0.7 else 0.2 if habit < 0.92 else 0.45
        mine_away = away.get(staff_id, set())
        for day in work_days:
            if day in mine_away and rng.random() < 0.9:
                continue
            r = rng.random()
            if r < 0.012:
                continue  # absent without reason
            if day == ctx.today:
                in_minutes = 7 * 60 + 30 + rng.randint(0, 34) if rng.random() > late_p else 8 * 60 + rng.randint(6, 50)
                out_minutes = None if rng.random() < 0.9 else 16 * 60 + rng.randint(0, 25)
            else:
                in_minutes = 7 * 60 + 30 + rng.randint(0, 34) if rng.random() > late_p else 8 * 60 + rng.randint(6, 50)
                out_minutes = 17 * 60 + rng.randint(0, 40) if rng.random() > 0.04 else 15 * 60 + rng.randint(30, 290)
                if rng.random() < 0.02:
                    out_minutes = None  # forgot to punch out
            for minutes, status in ((in_minutes, 0), (out_minutes, 1)):
                if minutes is None:
                    continue
                at = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60, rng.randint(0, 59)), tzinfo=TZ)
                verify = rng.choice([1, 1, 15, 15, 15, 4])
                punches.append(Punch(device=device, pin=pin, punched_at=at, day=day, seconds=minutes * 60 + at.second,
                                     status=status, verify=verify,
                                     raw=f"{pin}\t{at:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0", staff_id=staff_id,
                                     received_at=min(at + dt.timedelta(seconds=2), received)))
    Punch.objects.bulk_create(punches, batch_size=5000)
    DeviceCommand.objects.bulk_create([
        DeviceCommand(device=devices[0], command="SET OPTIONS DateTime=850000000", status=CommandStatus.DONE,
                      created_at=now - dt.timedelta(days=2), sent_at=now - dt.timedelta(days=2), done_at=now - dt.timedelta(days=2),
                      return_code=0),
        DeviceCommand(device=devices[5], command="SET OPTIONS DateTime=850100000", status=CommandStatus.PENDING, created_at=now),
    ])
    UnknownDeviceContact.objects.create(serial_number="AEHF193760241", first_at=now - dt.timedelta(days=3), last_at=now,
                                        contacts=412, last_path="/iclock/cdata?SN=AEHF193760241&options=all",
                                        last_ip="10.12.4.77")
    rows = attendance_compute(start=work_days[0], end=ctx.today, staff_ids=staff_ids, now=now)
    heads = Membership.objects.filter(role=Role.HEAD, unit__in=units).count()
    return (f"{len(devices)} terminals, {len(mappings)} PINs, {len(punches)} punches, {len(absences)} requests, "
            f"{rows} staff-days computed ({heads} heads)")
