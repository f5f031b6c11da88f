"""Benchmark: dossier intake (code sequence included) and public lookup on PostgreSQL with
1,000,000 dossiers, each against a minimal Django JSON view reading one row by key (issue 3).

Run: .venv/bin/python bench/dossiers.py [--rows 1000000] [--clients 16] [--seconds 15] [--port 8767]
     [--driver wrk|python] [--fresh]

One run:
1. Uses the database kc_bench_dossiers (override with BENCH_DATABASE_URL) as it is when it already holds
   --rows dossiers (an earlier run: fresh API tokens only, ~5 s); otherwise (or with --fresh) recreates
   it, migrates it, builds a city with four wards, one-stop officers, officers and heads, a 4-step
   procedure, and loads --rows dossiers with 3 events each straight in SQL (generate_series). ANALYZE.
2. Serves the project with granian (WSGI, 127.0.0.1, production settings) plus /bench/ceiling/<code>:
   a minimal Django JSON view reading one dossier row by its unique code, through the same middleware.
3. Drives 16 concurrent keep-alive connections for N seconds each (after 5 s of warm-up) at:
   - the ceiling (GET /bench/ceiling/<code>, random codes over the whole table),
   - intake: POST /api/v1/dossiers/ (token auth; dossier_receive: reads, the per-unit-per-day sequence
     upsert in its own short transaction, then dossier + 4 steps + event + audit) over the four
     wards' counters,
   - public lookup: GET /api/v1/public/dossiers/{code}?secret=... (random codes; rate limit raised).
   The load generator is wrk (C, event loop; `apt install wrk`) with a generated Lua script when it is
   installed, else Python threads (http.client keep-alive, --driver python): on a 2-CPU machine the
   Python clients take CPU from the server and cap the fast endpoints (the ceiling) more than intake.
   The same generator drives all three, so the ratios compare like with like.
4. Prints throughput and p50/p99 of each and the ratios to the ceiling, and checks that every code
   issued under the concurrent intake is unique.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
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
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kc_bench_dossiers")
SERVER_ENV = server_env(DB_URL, "/tmp/kc-bench-dossiers", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")

# --- served by granian (this module imported as bench.dossiers) ----------------------------------

if __name__ != "__main__":
    for _k, _v in SERVER_ENV.items():
        os.environ.setdefault(_k, _v)
    sys.path.insert(0, str(ROOT))
    from django.conf import settings as _settings
    from django.core.wsgi import get_wsgi_application
    from django.http import Http404, JsonResponse
    from django.urls import include, path

    _settings.KYCUONG_PUBLIC_LOOKUP_LIMIT = 10**9
    _settings.ROOT_URLCONF = __name__
    application = get_wsgi_application()

    def ceiling(request: Any, code: str) -> JsonResponse:
        from kycuong.dossiers.models import Dossier

        row = Dossier.objects.filter(code=code).values("code", "status", "due_at").first()
        if row is None:
            raise Http404
        return JsonResponse(row)

    urlpatterns = [path("bench/ceiling/<str:code>", ceiling), path("", include("config.urls"))]


# --- driver --------------------------------------------------------------------------------------

SETUP = r"""
import django; django.setup()
import json, sys
from django.db import connection
from kycuong.core.services import api_token_create
from kycuong.org.models import Membership, Role, UnitKind
from kycuong.org.tests.factories import StaffFactory, UnitFactory, UserFactory
from kycuong.dossiers.models import Dossier, DossierEvent
from kycuong.dossiers.tests.factories import procedure_create

from django.contrib.auth import get_user_model
from kycuong.org.models import Unit

ROWS = int(sys.argv[1])
WARDS = ["Ba Đình", "Ngọc Hà", "Giảng Võ", "Hoàn Kiếm"]
REUSE = Unit.objects.filter(code="H26").exists() and Dossier.objects.count() >= ROWS
tokens = []
if REUSE:  # rows of an earlier run: fresh tokens for the same counters, no reload
    for i in range(1, len(WARDS) + 1):
        code = f"H26.P{i:02d}"
        user = get_user_model().objects.get(username=f"{code}-{Role.ONE_STOP_OFFICER}-0")
        tokens.append([code, api_token_create(user=user, name="bench")[1]])
