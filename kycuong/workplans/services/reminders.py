"""Reminders of the Directive's discipline (in-app notifications, also e-mailed), each fact once.

- Before a personal program's submission deadline (ProgramPolicy: the weekly program by Monday
  10:00, the monthly one by the 3rd working day 17:00; the unit's working calendar): a reminder to
  every person with a membership in force whose program is missing, still a draft, or returned and
  not resubmitted. Window: from the same time on the previous working day up to the deadline.
  A program returned after the first reminder gets its own reminder (another key).
- After the deadline: a summary to the unit's head(s) and deputies in force listing who has not
  submitted and whose program is not yet approved. Window: from the deadline up to the same time
  on the next working day.
- Items due on the next working day: a reminder to the presiding person, sent on the working day
  before (key includes the due date, so a rescheduled item is reminded again).
- Overdue items (selectors.status.overdue_q, the one meaning of overdue): a reminder to the presiding person, once per due date,
  within 7 days after it fell due (a longer scheduler outage sends no stale reminders).
Nobody whose membership in the unit has ended (or who is inactive) is reminded or summarised.
Keys: `wp:...` on kycuong.dossiers.models.Notification, unique per recipient.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.periods import TZ, Period, period_containing
from kycuong.dossiers.models import Notification, NotificationKind
from kycuong.dossiers.notifications import notification_create
from kycuong.org.models import MANAGER_ROLES, Membership, Role
from kycuong.workdays.engine import WorkCalendar
from kycuong.workdays.services import calendar_for

from ..models import ItemStatus, Program, ProgramKind, ProgramPolicy, ProgramStatus, WorkItem
from ..selectors.status import overdue_q

OPEN_ITEM = (ItemStatus.DRAFT, ItemStatus.SUBMITTED, ItemStatus.RETURNED, ItemStatus.IN_PROGRESS)
OVERDUE_WINDOW = dt.timedelta(days=7)
NOT_PROGRAMMED_ROLES = (Role.ADMIN,)  # system administrators keep no work program


def _url(name: str, **kwargs: Any) -> str:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:  # the screens are not mounted (yet): the notification stands without a link
        return ""


def _fmt(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


def _time(value: dt.time | str) -> dt.time:
    """A TimeField value (an unsaved default is still its string, e.g. "10:00")."""
    return value if isinstance(value, dt.time) else dt.time.fromisoformat(value)


def policy() -> ProgramPolicy:
    """The one policy row (admin-editable), or the defaults when none was saved."""
    pol = ProgramPolicy.objects.order_by("pk").first() or ProgramPolicy()
    pol.weekly_time, pol.monthly_time = _time(pol.weekly_time), _time(pol.monthly_time)
    return pol


def program_deadline(period: Period, cal: WorkCalendar, pol: ProgramPolicy) -> dt.datetime:
    """The submission deadline of a personal week/month program (ProgramPolicy, working calendar)."""
    if period.kind == "week":
        day = period.start + dt.timedelta(days=min(pol.weekly_weekday, 6))
        return dt.datetime.combine(day, pol.weekly_time, tzinfo=TZ)
    day, count = period.start, 0
    while day < period.end:
        if cal.is_working_day(day):
            count += 1
            if count >= max(pol.monthly_working_day, 1):
                break
        day += dt.timedelta(days=1)
    return dt.datetime.combine(min(day, period.end - dt.timedelta(days=1)), pol.monthly_time, tzinfo=TZ)


def _shift_working_day(at: dt.datetime, cal: WorkCalendar, step: int) -> dt.datetime:
    """The same local time on the previous (step=-1) / next (step=1) working day."""
    local = at.astimezone(TZ)
    day = local.date() + dt.timedelta(days=step)
    while not cal.is_working_day(day):
        day += dt.timedelta(days=step)
    return dt.datetime.combine(day, local.timetz())


def _send_many(rows: list[dict[str, Any]], at: dt.datetime) -> int:
    """Create the notifications whose (recipient, key) does not exist yet (one read for all)."""
    if not rows:
        return 0
    existing = set(Notification.objects.filter(key__in={r["key"] for r in rows})
                   .values_list("recipient_id", "key"))
    created = 0
    for r in rows:
        if (r["user"].pk, r["key"]) in existing:
            continue
        created += bool(notification_create(kind=NotificationKind.INFO, at=at, **r))
    return created


def _periods(today: dt.date) -> list[tuple[str, Period]]:
    """This and the next week/month: a week's reminder window opens in the week before it."""
    out = []
    for kind in ("week", "month"):
        current = period_containing(today, kind)
        out += [(kind, current), (kind, current.next())]
    return out


