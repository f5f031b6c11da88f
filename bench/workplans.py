"""Benchmark: work programs on PostgreSQL — the not-submitted board for the whole city, the
work-item outcomes of everyone for a month, and a person's week page under 16 clients (issue 11).

Run: .venv/bin/python bench/workplans.py [--staff 20000] [--clients 16] [--seconds 15] [--repeat 3]
     [--port 8771] [--workers 2] [--threads 8] [--skip-http]

One run:
1. Recreates the database kc_bench_workplans (override with BENCH_DATABASE_URL), migrates it and loads,
   straight in SQL (generate_series, deterministic hashes): a city with 20 departments and 126 wards,
   --staff people (one head per unit, 1 % joining on Wednesday of week 47), five product types, for
   each person 4 weekly programs (2026-W45..W48; ~3 % missing, drafts, returns, late submissions) × 8
   items (≈ 32 per person: accepted, reported late, open, rescheduled with and without an objective
   cause, a few quality failures, cancelled, carried over) with their events, plus a unit program per
   unit for 2026-11 whose 8 items are the parents of each person's first weekly item. ANALYZE.
2. (a) `not_submitted_board` for the city, week 2026-W47, against ONE hand-written SQL statement giving
   the same per-person rows (status, deadline, on-time flags); the totals must be equal.
   (b) `work_item_outcomes` for everyone for 2026-11 (with and without evidence rows), against ONE
   hand-written SQL statement giving the same per-person Σw, quantity, quality and timeliness; every
   person's figures must agree to 1e-9.
   Each: best of --repeat runs. Goals: ≤ 2× the SQL and < 5 s.
3. (c) Serves the project with granian (WSGI, production settings) and drives --clients keep-alive
   clients (Python threads in 2 processes) at GET /chuong-trinh/?ky=2026-W47 (the signed-in person's
   week page, W3's screen) for 200 different people, and at a ceiling: a minimal Django JSON view
   reading that person's program row through the same middleware. Goal: p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.harness import (  # noqa: E402
    free_port,
    get_load,
    report_line,
    reset_database,
    server_env,
    start_granian,
    stop_server,
)

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kc_bench_workplans")
SERVER_ENV = server_env(DB_URL, "/tmp/kc-bench-workplans")
WEEK, MONTH = "2026-W47", "2026-11"
NOW = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
WEEKS = [("2026-W45", "2026-11-02"), ("2026-W46", "2026-11-09"), ("2026-W47", "2026-11-16"), ("2026-W48", "2026-11-23")]

# --- served by granian (this module imported as bench.workplans) ----------------------------------

if __name__ != "__main__":
    for _k, _v in SERVER_ENV.items():
        os.environ.setdefault(_k, _v)
    from django.conf import settings as _settings
    from django.core.wsgi import get_wsgi_application
    from django.http import Http404, JsonResponse
    from django.urls import include, path

    _settings.ROOT_URLCONF = __name__
    application = get_wsgi_application()

    def ceiling(request: Any) -> JsonResponse:
        from kycuong.workplans.models import Program

        if not request.user.is_authenticated:
            raise Http404
        row = (Program.objects.filter(owner__user=request.user, period=WEEK, kind="personal")
               .values("id", "status", "period").first())
        if row is None:
            raise Http404
        return JsonResponse(row)

    urlpatterns = [path("bench/ceiling/", ceiling), path("", include("config.urls"))]


# --- data ------------------------------------------------------------------------------------------

LOCAL = "Asia/Ho_Chi_Minh"


def load(staff: int) -> dict[str, int]:
    from django.db import connection

    weeks_sql = ", ".join(f"('{label}', date '{start}', {i})" for i, (label, start) in enumerate(WEEKS))
    with connection.cursor() as cur:
        def ex(sql: str, params: Any = ()) -> None:
            cur.execute(sql, params)  # always with params: %% is one %

        c = cur
        ex("INSERT INTO org_unit (code, name, short_name, kind, parent_id, path, depth, address, phone) "
                  "VALUES ('H26', 'UBND thành phố Hà Nội', '', 'city', NULL, '', 0, '', '') RETURNING id")
        city = c.fetchone()[0]
        ex("UPDATE org_unit SET path = '/' || id || '/' WHERE id = %s", [city])
        ex("""
            INSERT INTO org_unit (code, name, short_name, kind, parent_id, path, depth, address, phone)
            SELECT 'H26.U' || lpad(g::text, 3, '0'), CASE WHEN g <= 20 THEN 'Sở ' ELSE 'Phường ' END || g, '',
                   CASE WHEN g <= 20 THEN 'department' ELSE 'ward' END, %s, '', 1, '', ''
            FROM generate_series(1, 146) g""", [city])
        ex("UPDATE org_unit SET path = '/' || %s || '/' || id || '/' WHERE parent_id = %s", [city, city])
        ex("""
            INSERT INTO org_staff (user_id, code, full_name, email, phone, position, photo, is_active)
            SELECT NULL, 'NV' || lpad(g::text, 6, '0'), 'Cán bộ ' || g, '', '', '', '', true
            FROM generate_series(1, %s) g""", [staff])
        ex("""
            WITH s AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM org_staff),
                 u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM org_unit WHERE parent_id IS NOT NULL)
            INSERT INTO org_membership (staff_id, unit_id, role, is_primary, active_from, active_to)
            SELECT s.id, u.id, CASE WHEN s.rn <= 146 THEN 'head' ELSE 'officer' END, true,
                   CASE WHEN s.rn %% 100 = 57 THEN date '2026-11-18' END, NULL
            FROM s JOIN u ON u.k = (s.rn - 1) %% 146""")
        ex("""
            INSERT INTO workplans_producttype (unit_id, code, name, factor, is_active)
            SELECT %s, 'SP' || g, 'Sản phẩm ' || g, (ARRAY[1.5, 1.0, 0.2, 2.0, 0.5])[g], true
            FROM generate_series(1, 5) g""", [city])
        # unit programs (2026-11) with 8 items each
        ex("""
            INSERT INTO workplans_program (kind, unit_id, owner_id, period, period_kind, period_start, period_end,
                status, submitted_at, approved_at, approved_by_id, return_comment, version, created_at)
            SELECT 'unit', id, NULL, '2026-11', 'month', date '2026-11-01', date '2026-12-01', 'approved',
                   NULL, NULL, NULL, '', 1, now() FROM org_unit WHERE parent_id IS NOT NULL""")
        ex(f"""
            INSERT INTO workplans_workitem (code, program_id, unit_id, owner_id, assigned_by_id, parent_id,
                carried_from_id, template_id, title, description, product_type_id, quantity, weight, first_due_at,
                due_at, status, completion, completed_at, accepted_at, completion_note, quality_failures,
                reschedules, objective_cause, version, created_at, updated_at)
            SELECT 'DV-' || p.unit_id || '-' || k, p.id, p.unit_id, h.staff_id, NULL, NULL, NULL, NULL,
                   'Nhiệm vụ ' || k, '', (SELECT min(id) FROM workplans_producttype), 1, 1.0,
                   timestamp '2026-11-27 17:00' AT TIME ZONE '{LOCAL}', timestamp '2026-11-27 17:00' AT TIME ZONE '{LOCAL}',
                   'in_progress', '', NULL, NULL, '', 0, 0, false, 1, now(), now()
            FROM workplans_program p CROSS JOIN generate_series(1, 8) k
            JOIN org_membership h ON h.unit_id = p.unit_id AND h.role = 'head'
            WHERE p.kind = 'unit'""")
        # personal weekly programs: r = a deterministic hash in [0, 1000)
        ex(f"""
            INSERT INTO workplans_program (kind, unit_id, owner_id, period, period_kind, period_start, period_end,
                status, submitted_at, approved_at, approved_by_id, return_comment, version, created_at)
            SELECT 'personal', m.unit_id, m.staff_id, w.label, 'week', w.start, w.start + 7,
                   CASE WHEN r < 70 THEN 'draft' WHEN r < 120 THEN 'returned' WHEN r < 160 THEN 'submitted'
                        ELSE 'approved' END,
                   CASE WHEN r < 70 THEN NULL
                        WHEN r < 200 THEN (w.start + time '14:00') AT TIME ZONE '{LOCAL}'
                        ELSE (w.start + time '08:30') AT TIME ZONE '{LOCAL}' END,
                   CASE WHEN r < 160 THEN NULL WHEN r < 200 THEN (w.start + time '16:00') AT TIME ZONE '{LOCAL}'
                        ELSE (w.start + time '09:30') AT TIME ZONE '{LOCAL}' END,
                   NULL, CASE WHEN r >= 70 AND r < 120 THEN 'Bổ sung sản phẩm' ELSE '' END, 1, now()
            FROM org_membership m CROSS JOIN (VALUES {weeks_sql}) w(label, start, n)
            CROSS JOIN LATERAL (SELECT ((m.staff_id::bigint * 7919 + w.n * 104729) %% 1000) AS r) x
            WHERE x.r >= 30""")
        # 8 items per personal program; h = a deterministic hash in [0, 1000)
        ex(f"""
            INSERT INTO workplans_workitem (code, program_id, unit_id, owner_id, assigned_by_id, parent_id,
                carried_from_id, template_id, title, description, product_type_id, quantity, weight, first_due_at,
                due_at, status, completion, completed_at, accepted_at, completion_note, quality_failures,
                reschedules, objective_cause, version, created_at, updated_at)
            SELECT 'CV' || p.id || '-' || k, p.id, p.unit_id, p.owner_id, NULL,
                   CASE WHEN k = 1 THEN (SELECT u.id FROM workplans_workitem u
                                         WHERE u.code = 'DV-' || p.unit_id || '-' || (1 + p.owner_id %% 8)) END,
                   NULL, NULL, 'Việc ' || k, '', pt.id, q, q * pt.factor, fd,
                   CASE WHEN h >= 900 AND h < 950 THEN fd + interval '2 days' ELSE fd END,
                   CASE WHEN h < 700 THEN 'accepted' WHEN h < 800 THEN 'reported' WHEN h < 900 THEN 'in_progress'
                        WHEN h < 950 THEN 'reported' WHEN h < 980 THEN 'in_progress' WHEN h < 990 THEN 'cancelled'
                        ELSE 'carried_over' END,
                   CASE WHEN h < 800 OR (h >= 900 AND h < 950) THEN 'done' ELSE '' END,
                   CASE WHEN h < 700 THEN fd - interval '3 hours' WHEN h < 800 THEN fd + interval '26 hours'
                        WHEN h >= 900 AND h < 950 THEN fd + interval '1 day' END,
                   CASE WHEN h < 700 THEN fd END, '', CASE WHEN h < 21 THEN 1 ELSE 0 END,
                   CASE WHEN h >= 900 AND h < 950 THEN 1 ELSE 0 END, h >= 900 AND h < 925, 1, now(), now()
            FROM workplans_program p CROSS JOIN generate_series(1, 8) k
            CROSS JOIN LATERAL (SELECT ((p.id::bigint * 2654435761 + k * 40503) %% 1000) AS h,
                                       1 + (k %% 3) AS q,
                                       ((p.period_start + ((k - 1) %% 5)) + time '17:00') AT TIME ZONE '{LOCAL}' AS fd) x
            JOIN workplans_producttype pt ON pt.code = 'SP' || (1 + k %% 5)
            WHERE p.kind = 'personal'""")
        ev_cols = ("INSERT INTO workplans_workitemevent (item_id, type, at, recorded_at, source, actor_id, note, "
                   "completion, new_due_at, objective_cause, cause_claimed) ")
        ex(ev_cols + """SELECT id, 'approved', first_due_at - interval '4 days', now(), 'live', NULL, '', '',
                   NULL, false, false FROM workplans_workitem WHERE code LIKE 'CV%%'""")
        ex(ev_cols + """SELECT id, 'completed', completed_at - interval '4 hours', now(), 'live', NULL, '',
                   'done', NULL, false, false FROM workplans_workitem WHERE quality_failures > 0""")
        ex(ev_cols + """SELECT id, 'quality_failed', completed_at - interval '2 hours', now(), 'live', NULL,
                   'Chưa đạt', '', NULL, false, false FROM workplans_workitem WHERE quality_failures > 0""")
        ex(ev_cols + """SELECT id, 'rescheduled', first_due_at - interval '1 day', now(), 'live', NULL,
                   'Lùi hạn', '', due_at, objective_cause, objective_cause FROM workplans_workitem WHERE reschedules > 0""")
        ex(ev_cols + """SELECT id, 'completed', completed_at, now(), 'live', NULL, '', completion, NULL,
                   false, false FROM workplans_workitem WHERE completed_at IS NOT NULL""")
        ex(ev_cols + """SELECT id, 'accepted', completed_at + interval '1 hour', now(), 'live', NULL, '', '',
                   NULL, false, false FROM workplans_workitem WHERE status = 'accepted'""")
        ex(ev_cols + """SELECT id, 'cancelled', first_due_at - interval '1 day', now(), 'live', NULL, 'Hủy',
                   '', NULL, false, false FROM workplans_workitem WHERE status = 'cancelled'""")
        ex("ANALYZE")
        counts = {}
        for table in ("org_staff", "workplans_program", "workplans_workitem", "workplans_workitemevent"):
            ex(f"SELECT count(*) FROM {table}")
            counts[table] = c.fetchone()[0]
    return counts


def make_sessions(n: int) -> list[str]:
    """Users + signed-in sessions for `n` people (production SECRET_KEY: the server's)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore

    from kycuong.org.models import Staff

    User = get_user_model()
    password = make_password("pw")
    people = list(Staff.objects.filter(memberships__role="officer", work_programs__period=WEEK).order_by("pk")[:n])
    users = User.objects.bulk_create([User(username=f"bench{s.pk}", password=password) for s in people])
    for s, u in zip(people, users, strict=True):
        s.user = u
    Staff.objects.bulk_update(people, ["user"])
    keys = []
    for u in users:
        store = SessionStore()
        store["_auth_user_id"] = str(u.pk)
        store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        store["_auth_user_hash"] = u.get_session_auth_hash()
        store.create()
        keys.append(store.session_key)
    return keys


# --- (a) the board ---------------------------------------------------------------------------------

BOARD_SQL = f"""
SELECT m.staff_id, m.unit_id, coalesce(p.status, 'none'), dl.deadline,
       coalesce(p.status IN ('submitted', 'approved') AND p.submitted_at <= dl.deadline, false),
       coalesce(p.status = 'approved' AND p.approved_at <= dl.deadline, false)
FROM (SELECT mm.staff_id, mm.unit_id, min(coalesce(mm.active_from, date '1900-01-01')) AS active_from
      FROM org_membership mm JOIN org_staff s ON s.id = mm.staff_id AND s.is_active
      JOIN org_unit u ON u.id = mm.unit_id AND u.path LIKE %(path)s
      WHERE (mm.active_from IS NULL OR mm.active_from < %(end)s) AND (mm.active_to IS NULL OR mm.active_to > %(start)s)
      GROUP BY mm.staff_id, mm.unit_id) m
CROSS JOIN LATERAL (SELECT CASE WHEN m.active_from > %(deadline_day)s
                                THEN (m.active_from + time '10:00') AT TIME ZONE '{LOCAL}'
                                ELSE %(deadline)s END AS deadline) dl
LEFT JOIN workplans_program p ON p.kind = 'personal' AND p.period = %(period)s AND p.owner_id = m.staff_id
                              AND p.unit_id = m.unit_id
"""


def board_sql(city: Any, at: dt.datetime) -> dict[str, int]:
    from django.db import connection

    from kycuong.core.periods import parse_period
    from kycuong.workdays.services import calendar_for
    from kycuong.workplans.selectors.board import deadline_for, policy

    p = parse_period(WEEK)
    deadline = deadline_for(p, calendar_for(city), policy())
    with connection.cursor() as c:
        c.execute(BOARD_SQL, {"path": f"{city.path}%", "start": p.start, "end": p.end, "period": WEEK,
                              "deadline": deadline, "deadline_day": deadline.date()})
        rows = c.fetchall()
    totals = {"people": len(rows), "late": 0, "not_approved": 0}
    for _s, _u, status, due, sub_ok, appr_ok in rows:
        totals[status] = totals.get(status, 0) + 1
        totals["late"] += at > due and not sub_ok
        totals["not_approved"] += at > due and not appr_ok
    return totals


# --- (b) outcomes ----------------------------------------------------------------------------------

OUTCOMES_SQL = """
WITH it AS (
    SELECT i.id, i.owner_id, i.weight::float8 AS w, i.first_due_at FROM workplans_workitem i
    WHERE i.first_due_at >= %(start)s AND i.first_due_at < %(end)s AND i.status <> 'cancelled'
), ev AS (
    SELECT e.id, e.item_id, e.type, e.at, e.new_due_at, e.objective_cause, e.completion
    FROM workplans_workitemevent e JOIN it ON it.id = e.item_id
    WHERE e.type IN ('completed', 'quality_failed', 'rescheduled')
), qf AS (
    SELECT item_id, max(at) AS last_at, count(*) FILTER (WHERE NOT objective_cause) AS f
    FROM ev WHERE type = 'quality_failed' GROUP BY item_id
), done AS (
    SELECT ev.item_id, min(ev.at) AS at FROM ev LEFT JOIN qf ON qf.item_id = ev.item_id
    WHERE ev.type = 'completed' AND ev.completion <> 'not_done' AND ev.at <= %(end)s
      AND (qf.last_at IS NULL OR ev.at > qf.last_at)
    GROUP BY ev.item_id
), rs AS (
    SELECT ev.item_id, ev.at, ev.new_due_at, ev.objective_cause,
           coalesce(lag(ev.new_due_at) OVER (PARTITION BY ev.item_id ORDER BY ev.at, ev.id), it.first_due_at) AS replaced,
           row_number() OVER (PARTITION BY ev.item_id ORDER BY ev.at DESC, ev.id DESC) AS last
    FROM ev JOIN it ON it.id = ev.item_id WHERE ev.type = 'rescheduled' AND ev.new_due_at IS NOT NULL
), rsd AS (
    SELECT rs.item_id, max(rs.new_due_at) FILTER (WHERE rs.last = 1) AS last_due,
           count(*) FILTER (WHERE rs.replaced < done.at AND NOT (rs.objective_cause AND rs.at <= rs.replaced)) AS d
    FROM rs LEFT JOIN done ON done.item_id = rs.item_id GROUP BY rs.item_id
), per_item AS (
    SELECT it.owner_id, it.w, done.at IS NOT NULL AS completed, coalesce(qf.f, 0) AS f,
           coalesce(rsd.d, 0) + (coalesce(rsd.last_due, it.first_due_at) < done.at)::int AS d
    FROM it LEFT JOIN done ON done.item_id = it.id LEFT JOIN qf ON qf.item_id = it.id
            LEFT JOIN rsd ON rsd.item_id = it.id
)
SELECT owner_id, sum(w), sum(w) FILTER (WHERE completed),
       sum(w * greatest(0, 1 - 0.25 * f)) FILTER (WHERE completed),
       sum(w * greatest(0, 1 - 0.25 * d)) FILTER (WHERE completed)
FROM per_item GROUP BY owner_id
"""


def outcomes_sql() -> dict[int, tuple[float, float, float, float]]:
    from django.db import connection

    from kycuong.core.periods import parse_period

    p = parse_period(MONTH)
    with connection.cursor() as c:
        c.execute(OUTCOMES_SQL, {"start": p.start_at, "end": p.end_at})
        rows = c.fetchall()
    return {o: (total, (done or 0) / total, (q or 0) / total, (t or 0) / total) for o, total, done, q, t in rows}


def best_of(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


# --- (c) the week page -----------------------------------------------------------------------------

def run_load(port: int, clients: int, seconds: float, url: str, keys: list[str]) -> dict[str, float]:
    return get_load(port, clients, seconds, [(url, {"Cookie": f"sessionid={key}"}) for key in keys], processes=2)


# --- main ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--staff", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-http", action="store_true", help="only (a) and (b)")
    args = parser.parse_args()

    for k, v in SERVER_ENV.items():
        os.environ[k] = v
    started = time.monotonic()
    print(f"database {DB_URL}")
    reset_database(DB_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    counts = load(args.staff)
    print(f"loaded in {time.perf_counter() - t:.0f} s: {counts['org_staff']:,} staff, "
          f"{counts['workplans_program']:,} programs, {counts['workplans_workitem']:,} items, "
          f"{counts['workplans_workitemevent']:,} events")

    from django.contrib.auth.models import AnonymousUser

    from kycuong.org.models import Unit
    from kycuong.workplans.selectors.board import not_submitted_board
    from kycuong.workplans.selectors.outcomes import work_item_outcomes

    city = Unit.objects.get(code="H26")
    admin = type("BenchAdmin", (AnonymousUser,), {"is_authenticated": True, "is_superuser": True})()

    def board() -> Any:
        return not_submitted_board(user=admin, unit=city, period=WEEK, at=NOW)

    t_board, b = best_of(board, args.repeat)
    t_board_sql, b_sql = best_of(lambda: board_sql(city, NOW), args.repeat)
    same = all(b["totals"].get(k, 0) == v for k, v in b_sql.items())
    print(f"(a) not-submitted board, city, {WEEK}: {len(b['rows']):,} people; selector {t_board:.3f} s, "
          f"hand SQL {t_board_sql:.3f} s, ratio {t_board / t_board_sql:.2f} (goal ≤ 2, < 5 s); "
          f"late {b['totals']['late']:,}, not approved {b['totals']['not_approved']:,}; totals equal: {same}")

    t_out, out = best_of(lambda: work_item_outcomes(period=MONTH), args.repeat)
    t_out_noev, _ = best_of(lambda: work_item_outcomes(period=MONTH, evidence=False), args.repeat)
    t_out_sql, sql = best_of(outcomes_sql, args.repeat)
    bad = [o for o, (w, qn, ql, tm) in sql.items()
           if abs(out[o]["assigned_units"] - w) > 1e-6 or abs(out[o]["quantity"] - qn) > 1e-9
           or abs(out[o]["quality"] - ql) > 1e-9 or abs(out[o]["timeliness"] - tm) > 1e-9]
    items = sum(o["items"] for o in out.values())
    print(f"(b) work_item_outcomes, everyone, {MONTH}: {len(out):,} people, {items:,} items; selector "
          f"{t_out:.3f} s with evidence rows, {t_out_noev:.3f} s without; hand SQL {t_out_sql:.3f} s; "
          f"ratio {t_out / t_out_sql:.2f} / {t_out_noev / t_out_sql:.2f} (goal ≤ 2, < 5 s); "
          f"people whose figures differ: {len(bad)} of {len(sql):,}")

    if not args.skip_http:
        keys = make_sessions(200)
        from django.db import connections

        connections.close_all()
        port = free_port(args.port)
        server = start_granian("bench.workplans:application", port=port, workers=args.workers,
                               threads=args.threads, probe="/dang-nhap/", env=SERVER_ENV)
        print(f"granian WSGI on 127.0.0.1:{port}: {args.workers} worker(s) × {args.threads} threads; "
              f"{args.clients} clients (Python threads, 2 processes), {args.seconds:.0f} s per run, "
              f"{os.cpu_count()} CPUs")
        try:
            results = {}
            for name, url in (("ceiling", "/bench/ceiling/"), ("week", f"/chuong-trinh/?ky={WEEK}")):
                run_load(port, args.clients, 5, url, keys)  # warm-up
                results[name] = run_load(port, args.clients, args.seconds, url, keys)
        finally:
            stop_server(server)
        print(report_line("ceiling: JSON view, the person's program row", results["ceiling"], 48))
        print(report_line(f"(c) week page GET /chuong-trinh/?ky={WEEK}", results["week"], 48))
        print(f"(c) p99 {results['week']['p99_ms']:.1f} ms (goal < 100 ms), "
              f"ratio to the ceiling's p99 {results['week']['p99_ms'] / results['ceiling']['p99_ms']:.2f}")
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