else:
    city = UnitFactory(code="H26", name="Ủy ban nhân dân thành phố Hà Nội", kind=UnitKind.CITY)
    wards = [UnitFactory(code=f"H26.P{i:02d}", name=f"Phường {name}", kind=UnitKind.WARD, parent=city)
             for i, name in enumerate(WARDS, start=1)]
    for w in wards:
        for role, n in ((Role.ONE_STOP_OFFICER, 2), (Role.OFFICER, 6), (Role.HEAD, 1)):
            for i in range(n):
                user = UserFactory(username=f"{w.code}-{role}-{i}")
                staff = StaffFactory(user=user)
                Membership.objects.create(staff=staff, unit=w, role=role)
                if role == Role.ONE_STOP_OFFICER and i == 0:
                    tokens.append([w.code, api_token_create(user=user, name="bench")[1]])
    proc = procedure_create(code="1.001193", name="Đăng ký khai sinh", value=3)

def columns(model, overrides):
    names, exprs = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        names.append(connection.ops.quote_name(f.column))
        if f.column in overrides:
            exprs.append(overrides[f.column])
        elif f.null:
            exprs.append("NULL")
        else:
            default = f.get_default()
            if isinstance(default, bool):
                exprs.append("TRUE" if default else "FALSE")
            elif isinstance(default, int):
                exprs.append(str(default))
            elif isinstance(default, dict):
                exprs.append("'{}'::jsonb")
            elif isinstance(default, list):
                exprs.append("'[]'::jsonb")
            else:
                exprs.append("''")
    return ", ".join(names), ", ".join(exprs)

ward_ids = "ARRAY[" + ",".join(str(w.pk) for w in wards) + "]" if not REUSE else ""
day = "(date '2021-01-01' + ((g / 4) / 400))"
received = f"(({day}::timestamp + interval '2 hours' + (g % 480) * interval '1 minute') AT TIME ZONE 'UTC')"
dossier_cols, dossier_exprs = columns(Dossier, {
    "code": f"'H26.P' || lpad(((g % 4) + 1)::text, 2, '0') || '-' || to_char({day}, 'YYMMDD') || '-' || lpad(((g / 4) % 400 + 1)::text, 4, '0')",
    "procedure_id": "0" if REUSE else str(proc.pk),
    "unit_id": f"({ward_ids})[(g % 4) + 1]", "received_unit_id": f"({ward_ids})[(g % 4) + 1]",
    "current_unit_id": f"({ward_ids})[(g % 4) + 1]",
    "channel": "'counter'", "status": "'returned'", "applicant_name": "'Nguyễn Văn An'",
    "secret": "upper(substr(md5(g::text), 1, 8))", "fee_payment": "'none'", "version": "3",
    "submitted_at": received, "received_at": received, "original_due_at": received + " + interval '3 days'",
    "due_at": received + " + interval '3 days'", "finished_at": received + " + interval '2 days'",
    "returned_at": received + " + interval '2 days 1 hour'", "outcome": "'early'", "notified_level": "2",
    "processing_seconds": "57600", "created_at": received, "updated_at": received,
})
event_cols, event_exprs = columns(DossierEvent, {
    "dossier_id": "d.id", "type": "(ARRAY['received','finished','returned'])[k]",
    "at": "d.received_at + (k - 1) * interval '1 day'", "from_unit_id": "d.unit_id", "to_unit_id": "d.unit_id",
    "recorded_at": "d.received_at + (k - 1) * interval '1 day'", "source": "'imported'",
})
with connection.cursor() as cur:
    if not REUSE:
        cur.execute(f"INSERT INTO dossiers_dossier ({dossier_cols}) SELECT {dossier_exprs} FROM generate_series(0, {ROWS} - 1) g")
        cur.execute(f"INSERT INTO dossiers_dossierevent ({event_cols}) SELECT {event_exprs} FROM dossiers_dossier d CROSS JOIN generate_series(1, 3) k")
    cur.execute("ANALYZE")
    cur.execute("SELECT code, secret FROM dossiers_dossier TABLESAMPLE SYSTEM (1) LIMIT 20000")
    sample = cur.fetchall()
    cur.execute("SELECT count(*) FROM dossiers_dossier")
    n = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM dossiers_dossierevent")
    m = cur.fetchone()[0]
