"""The audit trail is a hash chain that `kycuong audit verify` recomputes; rows cannot be changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from kycuong.core.audit import audit_record, audit_record_many, personal_data_access_record
from kycuong.core.auditchain import GENESIS, chain_verify, content_digest, event_values, link_hash
from kycuong.core.models import AppendOnlyError, AuditChainHead, AuditEvent, PersonalDataAccess

pytestmark = pytest.mark.django_db


@contextmanager
def tampering(table: str = "core_auditevent") -> Iterator[object]:
    """Raw SQL as an attacker with the table owner's rights: on PostgreSQL the append-only trigger
    is disabled first (inside the test's transaction, so it comes back afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def three_events() -> list[AuditEvent]:
    return [audit_record(action=f"test.step{i}", object_type="test.thing", object_id=i, changes={"n": i, "đơn vị": "Phường A"})
            for i in (1, 2, 3)]


def verify_error() -> str:
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert exc.value.returncode == 1
    return str(exc.value)


def test_each_row_links_to_the_previous_one_and_verify_passes(org):
    first, second, third = three_events()
    assert (first.prev_hash, second.prev_hash, third.prev_hash) == (GENESIS, first.hash, second.hash)
    assert third.seq == second.seq + 1 == first.seq + 2
    stored = AuditEvent.objects.get(pk=second.pk)
    assert stored.hash == link_hash(stored.prev_hash, stored.seq, content_digest(event_values(stored)))
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (third.seq, third.hash)
    report = chain_verify()
    assert report.ok and report.count == third.seq


def test_bulk_path_continues_the_same_chain(org):
    one = audit_record(action="test.before", object_type="t", object_id=1)
    audit_record_many([{"action": "test.bulk", "object_type": "t", "object_id": i, "changes": {"i": i},
                        "at": dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)} for i in range(5)])
    after = audit_record(action="test.after", object_type="t", object_id=2)
    assert after.seq == one.seq + 6
    assert chain_verify().ok


def test_verify_command_reports_the_count(org, capsys):
    three_events()
    call_command("audit", "verify")
    assert "3 dòng" in capsys.readouterr().out


def test_edited_row_is_named(org):
    _first, second, _third = three_events()
    with tampering() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'test.forged' WHERE id = %s", [second.pk])
    report = chain_verify()
    assert report.broken is not None and (report.broken.kind, report.broken.event_id) == ("edited", second.pk)
    assert f"id={second.pk}" in verify_error()


def test_edited_changes_json_is_named(org):
    _first, second, _third = three_events()
    with tampering() as cursor:
        cursor.execute("UPDATE core_auditevent SET changes = %s WHERE id = %s", ['{"n": 99, "đơn vị": "Phường A"}', second.pk])
    broken = chain_verify().broken
    assert broken is not None and (broken.kind, broken.event_id) == ("edited", second.pk)


def test_deleted_row_is_named_by_the_gap(org):
    _first, second, third = three_events()
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [second.pk])
    broken = chain_verify().broken
    assert broken is not None and (broken.kind, broken.event_id) == ("missing", third.pk)
    message = verify_error()
    assert f"id={third.pk}" in message and f"#{second.seq}" in message


def test_deleted_and_renumbered_row_does_not_link(org):
    _first, second, third = three_events()
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [second.pk])
        cursor.execute("UPDATE core_auditevent SET seq = %s WHERE id = %s", [second.seq, third.pk])
        cursor.execute("UPDATE core_auditchainhead SET seq = %s", [second.seq])
    broken = chain_verify().broken
    assert broken is not None and (broken.kind, broken.event_id) == ("inserted", third.pk)


def test_deleted_last_row_is_reported_against_the_head(org):
    _first, _second, third = three_events()
    with tampering() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [third.pk])
    broken = chain_verify().broken
    assert broken is not None and broken.kind == "missing" and broken.seq == third.seq
    assert f"#{third.seq}" in verify_error()


def test_inserted_row_is_named(org):
    _first, _second, third = three_events()
    with connection.cursor() as cursor:  # INSERT is allowed to the app's role: no trigger to bypass
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_label, action, object_type, object_id, object_label, changes, seq,"
            " prev_hash, hash) VALUES (%s, 'kẻ gian', 'test.forged', 't', '9', '', '{}', %s, %s, %s)",
            [dt.datetime(2026, 10, 1, tzinfo=dt.UTC), third.seq + 1, third.hash, "f" * 64],
        )
        cursor.execute("SELECT id FROM core_auditevent WHERE action = 'test.forged'")
        forged_id = cursor.fetchone()[0]
    broken = chain_verify().broken
    assert broken is not None and (broken.kind, broken.event_id) == ("inserted", forged_id)
    assert f"id={forged_id}" in verify_error()


