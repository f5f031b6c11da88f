"""Demo dossiers: June → 20 November 2026 for the demo city, built with the same rules as the
services (replay.py: same calendar, cut-off, step plans, supplement shifts, outcomes).

Realism: seasonality (busier before the school year and at year end, quieter in August), busier
Mondays, counter receipts in office hours, ~40 % online where the procedure allows it, ~12 % with a
supplement request (a few with two), ~8 % late (most with an apology letter), a few withdrawn,
refused or stopped, liên thông transfers, returns after the result, and whatever was still in
progress on 20/11 left open — including some overdue ones.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

from django.utils import timezone

from kycuong.core.audit import audit_record
from kycuong.core.demodata import DemoContext
from kycuong.core.periods import TZ
from kycuong.org.models import Membership, Role, Staff, Unit, UnitKind
from kycuong.procedures.models import OnlineLevel, Procedure
from kycuong.workdays.services import calendar_for

from .models import Channel, EventType, FeePayment
from .replay import Built, Ev, Replayer, ReplayError, save_built
from .services import SECRET_ALPHABET, clock_start, code_format, procedure_due_at

START = dt.date(2026, 6, 1)
TARGET = 18_000  # ≈ 14 s on SQLite (indexes make each row cost); scale=2 gives 36,000
MONTH_FACTOR = {6: 0.95, 7: 1.1, 8: 0.8, 9: 0.9, 10: 1.05, 11: 1.2}
WEEKDAY_FACTOR = {0: 1.3, 1: 1.1, 2: 1.0, 3: 1.0, 4: 0.85, 5: 0.6, 6: 0.6}
HOUR = 3600
POPULAR = ("khai sinh", "chứng thực", "kết hôn", "khai tử", "tình trạng hôn nhân", "hộ kinh doanh", "thường trú")
SUPPLEMENT_REASONS = ["Thiếu bản sao giấy chứng sinh", "Tờ khai chưa ghi đủ thông tin", "Thiếu giấy tờ chứng minh nơi cư trú",
                      "Bản vẽ chưa đúng tỷ lệ quy định", "Thiếu văn bản ủy quyền có chứng thực", "Ảnh chụp giấy tờ không rõ"]
APOLOGY_REASONS = ["Cần xác minh thêm thông tin với cơ quan liên quan", "Chờ ý kiến của Sở chuyên ngành",
                   "Khối lượng hồ sơ tăng đột biến", "Cán bộ thụ lý nghỉ ốm đột xuất", "Hệ thống liên thông gặp sự cố"]


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("dossiers")
    procedures = list(Procedure.objects.filter(is_active=True).prefetch_related("units").order_by("code"))
    if not procedures:
        return "no procedures: skipped"
    units = {u.pk: u for u in Unit.objects.all()}
    locals_ = [u for u in units.values() if u.kind in (UnitKind.WARD, UnitKind.COMMUNE)]
    departments = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT]
    reception = [u for u in units.values() if u.kind == UnitKind.RECEPTION_POINT]
    by_unit_role: dict[tuple[int, str], list[Staff]] = defaultdict(list)
    for m in Membership.objects.select_related("staff").filter(staff__is_active=True).order_by("staff__code"):
        by_unit_role[(m.unit_id, m.role)].append(m.staff)

    # Which procedures each unit decides.
    local_procs = [p for p in procedures if not p.units.all() and set(p.deciding_unit_kinds or ["ward", "commune"])
                   & {UnitKind.WARD, UnitKind.COMMUNE}]
    dept_procs: dict[int, list[Procedure]] = defaultdict(list)
    for p in procedures:
        for u in p.units.all():
            dept_procs[u.pk].append(p)
        if not p.units.all() and UnitKind.DEPARTMENT in (p.deciding_unit_kinds or []):
            for d in departments:
                dept_procs[d.pk].append(p)

    def popularity(procs: list[Procedure]) -> list[float]:
        order = list(range(len(procs)))
        rng.shuffle(order)
        weights = []
        for rank, p in zip(order, procs, strict=True):
            w = 1 / (rank + 1) ** 0.7
            if any(k in p.name.lower() for k in POPULAR):
                w *= 6
            if p.online_level != OnlineLevel.NONE:
                w *= 14  # the most used procedures are the ones put online first
            weights.append(w)
        return weights

    local_weights = popularity(local_procs) if local_procs else []
    dept_weights = {uid: popularity(ps) for uid, ps in dept_procs.items()}
    deciders: list[Unit] = []
    weights: list[float] = []
    for u in locals_:
        if local_procs:
            deciders.append(u)
            weights.append({"H26.P04": 5.0, "H26.P01": 3.0}.get(u.code, 0.6 + rng.random()))
    for u in departments:
        if dept_procs.get(u.pk):
            deciders.append(u)
            weights.append({"H26.STP": 14.0}.get(u.code, 3 + 6 * rng.random()))
    if not deciders:
        return "no deciding units: skipped"

    city_cal = calendar_for(None)
    now = ctx.now
    days = [START + dt.timedelta(days=i) for i in range((ctx.today - START).days + 1)]
    day_weights = [MONTH_FACTOR.get(d.month, 1.0) * WEEKDAY_FACTOR[d.weekday()]
                   * (1.0 if city_cal.is_working_day(d) else 0.04) for d in days]
    n = max(int(TARGET * ctx.scale), 1)
    chosen_days = rng.choices(days, weights=day_weights, k=n)
    chosen_units = rng.choices(deciders, weights=weights, k=n)

    from kycuong.org.demo import vietnamese_name

    rr: dict[Any, itertools.count[int]] = defaultdict(itertools.count)

    def pick(pool: list[Staff], key: Any) -> Staff | None:
        return pool[next(rr[key]) % len(pool)] if pool else None

    specs: list[dict[str, Any]] = []
    for day, unit in zip(chosen_days, chosen_units, strict=True):
        if unit.kind == UnitKind.DEPARTMENT:
            procedure = rng.choices(dept_procs[unit.pk], weights=dept_weights[unit.pk])[0]
        else:
            procedure = rng.choices(local_procs, weights=local_weights)[0]
        cal = city_cal  # planning only: replay computes each due date on the deciding unit's own calendar
        online_ok = procedure.online_level != OnlineLevel.NONE
        working = cal.is_working_day(day)
        channel = Channel.ONLINE if (online_ok and (rng.random() < 0.8 or not working)) else Channel.COUNTER
        if channel == Channel.COUNTER and not working:
            continue
        if channel == Channel.COUNTER and rng.random() < 0.03:
            channel = Channel.POST
        if channel == Channel.ONLINE:
            submitted = dt.datetime.combine(day, dt.time(0), tzinfo=TZ) + dt.timedelta(seconds=rng.randint(6 * HOUR, 23 * HOUR))
            received_unit = unit
            received = cal.add_working_seconds(submitted, rng.randint(5 * 60, 5 * HOUR))
        else:
            minute = rng.choice([rng.randint(8 * 60, 11 * 60 + 45), rng.randint(13 * 60, 16 * 60 + 50)])
            received = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=TZ)
            submitted = received
            if unit.kind == UnitKind.DEPARTMENT and reception or reception and rng.random() < 0.15:
                received_unit = reception[rng.randrange(len(reception))]
            else:
                received_unit = unit
        if submitted > now:
            continue
        specs.append({"unit": unit, "procedure": procedure, "channel": channel, "submitted": submitted,
                      "received": received, "received_unit": received_unit, "cal": cal})
    specs.sort(key=lambda s: (s["submitted"], s["unit"].code))

    # The generated history ends at the demo's `now`, which may lie ahead of the real clock.
    replayer = Replayer(now=max(now, timezone.now()))
    replayer.preload_steps(procedures)
    sequences: dict[tuple[int, dt.date], int] = defaultdict(int)
    built: list[Built] = []
    skipped = 0
    transfer_targets = [u for u in departments if u.code in ("H26.STP", "H26.SNNMT", "H26.SXD")] or departments[:1]
    for spec in specs:
        unit, procedure, channel = spec["unit"], spec["procedure"], spec["channel"]
        received_unit, cal = spec["received_unit"], spec["cal"]
        submitted, received = spec["submitted"], spec["received"]
        one_stop = by_unit_role.get((received_unit.pk, Role.ONE_STOP_OFFICER)) or by_unit_role.get((unit.pk, Role.ONE_STOP_OFFICER), [])
        receiver = pick(one_stop, received_unit.pk)
        officers = by_unit_role.get((unit.pk, Role.OFFICER), [])
        heads = by_unit_role.get((unit.pk, Role.HEAD), []) + by_unit_role.get((unit.pk, Role.DEPUTY), [])
        events = _history(rng, cal, procedure, channel, submitted, received, now, receiver, officers, heads,
                          replayer.procedure_steps(procedure), transfer_targets if unit.kind != UnitKind.DEPARTMENT else [])
        if not events:
            continue
        day = submitted.astimezone(TZ).date()
        sequences[(received_unit.pk, day)] += 1
        code = code_format(unit_code=received_unit.code, day=day, number=sequences[(received_unit.pk, day)])
        name, _female = vietnamese_name(rng)
        applicant = {"name": name, "id_number": "0" + "".join(str(rng.randint(0, 9)) for _ in range(11)),
                     "phone": "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))}
        fee = FeePayment.NONE
        if procedure.fee:
            fee = FeePayment.ONLINE if rng.random() < (0.85 if channel == Channel.ONLINE else 0.2) else FeePayment.COUNTER
        finished = any(e.type in (EventType.FINISHED, EventType.RETURNED) for e in events)
        received_ok = any(e.type == EventType.RECEIVED for e in events)
        try:
            built.append(replayer.build(
                code=code, procedure=procedure, unit=unit, received_unit=received_unit, channel=channel,
                fee_payment=fee, applicant=applicant, events=events,
                digitized_input=channel == Channel.ONLINE or rng.random() < 0.75,
                digitized_result=finished and rng.random() < 0.8, synced=received_ok and rng.random() < 0.92,
                secret="".join(rng.choice(SECRET_ALPHABET) for _ in range(8)),
                form_data=_form_data(rng, procedure)))
        except ReplayError:
            skipped += 1
    for start in range(0, len(built), 5000):
        save_built(built[start:start + 5000])
    audit_record(action="dossiers.demo", object_type="dossiers.dossier", object_id="*", changes={"count": len(built)})
    late = sum(1 for b in built if b.dossier.outcome == "late")
    finished_n = sum(1 for b in built if b.dossier.finished_at)
    open_n = sum(1 for b in built if b.dossier.status in ("received", "in_progress", "waiting_supplement"))
    overdue = sum(1 for b in built if b.dossier.status in ("received", "in_progress")
                  and b.dossier.due_at is not None and b.dossier.due_at < now)
    online = sum(1 for b in built if b.dossier.channel == Channel.ONLINE)
    return (f"{len(built)} dossiers ({online * 100 // max(len(built), 1)}% online), {finished_n} finished "
            f"({late * 100 / max(finished_n, 1):.1f}% late), {open_n} open ({overdue} overdue)"
            + (f", {skipped} skipped" if skipped else ""))


def _form_data(rng: Any, procedure: Procedure) -> dict[str, str]:
    out = {}
    for f in procedure.form_fields or []:
        kind = f.get("type", "text")
        if kind == "choice" and f.get("choices"):
            out[f["name"]] = rng.choice(f["choices"])
        elif kind == "date":
            out[f["name"]] = (dt.date(2026, 5, 1) + dt.timedelta(days=rng.randint(0, 180))).isoformat()
        elif kind == "number":
            out[f["name"]] = str(rng.randint(1, 5))
        elif f.get("required"):
            out[f["name"]] = "Đề nghị giải quyết theo quy định"
    return out


def _history(rng: Any, cal: Any, procedure: Procedure, channel: str, submitted: dt.datetime, received: dt.datetime,
             now: dt.datetime, receiver: Staff | None, officers: list[Staff], heads: list[Staff],
             steps: list[Any], transfer_targets: list[Unit]) -> list[Ev]:
    """A plausible event list (chronological); events after `now` are cut off."""
    officer = rng.choice(officers) if officers else None
    head = rng.choice(heads) if heads else officer
    events: list[Ev] = []
    if channel == Channel.ONLINE:
        events.append(Ev(EventType.SUBMITTED, submitted))
        if rng.random() < 0.01:
            events.append(Ev(EventType.REFUSED, received, by=receiver, reason="Hồ sơ không thuộc thẩm quyền giải quyết"))
            return [e for e in events if e.at <= now]
    elif rng.random() < 0.01:
        return [Ev(EventType.REFUSED, received, by=receiver, reason="Thành phần hồ sơ không đầy đủ theo quy định")]
    events.append(Ev(EventType.RECEIVED, received, by=receiver))
    # Due date exactly as the services compute it.
    due = procedure_due_at(procedure=procedure, calendar=cal, at=received)
    start = clock_start(procedure=procedure, calendar=cal, at=received)
    o_start, o_due = cal.ordinal(start), cal.ordinal(due)
    total = max(o_due - o_start, HOUR)
    day_len = cal.day_length
    at_start = (lambda o: cal.from_ordinal(o, at_end=False))  # noqa: E731
    # Supplement requests pause the clock (the ordinal range of the pause is excluded).
    pauses: list[tuple[int, int]] = []
    r = rng.random()
    n_supp = 2 if r < 0.02 else (1 if r < 0.13 else 0)
    cursor = o_start + int(total * rng.uniform(0.1, 0.3))
    for _ in range(n_supp):
        length = rng.randint(1, 6) * day_len + rng.randint(0, 4) * HOUR
        pauses.append((cursor, cursor + length))
        o_due += length
        cursor += length + int(total * rng.uniform(0.1, 0.25))
    # Outcome target: ~8 % late, ~55 % early, the rest on time.
    r = rng.random()
    due_now = cal.from_ordinal(o_due, at_end=True)
    due_day_start = cal.ordinal(cal.day_start(due_now.astimezone(TZ).date()))
    low = max(cursor, o_start + int(total * 0.3))
    if r < 0.075 or (n_supp == 2 and r < 0.3):
        o_finish = o_due + rng.randint(HOUR, 6 * day_len)
    elif r < 0.62 and due_day_start - low > HOUR:
        o_finish = rng.randint(low, due_day_start - 60)
    else:
        o_finish = rng.randint(max(due_day_start, low), max(o_due - 60, max(due_day_start, low)))
    o_finish = max(o_finish, cursor + 60)
    # Hand-overs at the steps' cumulative shares, outside pauses.
    handovers = []
    shares = [float(s.share) for s in steps] or [1.0]
    acc = 0.0
    span = o_finish - o_start
    for share in shares[:-1]:
        acc += share / sum(shares)
        o = o_start + int(span * min(acc * rng.uniform(0.8, 1.1), 0.97))
        for a, b in pauses:
            if a <= o <= b:
                o = b + 120
        handovers.append(o)
    timeline: list[tuple[int, int, Ev]] = []
    for a, b in pauses:
        timeline.append((a, 1, Ev(EventType.SUPPLEMENT_REQUESTED, at_start(a), by=officer,
                                  reason=rng.choice(SUPPLEMENT_REASONS))))
        timeline.append((b, 2, Ev(EventType.SUPPLEMENT_COMPLETED, at_start(b), by=receiver)))
    previous = o_start
    for i, o in enumerate(sorted(handovers)):
        o = max(o, previous + 60)
        previous = o
        to = officer if i == 0 else head
        timeline.append((o, 3, Ev(EventType.HANDED_OVER, at_start(o), by=receiver if i == 0 else officer, to_staff=to)))
        if i == 0 and transfer_targets and rng.random() < 0.02 and not any(a <= o + 120 <= b for a, b in pauses):
            timeline.append((o + 60, 4, Ev(EventType.TRANSFERRED, at_start(o + 60), by=officer,
                                           to_unit=rng.choice(transfer_targets), reason="Chuyển liên thông lấy ý kiến")))
    late = o_finish > o_due
    if late and rng.random() < 0.75:
        o_apology = max(o_due - rng.randint(HOUR, 2 * day_len), o_start + 60)
        if not any(a <= o_apology <= b for a, b in pauses):
            new_due = cal.from_ordinal(max(o_finish, o_due) + rng.randint(day_len // 2, 3 * day_len), at_end=True)
            timeline.append((o_apology, 5, Ev(EventType.APOLOGIZED, at_start(o_apology), by=officer,
                                              new_due_at=new_due, reason=rng.choice(APOLOGY_REASONS))))
    r = rng.random()
    if r < 0.012:
        o_end = o_start + int(span * rng.uniform(0.1, 0.6))
        if not any(a <= o_end <= b for a, b in pauses):
            timeline = [t for t in timeline if t[0] < o_end]
            timeline.append((o_end, 9, Ev(EventType.WITHDRAWN, at_start(o_end), by=receiver,
                                          reason="Công dân có đơn xin rút hồ sơ")))
    elif r < 0.015 and pauses:
        a, _b = pauses[-1]
        timeline = [t for t in timeline if t[0] <= a]
        o_end = a + 15 * day_len
        timeline.append((o_end, 9, Ev(EventType.STOPPED, at_start(o_end), by=head,
                                      reason="Quá thời hạn bổ sung hồ sơ mà công dân không bổ sung")))
    else:
        timeline.append((o_finish, 8, Ev(EventType.FINISHED, at_start(o_finish), by=head)))
        if rng.random() < 0.9:
            o_ret = o_finish + rng.randint(10 * 60, 3 * day_len)
            timeline.append((o_ret, 9, Ev(EventType.RETURNED, at_start(o_ret), by=receiver)))
    timeline.sort(key=lambda t: (t[0], t[1]))
    last = received
    for _o, _k, ev in timeline:
        if ev.at <= last:
            ev.at = last + dt.timedelta(minutes=1)
        last = ev.at
        events.append(ev)
    return [e for e in events if e.at <= now]