json.dump({"dossiers": n, "events": m, "sample": sample, "tokens": tokens, "reused": REUSE}, sys.stdout)
"""




def loaded_rows() -> int:
    """Dossiers already in the bench database (0 when it or its tables do not exist)."""
    import psycopg

    try:
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM dossiers_dossier").fetchone()[0]
    except psycopg.Error:
        return 0


def setup_data(rows: int) -> dict[str, Any]:
    env = {**os.environ, **SERVER_ENV}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, "-c", SETUP, str(rows)], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit("data setup failed:\n" + out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])



def _request(conn: http.client.HTTPConnection, kind: str, rng: random.Random, sample: list[list[str]],
             token: list[str]) -> tuple[bool, str]:
    if kind == "intake":
        body = json.dumps({"procedure": "1.001193", "unit": token[0], "received_unit": token[0],
                           "applicant": {"name": "Trần Thị Bình", "id_number": f"0011900{rng.randrange(10**5):05d}",
                                         "phone": "0912345678"}, "digitized_input": True})
        conn.request("POST", "/api/v1/dossiers/", body, {"Content-Type": "application/json",
                                                          "Authorization": f"Bearer {token[1]}"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status == 201, json.loads(data)["code"] if resp.status == 201 else ""
    code, secret = rng.choice(sample)
    url = f"/bench/ceiling/{code}" if kind == "ceiling" else f"/api/v1/public/dossiers/{code}?secret={secret}"
    conn.request("GET", url)
    resp = conn.getresponse()
    resp.read()
    return resp.status == 200, ""


def _client_process(port: int, threads: int, seconds: float, kind: str, sample: list[list[str]],
                    tokens: list[list[str]], seed: int, start_at: float, out: Any) -> None:
    latencies: list[float] = []
    codes: list[str] = []
    errors = [0]
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        token = tokens[(seed * 31 + n) % len(tokens)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        mine: list[str] = []
        bad = 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            t0 = time.perf_counter()
            try:
                ok, code = _request(conn, kind, rng, sample, token)
            except (OSError, http.client.HTTPException, ValueError):
                ok, code = False, ""
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - t0
            if ok:
                local.append(elapsed)
                if code:
                    mine.append(code)
            else:
                bad += 1
        with lock:
            latencies.extend(local)
            codes.extend(mine)
            errors[0] += bad

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((latencies, errors[0], codes))


def run_load(port: int, clients: int, seconds: float, kind: str, sample: list[list[str]], tokens: list[list[str]],
             processes: int) -> dict[str, Any]:
    results = fan_out(_client_process, clients=clients, processes=processes,
                      args_for=lambda i, n, start_at, q: (port, n, seconds, kind, sample, tokens, i, start_at, q))
    summary: dict[str, Any] = summarize([lat for r in results for lat in r[0]], sum(r[1] for r in results), seconds)
    summary["codes"] = [c for r in results for c in r[2]]
    return summary


WRK_LUA = r"""
-- generated by bench/dossiers.py
local kind, outdir = "%(kind)s", "%(outdir)s"
local tokens = %(tokens)s
local codes = {}
local n, tid = 0, 0
function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end
function init(args)
  math.randomseed(tid * 7919 + os.time())
  for line in io.lines(outdir .. "/codes.txt") do
    local c, secret = line:match("(%%S+) (%%S+)")
    codes[#codes + 1] = {c, secret}
  end
  if kind == "intake" then out = io.open(outdir .. "/codes-" .. tid .. ".txt", "w") end
end
function request()
  if kind == "intake" then
    n = n + 1
    local t = tokens[(n + tid) %% #tokens + 1]
    local body = string.format('{"procedure": "1.001193", "unit": "%%s", "received_unit": "%%s", ' ..
      '"applicant": {"name": "Trần Thị Bình", "id_number": "0011900%%05d", "phone": "0912345678"}, ' ..
      '"digitized_input": true}', t[1], t[1], math.random(0, 99999))
    return wrk.format("POST", "/api/v1/dossiers/", {["Content-Type"] = "application/json",
                      ["Authorization"] = "Bearer " .. t[2]}, body)
  end
  local c = codes[math.random(#codes)]
  if kind == "ceiling" then return wrk.format("GET", "/bench/ceiling/" .. c[1]) end
  return wrk.format("GET", "/api/v1/public/dossiers/" .. c[1] .. "?secret=" .. c[2])
end
if kind == "intake" then
  function response(status, headers, body)
    if status == 201 then
      local code = body:match('"code":%%s*"([^"]+)"')
      if code then out:write(code, "\n") end
    end
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRKRESULT %%d %%d %%d %%d %%d\n", summary.requests, summary.duration,
                         e.connect + e.read + e.write + e.timeout, e.status, 0))
  io.write(string.format("WRKLAT %%f %%f\n", latency:percentile(50), latency:percentile(99)))
end
"""


def _lua_list(rows: list[list[str]]) -> str:
    return "{" + ",".join("{" + ",".join(json.dumps(v) for v in r) + "}" for r in rows) + "}"


def run_wrk(port: int, clients: int, seconds: float, kind: str, sample: list[list[str]], tokens: list[list[str]],
            threads: int) -> dict[str, Any]:
    """The same measurement with wrk (C, event loop, keep-alive): the load generator costs far less CPU
    than Python clients on the same 2 cores, and the same way for every endpoint."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(WRK_LUA % {"kind": kind, "outdir": tmp, "tokens": _lua_list(tokens)}, encoding="utf-8")
        (Path(tmp) / "codes.txt").write_text("".join(f"{c} {secret}\n" for c, secret in sample), encoding="utf-8")
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:.0f}s", "--timeout", "30s",
                              "-s", str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
        codes = [c for f in Path(tmp).glob("codes-*.txt") for c in f.read_text().split()]
    fields = next(line.split()[1:] for line in out.stdout.splitlines() if line.startswith("WRKRESULT"))
    lat = next(line.split()[1:] for line in out.stdout.splitlines() if line.startswith("WRKLAT"))
    total, duration_us, socket_errors, status_errors = (int(x) for x in fields[:4])
    ok = total - status_errors
    return {"requests": ok, "errors": socket_errors + status_errors, "rps": ok / (duration_us / 1e6), "codes": codes,
            "p50_ms": float(lat[0]) / 1000, "p99_ms": float(lat[1]) / 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=8, help="granian blocking threads per worker")
    parser.add_argument("--processes", type=int, default=2,
                        help="client processes (python driver) / wrk threads (wrk driver)")
    parser.add_argument("--driver", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python",
                        help="load generator: wrk (C, apt install wrk; default when present) or Python threads")
    parser.add_argument("--fresh", action="store_true", help="drop and reload the database even if it holds the rows")
    args = parser.parse_args()

    started = time.monotonic()
    print(f"database {DB_URL}")
    if args.fresh or loaded_rows() < args.rows:
        reset_database(DB_URL)
    data = setup_data(args.rows)
    sample = [list(r) for r in data["sample"]]
    tokens = [list(t) for t in data["tokens"]]
    how = "reused from an earlier run" if data.get("reused") else "loaded"
    print(f"{data['dossiers']:,} dossiers, {data['events']:,} events {how} in {time.monotonic() - started:.0f} s; "
          f"{len(sample):,} random codes drawn")
    port = free_port(args.port)
    server = start_granian("bench.dossiers:application", port=port, workers=args.workers, threads=args.threads,
                               probe=f"/bench/ceiling/{sample[0][0]}", env=SERVER_ENV)
    print(f"granian WSGI on 127.0.0.1:{port}: {args.workers} worker(s) × {args.threads} threads; "
          f"{args.clients} clients ({args.driver}, {args.processes} processes/threads), {args.seconds:.0f} s per run, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    load = run_wrk if args.driver == "wrk" else run_load
    results: dict[str, dict[str, Any]] = {}
    issued: list[str] = []
    try:
        for kind in ("ceiling", "intake", "lookup"):
            warm = load(port, args.clients, 5, kind, sample, tokens, args.processes)  # every worker warm
            results[kind] = load(port, args.clients, args.seconds, kind, sample, tokens, args.processes)
            issued += warm["codes"] + results[kind]["codes"]
    finally:
        stop_server(server)

    ceiling = results["ceiling"]
    print(report_line("ceiling: Django JSON view, one row by key", ceiling, 46))
    print(report_line("intake: POST /api/v1/dossiers/ (4 counters)", results["intake"], 46))
    print(report_line("lookup: GET /api/v1/public/dossiers/{code}", results["lookup"], 46))
    for kind, label in (("intake", "intake"), ("lookup", "public lookup")):
        r = results[kind]
        print(f"{label}: throughput ratio to ceiling = {r['rps'] / ceiling['rps']:.2f}   "
              f"p99 ratio = {r['p99_ms'] / ceiling['p99_ms']:.2f}" + ("   (goal ≥ 0.6)" if kind == "lookup" else ""))
    unique = len(set(issued))
    print(f"codes issued under concurrent intake: {len(issued)}, unique: {unique}"
          + ("" if unique == len(issued) else "   DUPLICATES!"))
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
