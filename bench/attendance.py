"""Benchmark: ADMS ingest and daily attendance computation on PostgreSQL (issue 6).

Run: .venv/bin/python bench/attendance.py [--staff 20000] [--port 8766]
Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); uses its own database
kc_bench_attendance (dropped and recreated). Bounded: about 2–4 minutes on 2 cores.

1. Ingest: the app is served by granian (WSGI) on 127.0.0.1; 20 simulated terminals post the
   morning peak (one punch per staff member) concurrently as ATTLOG batches of 100 lines, and
   20% of the batches are sent again (a terminal that did not get its OK resends). Reported:
   unique punches stored per second, and the ratio to PostgreSQL COPY of the same rows into a
   table with the same indexes, measured in the same run (the ceiling). Goal: 20,000 staff in
   under a minute.
2. Daily computation: punches for every staff member on the 22 working days of October 2026
   (in + out, loaded with COPY), then `attendance_compute` for the month, twice (the second run
   is the idempotent recompute: same rows, upserted).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import random
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.harness import free_port, reset_database, stop_server  # noqa: E402

DB_NAME = "kc_bench_attendance"
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
DEVICES = 20
BATCH = 100
RESEND = 0.20




def setup_org(n_staff: int) -> tuple[list, dict]:
    """City → 20 wards, `n_staff` staff spread over them, one terminal per ward, unit PINs."""
    from kycuong.attendance.models import Device, PinMapping
    from kycuong.org.models import Membership, Role, Staff, Unit, UnitKind

    city = Unit.objects.create(code="B26", name="Thành phố thử tải", kind=UnitKind.CITY)
    Unit.objects.filter(pk=city.pk).update(path=f"/{city.pk}/")
    city.path = f"/{city.pk}/"
    wards = []
    for i in range(DEVICES):
        u = Unit.objects.create(code=f"B26.P{i + 1:02d}", name=f"Phường thử {i + 1}", kind=UnitKind.WARD, parent=city)
        u.path, u.depth = f"{city.path}{u.pk}/", 1
        Unit.objects.filter(pk=u.pk).update(path=u.path, depth=1)
        wards.append(u)
    Staff.objects.bulk_create([Staff(code=f"B{i:06d}", full_name=f"Cán bộ {i}") for i in range(n_staff)], batch_size=5000)
    staff = list(Staff.objects.order_by("code").values_list("pk", flat=True))
    members, pins = [], []
    per_device: dict[str, list[str]] = {}
    devices = []
    for i, ward in enumerate(wards):
        devices.append(Device(serial_number=f"BENCH{i:08d}", unit=ward, location="Sảnh", allowed_ips="127.0.0.1/32"))
    Device.objects.bulk_create(devices)
    devices = list(Device.objects.order_by("serial_number"))
    for idx, staff_id in enumerate(staff):
        ward = wards[idx % DEVICES]
        pin = str(idx // DEVICES + 1)
        members.append(Membership(staff_id=staff_id, unit=ward, role=Role.OFFICER))
        pins.append(PinMapping(staff_id=staff_id, pin=pin, unit=ward))
        per_device.setdefault(devices[idx % DEVICES].serial_number, []).append(pin)
    Membership.objects.bulk_create(members, batch_size=5000)
    PinMapping.objects.bulk_create(pins, batch_size=5000)
    return devices, per_device


def morning_batches(per_device: dict[str, list[str]], rng: random.Random) -> tuple[dict[str, list[str]], int, list[str]]:
    """Per terminal, its ATTLOG bodies of 100 lines, with 20% of the batches sent twice."""
    from kycuong.core.periods import TZ

    now = dt.datetime.now(TZ)
    midnight = dt.datetime.combine(now.date(), dt.time(0), tzinfo=TZ)
    window_start = max(midnight, now - dt.timedelta(minutes=60))
    span = max(1, int((now - window_start).total_seconds()) - 60)
    plan: dict[str, list[str]] = {}
    unique = 0
    all_lines: list[str] = []
    for sn, pins in per_device.items():
        lines = []
        for pin in pins:
            at = window_start + dt.timedelta(seconds=rng.randrange(span))
            lines.append(f"{pin}\t{at:%Y-%m-%d %H:%M:%S}\t0\t{rng.choice([1, 15])}\t0\t0\t0\t255\t0\n")
        lines.sort(key=lambda x: x.split("\t")[1])
        all_lines.extend(f"{sn}\t{x}" for x in lines)
        unique += len(lines)
        batches = ["".join(lines[i:i + BATCH]) for i in range(0, len(lines), BATCH)]
        resends = rng.sample(batches, round(len(batches) * RESEND))
        sequence = list(batches)
        for b in resends:  # a resend arrives after the original, somewhere later in the stream
            pos = sequence.index(b) + 1
            sequence.insert(rng.randint(pos, len(sequence)), b)
        plan[sn] = sequence
    return plan, unique, all_lines


def run_terminals(port: int, plan: dict[str, list[str]]) -> tuple[float, int, list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start_gate = threading.Barrier(len(plan) + 1)

    def terminal(sn: str, bodies: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"/iclock/cdata?SN={sn}&options=all&pushver=2.4.1")
        conn.getresponse().read()
        start_gate.wait()
        for stamp, body in enumerate(bodies, start=1):
            for _attempt in range(5):
                t = time.perf_counter()
                try:
                    conn.request("POST", f"/iclock/cdata?SN={sn}&table=ATTLOG&Stamp={stamp}", body=body.encode(),
                                 headers={"Content-Type": "text/plain"})
                    resp = conn.getresponse()
                    text = resp.read().decode()
                    ok = resp.status == 200 and text.startswith("OK")
                except OSError:
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    latencies.append(time.perf_counter() - t)
                    if not ok:
                        errors[0] += 1
                if ok:
                    break
        conn.close()

    threads = [threading.Thread(target=terminal, args=(sn, bodies)) for sn, bodies in plan.items()]
    for th in threads:
        th.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    return time.perf_counter() - t0, sum(len(b) for b in plan.values()), latencies, errors[0]


def copy_ceiling(all_lines: list[str], devices: list) -> float:
    """COPY the same unique rows into a table shaped like the punch table (same unique index)."""
    from django.db import connection

    from kycuong.attendance.models import Punch
    from kycuong.core.periods import TZ

    by_sn = {d.serial_number: d.pk for d in devices}
    rows = []
    received = dt.datetime.now(TZ)
    for line in all_lines:
        sn, pin, ts, status, verify, *_rest = line.rstrip("\n").split("\t")
        at = dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
        rows.append((by_sn[sn], pin, at, at.date(), at.hour * 3600 + at.minute * 60 + at.second, int(status), int(verify),
                     "0", line[len(sn) + 1:].rstrip("\n"), False, "device", received, ""))
    table = Punch._meta.db_table
    cols = "device_id, pin, punched_at, day, seconds, status, verify, workcode, raw, clock_suspect, source, received_at, note"
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_punch_copy")
        cur.execute(f"CREATE TABLE bench_punch_copy (LIKE {table} INCLUDING ALL)")
        t = time.perf_counter()
        with cur.cursor.copy(f"COPY bench_punch_copy ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        elapsed = time.perf_counter() - t
        cur.execute("SELECT count(*) FROM bench_punch_copy")
        assert cur.fetchone()[0] == len(rows)
        cur.execute("DROP TABLE bench_punch_copy")
    return elapsed


def month_of_punches(devices: list, per_device: dict[str, list[str]], rng: random.Random) -> tuple[int, list[dt.date]]:
    from django.db import connection

    from kycuong.attendance.models import PinMapping, Punch
    from kycuong.core.periods import TZ
    from kycuong.workdays.services import calendar_for

    cal = calendar_for(None)
    days = [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(31)]
    work = [d for d in days if cal.is_working_day(d)]
    staff_of = {(m[0], m[1]): m[2] for m in PinMapping.objects.values_list("unit_id", "pin", "staff_id")}
    received = dt.datetime.now(TZ).isoformat()
    cols = ("device_id, pin, punched_at, day, seconds, status, verify, workcode, raw, staff_id, clock_suspect, source, "
            "received_at, note")
    n = 0
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {Punch._meta.db_table} ({cols}) FROM STDIN") as copy:
        for device in devices:
            buf = []
            for pin in per_device[device.serial_number]:
                staff_id = staff_of[(device.unit_id, pin)]
                for day in work:
                    r = rng.random()
                    if r < 0.01:
                        continue  # absent
                    late = rng.random() < 0.1
                    s_in = (8 if late else 7) * 3600 + rng.randrange(3600)
                    s_out = (17 if r > 0.06 else 16) * 3600 + rng.randrange(3600)
                    for status, sec in ((0, s_in), (1, None if r < 0.03 else s_out)):
                        if sec is None:
                            continue  # forgot to punch out
                        hms = f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
                        buf.append(f"{device.pk}\t{pin}\t{day} {hms}+07\t{day}\t{sec}\t{status}\t1\t\t"
                                   f"{pin}\\t{day} {hms}\\t{status}\\t1\t{staff_id}\tf\tdevice\t{received}\t\n")
                        n += 1
            copy.write("".join(buf))
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {Punch._meta.db_table}")  # what autovacuum does after a bulk load
    return n, work


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = DB_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "ERROR"
    reset_database(DB_URL)
    import django

    django.setup()
    from django.core.management import call_command

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    devices, per_device = setup_org(args.staff)
    print(f"setup: database, {args.staff} staff, {DEVICES} terminals, PINs in {time.perf_counter() - t:.1f}s")

    # --- 1. ingest ---------------------------------------------------------------------------
    port = free_port(args.port)
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = subprocess.Popen(
        [os.path.join(ROOT, ".venv/bin/granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(args.workers), "--blocking-threads", str(args.threads), "--log-level", "error",
         "--no-ws", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", f"/iclock/cdata?SN={devices[0].serial_number}&options=all")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError("granian did not start")
            time.sleep(0.3)
        plan, unique, all_lines = morning_batches(per_device, rng)
        # Warm every worker's connection and code paths with one throw-away batch per terminal? No:
        # the first requests are part of a real morning too. Measure as is.
        wall, posts, latencies, errors = run_terminals(port, plan)
    finally:
        stop_server(server, timeout=15)

    from kycuong.attendance.models import DailyAttendance, Punch, RawPush

    stored = Punch.objects.count()
    raws = RawPush.objects.count()
    unparsed = RawPush.objects.filter(parsed_at__isnull=True).count()
    assert stored == unique, f"stored {stored} punches, expected {unique} (at-least-once → exactly once)"
    latencies.sort()
    rate = stored / wall
    copy_s = copy_ceiling(all_lines, devices)
    copy_rate = unique / copy_s
    print(f"ingest: {posts} ATTLOG posts of {BATCH} lines ({posts - -(-unique // BATCH)} resends), "
          f"{errors} non-OK answers, {stored} unique punches stored once, {raws} raw uploads kept ({unparsed} unparsed)")
    print(f"  wall {wall:.2f}s → {rate:,.0f} punches/s, {posts * BATCH / wall:,.0f} lines/s incl. resends; "
          f"latency p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")
    print(f"  COPY of the same {unique} rows: {copy_s:.2f}s → {copy_rate:,.0f} rows/s; "
          f"ingest/COPY ratio = {rate / copy_rate:.3f} (COPY is {copy_rate / rate:.1f}x faster)")
    print(f"  morning peak of {args.staff} staff: {wall:.1f}s  (goal < 60 s: {'OK' if wall < 60 else 'MISSED'})")

    # --- 2. daily computation -----------------------------------------------------------------
    from kycuong.attendance.services import LAST_TIMINGS, attendance_compute
    from kycuong.core.periods import TZ

    t = time.perf_counter()
    n_punches, work = month_of_punches(devices, per_device, rng)
    print(f"compute setup: {n_punches:,} punches for {len(work)} working days of 2026-10 loaded by COPY in "
          f"{time.perf_counter() - t:.1f}s")
    now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
    for label in ("first run", "recompute"):
        t = time.perf_counter()
        rows = attendance_compute(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31), now=now)
        elapsed = time.perf_counter() - t
        print(f"compute ({label}): {rows:,} staff-days (= {args.staff} staff × {len(work)} working days) in {elapsed:.1f}s "
              f"→ {rows / elapsed:,.0f} staff-days/s; stages: "
              + ", ".join(f"{k} {v:.1f}s" for k, v in LAST_TIMINGS.items()))
    from django.db.models import Count

    counts = dict(DailyAttendance.objects.filter(is_working_day=True).values_list("status").annotate(
        n=Count("id")).values_list("status", "n"))
    print(f"  statuses on working days: {counts}")


if __name__ == "__main__":
    main()