def test_inserted_row_with_the_head_moved_still_fails_when_its_hash_is_wrong(org):
    _first, _second, third = three_events()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_auditevent (at, actor_label, action, object_type, object_id, object_label, changes, seq,"
            " prev_hash, hash) VALUES (%s, '', 'test.forged', 't', '9', '', '{}', %s, %s, %s)",
            [dt.datetime(2026, 10, 1, tzinfo=dt.UTC), third.seq + 1, third.hash, "f" * 64],
        )
        cursor.execute("UPDATE core_auditchainhead SET seq = seq + 1, hash = %s", ["f" * 64])
    broken = chain_verify().broken
    assert broken is not None and broken.kind == "edited" and broken.seq == third.seq + 1


def test_queryset_update_and_delete_refuse(org):
    event = audit_record(action="test.x", object_type="t", object_id=1)
    personal_data_access_record(obj=org.staff["officer_a"], fields=["phone"])
    for queryset in (AuditEvent.objects.filter(pk=event.pk), PersonalDataAccess.objects.all()):
        with pytest.raises(AppendOnlyError):
            queryset.update(purpose="x") if queryset.model is PersonalDataAccess else queryset.update(action="x")
        with pytest.raises(AppendOnlyError):
            queryset.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.x"
    assert chain_verify().ok


def test_deleting_a_user_leaves_their_audit_rows_untouched(org):
    user = get_user_model().objects.create_user(username="tam-thoi", password="x")  # noqa: S106
    event, user_id = audit_record(action="test.by_user", object_type="t", object_id=1, actor=user), user.pk
    user.delete()
    assert AuditEvent.objects.filter(pk=event.pk).values_list("actor_id", flat=True).get() == user_id
    assert AuditEvent.objects.get(pk=event.pk).actor_label == event.actor_label
    assert chain_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize("table", ["core_auditevent", "core_personaldataaccess"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET ip = NULL", "DELETE FROM {table}"])
def test_postgres_trigger_refuses_raw_update_and_delete(org, table, statement):
    audit_record(action="test.x", object_type="t", object_id=1)
    personal_data_access_record(obj=org.staff["officer_a"], fields=["phone"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
    assert chain_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgres_truncate_is_not_refused(org):
    """Test databases are flushed with TRUNCATE, which fires no row trigger."""
    audit_record(action="test.x", object_type="t", object_id=1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent, core_personaldataaccess")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("round_", [1, 2])
def test_chain_restarts_after_the_test_database_is_flushed(transactional_db, round_):
    """Between transactional tests the tables are emptied (TRUNCATE on PostgreSQL), the head too."""
    events = [audit_record(action="test.flush", object_type="t", object_id=i) for i in range(2)]
    assert [e.seq for e in events] == [1, 2]
    assert chain_verify().ok


@pytest.mark.filterwarnings("ignore:DateTimeField AuditEvent.at received a naive")
@pytest.mark.parametrize("ip", ["10.1.2.3", "2001:DB8::0:1", "::ffff:10.0.0.1", None])
def test_content_read_back_from_the_database_hashes_the_same(org, ip):
    from kycuong.core import context

    token = context.set_current(context.RequestContext(ip=ip, user=None))
    try:
        event = audit_record(action="test.values", object_type="t", object_id=1, actor=org.user("admin"),
                             unit_id=org.ward_a.pk, at=dt.datetime(2026, 10, 1, 8, 30, 0, 123456),  # naive: local
                             changes={"whole": 1.0, "big": 1e16, "small": 0.1, "z": [1, {"b": "ả", "a": None}]})
    finally:
        context.reset(token)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert content_digest(event_values(stored)) == content_digest(event_values(event))
    assert chain_verify().ok


class _Rollback(Exception):
    pass


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_writers_keep_one_gapless_chain(transactional_db):
    import threading

    from django.db import connections

    workers, rounds, errors = 4, 10, []
    barrier = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(rounds):
                try:
                    with transaction.atomic():
                        audit_record(action="test.concurrent", object_type="t", object_id=f"{n}-{i}-a")
                        audit_record(action="test.concurrent", object_type="t", object_id=f"{n}-{i}-b")
                        if i % 3 == 0:
                            raise _Rollback
                except _Rollback:
                    pass
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    committed = workers * sum(2 for i in range(rounds) if i % 3)
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, committed + 1))
    assert chain_verify().ok
