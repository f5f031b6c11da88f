"""Benchmark: public dossier lookup under concurrent load, on PostgreSQL, against a Django ceiling (issue 3).

Run: .venv/bin/python bench/public_lookup.py [--rows 1000000] [--clients 32] [--seconds 15] [--port 8766]

What it does, in one run:
1. (Re)creates the database kc_bench_lookup (override with BENCH_DATABASE_URL), migrates it, creates a
   city, four wards and one procedure, then inserts --rows dossiers (default 1,000,000) with 4 public
   events each (received, 2 hand-overs, finished) straight in SQL (generate_series; secondary indexes
   rebuilt afterwards, the unique code index kept), and ANALYZEs.
2. Serves the project with granian (WSGI, 127.0.0.1, production settings) plus one extra URL,
   /bench/ceiling/<code>: a minimal Django JSON view reading one dossier row by its key (the unique
   code) through the same middleware stack — the ceiling named in the issue.
3. Drives concurrent keep-alive clients (processes × threads) for N seconds at the ceiling, then at
   GET /api/v1/public/dossiers/{code}?secret=... (rate-limit counter still incremented per request;
   its limit is raised so the benchmark measures the lookup, not 429s), then at the HTML page
   /tra-cuu?ma=...&bm=..., each over random codes of the whole table.
4. Prints throughput and p50/p99 latency of each, and the ratios to the ceiling (goal: ≥ 0.6).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import (  # noqa: E402
    free_port,
    get_load,
    report_line,
    reset_database,
    server_env,
    start_granian,
    stop_server,
)

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kc_bench_lookup")
SERVER_ENV = server_env(DB_URL, "/tmp/kc-bench-lookup")

# --- served by granian (this module imported as bench.public_lookup) -----------------------------

if __name__ != "__main__":
    for _k, _v in SERVER_ENV.items():
        os.environ.setdefault(_k, _v)
    sys.path.insert(0, str(ROOT))
    from django.conf import settings as _settings
    from django.http import Http404, JsonResponse
    from django.urls import include, path

    _settings.ROOT_URLCONF = __name__
    _settings.KYCUONG_PUBLIC_LOOKUP_LIMIT = 10**9

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def ceiling(request: Any, code: str) -> JsonResponse:
        from kycuong.dossiers.models import Dossier

        row = Dossier.objects.filter(code=code).values("code", "status", "due_at").first()
        if row is None:
            raise Http404
        return JsonResponse(row)

    urlpatterns = [path("bench/ceiling/<str:code>", ceiling), path("", include("config.urls"))]


# --- driver --------------------------------------------------------------------------------------



SETUP = """
import django; django.setup()
from django.db import connection
from kycuong.org.models import UnitKind
from kycuong.org.tests.factories import UnitFactory
from kycuong.procedures.tests.factories import make_procedure
from kycuong.dossiers.models import Dossier, DossierEvent

city = UnitFactory(code="H26", name="Ủy ban nhân dân thành phố Hà Nội", kind=UnitKind.CITY)
wards = [UnitFactory(code=f"H26.P{{i:02d}}", name=f"Phường {{name}}", kind=UnitKind.WARD, parent=city)
         for i, name in enumerate(["Ba Đình", "Ngọc Hà", "Giảng Võ", "Hoàn Kiếm"], start=1)]
proc = make_procedure(code="1.001193", name="Thủ tục đăng ký khai sinh")
ROWS = {rows}

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
            elif isinstance(default, (dict, list)):
                exprs.append("'{{}}'::jsonb" if isinstance(default, dict) else "'[]'::jsonb")
            else:
                exprs.append("''")
    return ", ".join(names), ", ".join(exprs)

