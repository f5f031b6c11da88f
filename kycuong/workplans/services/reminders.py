"""Reminders of the Directive's discipline (in-app notifications, also e-mailed), each fact once.

- Before a personal program's submission deadline (ProgramPolicy: the weekly program by Monday
  10:00, the monthly one by the 3rd working day 17:00; the unit's working calendar): a reminder to
  every person with a membership in force whose program is missing, still a draft, or returned and
  not resubmitted. Window: from the same time on the previous working day up to the deadline.
  A program returned after the first reminder gets its own reminder (another key).
- After the deadline: a summary to each head and deputy in force listing who in their unit's
  subtree has not submitted and whose program is not yet approved (the rows of the not-submitted
  board, selectors.board.program_rows, so both read the same deadlines and people). Window: after
  the deadline (exactly at it is still on time) up to the same time on the next working day.
- Deadlines are those of the board on the city calendar (unit-specific calendar overrides are not
  read by the city-wide scan; the board of one unit reads its own).
- Items due on the next working day: a reminder to the presiding person, sent on the working day
  before (key includes the due date, so a rescheduled item is reminded again).
- Overdue items (selectors.status.overdue_q, the one meaning of overdue): a reminder to the presiding person, once per due date,
  within 7 days after it fell due (a longer scheduler outage sends no stale reminders).
Nobody whose membership in the unit has ended (or who is inactive) is reminded or summarised.
Keys: `wp:...` on kycuong.dossiers.models.Notification, unique per recipient.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.periods import TZ, Period, period_containing
from kycuong.dossiers.models import Notification, NotificationKind
from kycuong.dossiers.notifications import notification_create
from kycuong.org.models import MANAGER_ROLES, Membership, Role, Unit
from kycuong.workdays.engine import WorkCalendar
from kycuong.workdays.services import calendar_for

from ..models import ItemStatus, ProgramStatus, WorkItem
from ..selectors.board import NONE, deadline_for, policy, program_rows
from ..selectors.status import overdue_q

OPEN_ITEM = (ItemStatus.DRAFT, ItemStatus.SUBMITTED, ItemStatus.RETURNED, ItemStatus.IN_PROGRESS)
OPEN_PROGRAM = (NONE, ProgramStatus.DRAFT, ProgramStatus.RETURNED)  # not submitted (yet / again)
OVERDUE_WINDOW = dt.timedelta(days=7)
NOT_PROGRAMMED_ROLES = (Role.ADMIN,)  # system administrators keep no work program


def _url(name: str, **kwargs: Any) -> str:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:  # the screens are not mounted (yet): the notification stands without a link
        return ""


def _fmt(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%H:%M %d/%m/%Y")


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


def _program_rows(at: dt.datetime) -> list[dict[str, Any]]:
    """Reminders and summaries from the board's rows (selectors.board.program_rows: people in force
    during the period, each one's deadline from the policy, joiners counted from their first day)."""
    today = at.astimezone(TZ).date()
    cal, pol = calendar_for(None), policy()
    rows: list[dict[str, Any]] = []
    for kind, period in _periods(today):
        regular = deadline_for(period, cal, pol)
        if at < _shift_working_day(regular, cal, -1) or (at >= period.end_at and at >= _shift_working_day(regular, cal, 1)):
            continue  # no window of this period can be open (the cheap test before reading anyone)
        label = _("tuần") if kind == "week" else _("tháng")
        board = program_rows(unit=None, period=period, at=at, cal=cal, pol=pol)
        in_force = {(m.staff_id, m.unit_id): m for m in Membership.objects.in_force(today)
                    .filter(staff_id__in={r["staff_id"] for r in board}).exclude(role__in=NOT_PROGRAMMED_ROLES)
                    .select_related("staff__user", "unit")}
        for r in board:
            m = in_force.get((r["staff_id"], r["unit_id"]))
            due = r["deadline"]
            if (m is None or not m.staff.user or r["status"] not in OPEN_PROGRAM
                    or not _shift_working_day(due, cal, -1) <= at < due):
                continue
            returned = r["status"] == ProgramStatus.RETURNED
            rows.append({
                "user": m.staff.user, "url": _url("workplans:week" if kind == "week" else "workplans:month"),
                "key": f"wp:prog:{period.label}:{r['unit_id']}:{'returned' if returned else 'submit'}",
                "title": (_("Chương trình công tác %(kind)s %(period)s bị trả lại: hãy sửa và gửi lại trước %(due)s")
                          if returned else _("Hãy gửi chương trình công tác %(kind)s %(period)s trước %(due)s")) % {
                    "kind": label, "period": period.label, "due": _fmt(due)},
                "body": _("Đơn vị: %(unit)s.") % {"unit": r["unit_name"]}})
        if regular < at < _shift_working_day(regular, cal, 1):  # exactly at the deadline is on time
            rows += _summaries(board, in_force, period, label, regular, at)
    return rows


def _summaries(board: list[dict[str, Any]], in_force: dict[tuple[int, int], Membership], period: Period, label: str,
               regular: dt.datetime, at: dt.datetime) -> list[dict[str, Any]]:
    """After the deadline: to each head/deputy in force, who in their unit's subtree has not submitted
    (none, draft, returned) or is submitted and not yet approved."""
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r["unit_id"] for r in board})}
    rows = []
    for m in in_force.values():
        if m.role not in MANAGER_ROLES or not m.staff.user:
            continue
        mine = [r for r in board if r["deadline_passed"] and r["unit_id"] in units
                and units[r["unit_id"]].path.startswith(m.unit.path) and r["staff_id"] != m.staff_id]
        missing = [r["staff_name"] for r in mine if r["status"] in OPEN_PROGRAM]
        waiting = [r["staff_name"] for r in mine if r["status"] == ProgramStatus.SUBMITTED]
        if not (missing or waiting):
            continue
        body = "\n".join([
            _("Chưa gửi (%(n)s): %(names)s") % {"n": len(missing), "names": ", ".join(missing) or "—"},
            _("Đã gửi, chưa được duyệt (%(n)s): %(names)s") % {"n": len(waiting), "names": ", ".join(waiting) or "—"}])
        rows.append({
            "user": m.staff.user, "key": f"wp:board:{period.label}:{m.unit_id}", "body": body,
            "url": _url("workplans:board"),
            "title": _("%(unit)s: %(n)s người chưa gửi hoặc chưa được duyệt chương trình công tác %(kind)s "
                       "%(period)s (hạn %(due)s)") % {"unit": m.unit.name, "n": len(missing) + len(waiting),
                                                    "kind": label, "period": period.label, "due": _fmt(regular)}})
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
            "url": _url("workplans:item", code=item.code),
            "title": (_("Công việc “%(title)s” đến hạn %(due)s") if kind == "due"
                      else _("Công việc “%(title)s” đã quá hạn (hạn %(due)s)")) % {"title": item.title[:200], "due": due},
            "body": _("Mã công việc: %(code)s.") % {"code": item.code}})
    return rows


def reminders_scan(*, at: dt.datetime | None = None) -> int:
    """Periodic job: send the reminders whose window contains `at` and that were not sent yet."""
    at = at or timezone.now()
    created = _send_many(_program_rows(at) + _item_rows(at), at)
    if created:
        audit_record(action="workplans.reminders", object_type="dossiers.notification", object_id="*", at=at,
                     changes={"created": created})
    return created
