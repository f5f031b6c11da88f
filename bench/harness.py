"""Shared pieces of the benchmarks: a free port, a fresh PostgreSQL database, a granian WSGI
server for a bench module's `application`, client processes and their latency summary. Every benchmark measures its own
ceiling in the same run and reports ratios to it."""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port(preferred: int) -> int:
    """`preferred` when it is free on 127.0.0.1, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError("no free port")


def reset_database(db_url: str) -> None:
    """Drop and create the database named at the end of `db_url` (postgres://.../<name>)."""
    import psycopg

    dbname = db_url.rsplit("/", 1)[1]
    admin_url = db_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')


def start_granian(app: str, *, port: int, workers: int, threads: int, probe: str, env: Mapping[str, str],
                  timeout: float = 60) -> subprocess.Popen[bytes]:
    """Serve `app` ("bench.x:application") over WSGI on 127.0.0.1:`port`; return once `probe` answers 200."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    granian = str(Path(sys.executable).with_name("granian"))
    proc = subprocess.Popen([granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
                             "--log-level", "warning", app],
                            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("granian did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


def fan_out(target: Callable[..., None], *, clients: int, processes: int,
            args_for: Callable[[int, int, float, Any], tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Run `clients` load threads spread over `processes` client processes started together.

    `args_for(index, threads, start_at, queue)` gives each process's arguments for `target`, which
    puts exactly one result tuple on the queue; the tuples are returned in arrival order.
    """
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    queue: Any = mp.Queue()
    start_at = time.time() + 1.0
    procs = [mp.Process(target=target, args=args_for(i, n, start_at, queue)) for i, n in enumerate(per) if n]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return results


def get_load_process(port: int, threads: int, seconds: float, requests: list[tuple[str, dict[str, str]]],
                     seed: int, start_at: float, out: Any) -> None:
    """One client process for `fan_out`: `threads` keep-alive connections GET a random
    (path, headers) of `requests` from `start_at` for `seconds`; puts (latencies, errors)."""
    import random
    import threading

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while time.time() < end:
            path, headers = rng.choice(requests)
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if ok:
                mine.append(time.perf_counter() - t0)
            else:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((latencies, errors[0]))


def get_load(port: int, clients: int, seconds: float, requests: list[tuple[str, dict[str, str]]],
             processes: int) -> dict[str, float]:
    """`clients` GET clients over `processes` processes (get_load_process), summarised."""
    results = fan_out(get_load_process, clients=clients, processes=processes,
                      args_for=lambda i, n, start_at, q: (port, n, seconds, requests, i, start_at, q))
    return summarize([lat for r in results for lat in r[0]], sum(r[1] for r in results), seconds)


def summarize(latencies: list[float], errors: int, seconds: float) -> dict[str, float]:
    """Throughput and p50/p99 (ms) of one load run."""
    latencies = sorted(latencies)
    n = len(latencies)
    return {
        "requests": n, "errors": errors, "rps": n / seconds,
        "p50_ms": statistics.median(latencies) * 1000 if n else float("nan"),
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else float("nan"),
    }


def report_line(name: str, r: Mapping[str, float], width: int = 44) -> str:
    return (f"{name:<{width}} {r['rps']:8.1f} req/s   p50 {r['p50_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms   "
            f"({int(r['requests'])} ok, {int(r['errors'])} errors)")


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def server_env(db_url: str, var_dir: str, **extra: str) -> dict[str, str]:
    """Environment of a benchmarked server: production settings (no debug, real middleware) on `db_url`."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": db_url,
        "SECRET_KEY": "bench-only-secret-key-not-for-production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "KYCUONG_VAR_DIR": var_dir,
        **extra,
    }