def _program_rows(at: dt.datetime, pol: ProgramPolicy) -> list[dict[str, Any]]:
    today = at.astimezone(TZ).date()
    memberships = list(Membership.objects.in_force(today).exclude(role__in=NOT_PROGRAMMED_ROLES)
                       .select_related("staff__user", "unit").order_by("unit_id", "staff__code"))
    units = {m.unit_id: m.unit for m in memberships}
    rows: list[dict[str, Any]] = []
    for kind, period in _periods(today):
        label = _("tuần") if kind == "week" else _("tháng")
        status = {(p[0], p[1]): p[2] for p in Program.objects.filter(
            kind=ProgramKind.PERSONAL, period=period.label, unit_id__in=units).values_list("owner_id", "unit_id", "status")}
        per_unit: dict[int, list[tuple[Membership, str | None]]] = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        for m in memberships:
            if (m.staff_id, m.unit_id) not in seen:
                seen.add((m.staff_id, m.unit_id))
                per_unit[m.unit_id].append((m, status.get((m.staff_id, m.unit_id))))
        for unit_id, people in per_unit.items():
            cal = calendar_for(units[unit_id])
            deadline = program_deadline(period, cal, pol)
            before = _shift_working_day(deadline, cal, -1) <= at < deadline
            after = deadline <= at < _shift_working_day(deadline, cal, 1)
            if before:
                for m, st in people:
                    if st in (None, ProgramStatus.DRAFT, ProgramStatus.RETURNED) and m.staff.user:
                        returned = st == ProgramStatus.RETURNED
                        rows.append({
                            "user": m.staff.user, "url": _url("workplans:my_week" if kind == "week" else "workplans:my_month"),
                            "key": f"wp:prog:{period.label}:{unit_id}:{'returned' if returned else 'submit'}",
                            "title": (_("Chương trình công tác %(kind)s %(period)s bị trả lại: hãy sửa và gửi lại trước %(due)s")
                                      if returned else
                                      _("Hãy gửi chương trình công tác %(kind)s %(period)s trước %(due)s")) % {
                                "kind": label, "period": period.label, "due": _fmt(deadline)},
                            "body": _("Đơn vị: %(unit)s.") % {"unit": units[unit_id].name}})
            if after:
                missing = [m.staff.full_name for m, st in people if st in (None, ProgramStatus.DRAFT, ProgramStatus.RETURNED)]
                waiting = [m.staff.full_name for m, st in people if st == ProgramStatus.SUBMITTED]
                heads = [m for m, _st in people if m.role in MANAGER_ROLES and m.staff.user]
                if not (missing or waiting):
                    continue
                body = "\n".join([
                    _("Chưa gửi (%(n)s): %(names)s") % {"n": len(missing), "names": ", ".join(missing) or "—"},
                    _("Đã gửi, chưa được duyệt (%(n)s): %(names)s") % {"n": len(waiting), "names": ", ".join(waiting) or "—"}])
                for head in heads:
                    rows.append({
                        "user": head.staff.user, "key": f"wp:board:{period.label}:{unit_id}", "body": body, "url": "",
                        "title": _("%(unit)s: %(n)s người chưa gửi hoặc chưa được duyệt chương trình công tác %(kind)s "
                                   "%(period)s (hạn %(due)s)") % {"unit": units[unit_id].name, "n": len(missing) + len(waiting),
                                                                "kind": label, "period": period.label, "due": _fmt(deadline)}})
    return rows


def _item_rows(at: dt.datetime) -> list[dict[str, Any]]:
    cal = calendar_for(None)
    local = at.astimezone(TZ)
    today = local.date()
    candidates: list[tuple[WorkItem, str]] = []
    if cal.is_working_day(today):
        nxt = cal.next_working_day(today)
        start = dt.datetime.combine(nxt, dt.time(0), tzinfo=TZ)
        for item in WorkItem.objects.filter(status__in=OPEN_ITEM, due_at__gte=start,
                                            due_at__lt=start + dt.timedelta(days=1)).select_related("owner__user"):
            candidates.append((item, "due"))
    for item in WorkItem.objects.filter(overdue_q(at), due_at__gte=at - OVERDUE_WINDOW).select_related("owner__user"):
        candidates.append((item, "overdue"))
    in_force = set(Membership.objects.in_force(today).filter(staff_id__in={i.owner_id for i, _k in candidates})
                   .values_list("staff_id", "unit_id"))
    rows = []
    for item, kind in candidates:
        if (item.owner_id, item.unit_id) not in in_force or not item.owner.user:
            continue
        due = _fmt(item.due_at)
        rows.append({
            "user": item.owner.user, "key": f"wp:item:{item.pk}:{kind}:{item.due_at.astimezone(TZ):%Y%m%d%H%M}",
            "url": _url("workplans:item_detail", code=item.code),
            "title": (_("Công việc “%(title)s” đến hạn %(due)s") if kind == "due"
                      else _("Công việc “%(title)s” đã quá hạn (hạn %(due)s)")) % {"title": item.title[:200], "due": due},
            "body": _("Mã công việc: %(code)s.") % {"code": item.code}})
    return rows


def reminders_scan(*, at: dt.datetime | None = None) -> int:
    """Periodic job: send the reminders whose window contains `at` and that were not sent yet."""
    at = at or timezone.now()
    created = _send_many(_program_rows(at, policy()) + _item_rows(at), at)
    if created:
        audit_record(action="workplans.reminders", object_type="dossiers.notification", object_id="*", at=at,
                     changes={"created": created})
    return created
