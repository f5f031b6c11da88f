"""Benchmark: queue-ticket issue under load, on PostgreSQL, against a Django ceiling (issue 4).

Run: .venv/bin/python bench/ticketing.py [--clients 50] [--seconds 15] [--port 8765]

What it does, in one run:
1. (Re)creates the database kc_bench_ticketing (override with BENCH_DATABASE_URL), migrates it and
   creates one reception point, one service area and one paired kiosk (device token).
2. Serves the project with granian (WSGI, 127.0.0.1, production settings) plus one extra URL,
   /bench/ceiling: a minimal Django JSON view going through the same middleware stack.
3. Drives 50 concurrent keep-alive clients (processes × threads) for N seconds at the ceiling, then
   at POST /api/v1/ticketing/kiosk/tickets (X-Device-Token) — every request issues a ticket in the
   SAME area, i.e. contends on the same per-area-per-day counter row.
4. Prints throughput and p50/p99 latency of both, the ratios, and checks the issued numbers are
   1..N without gaps or duplicates.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import (  # noqa: E402
    fan_out,
    free_port,
    report_line,
    reset_database,
    server_env,
    start_granian,
    stop_server,
    summarize,
)

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kc_bench_ticketing")
TOKEN = "kd_bench_ticketing_kiosk_token_0001"
SERVER_ENV = server_env(DB_URL, "/tmp/kc-bench-ticketing")

# --- served by granian (this module imported as bench.ticketing) ---------------------------------

if __name__ != "__main__":
    for _k, _v in SERVER_ENV.items():
        os.environ.setdefault(_k, _v)
    sys.path.insert(0, str(ROOT))
    from django.conf import settings as _settings
    from django.core.wsgi import get_wsgi_application
    from django.http import JsonResponse
    from django.urls import include, path

    _settings.ROOT_URLCONF = __name__
    application = get_wsgi_application()  # django.setup(); URLs below are resolved on the first request

    def ceiling(request: Any) -> JsonResponse:
        return JsonResponse({"ok": True, "code": "A-000"})

    urlpatterns = [path("bench/ceiling", ceiling), path("", include("config.urls"))]


# --- driver --------------------------------------------------------------------------------------



def setup_data() -> int:
    env = {**os.environ, **SERVER_ENV}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    code = f"""
import django; django.setup()
from kycuong.org.models import UnitKind
from kycuong.org.tests.factories import UnitFactory
from kycuong.ticketing.models import Device, DeviceKind
from kycuong.ticketing.services import area_create
city = UnitFactory(code="H26", name="Hà Nội", kind=UnitKind.CITY)
centre = UnitFactory(code="H26.TTPVHCC", name="Trung tâm", kind=UnitKind.SERVICE_CENTRE, parent=city)
rp = UnitFactory(code="H26.TTPVHCC.01", name="Điểm tiếp nhận Hoàn Kiếm", kind=UnitKind.RECEPTION_POINT, parent=centre)
area = area_create(unit=rp, letter="A", name="Hộ tịch")
Device.objects.create(kind=DeviceKind.KIOSK, unit=rp, name="bench", prefix="{TOKEN[:10]}", digest=Device.hash("{TOKEN}"))
print(area.pk)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])



def _client_process(port: int, threads: int, seconds: float, kind: str, area_id: int, start_at: float,
                    out: Any) -> None:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    body = json.dumps({"area_id": area_id}).encode()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        bad = 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            t0 = time.perf_counter()
            try:
                if kind == "ceiling":
                    conn.request("GET", "/bench/ceiling")
                else:
                    conn.request("POST", "/api/v1/ticketing/kiosk/tickets", body=body,
                                 headers={"Content-Type": "application/json", "X-Device-Token": TOKEN})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status in (200, 201)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            dt_ = time.perf_counter() - t0
            if ok:
                local.append(dt_)
            else:
                bad += 1
        with lock:
            latencies.extend(local)
            errors[0] += bad

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((latencies, errors[0]))


def run_load(port: int, clients: int, seconds: float, kind: str, area_id: int, processes: int) -> dict[str, float]:
    results = fan_out(_client_process, clients=clients, processes=processes,
                      args_for=lambda i, n, start_at, q: (port, n, seconds, kind, area_id, start_at, q))
    return summarize([lat for r in results for lat in r[0]], sum(r[1] for r in results), seconds)


def check_numbers(area_id: int) -> tuple[int, bool]:
    import psycopg

    with psycopg.connect(DB_URL) as conn:
        rows = conn.execute("SELECT number FROM ticketing_ticket WHERE issued_area_id = %s ORDER BY number",
                            [area_id]).fetchall()
    numbers = [r[0] for r in rows]
    return len(numbers), numbers == list(range(1, len(numbers) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8, help="granian blocking threads per worker")
    parser.add_argument("--processes", type=int, default=5, help="client processes (threads = clients / processes)")

    args = parser.parse_args()

    started = time.monotonic()
    print(f"database {DB_URL}")
    reset_database(DB_URL)
    area_id = setup_data()
    port = free_port(args.port)
    server = start_granian("bench.ticketing:application", port=port, workers=args.workers, threads=args.threads,
                           probe="/bench/ceiling", env=SERVER_ENV, timeout=30)
    print(f"granian WSGI on 127.0.0.1:{port}: {args.workers} worker(s) × {args.threads} threads; "
          f"{args.clients} clients ({args.processes} processes), {args.seconds:.0f} s per run, {os.cpu_count()} CPUs")
    try:
        run_load(port, args.clients, 2, "ceiling", area_id, args.processes)  # warm-up
        ceiling = run_load(port, args.clients, args.seconds, "ceiling", area_id, args.processes)
        run_load(port, min(args.clients, 10), 2, "issue", area_id, args.processes)  # warm-up
        issue = run_load(port, args.clients, args.seconds, "issue", area_id, args.processes)
    finally:
        stop_server(server)
    count, gap_free = check_numbers(area_id)

    print(report_line("ceiling: minimal Django JSON view", ceiling, 34))
    print(report_line("ticket issue (one area, 50 clients)", issue, 34))
    print(f"ratio throughput issue/ceiling = {issue['rps'] / ceiling['rps']:.3f}   "
          f"ratio p99 issue/ceiling = {issue['p99_ms'] / ceiling['p99_ms']:.1f}")
    print(f"tickets in the area: {count} (incl. warm-up), numbers 1..{count} gap-free and unique: {gap_free}")
    print(f"total {time.monotonic() - started:.0f} s")
    if not gap_free:
        sys.exit(1)


if __name__ == "__main__":
    main()
