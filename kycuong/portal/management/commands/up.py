from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kycuong.core.demodata import DEMO_PASSWORD
from kycuong.org.demo import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Start the web server (granian, WSGI), the background worker and the scheduler; Ctrl-C stops all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")}
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        granian = os.path.join(os.path.dirname(sys.executable), "granian")
        procs = {
            "web": subprocess.Popen([granian, "--interface", "wsgi", "--host", options["host"], "--port",
                                     str(options["port"]), "--workers", str(options["workers"]), "--blocking-threads", "4",
                                     "--log-level", "warning", "config.wsgi:application"], env=env, cwd=settings.BASE_DIR),
            "worker": subprocess.Popen([*manage, "db_worker", "--interval", "1"], env=env, cwd=settings.BASE_DIR),
            "scheduler": subprocess.Popen([*manage, "scheduler"], env=env, cwd=settings.BASE_DIR),
        }
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Kỷ cương is running at {url}"))
        self.stdout.write(f"  API docs: {url}api/v1/docs   Admin: {url}quan-tri/")
        self.stdout.write(f"  Demo logins (password: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"    {account['username']:<22} {account['role']}")
        self.stdout.write("  Press Ctrl-C to stop the web server, the worker and the scheduler.")
        stopping = False

        def _stop(*_a: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with {proc.returncode}; stopping")
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.stdout.write("stopped")
