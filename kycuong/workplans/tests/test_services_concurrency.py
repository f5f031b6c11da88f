"""Concurrent edits of the same item (issue 11): both read version v, both send it; exactly one
edit is saved, the other gets 409 `stale`, nothing is lost or mixed."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, close_old_connections, connection

from kycuong.core.errors import Conflict
from kycuong.workplans.models import WorkItem
from kycuong.workplans.services.items import item_update

from .factories import week_of


def _parallel(n, fn):
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # asserted by the caller
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
def test_two_concurrent_edits_one_wins_the_other_is_stale(org):
    item = week_of(org, items=1).items.get()
    seen = item.version
    user = org.user("officer_a")

    def edit(i):
        return item_update(item=item, actor=user, expected_version=seen, title=f"Bản {i}", quantity=i + 1)

    results = _parallel(2, edit)
    saved = [r for r in results if isinstance(r, WorkItem)]
    refused = [r for r in results if isinstance(r, Conflict | OperationalError)]
    assert len(saved) == 1 and len(refused) == 1
    if connection.vendor == "postgresql":
        assert refused[0].code == "stale"
    item.refresh_from_db()
    winner = saved[0]
    assert (item.title, item.quantity, item.version) == (winner.title, winner.quantity, seen + 1)
