"""Concurrent deliveries: terminals resend whenever they do not get OK, possibly while the first
copy is still being processed. Each punch must be stored once; overlapping requests filed at the
same moment must not both pass."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import OperationalError, close_old_connections, connection
from django.test import Client

from kycuong.attendance.models import Absence, Device, PinMapping, Punch, RawPush
from kycuong.attendance.services import absence_request
from kycuong.core.errors import Conflict


def _run_parallel(n, fn):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_store_each_punch_once(org):
    device = Device.objects.create(serial_number="CONC0001", unit=org.ward_a, allowed_ips="127.0.0.1/32")
    Device.objects.filter(pk=device.pk).update(registered_at=dt.datetime(2026, 8, 1, tzinfo=dt.UTC))
    PinMapping.objects.create(staff=org.staff["officer_a"], pin="1", unit=org.ward_a)
    body = "".join(f"{pin}\t2026-08-20 07:{pin % 60:02d}:00\t0\t1\t0\n" for pin in range(1, 101))

    def terminal(_i):
        http = Client()
        for _attempt in range(20):  # like firmware: resend until the server says OK
            try:
                response = http.post("/iclock/cdata?SN=CONC0001&table=ATTLOG&Stamp=7", data=body, content_type="text/plain")
            except OperationalError:  # SQLite: database locked — the terminal would simply retry
                continue
            if response.status_code == 200 and response.content.startswith(b"OK"):
                return True
        return False

    results = _run_parallel(4, terminal)
    assert results == [True] * 4
    assert Punch.objects.filter(device=device).count() == 100
    assert RawPush.objects.filter(device=device).count() >= 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_requests_only_one_passes(org):
    me = org.staff["officer_a"]

    def file(i):
        return absence_request(staff=me, kind="annual", start=dt.date(2026, 8, 24 + i), end=dt.date(2026, 8, 28),
                               reason="Nghỉ phép")

    results = _run_parallel(3, file)
    created = [r for r in results if isinstance(r, Absence)]
    refused = [r for r in results if isinstance(r, Conflict | OperationalError)]
    assert len(created) == 1 and len(refused) == 2
    if connection.vendor == "postgresql":
        assert all(isinstance(r, Conflict) for r in refused)
    assert Absence.objects.filter(staff=me).count() == 1