ward_ids = "ARRAY[" + ",".join(str(w.pk) for w in wards) + "]"
day = "(date '2024-01-01' + ((g / 4) / 500))"
received = f"(({{day}}::timestamp + interval '2 hours' + (g % 480) * interval '1 minute') AT TIME ZONE 'UTC')"
dossier_cols, dossier_exprs = columns(Dossier, {{
    "code": f"'H26.P' || lpad(((g % 4) + 1)::text, 2, '0') || '-' || to_char({{day}}, 'YYMMDD') || '-' || lpad(((g / 4) % 500 + 1)::text, 4, '0')",
    "procedure_id": str(proc.pk),
    "unit_id": f"({{ward_ids}})[(g % 4) + 1]", "received_unit_id": f"({{ward_ids}})[(g % 4) + 1]",
    "current_unit_id": f"({{ward_ids}})[(g % 4) + 1]",
    "channel": "'counter'", "status": "'returned'", "applicant_name": "'Nguyễn Văn An'",
    "secret": "upper(substr(md5(g::text), 1, 8))", "fee_payment": "'none'",
    "submitted_at": received, "received_at": received, "original_due_at": received + " + interval '3 days'",
    "due_at": received + " + interval '3 days'", "finished_at": received + " + interval '2 days'",
    "returned_at": received + " + interval '2 days 1 hour'", "outcome": "'early'",
    "created_at": received, "updated_at": received,
}})
event_cols, event_exprs = columns(DossierEvent, {{
    "dossier_id": "d.id", "type": "(ARRAY['received','handed_over','handed_over','finished'])[k]",
    "at": "d.received_at + (k - 1) * interval '5 hours'", "from_unit_id": "d.unit_id", "to_unit_id": "d.unit_id",
    "recorded_at": "d.received_at + (k - 1) * interval '5 hours'", "source": "'imported'",
}})
tables = "('dossiers_dossier', 'dossiers_dossierevent')"
with connection.cursor() as cur:
    # Bulk load: secondary indexes rebuilt after the insert, FK triggers off for the session.
    cur.execute(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN {{tables}} "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)")
    index_defs = cur.fetchall()
    for name, _def in index_defs:
        cur.execute(f'DROP INDEX "{{name}}"')
    cur.execute("SET session_replication_role = replica")
    cur.execute(f"INSERT INTO dossiers_dossier ({{dossier_cols}}) SELECT {{dossier_exprs}} FROM generate_series(1, {{int(ROWS)}}) g")
    cur.execute(f"INSERT INTO dossiers_dossierevent ({{event_cols}}) SELECT {{event_exprs}} FROM dossiers_dossier d CROSS JOIN generate_series(1, 4) k")
    cur.execute("SET session_replication_role = DEFAULT")
    for _name, definition in index_defs:
        cur.execute(definition)
    cur.execute("ANALYZE")
    cur.execute("SELECT code, secret FROM dossiers_dossier ORDER BY random() LIMIT 20000")
    sample = cur.fetchall()
    cur.execute("SELECT count(*) FROM dossiers_dossier")
    n = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM dossiers_dossierevent")
    m = cur.fetchone()[0]
import json, sys
json.dump({{"dossiers": n, "events": m, "sample": sample}}, sys.stdout)
"""


def setup_data(rows: int) -> dict[str, Any]:
    import json

    env = {**os.environ, **SERVER_ENV}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, "-c", SETUP.format(rows=rows)], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit("data setup failed:\n" + out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])



def _url(kind: str, code: str, secret: str) -> str:
    if kind == "ceiling":
        return f"/bench/ceiling/{code}"
    if kind == "api":
        return f"/api/v1/public/dossiers/{code}?secret={secret}"
    return f"/tra-cuu?ma={code}&bm={secret}"


def run_load(port: int, clients: int, seconds: float, kind: str, sample: list[list[str]],
             processes: int) -> dict[str, float]:
    return get_load(port, clients, seconds, [(_url(kind, code, secret), {}) for code, secret in sample], processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=8, help="granian blocking threads per worker")
    parser.add_argument("--processes", type=int, default=4, help="client processes (threads = clients / processes)")
    args = parser.parse_args()

    started = time.monotonic()
    print(f"database {DB_URL}")
    reset_database(DB_URL)
    data = setup_data(args.rows)
    sample = [list(r) for r in data["sample"]]
    print(f"{data['dossiers']:,} dossiers, {data['events']:,} events loaded in {time.monotonic() - started:.0f} s; "
          f"{len(sample):,} random codes drawn")
    port = free_port(args.port)
    server = start_granian("bench.public_lookup:application", port=port, workers=args.workers,
                           threads=args.threads, probe=_url("ceiling", *sample[0]), env=SERVER_ENV, timeout=30)
    print(f"granian WSGI on 127.0.0.1:{port}: {args.workers} worker(s) × {args.threads} threads; "
          f"{args.clients} clients ({args.processes} processes), {args.seconds:.0f} s per run, {os.cpu_count()} CPUs")
    results: dict[str, dict[str, float]] = {}
    try:
        for kind in ("ceiling", "api", "html"):
            run_load(port, args.clients, 2, kind, sample, args.processes)  # warm-up
            results[kind] = run_load(port, args.clients, args.seconds, kind, sample, args.processes)
    finally:
        stop_server(server)

    ceiling = results["ceiling"]
    print(report_line("ceiling: Django JSON view, one row by key", ceiling))
    print(report_line("GET /api/v1/public/dossiers/{code}?secret=", results["api"]))
    print(report_line("GET /tra-cuu?ma=&bm= (HTML page)", results["html"]))
    for kind, label in (("api", "API lookup"), ("html", "HTML lookup")):
        r = results[kind]
        print(f"{label}: throughput ratio to ceiling = {r['rps'] / ceiling['rps']:.2f} (goal ≥ 0.6)   "
              f"p99 ratio = {r['p99_ms'] / ceiling['p99_ms']:.2f}")
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
