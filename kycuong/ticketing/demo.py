"""Demo service halls: areas and counters at the 12 reception points of the service centre and at a
few wards/communes, officers at the counters, one day (ctx.today) of queue tickets simulated from
08:00 to 16:30 (morning and early-afternoon peaks, green-channel tickets, no-shows, people
still waiting or being served at 16:30), a paired kiosk and counter tablets.

Demo device tokens are derived from the demo seed (so `kycuong demo` prints the same ones every
time); real tokens are random. Tickets are bulk-created without per-ticket audit events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
import secrets
from collections import defaultdict
from typing import Any

from django.db.models import F

from kycuong.core.demodata import DemoContext
from kycuong.core.periods import TZ
from kycuong.core.text import fold
from kycuong.org.models import Membership, Role, Staff, Unit, UnitKind

from .models import Counter, Device, DeviceKind, Priority, ServiceArea, Ticket, TicketSequence, TicketStatus
from .services import ticket_code

WARD_HALLS = ["H26.P04", "H26.P01", "H26.P10", "H26.X01", "H26.X20"]
RP_AREAS = [("A", "Hộ tịch, chứng thực", ("ho tich", "chung thuc"), 7),
            ("B", "Đất đai, xây dựng", ("dat dai", "xay dung"), 14),
            ("C", "Đăng ký kinh doanh, đầu tư", ("kinh doanh", "dau tu"), 11),
            ("D", "Lao động, xã hội, các lĩnh vực khác", ("lao dong", "xa hoi"), 9)]
WARD_AREAS = [("A", "Hộ tịch, chứng thực", ("ho tich", "chung thuc"), 6),
              ("B", "Đất đai, xây dựng", ("dat dai", "xay dung"), 12),
              ("C", "Các lĩnh vực khác", ("lao dong", "xa hoi"), 8)]
#: Counter → areas it serves (letters), per hall kind.
RP_COUNTERS = [("A",), ("A", "C"), ("B",), ("B", "D"), ("C", "D", "A")]
WARD_COUNTERS = [("A",), ("A", "B", "C"), ("B", "C")]
#: Relative arrivals per half hour from 08:00 (peaks at 8:30–10:00 and 14:00–15:00).
ARRIVALS = [0.9, 1.4, 1.5, 1.3, 1.0, 0.8, 0.6, 0.3, 0.0, 0.0, 0.7, 1.2, 1.3, 1.0, 0.8, 0.6, 0.3]
PRIORITIES = [Priority.ELDERLY] * 5 + [Priority.DISABLED, Priority.PREGNANT, Priority.PREGNANT, Priority.MERIT]


def demo_token(ctx: DemoContext, name: str) -> str:
    return "kd_demo_" + hashlib.sha256(f"{ctx.seed}:{name}".encode()).hexdigest()[:24]


def _sector_for(keywords: tuple[str, ...]) -> Any:
    from kycuong.procedures.models import Sector

    for s in Sector.objects.all().only("id", "name"):
        name = fold(s.name)
        if any(k in name for k in keywords):
            return s
    return None


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("ticketing")
    units = list(Unit.objects.filter(kind=UnitKind.RECEPTION_POINT).order_by("code"))
    units += list(Unit.objects.filter(code__in=WARD_HALLS).order_by("code"))
    if not units:
        return "no reception points: skipped"
    officers: dict[int, list[Staff]] = defaultdict(list)
    for m in (Membership.objects.filter(unit__in=units, role=Role.ONE_STOP_OFFICER).select_related("staff")
              .order_by(F("staff__user_id").desc(nulls_last=True), "staff__code")):
        officers[m.unit_id].append(m.staff)
    sectors = {letter: _sector_for(keys) for letter, _n, keys, _m in RP_AREAS}

    areas: dict[int, dict[str, ServiceArea]] = {}
    area_rows = []
    for unit in units:
        spec = RP_AREAS if unit.kind == UnitKind.RECEPTION_POINT else WARD_AREAS
        for order, (letter, name, keys, minutes) in enumerate(spec, start=1):
            area_rows.append(ServiceArea(unit=unit, letter=letter, name=name, order=order, default_service_minutes=minutes,
                                         sector=sectors.get(letter) if keys else None))
    ServiceArea.objects.bulk_create(area_rows)
    for a in ServiceArea.objects.filter(unit__in=units):
        areas.setdefault(a.unit_id, {})[a.letter] = a

    staffed_since = dt.datetime.combine(ctx.today, dt.time(7, 45), tzinfo=TZ)
    counter_specs: list[tuple[Unit, int, tuple[str, ...], Staff | None]] = []
    for unit in units:
        counter_spec = RP_COUNTERS if unit.kind == UnitKind.RECEPTION_POINT else WARD_COUNTERS
        staff = officers.get(unit.pk, [])
        for i, letters in enumerate(counter_spec, start=1):
            counter_specs.append((unit, i, letters, staff[i - 1] if i - 1 < len(staff) else None))
    Counter.objects.bulk_create([Counter(unit=u, number=n, staff=s, staffed_since=staffed_since if s else None)
                                 for u, n, _l, s in counter_specs])
    counters = {(c.unit_id, c.number): c for c in Counter.objects.filter(unit__in=units)}
    through = Counter.areas.through
    through.objects.bulk_create([through(counter_id=counters[(u.pk, n)].pk, servicearea_id=areas[u.pk][letter].pk)
                                 for u, n, letters, _s in counter_specs for letter in letters])

    tickets: list[Ticket] = []
    for unit in units:
        tickets.extend(_simulate_day(ctx, rng, unit, areas[unit.pk],
                                     [(counters[(u.pk, n)], letters, s) for u, n, letters, s in counter_specs if u.pk == unit.pk]))
    Ticket.objects.bulk_create(tickets, batch_size=1000)
    last: dict[int, int] = defaultdict(int)
    for t in tickets:
        last[t.issued_area_id] = max(last[t.issued_area_id], t.number or 0)
    TicketSequence.objects.bulk_create([TicketSequence(area_id=a, day=ctx.today, last=n) for a, n in last.items()])
    linked = _link_dossiers(ctx, units, tickets)

    # Paired devices: a kiosk per hall, a tablet per counter. Two demo tokens are printed.
    devices = []
    printed: dict[str, str] = {}
    for unit in units:
        raw = demo_token(ctx, f"kiosk:{unit.code}")
        devices.append(Device(kind=DeviceKind.KIOSK, unit=unit, name=f"Máy lấy số – {unit.name}", prefix=raw[:10],
                              digest=Device.hash(raw)))
        if unit.code == "H26.TTPVHCC.01":
            printed["kiosk"] = raw
    for (unit_id, number), counter in sorted(counters.items()):
        raw = demo_token(ctx, f"tablet:{unit_id}:{number}")
        unit = next(u for u in units if u.pk == unit_id)
        devices.append(Device(kind=DeviceKind.TABLET, unit_id=unit_id, counter=counter, name=f"Máy đánh giá quầy {number}",
                              prefix=raw[:10], digest=Device.hash(raw)))
        if unit.code == "H26.TTPVHCC.01" and number == 1:
            printed["tablet"] = raw
    Device.objects.bulk_create(devices)
    ctx.extra["ticketing_tokens"] = printed
    base = "/thiet-bi/ghep-noi/?t="
    return (f"{len(units)} halls, {len(counters)} counters, {len(tickets)} tickets on {ctx.today:%d/%m} "
            f"({linked} linked to dossiers); "
            f"H26.TTPVHCC.01 kiosk {base}{printed.get('kiosk', '')} tablet (quầy 1) {base}{printed.get('tablet', '')}; "
            f"board /man-hinh/H26.TTPVHCC.01/")


def _link_dossiers(ctx: DemoContext, units: list[Unit], tickets: list[Ticket]) -> int:
    """Tie the counter dossiers received today at each hall to the ticket served when they came in."""
    from kycuong.dossiers.models import Channel, Dossier

    day_start = dt.datetime.combine(ctx.today, dt.time(0), tzinfo=TZ)
    dossiers = defaultdict(list)
    for d in (Dossier.objects.filter(received_unit__in=units, channel=Channel.COUNTER, received_at__gte=day_start,
                                     received_at__lt=day_start + dt.timedelta(days=1))
              .only("id", "received_unit_id", "received_at").order_by("received_at")):
        dossiers[d.received_unit_id].append(d)
    done = defaultdict(list)
    for t in tickets:
        if t.status == TicketStatus.DONE:
            done[t.unit_id].append(t)
    changed = []
    for unit_id, items in dossiers.items():
        free = sorted(done.get(unit_id, []), key=lambda t: t.finished_at or day_start)
        for d in items:
            at = d.received_at or day_start
            match = next((t for t in free if t.serving_started_at and t.finished_at
                          and t.serving_started_at <= at <= t.finished_at + dt.timedelta(minutes=30)), None)
            match = match or next((t for t in free if t.finished_at and t.finished_at >= at), None)
            if match is None:
                continue
            free.remove(match)
            match.dossier_id = d.pk
            changed.append(match)
    Ticket.objects.bulk_update(changed, ["dossier"], batch_size=1000)
    return len(changed)


def _simulate_day(ctx: DemoContext, rng: Any, unit: Unit, areas: dict[str, ServiceArea],
                  counters: list[tuple[Counter, tuple[str, ...], Staff | None]]) -> list[Ticket]:
    """A queue simulation: arrivals by half hour, each staffed counter takes the next ticket of its
    areas (green channel first), service times around the area's average, ~5 % no-shows."""
    day_start = dt.datetime.combine(ctx.today, dt.time(8, 0), tzinfo=TZ)
    now = ctx.now
    scale = (1.0 if unit.kind == UnitKind.RECEPTION_POINT else 0.55) * ctx.scale
    letters = list(areas)
    weights = [0.4, 0.25, 0.2, 0.15][:len(letters)]
    arrivals: list[tuple[dt.datetime, str, str]] = []
    for slot, rate in enumerate(ARRIVALS):
        n = int(rng.gauss(rate * 9 * scale, 1.5)) if rate else 0
        for _ in range(max(0, n)):
            at = day_start + dt.timedelta(minutes=30 * slot + rng.uniform(0, 30))
            if at >= now:
                continue
            letter = rng.choices(letters, weights=weights)[0]
            priority = rng.choice(PRIORITIES) if rng.random() < 0.08 else Priority.NONE
            arrivals.append((at, letter, priority))
    arrivals.sort()
    numbers: dict[str, int] = defaultdict(int)
    tickets: list[Ticket] = []
    for at, letter, priority in arrivals:
        numbers[letter] += 1
        area = areas[letter]
        tickets.append(Ticket(unit=unit, issued_area=area, area=area, day=ctx.today, number=numbers[letter],
                              code=ticket_code(letter, numbers[letter]), public_token=secrets.token_urlsafe(12),
                              priority=priority, is_priority=priority != Priority.NONE, issued_at=at, queued_at=at,
                              status=TicketStatus.WAITING))
    # Event simulation: counters become free; each takes the best waiting ticket of its areas.
    free: list[tuple[dt.datetime, int]] = [(day_start, i) for i, (_c, _l, s) in enumerate(counters) if s is not None]
    heapq.heapify(free)
    pending = list(tickets)
    while free and pending:
        t_free, i = heapq.heappop(free)
        counter, served_letters, staff = counters[i]
        candidates = [t for t in pending if t.area.letter in served_letters]
        if not candidates:
            continue
        ready = [t for t in candidates if t.issued_at <= t_free]
        if ready:
            ticket = min(ready, key=lambda t: (not t.is_priority, t.queued_at))
            call_at = t_free
        else:
            ticket = min(candidates, key=lambda t: t.issued_at)
            call_at = ticket.issued_at + dt.timedelta(seconds=rng.uniform(5, 40))
        if call_at >= now:
            continue
        pending.remove(ticket)
        ticket.status = TicketStatus.CALLED
        ticket.counter = counter
        ticket.officer = staff
        ticket.called_at = ticket.first_called_at = call_at
        ticket.call_count = 1
        ticket.wait_seconds = int((call_at - ticket.issued_at).total_seconds())
        if rng.random() < 0.05:
            ticket.call_count = 2
            ticket.called_at = call_at + dt.timedelta(minutes=1)
            end = call_at + dt.timedelta(minutes=2)
            if end <= now:
                ticket.status = TicketStatus.NO_SHOW
                ticket.finished_at = end
            heapq.heappush(free, (end, i))
            continue
        minutes = max(1.5, rng.lognormvariate(math.log(ticket.area.default_service_minutes), 0.45))
        start = call_at + dt.timedelta(seconds=rng.uniform(20, 70))
        end = start + dt.timedelta(minutes=minutes)
        ticket.serving_started_at = start if start <= now else None
        if start <= now:
            ticket.status = TicketStatus.SERVING
        if end <= now:
            ticket.status = TicketStatus.DONE
            ticket.finished_at = end
            ticket.service_seconds = int((end - start).total_seconds())
        heapq.heappush(free, (end + dt.timedelta(seconds=rng.uniform(10, 60)), i))
    return tickets
