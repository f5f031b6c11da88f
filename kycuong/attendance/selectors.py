"""Attendance reads. `attendance_evidence` and `attendance_unit_summary` are the contract other
modules (evaluations, scorecard) call: plain dicts, computed from DailyAttendance rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Q, QuerySet, Sum

from kycuong.core.periods import TZ
from kycuong.org.models import Staff, Unit
from kycuong.org.scoping import scope_for

from .models import Absence, AbsenceStatus, CommandStatus, DailyAttendance, Device, DeviceCommand, Punch
from .rules import AT_WORK, NON_COMPLIANT, WORK_ELSEWHERE

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

_EMPTY = {"working_days": 0, "present_days": 0, "late_count": 0, "late_minutes": 0, "early_leave_count": 0,
          "early_leave_minutes": 0, "missing_punch_count": 0, "half_days": 0, "unjustified_absences": 0,
          "justified_days": 0, "compliant_days": 0, "expected_days": 0}


def _finish(acc: dict[str, Any]) -> dict[str, Any]:
    acc["compliance_rate"] = round(acc["compliant_days"] / acc["expected_days"], 4) if acc["expected_days"] else None
    acc["has_data"] = acc["working_days"] > 0
    return acc


def _add(acc: dict[str, Any], status: str, kind: str, late: int, early: int, n: int = 1) -> None:
    acc["working_days"] += n
    if status in AT_WORK or (status == "justified" and kind in WORK_ELSEWHERE):
        acc["present_days"] += n
    if status == "justified":
        acc["justified_days"] += n
    else:
        acc["expected_days"] += n
        if status not in NON_COMPLIANT:
            acc["compliant_days"] += n
    if status in ("late", "late_early"):
        acc["late_count"] += n
    if status in ("early", "late_early"):
        acc["early_leave_count"] += n
    if status == "missing_punch":
        acc["missing_punch_count"] += n
    if status == "half_day":
        acc["half_days"] += n
    if status == "absent":
        acc["unjustified_absences"] += n
    acc["late_minutes"] += late
    acc["early_leave_minutes"] += early


def attendance_evidence(*, staff_ids: Iterable[int] | None = None, unit_ids: Iterable[int] | None = None,
                        start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """Per staff id, over working days in [start, end) (end exclusive, like reporting periods):

    working_days, present_days (at the office, or on a business trip / training),
    late_count, late_minutes, early_leave_count, early_leave_minutes, missing_punch_count,
    half_days, unjustified_absences (days with no punch and no approved justification),
    justified_days (approved leave, business trip, training), expected_days (working days minus
    justified days), compliant_days (on time and complete), compliance_rate = compliant_days /
    expected_days (None when nothing is expected), has_data (False: the person is not under
    automatic timekeeping in the period — callers must not read that as "perfect").
    `unit_ids` selects the staff computed under those units and their subtrees. Staff asked for by
    id without any row get the empty record with has_data False."""
    qs = DailyAttendance.objects.filter(day__gte=start, day__lt=end, is_working_day=True).exclude(status="pending")
    if staff_ids is not None:
        staff_ids = list(staff_ids)
        qs = qs.filter(staff_id__in=staff_ids)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=_subtree(unit_ids))
    result: dict[int, dict[str, Any]] = {}
    rows = qs.values("staff_id", "status", "absence_kind").annotate(n=Count("id"), late=Sum("late_minutes"),
                                                                   early=Sum("early_minutes"))
    for row in rows:
        acc = result.setdefault(row["staff_id"], dict(_EMPTY))
        _add(acc, row["status"], row["absence_kind"], row["late"] or 0, row["early"] or 0, row["n"])
    for sid in staff_ids or []:
        result.setdefault(sid, dict(_EMPTY))
    return {sid: _finish(acc) for sid, acc in result.items()}


class _UnitStatusRow(TypedDict):
    """One grouped row of `attendance_unit_summary`: a leaf unit's staff-days in one status."""

    unit_id: int
    status: str
    absence_kind: str
    n: int
    late: int | None
    early: int | None


