"""Demo work programs: the last three months before the demo day (weeks 2026-W35 … 2026-W48).

A city catalogue (inherited by every unit) with Decree 335 factors; the demo wards (Hoàn Kiếm and
Ba Đình always, more with `scale`) and two departments (Tư pháp, Nội vụ) run a unit program per
month and a personal program per person per week and per month. Most programs are submitted by the
deadline and approved; a few are returned with a comment and resubmitted; a couple of people submit
late; most items are completed on time, some late, some sent back for quality, a few rescheduled
(some with a confirmed objective cause); one-stop officers' items link the dossiers they handled.
This week (W47, the demo day is Friday 20/11 16:30) has programs in every state, next week's are
drafts. Events follow the life cycle and nothing is later than the demo day's `ctx.now`.
Bulk inserts only (≈ 2 s on SQLite).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery

from kycuong.core.audit import audit_record
from kycuong.core.demodata import DemoContext
from kycuong.core.periods import TZ, Period, parse_period, period_containing
from kycuong.dossiers.models import Dossier
from kycuong.org.models import MANAGER_ROLES, Membership, Role, Staff, Unit
from kycuong.workdays.engine import WorkCalendar
from kycuong.workdays.services import calendar_for

from .models import (
    Completion,
    EventType,
    EvidenceKind,
    ItemStatus,
    ItemTemplate,
    ProductType,
    Program,
    ProgramKind,
    ProgramStatus,
    Recurrence,
    WorkItem,
    WorkItemEvent,
    WorkItemEvidence,
)

CATALOGUE = [("TTBC", "Tờ trình, báo cáo", "1.5"), ("VBTL", "Văn bản trả lời", "1.0"),
             ("TTHC", "Hồ sơ TTHC giải quyết", "0.2"), ("KHDA", "Kế hoạch, đề án", "3.0"),
             ("BCDK", "Báo cáo định kỳ", "1.0"), ("HOP", "Họp, hội nghị", "0.5"),
             ("KTXM", "Kiểm tra, xác minh", "1.0"), ("TDTH", "Theo dõi, tổng hợp", "0.5")]
TASKS = {
    "TTBC": ["Tờ trình phê duyệt kế hoạch {x}", "Báo cáo kết quả {x}", "Báo cáo chuyên đề {x}"],
    "VBTL": ["Trả lời kiến nghị của công dân về {x}", "Văn bản trả lời Sở, ngành về {x}"],
    "KHDA": ["Xây dựng kế hoạch {x}", "Đề án {x}"],
    "BCDK": ["Báo cáo tuần về {x}", "Báo cáo tháng về {x}"],
    "HOP": ["Dự họp giao ban về {x}", "Chuẩn bị hội nghị {x}"],
    "KTXM": ["Kiểm tra, xác minh hiện trạng {x}", "Xác minh hồ sơ {x}"],
    "TDTH": ["Tổng hợp số liệu {x}", "Theo dõi tiến độ {x}"],
}
TOPICS = ["cải cách hành chính", "chuyển đổi số", "trật tự xây dựng", "an toàn thực phẩm", "hộ tịch", "đất đai",
          "vệ sinh môi trường", "phòng cháy chữa cháy", "an sinh xã hội", "thu ngân sách", "dân số, gia đình",
          "quản lý đô thị", "giáo dục, y tế", "quốc phòng địa phương"]
RETURN_COMMENTS = ["Bổ sung sản phẩm đầu ra cụ thể cho từng việc", "Hạn hoàn thành chưa phù hợp kế hoạch của đơn vị",
                   "Thiếu nhiệm vụ được giao tại cuộc họp giao ban", "Cần ghi rõ số lượng văn bản dự kiến"]
CAUSES = ["Chờ ý kiến của Sở chuyên ngành", "Thay đổi kế hoạch theo chỉ đạo của UBND thành phố",
          "Cán bộ phối hợp nghỉ ốm", "Chờ số liệu của cơ quan thống kê"]
FAIL_NOTES = ["Số liệu chưa khớp với báo cáo tháng trước", "Chưa đúng thể thức văn bản", "Thiếu phụ lục kèm theo"]
WEEKS = 13
H = dt.timedelta(hours=1)


def _local(day: dt.date, hour: float) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(hours=hour)


class _Builder:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx, self.rng, self.now = ctx, ctx.rng("workplans"), ctx.now
        self.programs: list[Program] = []
        self.items: list[tuple[WorkItem, list[WorkItemEvent], list[WorkItemEvidence], int]] = []  # (item, events, ev, prog#)
        self._calendars: dict[int, WorkCalendar] = {}
        self.per_program: dict[int, int] = {}

    def calendar(self, unit: Unit) -> WorkCalendar:
        if unit.pk not in self._calendars:
            self._calendars[unit.pk] = calendar_for(unit)
        return self._calendars[unit.pk]

    def program(self, *, kind: str, unit: Unit, owner: Staff | None, period: Period, approver: Staff | None,
                late: bool = False, returned: str = "", state: str = "approved", created: dt.datetime) -> int:
        cal = self.calendar(unit)
        day = period.start if period.kind == "week" else cal.next_working_day(period.start - dt.timedelta(days=1))
        if late and period.kind == "month":  # after the 3rd working day (ProgramPolicy default)
            for _n in range(3):
                day = cal.next_working_day(day)
        submitted = _local(day, 7.5 + self.rng.random() * 2.3) if not late else _local(day, 14 + self.rng.random() * 3)
        submitted = max(submitted, created + H)
        p = Program(kind=kind, unit=unit, owner=owner, period=period.label, period_kind=period.kind,
                    period_start=period.start, period_end=period.end, status=ProgramStatus.DRAFT)
        p._demo = {"created": created, "returned": returned, "events": []}  # type: ignore[attr-defined]
        ev: list[tuple[str, dt.datetime, Staff | None, str]] = p._demo["events"]  # type: ignore[attr-defined]
        if state != "draft" and submitted <= self.now:
            ev.append((EventType.SUBMITTED, submitted, owner, ""))
            p.status, p.submitted_at = ProgramStatus.SUBMITTED, submitted
            t = submitted + H * (1 + self.rng.random() * 3)
            if returned and t <= self.now:
                ev.append((EventType.RETURNED, t, approver, returned))
                p.status, p.return_comment = ProgramStatus.RETURNED, returned
                t2 = t + H * (1 + self.rng.random() * 2)
                if state != "returned" and t2 <= self.now:
                    ev.append((EventType.SUBMITTED, t2, owner, ""))
                    p.status, p.submitted_at, t = ProgramStatus.SUBMITTED, t2, t2 + H
            approve_at = t + H * self.rng.random() * 4
            if p.status == ProgramStatus.SUBMITTED and state == "approved" and approve_at <= self.now:
                ev.append((EventType.APPROVED, approve_at, approver, ""))
                p.status, p.approved_at, p.approved_by = ProgramStatus.APPROVED, approve_at, approver
        self.programs.append(p)
        return len(self.programs) - 1

    def item(self, prog_no: int, *, owner: Staff, product: ProductType, title: str, due: dt.datetime,
             quantity: Decimal, head: Staff | None, dossiers: list[Dossier] | None = None,
             parent: WorkItem | None = None) -> WorkItem:
        p = self.programs[prog_no]
        rng, now = self.rng, self.now
        who = owner.code if p.kind == ProgramKind.PERSONAL else p.unit.code
        n = self.per_program[prog_no] = self.per_program.get(prog_no, 0) + 1
        # services.programs.new_item_code's shape; "S" is no hex digit, so never a live suffix
        it = WorkItem(code=f"{p.period}-{who}-S{n:02d}", unit=p.unit, owner=owner, assigned_by=head,
                      title=title, product_type=product, quantity=quantity, weight=quantity * product.factor,
                      first_due_at=due, due_at=due, status=ItemStatus.DRAFT, parent=parent)
        created = p._demo["created"]  # type: ignore[attr-defined]
        events = [WorkItemEvent(type=EventType.CREATED, at=created, actor=owner)]
        events += [WorkItemEvent(type=t, at=at, actor=a, note=n) for t, at, a, n in p._demo["events"]]  # type: ignore[attr-defined]
        it.status = {ProgramStatus.SUBMITTED.value: ItemStatus.SUBMITTED.value, ProgramStatus.RETURNED.value: ItemStatus.RETURNED.value,
                     ProgramStatus.APPROVED.value: ItemStatus.IN_PROGRESS.value}.get(p.status, ItemStatus.DRAFT.value)
        evidence: list[WorkItemEvidence] = []
        if it.status == ItemStatus.IN_PROGRESS:
            start = p.approved_at or created
            roll = rng.random()
            if roll < 0.03:  # rescheduled: a third with a confirmed objective cause
                new_due = it.due_at + dt.timedelta(days=rng.choice([2, 3, 7]))
                at = max(start + H, it.due_at - dt.timedelta(hours=rng.randint(4, 30)))
                if at <= now:
                    cause = rng.random() < 0.4
                    events.append(WorkItemEvent(type=EventType.RESCHEDULED, at=at, actor=owner, new_due_at=new_due,
                                                note=rng.choice(CAUSES), objective_cause=cause))
                    it.due_at, it.reschedules = new_due, 1
                    if cause and at + H * 3 <= now and head:
                        events.append(WorkItemEvent(type=EventType.CAUSE_CONFIRMED, at=at + H * 3, actor=head,
                                                    objective_cause=True))
                        it.objective_cause = True
            late = rng.random() < 0.07
            done_at = (it.due_at + dt.timedelta(hours=rng.randint(3, 60))) if late else \
                (it.due_at - dt.timedelta(hours=rng.randint(1, 40)))
            done_at = max(done_at, start + H)
            if done_at <= now and rng.random() > 0.02:
                events.append(WorkItemEvent(type=EventType.COMPLETED, at=done_at, actor=owner, completion=Completion.DONE,
                                            note="Đã hoàn thành"))
                it.status, it.completion, it.completed_at = ItemStatus.REPORTED, Completion.DONE, done_at
                it.completion_note = "Đã hoàn thành"
                check = done_at + H * rng.randint(2, 20)
                if rng.random() < 0.03 and check <= now and head:  # sent back for quality, then done again
                    events.append(WorkItemEvent(type=EventType.QUALITY_FAILED, at=check, actor=head,
                                                note=rng.choice(FAIL_NOTES)))
                    it.status, it.quality_failures, it.completion, it.completed_at = ItemStatus.IN_PROGRESS, 1, "", None
                    again = check + H * rng.randint(3, 30)
                    if again <= now:
                        events.append(WorkItemEvent(type=EventType.COMPLETED, at=again, actor=owner,
                                                    completion=Completion.DONE, note="Đã chỉnh sửa theo ý kiến"))
                        it.status, it.completion, it.completed_at = ItemStatus.REPORTED, Completion.DONE, again
                        check = again + H * rng.randint(2, 20)
                if it.status == ItemStatus.REPORTED and check <= now and head and rng.random() < 0.92:
                    events.append(WorkItemEvent(type=EventType.ACCEPTED, at=check, actor=head))
                    it.status, it.accepted_at = ItemStatus.ACCEPTED, check
                for d in dossiers or []:
                    evidence.append(WorkItemEvidence(kind=EvidenceKind.DOSSIER, dossier=d, title=d.code, added_by=owner))
        self.items.append((it, events, evidence, prog_no))
        return it

    def save(self) -> tuple[int, int]:
        Program.objects.bulk_create(self.programs, batch_size=1000)
        for it, _ev, _e, prog_no in self.items:
            it.program = self.programs[prog_no]
        WorkItem.objects.bulk_create([it for it, *_r in self.items if it.parent is None], batch_size=1000)
        children = [it for it, *_r in self.items if it.parent is not None]
        for child in children:
            child.parent = child.parent  # the parent has its primary key now
        WorkItem.objects.bulk_create(children, batch_size=1000)
        events, evidence = [], []
        for it, evs, evd, _p in self.items:
            for e in evs:
                e.item = it
                e.recorded_at = e.at
                events.append(e)
            for doc in evd:
                doc.item = it
                evidence.append(doc)
        WorkItemEvent.objects.bulk_create(events, batch_size=2000)
        # auto_now_add stamped the build time: the demo's rows carry the demo's own times instead
        WorkItemEvent.objects.update(recorded_at=F("at"))
        first = WorkItemEvent.objects.filter(item=OuterRef("pk"), type=EventType.CREATED).values("at")[:1]
        WorkItem.objects.update(created_at=Subquery(first), updated_at=Subquery(first))
        Program.objects.update(created_at=F("period_start"))
        WorkItemEvidence.objects.bulk_create(evidence, batch_size=1000)
        return len(self.items), len(events)


def _units() -> list[Unit]:
    codes = ["H26.P04", "H26.P01", "H26.P02", "H26.P03", "H26.STP", "H26.SNV"]
    by_code = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def build(ctx: DemoContext) -> str:
    city = Unit.objects.filter(parent__isnull=True).order_by("pk").first()
    if city is None:
        return "no organisation: skipped"
    ProductType.objects.bulk_create([ProductType(unit=city, code=c, name=n, factor=Decimal(f)) for c, n, f in CATALOGUE])
    products = {p.code: p for p in ProductType.objects.filter(unit=city)}
    units = _units()
    wards = [u for u in units if u.code.startswith("H26.P")]
    keep = max(2, round(len(wards) * min(ctx.scale, 1.0)))
    units = wards[:keep] + [u for u in units if not u.code.startswith("H26.P")]
    b = _Builder(ctx)
    rng, today = b.rng, ctx.today
    this_week = period_containing(today, "week")
    weeks = [parse_period(f"{(this_week.start - dt.timedelta(weeks=n)).isocalendar().year}-W"
                          f"{(this_week.start - dt.timedelta(weeks=n)).isocalendar().week:02d}") for n in range(WEEKS - 1, -1, -1)]
    months = [period_containing(today - dt.timedelta(days=62), "month"), period_containing(today - dt.timedelta(days=31), "month"),
              period_containing(today, "month")]
    # One-stop officers receive the dossiers at their unit's counter: split the week's receipts among them.
    dossiers_of: dict[tuple[int, str], list[Dossier]] = defaultdict(list)
    for d in (Dossier.objects.filter(received_at__gte=weeks[0].start_at, received_at__lt=ctx.now,
                                     received_unit__in=units).only("pk", "code", "received_unit_id", "received_at")
              .order_by("received_at", "pk")):
        assert d.received_at is not None
        dossiers_of[(d.received_unit_id, period_containing(d.received_at.astimezone(TZ).date(), "week").label)].append(d)
    templates = []
    late_people: set[int] = set()
    for unit in units:
        cal = b.calendar(unit)
        members = list(Membership.objects.in_force(today).filter(unit=unit).exclude(role=Role.ADMIN)
                       .select_related("staff").order_by("staff__code"))
        one_stop = [m.staff.pk for m in members if m.role == Role.ONE_STOP_OFFICER]
        heads = [m.staff for m in members if m.role == Role.HEAD] or [m.staff for m in members if m.role in MANAGER_ROLES]
        deputy = next((m.staff for m in members if m.role == Role.DEPUTY), None)
        if not heads:
            continue
        head = heads[0]
        late_people |= {m.staff.pk for m in rng.sample(members, min(1, len(members))) if m.staff != head}
        if any(m.role == Role.ONE_STOP_OFFICER for m in members):
            templates.append(ItemTemplate(unit=unit, role=Role.ONE_STOP_OFFICER, product_type=products["TTHC"],
                                          title="Tiếp nhận, giải quyết hồ sơ TTHC tại Bộ phận một cửa",
                                          quantity=Decimal("30"), recurrence=Recurrence.WEEKLY, weekday=4))
        templates.append(ItemTemplate(unit=unit, owner=deputy or head, product_type=products["BCDK"],
                                      title="Báo cáo công tác tháng", recurrence=Recurrence.MONTHLY, day_of_month=25))
        for month in months:
            first = cal.next_working_day(month.start - dt.timedelta(days=1))
            up = b.program(kind=ProgramKind.UNIT, unit=unit, owner=None, period=month, approver=head,
                           created=_local(month.start - dt.timedelta(days=3), 9))
            unit_items = []
            for n in range(3):
                code = rng.choice(["KHDA", "TTBC", "KTXM"])
                due_day = min(month.end - dt.timedelta(days=1), first + dt.timedelta(days=7 * (n + 1) + rng.randint(0, 5)))
                while not cal.is_working_day(due_day):
                    due_day -= dt.timedelta(days=1)
                unit_items.append(b.item(up, owner=head if n == 0 else (deputy or head), product=products[code],
                                         title=rng.choice(TASKS[code]).format(x=rng.choice(TOPICS)),
                                         due=_local(due_day, 17), quantity=Decimal("1"), head=head))
            for m in members:
                if m.staff == head:
                    continue
                mp = b.program(kind=ProgramKind.PERSONAL, unit=unit, owner=m.staff, period=month, approver=head,
                               late=m.staff.pk in late_people and rng.random() < 0.5,
                               returned=rng.choice(RETURN_COMMENTS) if rng.random() < 0.04 else "",
                               created=_local(month.start - dt.timedelta(days=2), 15))
                parent = rng.choice(unit_items)
                b.item(mp, owner=m.staff, product=parent.product_type, parent=parent, head=head,
                       title=f"Tham gia: {parent.title}", due=parent.due_at, quantity=Decimal("1"))
        for week in weeks:
            is_current = week == this_week
            days = [week.start + dt.timedelta(days=i) for i in range(5) if cal.is_working_day(week.start + dt.timedelta(days=i))]
            if not days:
                continue
            for m in members:
                approver = deputy if m.staff == head and deputy else head
                state, returned = "approved", ""
                roll = rng.random()
                if roll < 0.04:
                    returned = rng.choice(RETURN_COMMENTS)
                if is_current and roll > 0.9:
                    state = rng.choice(["draft", "submitted", "returned"])
                    returned = returned or (rng.choice(RETURN_COMMENTS) if state == "returned" else "")
                late = m.staff.pk in late_people and rng.random() < 0.3
                if is_current and m.staff.pk in late_people:
                    state = "draft"  # the couple of people who have not submitted this week
                wp = b.program(kind=ProgramKind.PERSONAL, unit=unit, owner=m.staff, period=week, approver=approver,
                               late=late, returned=returned, state=state,
                               created=_local(week.start - dt.timedelta(days=3), 15 + rng.random() * 2))
                n_items = rng.randint(3, 5)
                if m.role == Role.ONE_STOP_OFFICER:
                    handled = dossiers_of.get((unit.pk, week.label), [])[one_stop.index(m.staff.pk)::len(one_stop)]
                    b.item(wp, owner=m.staff, product=products["TTHC"], head=approver,
                           title="Tiếp nhận, giải quyết hồ sơ TTHC tại Bộ phận một cửa", due=_local(days[-1], 17),
                           quantity=Decimal(max(len(handled), 5)), dossiers=handled[:5])
                    n_items -= 2
                for _n in range(n_items):
                    code = rng.choice(["TTBC", "VBTL", "VBTL", "BCDK", "HOP", "KTXM", "TDTH"])
                    b.item(wp, owner=m.staff, product=products[code], head=approver,
                           title=rng.choice(TASKS[code]).format(x=rng.choice(TOPICS)),
                           due=_local(rng.choice(days[1:] or days), rng.choice([11, 17, 17])), quantity=Decimal(rng.choice([1, 1, 1, 2, 3])))
        nxt = this_week.next()
        drafting = [m for m in members if m.staff.user_id] + members[: max(1, len(members) // 3)]
        for m in {m.pk: m for m in drafting}.values():  # next week's drafts, made on Friday (demo logins too)
            dp = b.program(kind=ProgramKind.PERSONAL, unit=unit, owner=m.staff, period=nxt, approver=head, state="draft",
                           created=ctx.now - H * 2)
            b.item(dp, owner=m.staff, product=products["VBTL"], head=head, due=_local(nxt.start + dt.timedelta(days=2), 17),
                   title=rng.choice(TASKS["VBTL"]).format(x=rng.choice(TOPICS)), quantity=Decimal("1"))
    n_items, n_events = b.save()
    ItemTemplate.objects.bulk_create(templates)
    audit_record(action="workplans.demo", object_type="workplans.program", object_id="*", at=ctx.now,
                 changes={"programs": len(b.programs), "items": n_items})
    return f"{len(b.programs)} programs, {n_items} items, {n_events} events, {len(units)} units"
