"""Bulk replay of dossier histories: the services' rules, without per-row queries.

Imports (`interchange.py`) and the demo generator (`demo.py`) describe each dossier as a list of
events; `Replayer.build` applies them in order through the one state machine (`lifecycle.py`: the
same transition functions the services apply to locked rows, here on unsaved objects) with the
services' pure helpers for planning (due dates from the deciding unit's calendar with the cut-off,
step plans) and returns unsaved rows that `save_built` writes in bulk. Event times come from the
history, bounded: in order, and never after the server's now plus the tolerance.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.interchange import clock_tolerance
from kycuong.org.models import Membership, Role, Staff, Unit
from kycuong.org.selectors import membership_in_force
from kycuong.procedures.models import Procedure, ProcedureStep
from kycuong.workdays.services import calendar_for

from . import lifecycle
from .models import (
    Dossier,
    DossierEvent,
    DossierSequence,
    DossierStep,
    EventSource,
    StepStatus,
)
from .services import clock_start, local_day, procedure_due_at, secret_new, step_plans, warn_at_for

CODE_RE = re.compile(r"^(?P<unit>.+)-(?P<day>\d{6})-(?P<n>\d{4,})$")


_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], dict[str, str]]] = {}


def _new(model: type[models.Model], **values: Any) -> Any:
    """A model instance without Model.__init__ (a hot path: tens of thousands of rows): defaults
    from the field definitions; foreign keys set as `<name>_id` plus the related-object cache,
    exactly what the descriptor would do, minus its per-call router checks."""
    meta = _DEFAULTS.get(model)
    if meta is None:
        defaults = {f.attname: (f.get_default() if f.has_default() or not f.null else None)
                    for f in model._meta.concrete_fields}
        defaults["id"] = None
        fks = {f.name: f.attname for f in model._meta.concrete_fields if f.is_relation}
        meta = _DEFAULTS[model] = (defaults, fks)
    defaults, fks = meta
    obj = model.__new__(model)
    state = obj._state = ModelState()
    d = obj.__dict__
    d.update(defaults)
    for key in ("form_data", "data"):
        if key in d:
            d[key] = {}
    cache = state.fields_cache
    for key, value in values.items():
        attname = fks.get(key)
        if attname is not None:
            d[attname] = value.pk if value is not None else None
            cache[key] = value
        else:
            d[key] = value
    return obj


class ReplayError(ValueError):
    def __init__(self, message: str, *, index: int | None = None):
        super().__init__(message)
        self.message = message
        self.index = index


@dataclass
class Ev:
    type: str
    at: dt.datetime
    by: Staff | None = None
    to_unit: Unit | None = None
    to_staff: Staff | None = None
    new_due_at: dt.datetime | None = None
    reason: str = ""


@dataclass
class Built:
    dossier: Dossier
    steps: list[DossierStep] = field(default_factory=list)
    events: list[tuple[DossierEvent, int | None]] = field(default_factory=list)  # (event, step order)


class Replayer:
    """Caches calendars, procedure steps, step units and staff so each dossier costs no query."""

    def __init__(self, *, now: dt.datetime | None = None) -> None:
        #: The server's time when the history is replayed: every event is recorded then
        #: (`recorded_at`, source "imported") and none may lie after it plus the tolerance.
        self.now = now or timezone.now()
        self.latest = self.now + clock_tolerance()
        self._calendars: dict[int, Any] = {}
        self._steps: dict[int, list[ProcedureStep]] = {}
        self._children: dict[tuple[int, str], Unit] = {}
        self._staff: dict[tuple[int, str], list[tuple[Staff, dt.date | None, dt.date | None]]] | None = None
        self._rr: dict[tuple[int, str], int] = defaultdict(int)
        self._units: dict[int, Unit] | None = None
        self._custom: set[int] | None = None

    def calendar(self, unit: Unit) -> Any:
        """calendar_for(unit), shared with the city calendar when neither the unit nor an ancestor
        has its own sessions or overrides (the calendars are then identical)."""
        cal = self._calendars.get(unit.pk)
        if cal is None:
            if self._custom is None:
                from kycuong.workdays.models import CalendarOverride, WorkingSession

                self._custom = set(WorkingSession.objects.values_list("unit_id", flat=True).distinct())
                self._custom |= set(CalendarOverride.objects.filter(unit__isnull=False)
                                    .values_list("unit_id", flat=True).distinct())
            if self._custom & {*unit.ancestor_ids, unit.pk}:
                cal = calendar_for(unit)
            else:
                cal = self._calendars.get(0) or calendar_for(None)
                self._calendars[0] = cal
            self._calendars[unit.pk] = cal
        return cal

    def procedure_steps(self, procedure: Procedure) -> list[ProcedureStep]:
        steps = self._steps.get(procedure.pk)
        if steps is None:
            steps = self._steps[procedure.pk] = list(ProcedureStep.objects.filter(procedure=procedure).order_by("order"))
        return steps

    def preload_steps(self, procedures: Iterable[Procedure]) -> None:
        ids = [p.pk for p in procedures if p.pk not in self._steps]
        grouped: dict[int, list[ProcedureStep]] = defaultdict(list)
        for s in ProcedureStep.objects.filter(procedure_id__in=ids).order_by("procedure_id", "order"):
            grouped[s.procedure_id].append(s)
        for pid in ids:
            self._steps[pid] = grouped.get(pid, [])

    def _unit_index(self) -> dict[int, Unit]:
        if self._units is None:
            self._units = {u.pk: u for u in Unit.objects.all()}
        return self._units

    def step_unit(self, kind: str, unit: Unit, received_unit: Unit) -> Unit:
        if not kind or kind == unit.kind:
            return unit
        if kind == received_unit.kind:
            return received_unit
        key = (unit.pk, kind)
        if key not in self._children:
            found = sorted((u for u in self._unit_index().values() if u.path.startswith(unit.path) and u.kind == kind),
                           key=lambda u: (u.depth, u.pk))
            self._children[key] = found[0] if found else unit
        return self._children[key]

    def _staff_index(self) -> dict[tuple[int, str], list[tuple[Staff, dt.date | None, dt.date | None]]]:
        """Memberships with their dates: history is replayed with the memberships in force on the
        event's day, not today's (a person who left since still received the dossiers of their time)."""
        if self._staff is None:
            self._staff = defaultdict(list)
            self._members: dict[tuple[int, int], list[tuple[dt.date | None, dt.date | None]]] = defaultdict(list)
            rows = (Membership.objects.filter(Q(staff__is_active=True) | Q(active_to__isnull=False))
                    .select_related("staff").order_by("staff_id"))
            for m in rows:
                self._staff[(m.unit_id, m.role)].append((m.staff, m.active_from, m.active_to))
                self._members[(m.staff_id, m.unit_id)].append((m.active_from, m.active_to))
        return self._staff

    def is_member(self, staff: Staff, unit: Unit, *, on: dt.date) -> bool:
        self._staff_index()
        return any(membership_in_force(start, end, on) for start, end in self._members.get((staff.pk, unit.pk), ()))

    def assignee(self, unit: Unit, role: str, *, on: dt.date) -> Staff | None:
        index = self._staff_index()
        roles = [role or Role.OFFICER]
        if role == Role.HEAD:
            roles = [Role.HEAD, Role.DEPUTY]
        pool = [staff for r in roles for staff, start, end in index.get((unit.pk, r), [])
                if membership_in_force(start, end, on)]
        if not pool:
            return None
        key = (unit.pk, role)
        self._rr[key] += 1
        return pool[(self._rr[key] - 1) % len(pool)]

    # --- one dossier ---------------------------------------------------------------------
    def build(self, *, code: str, procedure: Procedure, unit: Unit, received_unit: Unit, channel: str,
              fee_payment: str, applicant: dict[str, str], events: list[Ev], due_at: dt.datetime | None = None,
              digitized_input: bool = False, digitized_result: bool = False, synced: bool = False,
              rating: str = "", complained: bool = False, secret: str | None = None,
              form_data: dict[str, Any] | None = None) -> Built:
        d = _new(Dossier, code=code, procedure=procedure, unit=unit, received_unit=received_unit, current_unit=received_unit,
                    channel=channel, applicant_name=applicant.get("name", ""),
                    applicant_id_number=applicant.get("id_number", "") or "", applicant_phone=applicant.get("phone", "") or "",
                    applicant_email=applicant.get("email", "") or "", applicant_address=applicant.get("address", "") or "",
                    form_data=form_data or {}, secret=secret or secret_new(), fee_amount=procedure.fee,
                    fee_payment=fee_payment, digitized_input=digitized_input, digitized_result=digitized_result,
                    synced=synced, latest_rating=rating or "", complained=complained, status="")
        built = Built(d)
        cal = self.calendar(unit)
        steps: list[DossierStep] = []
        previous_at: dt.datetime | None = None
        for i, ev in enumerate(events):
            if previous_at is not None and ev.at < previous_at:
                raise ReplayError(_("Sự kiện phải theo thứ tự thời gian."), index=i)
            if ev.at > self.latest:
                raise ReplayError(_("Thời điểm %(at)s ở sau thời điểm hiện tại của máy chủ.")
                                  % {"at": ev.at.astimezone(_HANOI).isoformat()}, index=i)
            previous_at = ev.at
            self._apply(d, built, steps, ev, i, cal, due_at)
        if not d.status:
            raise ReplayError(_("Hồ sơ phải có sự kiện tiếp nhận, nộp trực tuyến hoặc từ chối."))
        d.version = len(events)
        built.steps = steps
        return built

    def _bad(self, d: Dossier, ev: Ev, i: int) -> ReplayError:
        return ReplayError(_("Sự kiện “%(type)s” không hợp lệ khi hồ sơ đang ở trạng thái “%(status)s”.")
                           % {"type": ev.type, "status": d.status or "—"}, index=i)

    def _event(self, built: Built, ev: Ev, step_order: int | None = None, **kw: Any) -> None:
        built.events.append((_new(DossierEvent, type=ev.type, at=ev.at, recorded_at=self.now, source=EventSource.IMPORTED,
                                  actor=ev.by, reason=ev.reason, **kw), step_order))

    def _apply(self, d: Dossier, built: Built, steps: list[DossierStep], ev: Ev, i: int, cal: Any,
               due_at: dt.datetime | None) -> None:
        """One event of the history: the state machine's transition (`lifecycle`) on the in-memory
        dossier and steps, then the event row. An event the table does not allow is the line's error."""
        action = lifecycle.action_for_event(ev.type, d.status)
        if action is None:
            raise ReplayError(_("Loại sự kiện không hợp lệ: %(type)s") % {"type": ev.type}, index=i)
        if action == "return" and lifecycle.allowed("finish", d.status):
            # interchange.md: without a `finished` event the finish moment is the return.
            self._finish(d, steps, ev, cal, i)
        if not lifecycle.allowed(action, d.status):
            raise self._bad(d, ev, i)
        if action == "submit":
            lifecycle.submit(d, at=ev.at)
            self._event(built, ev, to_unit=d.unit)
        elif action in ("receive", "accept"):
            self._receive(d, steps, ev, cal, due_at, action)
            self._event(built, ev, to_unit=d.unit, to_staff=d.accountable, new_due_at=d.due_at)
        elif action in ("refuse_intake", "refuse"):
            lifecycle.refuse(d, action=action, at=ev.at)
            self._event(built, ev)
        elif action == "hand_over":
            try:
                active, nxt = lifecycle.hand_over(d, steps, at=ev.at, to_staff=ev.to_staff)
            except lifecycle.NoNextStep:
                raise ReplayError(_("Không còn bước tiếp theo để chuyển."), index=i) from None
            self._event(built, ev, active.order, from_unit=active.unit, to_unit=nxt.unit, from_staff=active.assignee,
                        to_staff=nxt.assignee, data={"outcome": active.outcome, "from_step": active.order,
                                                     "to_step": nxt.order})
        elif action == "transfer":
            if ev.to_unit is None:
                raise self._bad(d, ev, i)
            from_unit = d.current_unit
            current = lifecycle.active_step(steps)
            assignee = ev.to_staff or (self.assignee(ev.to_unit, current.role or Role.OFFICER, on=local_day(ev.at))
                                         if current else None)
            step = lifecycle.transfer(d, steps, to_unit=ev.to_unit, assignee=assignee)
            self._event(built, ev, step.order if step else None, from_unit=from_unit, to_unit=ev.to_unit,
                        to_staff=step.assignee if step else ev.to_staff)
        elif action == "request_supplement":
            lifecycle.request_supplement(d, at=ev.at)
            self._event(built, ev, data={"supplement_count": d.supplement_count})
        elif action == "complete_supplement":
            before = d.paused_seconds
            lifecycle.complete_supplement(d, steps, at=ev.at, calendar=cal)
            self._event(built, ev, new_due_at=d.due_at, data={"paused_seconds": d.paused_seconds - before})
        elif action == "apologize":
            if ev.new_due_at is None or not lifecycle.apologize(d, at=ev.at, new_due_at=ev.new_due_at):
                raise ReplayError(_("Ngày hẹn mới phải sau ngày hẹn hiện tại và sau thời điểm xin lỗi."), index=i)
            self._event(built, ev, new_due_at=ev.new_due_at)
        elif action == "finish":
            self._finish(d, steps, ev, cal, i)
            self._event(built, ev, data={"outcome": d.outcome})
        elif action == "return":
            lifecycle.return_result(d, at=ev.at)
            self._event(built, ev)
        elif action in ("withdraw", "stop"):
            lifecycle.close(d, steps, action=action, at=ev.at, calendar=cal)
            self._event(built, ev)
        else:  # assign / reassign: not part of the interchange format
            raise ReplayError(_("Loại sự kiện không hợp lệ: %(type)s") % {"type": ev.type}, index=i)

    def _receive(self, d: Dossier, steps: list[DossierStep], ev: Ev, cal: Any, due_at: dt.datetime | None,
                 action: str) -> None:
        procedure = d.procedure
        if due_at is None:
            due_at = procedure_due_at(procedure=procedure, calendar=cal, at=ev.at)
        start = clock_start(procedure=procedure, calendar=cal, at=ev.at)
        plans = step_plans(procedure=procedure, steps=self.procedure_steps(procedure), calendar=cal, start=start,
                           due_at=due_at)
        total = sum(p.allotted_seconds for p in plans)
        for plan in plans:
            unit = self.step_unit(plan.unit_kind, d.unit, d.received_unit)
            assignee = None
            if plan.order == 1 and ev.by is not None and (plan.role in ("", Role.ONE_STOP_OFFICER)
                                                          or self.is_member(ev.by, unit, on=local_day(ev.at))):
                assignee = ev.by
            if assignee is None:
                assignee = self.assignee(unit, plan.role, on=local_day(ev.at))
            steps.append(_new(DossierStep, order=plan.order, name=plan.name, role=plan.role, unit=unit, assignee=assignee,
                                     allotted_seconds=plan.allotted_seconds, due_at=plan.due_at,
                                     status=StepStatus.ACTIVE if plan.order == 1 else StepStatus.PENDING,
                                     started_at=ev.at if plan.order == 1 else None,
                                     warn_at=warn_at_for(calendar=cal, due_at=plan.due_at,
                                                         total_seconds=plan.allotted_seconds)))
        main = next((s for s in steps if s.role == Role.OFFICER and s.assignee is not None), None)
        lifecycle.receive(d, action=action, at=ev.at, due_at=due_at,
                          warn_at=warn_at_for(calendar=cal, due_at=due_at, total_seconds=total),
                          accountable=main.assignee if main else (ev.by or next((s.assignee for s in steps if s.assignee),
                                                                                None)),
                          current_unit=steps[0].unit if steps else d.unit)

    def _finish(self, d: Dossier, steps: list[DossierStep], ev: Ev, cal: Any, i: int) -> None:
        if d.due_at is None or d.received_at is None:  # set by `received`: the callers checked the status
            raise self._bad(d, ev, i)
        lifecycle.finish(d, steps, at=ev.at, calendar=cal,
                         clock_start=clock_start(procedure=d.procedure, calendar=cal, at=d.received_at))


_HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
_SEVEN_HOURS = dt.timedelta(hours=7)


def _sqlite_datetime(value: dt.datetime) -> str:
    """Django's SQLite storage of an aware datetime: naive UTC text (Hanoi is a fixed +07:00)."""
    if value.tzinfo is _HANOI:
        return str(value.replace(tzinfo=None) - _SEVEN_HOURS)
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def _json_dumps(value: Any) -> str:
    return json.dumps(value)


def _reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """Primary keys for `n` new rows: from the sequence on PostgreSQL; after MAX(id) on SQLite,
    whose IMMEDIATE transactions already hold the write lock."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608 - table name from the model
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + n))


def _fast_insert(model: type[models.Model], rows: list[Any], *, batch_size: int = 2000) -> None:
    """INSERT with executemany and values prepared once per column kind — Django's bulk_create
    spends most of its time compiling SQL per value; this writes the same columns and values."""
    if not rows:
        return
    ids = _reserve_ids(model, len(rows))
    for obj, pk in zip(rows, ids, strict=True):
        obj.id = pk
    fields = model._meta.concrete_fields
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    converters: list[tuple[str, Any]] = []
    for f in fields:
        internal = f.get_internal_type()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in rows:
                obj.__dict__[f.attname] = now
        if internal == "DateTimeField":
            converters.append((f.attname, _sqlite_datetime if sqlite else None))
        elif internal == "DateField":
            converters.append((f.attname, connection.ops.adapt_datefield_value))
        elif internal == "JSONField":
            converters.append((f.attname, _json_dumps if sqlite else (lambda v, f=f: f.get_db_prep_save(v, connection))))
        else:
            converters.append((f.attname, None))
    table = model._meta.db_table
    # concrete fields always have a column; django-stubs types Field.column as optional
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # type: ignore[arg-type]
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(table)} ({columns}) VALUES ({marks})"  # noqa: S608
    getter = itemgetter(*[name for name, _conv in converters])
    convert = [(i, conv) for i, (_name, conv) in enumerate(converters) if conv is not None]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            params = []
            for obj in rows[start:start + batch_size]:
                row = list(getter(obj.__dict__))
                for i, conv in convert:
                    if row[i] is not None:
                        row[i] = conv(row[i])
                params.append(row)
            cursor.executemany(sql, params)


def save_built(items: list[Built], *, batch_size: int = 2000) -> int:
    """Write replayed dossiers with their steps and events (caller holds the transaction), and
    raise the code sequences so later receipts continue after the imported numbers."""
    if not items:
        return 0
    _fast_insert(Dossier, [b.dossier for b in items], batch_size=batch_size)
    all_steps = []
    for b in items:
        for s in b.steps:
            s.dossier_id = b.dossier.pk
            all_steps.append(s)
    _fast_insert(DossierStep, all_steps, batch_size=batch_size)
    all_events = []
    for b in items:
        by_order = {s.order: s for s in b.steps}
        for e, order in b.events:
            e.dossier_id = b.dossier.pk
            if order is not None and order in by_order:
                e.step_id = by_order[order].pk
            all_events.append(e)
    _fast_insert(DossierEvent, all_events, batch_size=batch_size)
    sequences_raise([b.dossier for b in items])
    return len(items)


def sequences_raise(dossiers: Iterable[Dossier]) -> None:
    """DossierSequence.last ≥ the highest imported number per (receiving unit, day)."""
    top: dict[tuple[int, dt.date], int] = {}
    for d in dossiers:
        m = CODE_RE.match(d.code)
        if not m or m["unit"] != d.received_unit.code:
            continue
        try:
            day = dt.datetime.strptime(m["day"], "%y%m%d").date()
        except ValueError:
            continue
        key = (d.received_unit_id, day)
        top[key] = max(top.get(key, 0), int(m["n"]))
    if not top:
        return
    existing = {(s.unit_id, s.day): s for s in DossierSequence.objects.filter(
        unit_id__in={k[0] for k in top}, day__in={k[1] for k in top})}
    new = []
    for (unit_id, day), n in top.items():
        seq = existing.get((unit_id, day))
        if seq is None:
            new.append(_new(DossierSequence, unit_id=unit_id, day=day, last=n))
        elif seq.last < n:
            DossierSequence.objects.filter(pk=seq.pk, last__lt=n).update(last=n)
    _fast_insert(DossierSequence, new)