def attendance_unit_summary(*, unit_ids: Iterable[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """Per unit id (its whole subtree, not an average of children), over [start, end):
    staff_count, the staff-day sums of attendance_evidence, compliance_rate (compliant ÷
    expected staff-days), unjustified_absence_rate (unjustified absences ÷ expected staff-days),
    and has_data. Used by the scorecard's discipline set ("kycuong"). One grouped query; each
    leaf unit's figures are added to every requested ancestor (O(units × depth))."""
    unit_ids = list(unit_ids)
    wanted = set(unit_ids)
    rows = (DailyAttendance.objects.filter(day__gte=start, day__lt=end, is_working_day=True).exclude(status="pending")
            .values("unit_id", "status", "absence_kind")
            .annotate(n=Count("id"), late=Sum("late_minutes"), early=Sum("early_minutes")))
    staff_rows = (DailyAttendance.objects.filter(day__gte=start, day__lt=end, is_working_day=True)
                  .values_list("unit_id", "staff_id").distinct())
    per_leaf: dict[int, list[_UnitStatusRow]] = defaultdict(list)
    for row in rows:
        per_leaf[row["unit_id"]].append(row)
    staff_by_leaf: dict[int, set[int]] = defaultdict(set)
    for uid, sid in staff_rows:
        staff_by_leaf[uid].add(sid)
    leaves = set(per_leaf) | set(staff_by_leaf)
    paths = dict(Unit.objects.filter(pk__in=leaves).values_list("pk", "path")) if leaves else {}
    acc: dict[int, dict[str, Any]] = {uid: dict(_EMPTY) for uid in unit_ids}
    staff: dict[int, set[int]] = {uid: set() for uid in unit_ids}
    for leaf in leaves:
        chain = [int(p) for p in paths.get(leaf, "").strip("/").split("/") if p] or [leaf]
        targets = [uid for uid in chain if uid in wanted]
        for uid in targets:
            for row in per_leaf.get(leaf, ()):
                _add(acc[uid], row["status"], row["absence_kind"], row["late"] or 0, row["early"] or 0, row["n"])
            staff[uid] |= staff_by_leaf.get(leaf, set())
    out: dict[int, dict[str, Any]] = {}
    for uid in unit_ids:
        result = _finish(acc[uid])
        result["staff_count"] = len(staff[uid])
        result["unjustified_absence_rate"] = (round(result["unjustified_absences"] / result["expected_days"], 4)
                                              if result["expected_days"] else None)
        out[uid] = result
    return out


def _subtree(unit_ids: Iterable[int]) -> list[int]:
    paths = list(Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    if not paths:
        return []
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return list(Unit.objects.filter(q).values_list("pk", flat=True))


# --- screens -------------------------------------------------------------------------------

class DevicePending(TypedDict):
    """Annotation added by `devices_visible_to`: commands queued or sent, not yet answered."""

    pending_commands: int


def devices_visible_to(user: Any) -> QuerySet[WithAnnotations[Device, DevicePending]]:
    return (Device.objects.visible_to(user).select_related("unit")
            .annotate(pending_commands=Count("commands", filter=Q(commands__status__in=[CommandStatus.PENDING,
                                                                                        CommandStatus.SENT])))
            .order_by("unit__path", "serial_number"))


def pending_commands(device: Device) -> QuerySet[DeviceCommand]:
    return device.commands.filter(status__in=[CommandStatus.PENDING, CommandStatus.SENT]).order_by("id")


def can_oversee(user: Any, unit_id: int) -> bool:
    """Who may see other people's attendance in a unit: its heads and deputies (and of its
    ancestors), and city-wide roles (leaders, inspectors, admins). Colleagues may not."""
    scope = scope_for(user)
    return scope.all_units or scope.manages(unit_id)


def managed_units(user: Any) -> QuerySet[Unit]:
    scope = scope_for(user)
    if scope.manages_all:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=scope.managed_unit_ids)


def unit_staff(unit: Unit, *, start: dt.date | None = None, end: dt.date | None = None) -> list[Staff]:
    """Staff with a membership in this unit itself (a timesheet is per unit, not subtree) in force
    on some day of [start, end] (default: today). A deactivated person is listed only for the days
    of a membership with a known end (the rule of the computation)."""
    spans = unit_member_days(unit, start=start, end=end)
    return list(Staff.objects.filter(pk__in=list(spans)).order_by("full_name", "code"))


def unit_member_days(unit: Unit, *, start: dt.date | None = None,
                     end: dt.date | None = None) -> dict[int, list[tuple[dt.date | None, dt.date | None]]]:
    """staff id → the (active_from, active_to) of their memberships in `unit` overlapping [start, end]."""
    from kycuong.org.selectors import memberships_overlapping

    start = start or dt.datetime.now(TZ).date()
    end = end or start
    out: dict[int, list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
    rows = memberships_overlapping(start=start, end=end).filter(unit=unit).filter(
        Q(staff__is_active=True) | Q(active_to__isnull=False)).values_list("staff_id", "active_from", "active_to")
    for staff_id, a_from, a_to in rows:
        out[staff_id].append((a_from, a_to))
    return dict(out)


def pending_absences_for(user: Any) -> QuerySet[Absence]:
    scope = scope_for(user)
    qs = Absence.objects.filter(status=AbsenceStatus.PENDING).select_related("staff", "unit")
    if not scope.manages_all:
        qs = qs.filter(unit_id__in=scope.managed_unit_ids)
    return qs.exclude(staff__user=user).order_by("start", "id")


def held_punches_for(user: Any) -> QuerySet[Punch]:
    """Device punches held as backdated and not yet decided, on terminals of the units `user` manages."""
    scope = scope_for(user)
    qs = Punch.objects.filter(held=True, reviewed_at__isnull=True, device__isnull=False)
    if not scope.manages_all:
        qs = qs.filter(device__unit_id__in=scope.managed_unit_ids)
    return qs.select_related("device", "staff").order_by("device_id", "punched_at", "id")


def local_time(value: dt.datetime | None) -> str:
    return value.astimezone(TZ).strftime("%H:%M") if value else ""


# --- timesheet (bảng chấm công) -------------------------------------------------------------

WEEKDAYS = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]
#: Totals columns of the timesheet, in the order officials print them.
TOTALS = [("cong", "Số công"), ("M", "M"), ("P", "P"), ("Ô", "Ô"), ("TS", "TS"), ("Ro", "Ro"), ("K", "K"),
          ("CT", "CT"), ("H", "H"), ("V", "V"), ("Q", "Q"), ("L", "L")]
#: What counts as a day of work ("công"): at the office, on a trip or in training; a half day is 0.5.
WORK_VALUE = {"+": 1.0, "M": 1.0, "Q": 1.0, "CT": 1.0, "H": 1.0, "½": 0.5}
LEGEND = [("+", "Có mặt đúng giờ"), ("M", "Đi muộn / về sớm"), ("½", "Làm nửa ngày"), ("Q", "Thiếu lượt chấm (quên chấm)"),
          ("V", "Vắng không lý do"), ("P", "Nghỉ phép"), ("Ô", "Nghỉ ốm"), ("TS", "Nghỉ thai sản"),
          ("Ro", "Nghỉ không lương"), ("K", "Nghỉ việc riêng khác"), ("CT", "Công tác, làm việc ngoài cơ quan"),
          ("H", "Học tập, bồi dưỡng"), ("L", "Nghỉ lễ, Tết")]


def month_days(year: int, month: int) -> list[dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return [first + dt.timedelta(days=i) for i in range((nxt - first).days)]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def timesheet(*, unit: Unit, year: int, month: int) -> dict[str, Any]:
    """The unit's monthly timesheet: one row per staff member of the unit, one symbol per day,
    and totals. The screen and the Excel export both render exactly this structure."""
    from kycuong.org.selectors import membership_in_force

    days = month_days(year, month)
    member_days = unit_member_days(unit, start=days[0], end=days[-1])
    staff = list(Staff.objects.filter(pk__in=list(member_days)).order_by("full_name", "code"))
    by_staff: dict[int, dict[dt.date, DailyAttendance]] = defaultdict(dict)
    for row in DailyAttendance.objects.filter(staff__in=staff, day__gte=days[0], day__lte=days[-1]).only(
            "staff_id", "day", "symbol", "status", "late_minutes", "early_minutes", "clock_suspect"):
        by_staff[row.staff_id][row.day] = row
    rows = []
    for i, person in enumerate(staff, start=1):
        mine = by_staff.get(person.pk, {})
        cells = []
        totals: dict[str, float] = {key: 0 for key, _label in TOTALS}
        periods = member_days.get(person.pk, [])
        for d in days:
            # A day counts on this unit's sheet only while the person was a member of it (history as of its date).
            r = mine.get(d) if any(membership_in_force(a, b, d) for a, b in periods) else None
            symbol = r.symbol if r else ""
            cells.append({"day": d, "symbol": symbol, "status": r.status if r else "",
                          "late": r.late_minutes if r else 0, "early": r.early_minutes if r else 0,
                          "suspect": bool(r and r.clock_suspect)})
            totals["cong"] += WORK_VALUE.get(symbol, 0)
            if symbol in totals:
                totals[symbol] += 1
        rows.append({"no": i, "staff": person, "cells": cells,
                     "totals": [_number(totals[key]) for key, _label in TOTALS],
                     "tracked": any(c["status"] for c in cells)})
    return {"unit": unit, "year": year, "month": month, "days": days,
            "weekdays": [WEEKDAYS[d.weekday()] for d in days], "rows": rows,
            "headers": [{"date": d, "weekday": WEEKDAYS[d.weekday()], "weekend": d.weekday() >= 5} for d in days],
            "totals_labels": [label for _key, label in TOTALS], "legend": LEGEND}


def timesheet_xlsx(sheet: dict[str, Any]) -> bytes:
    """The same table as the screen, in the printed layout (title, unit, month, legend)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    from kycuong.core.exports import xlsx_bytes

    headers = ["STT", "Họ và tên", "Mã cán bộ",
               *[f"{d.day}\n{w}" for d, w in zip(sheet["days"], sheet["weekdays"], strict=True)], *sheet["totals_labels"]]
    rows = [[r["no"], r["staff"].full_name, r["staff"].code, *[c["symbol"] for c in r["cells"]], *r["totals"]]
            for r in sheet["rows"]]
    widths = [5, 26, 10, *[4] * len(sheet["days"]), *[6] * len(sheet["totals_labels"])]
    content = xlsx_bytes(title="BẢNG CHẤM CÔNG",
                         subtitle=f"{sheet['unit'].name} — Tháng {sheet['month']:02d}/{sheet['year']}",
                         headers=headers, rows=rows, sheet=f"{sheet['month']:02d}-{sheet['year']}", widths=widths)
    import io

    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    for row in ws.iter_rows(min_row=5, min_col=4, max_col=len(headers)):
        for cell in row:
            cell.alignment = Alignment(horizontal="center")
    ws.append([])
    ws.append(["Ký hiệu:"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    for symbol, meaning in sheet["legend"]:
        ws.append(["", symbol, meaning])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- today -----------------------------------------------------------------------------------

def today_board(*, unit: Unit, now: dt.datetime) -> dict[str, Any]:
    """Who is in, late, absent, on leave right now, computed live from today's punches."""
    from kycuong.workdays.services import calendar_for

    from .models import Punch
    from .rules import ABSENCE_SYMBOLS, compute_day

    local = now.astimezone(TZ)
    today = local.date()
    staff = unit_staff(unit, start=today)
    ids = [s.pk for s in staff]
    cal = calendar_for(unit)
    sessions = cal.sessions_on(today)
    from .compute import _UnitRules

    grace = _UnitRules([unit.pk]).grace(unit.pk)
    punches: dict[int, list[dt.datetime]] = defaultdict(list)
    for staff_id, at in Punch.objects.filter(staff_id__in=ids, day=today, voided_at__isnull=True, held=False).values_list(
            "staff_id", "punched_at").order_by("punched_at"):
        punches[staff_id].append(at)
    absences = {a.staff_id: a for a in Absence.objects.filter(staff_id__in=ids, status=AbsenceStatus.APPROVED,
                                                              start__lte=today, end__gte=today)}
    now_sec = local.hour * 3600 + local.minute * 60 + local.second
    groups: dict[str, list[dict[str, Any]]] = {"in": [], "late": [], "absent": [], "away": [], "left": [], "missing": []}
    for person in staff:
        times = punches.get(person.pk, [])
        absence = absences.get(person.pk)
        first = times[0].astimezone(TZ) if times else None
        last = times[-1].astimezone(TZ) if times else None
        item: dict[str, Any] = {"staff": person, "first": first, "last": last if len(times) > 1 else None, "count": len(times)}
        if absence:
            item["absence"] = absence
            item["symbol"] = ABSENCE_SYMBOLS.get(absence.kind, "K")
            groups["away"].append(item)
            continue
        res = compute_day(sessions=sessions, weekday=today.weekday(),
                          first=first.hour * 3600 + first.minute * 60 + first.second if first else None,
                          last=last.hour * 3600 + last.minute * 60 + last.second if last else None,
                          count=len(times), grace_late=grace[0], grace_early=grace[1], now=now_sec)
        item["late_minutes"] = res.late_minutes
        if not times:
            started = bool(sessions) and now_sec > sessions[0][0] + grace[0] * 60
            if started:
                groups["absent"].append(item)
            continue
        day_over = bool(sessions) and now_sec >= sessions[-1][1]
        if day_over and len(times) == 1:
            groups["missing"].append(item)  # one punch and the day is over: never guessed
        elif res.late_minutes:
            groups["late"].append(item)
        elif day_over:
            groups["left"].append(item)
        else:
            groups["in"].append(item)
    return {"unit": unit, "now": local, "working_day": bool(sessions), "groups": groups, "total": len(staff),
            "present": len(groups["in"]) + len(groups["late"]) + len(groups["left"]) + len(groups["missing"])}
