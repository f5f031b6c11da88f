"""Attendance reads. `attendance_evidence` and `attendance_unit_summary` are the contract other
modules (evaluations, scorecard) call: plain dicts, computed from DailyAttendance rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from kycuong.core.periods import TZ
from kycuong.core.scoping import scope_for
from kycuong.org.models import Staff, Unit

from .models import Absence, AbsenceStatus, CommandStatus, DailyAttendance, Device, DeviceCommand
from .rules import AT_WORK, NON_COMPLIANT, WORK_ELSEWHERE

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


def attendance_unit_summary(*, unit_ids: Iterable[int], start: dt.date, end: dt.date) -> dict[int, dict[str, Any]]:
    """Per unit id (its whole subtree, not an average of children), over [start, end):
    staff_count, the staff-day sums of attendance_evidence, compliance_rate (compliant ÷
    expected staff-days), unjustified_absence_rate (unjustified absences ÷ expected staff-days),
    and has_data. Used by the scorecard's discipline set ("kycuong")."""
    unit_ids = list(unit_ids)
    paths = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    all_paths = dict(Unit.objects.values_list("pk", "path"))
    rows = (DailyAttendance.objects.filter(day__gte=start, day__lt=end, is_working_day=True).exclude(status="pending")
            .values("unit_id", "status", "absence_kind")
            .annotate(n=Count("id"), late=Sum("late_minutes"), early=Sum("early_minutes")))
    staff_rows = (DailyAttendance.objects.filter(day__gte=start, day__lt=end, is_working_day=True)
                  .values_list("unit_id", "staff_id").distinct())
    per_leaf: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        per_leaf[row["unit_id"]].append(row)
    staff_by_leaf: dict[int, set[int]] = defaultdict(set)
    for uid, sid in staff_rows:
        staff_by_leaf[uid].add(sid)
    out: dict[int, dict[str, Any]] = {}
    for uid in unit_ids:
        prefix = paths.get(uid)
        acc = dict(_EMPTY)
        staff: set[int] = set()
        if prefix is not None:
            for leaf, leaf_rows in per_leaf.items():
                if all_paths.get(leaf, "").startswith(prefix):
                    for row in leaf_rows:
                        _add(acc, row["status"], row["absence_kind"], row["late"] or 0, row["early"] or 0, row["n"])
                    staff |= staff_by_leaf[leaf]
        acc["staff_count"] = len(staff)
        acc = _finish(acc)
        acc["unjustified_absence_rate"] = (round(acc["unjustified_absences"] / acc["expected_days"], 4)
                                           if acc["expected_days"] else None)
        out[uid] = acc
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

def devices_visible_to(user: Any) -> QuerySet[Device]:
    return (Device.objects.visible_to(user).select_related("unit")
            .annotate(pending_commands=Count("commands", filter=Q(commands__status__in=[CommandStatus.PENDING,
                                                                                        CommandStatus.SENT])))
            .order_by("unit__path", "serial_number"))


def pending_commands(device: Device) -> QuerySet[DeviceCommand]:
    return device.commands.filter(status__in=[CommandStatus.PENDING, CommandStatus.SENT]).order_by("id")


def managed_units(user: Any) -> QuerySet[Unit]:
    scope = scope_for(user)
    if scope.manages_all:
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=scope.managed_unit_ids)


def unit_staff(unit: Unit) -> list[Staff]:
    """Staff whose membership is in this unit itself (a timesheet is per unit, not subtree)."""
    return list(Staff.objects.filter(memberships__unit=unit, is_active=True).distinct().order_by("full_name", "code"))


def pending_absences_for(user: Any) -> QuerySet[Absence]:
    scope = scope_for(user)
    qs = Absence.objects.filter(status=AbsenceStatus.PENDING).select_related("staff", "unit")
    if not scope.manages_all:
        qs = qs.filter(unit_id__in=scope.managed_unit_ids)
    return qs.exclude(staff__user=user).order_by("start", "id")


def local_time(value: dt.datetime | None) -> str:
    return value.astimezone(TZ).strftime("%H:%M") if value else ""
