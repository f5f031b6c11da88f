"""`product_types` and `work_items` JSON Lines: all-or-nothing with line numbers, exact round trip,
bounded event times marked imported, events through the one life-cycle table."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import registry, write_jsonl
from kycuong.workplans.interchange import (
    export_product_types,
    export_work_items,
    import_product_types,
    import_work_items,
)
from kycuong.workplans.models import (
    Completion,
    EventSource,
    ItemStatus,
    ProductType,
    ProgramKind,
    ProgramStatus,
    WorkItem,
    WorkItemEvent,
)
from kycuong.workplans.services.items import (
    item_accept,
    item_complete,
    item_confirm_cause,
    item_create,
    item_quality_fail,
    item_reschedule,
)
from kycuong.workplans.services.programs import program_approve, program_get_or_create, program_submit

from .factories import at, clock, product_type

NOW = at("2026-12-01 09:00")


def _lines(rows):
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in rows]


def _dump(rows) -> str:
    out = io.StringIO()
    write_jsonl(rows, out)
    return out.getvalue()


def _row(org, n, **kw):
    row = {"code": f"CV-{n:03d}", "unit": "H26.P04", "owner": org.staff["officer_a"].code, "period": "2026-W47",
           "title": f"Việc {n}", "product": "VB.TOTRINH", "quantity": 2, "due_at": "2026-11-19T17:00:00+07:00",
           "events": [{"type": "approved", "at": "2026-11-16T10:00:00+07:00", "by": org.staff["head_a"].code},
                      {"type": "completed", "at": "2026-11-19T15:00:00+07:00"}]}
    row.update(kw)
    return row


@pytest.fixture
def catalogue(org):
    return product_type(org.ward_a, code="VB.TOTRINH", name="Tờ trình, báo cáo", factor="1.5")


def test_registered_for_the_cli(org):
    importers, exporters = registry()
    assert {"product_types", "work_items"} <= set(importers) & set(exporters)


def test_product_types_round_trip_and_refusals(org):
    text = _dump([{"unit": "H26", "code": "VB.TRALOI", "name": "Văn bản trả lời", "factor": 1.0},
                  {"unit": "H26.P04", "code": "HS", "name": "Hồ sơ TTHC giải quyết", "factor": 0.2, "is_active": False}])
    assert import_product_types(io.StringIO(text)) == 2
    assert _dump(export_product_types()) == text
    for bad in ({"unit": "H26", "code": "X", "name": "X", "factor": 0},
                {"unit": "H26", "code": "X", "name": "X", "factor": True},
                {"unit": "NOPE", "code": "X", "name": "X", "factor": 1},
                {"unit": "H26", "code": "X", "name": "X", "factor": 1, "colour": "red"},
                {"unit": "H26", "code": "VB.TRALOI", "name": "X", "factor": 1}):
        with pytest.raises(ImportFailed) as exc:
            import_product_types(_lines([{"unit": "H26", "code": "OK", "name": "OK", "factor": 1}, bad]))
        assert exc.value.line == 2
    assert ProductType.objects.count() == 2


def test_contract_line_imports_through_the_life_cycle(org, catalogue):
    row = _row(org, 1, events=[
        {"type": "approved", "at": "2026-11-16T10:00:00+07:00", "by": org.staff["head_a"].code},
        {"type": "rescheduled", "at": "2026-11-18T10:00:00+07:00", "new_due_at": "2026-11-20T17:00:00+07:00",
         "objective_cause": True},
        {"type": "completed", "at": "2026-11-19T15:00:00+07:00"},
        {"type": "quality_failed", "at": "2026-11-19T16:00:00+07:00", "objective_cause": False},
        {"type": "completed", "at": "2026-11-20T11:00:00+07:00"}])
    with clock(NOW):
        assert import_work_items(_lines([row])) == 1
    item = WorkItem.objects.get()
    assert item.status == ItemStatus.REPORTED and item.completion == Completion.DONE
    assert (item.quality_failures, item.reschedules, item.objective_cause) == (1, 1, True)
    assert item.first_due_at == at("2026-11-19 17:00") and item.due_at == at("2026-11-20 17:00")
    assert str(item.weight) == "3.000"
    assert item.program.kind == ProgramKind.PERSONAL and item.program.status == ProgramStatus.APPROVED
    assert set(item.events.values_list("source", flat=True)) == {EventSource.IMPORTED}
    assert list(item.events.order_by("at", "id").values_list("type", flat=True)) == [
        "submitted", "approved", "rescheduled", "completed", "quality_failed", "completed"]


def test_a_bad_line_40_of_50_imports_nothing_and_names_line_40(org, catalogue):
    rows = [_row(org, n) for n in range(1, 51)]
    rows[39]["quantity"] = 0
    with clock(NOW), pytest.raises(ImportFailed) as exc:
        import_work_items(_lines(rows))
    assert exc.value.line == 40 and "40" in str(exc.value)
    assert not WorkItem.objects.exists() and not WorkItemEvent.objects.exists()
    rows[39]["quantity"] = 1
    with clock(NOW):
        assert import_work_items(_lines(rows)) == 50


@pytest.mark.parametrize(("change", "why"), [
    ({"colour": "red"}, "unknown key"),
    ({"product": "NOPE"}, "unknown product type"),
    ({"due_at": "2026-11-13T17:00:00+07:00"}, "due before the period"),
    ({"due_at": "2026-11-19T17:00:00"}, "no offset"),
    ({"period": "2026-Q4", "program": "personal"}, "personal quarter"),
    ({"owner": "NV-NOBODY"}, "unknown owner"),
    ({"parent": "CV-NONE"}, "unknown parent"),
    ({"events": [{"type": "completed", "at": "2026-11-19T15:00:00+07:00"}]}, "completed before approval"),
    ({"events": [{"type": "approved", "at": "2026-11-16T10:00:00+07:00", "reason": "x"}]}, "unknown event key"),
    ({"events": [{"type": "approved", "at": "2026-11-17T10:00:00+07:00"},
                 {"type": "completed", "at": "2026-11-16T10:00:00+07:00"}]}, "event before the previous one"),
    ({"events": [{"type": "approved", "at": "2026-12-02T10:00:00+07:00"}]}, "event in the future"),
    ({"events": [{"type": "rescheduled", "at": "2026-11-16T10:00:00+07:00"}]}, "rescheduled while draft"),
])
def test_bad_lines_are_refused_with_their_line(org, catalogue, change, why):
    bad = _row(org, 2, **change)
    with clock(NOW), pytest.raises(ImportFailed) as exc:
        import_work_items(_lines([_row(org, 1), bad]))
    assert exc.value.line == 2, why
    assert not WorkItem.objects.exists()


def test_a_parent_in_another_unit_is_refused(org, catalogue):
    product_type(org.ward_b, code="VB.TOTRINH")
    parent = _row(org, 1, unit="H26.P01", owner=org.staff["officer_b"].code, period="2026-11")
    child = _row(org, 2, parent="CV-001")
    with clock(NOW), pytest.raises(ImportFailed) as exc:
        import_work_items(_lines([parent, child]))
    assert exc.value.line == 2


def test_a_code_already_in_the_database_is_refused(org, catalogue):
    with clock(NOW):
        import_work_items(_lines([_row(org, 1)]))
        with pytest.raises(ImportFailed) as exc:
            import_work_items(_lines([_row(org, 2), _row(org, 1)]))
    assert exc.value.line == 2 and WorkItem.objects.count() == 1


def _live_history(org, catalogue):
    """Programs run through the services: a unit item, a personal item under it, every transition."""
    with clock(at("2026-11-16 08:30")):
        unit_prog = program_get_or_create(kind=ProgramKind.UNIT, unit=org.ward_a, period="2026-11", actor=org.user("head_a"))
        unit_item = item_create(program=unit_prog, title="Báo cáo tháng", product_type=catalogue, quantity=1,
                                due_at=at("2026-11-27 17:00"), owner=org.staff["officer_a"],
                                co_workers=[org.staff["onestop_a"]], actor=org.user("head_a"))
        week = program_get_or_create(kind=ProgramKind.PERSONAL, unit=org.ward_a, period="2026-W47",
                                     actor=org.user("officer_a"))
        a = item_create(program=week, title="Dự thảo báo cáo", product_type=catalogue, quantity="1.5",
                        due_at=at("2026-11-18 17:00"), parent=unit_item, description="Phần 1",
                        actor=org.user("officer_a"))
        b = item_create(program=week, title="Trả lời công dân", product_type=catalogue, quantity=3,
                        due_at=at("2026-11-19 17:00"), actor=org.user("officer_a"))
        program_submit(program=week, actor=org.user("officer_a"))
        program_approve(program=week, actor=org.user("head_a"))
    with clock(at("2026-11-17 10:00")):
        item_complete(item=a, completion=Completion.PARTLY, note="Còn phần 2", actor=org.user("officer_a"))
        item_quality_fail(item=a, note="Thiếu số liệu", actor=org.user("head_a"))
        item_reschedule(item=b, new_due_at=at("2026-11-20 17:00"), reason="Chờ Sở", objective_cause=True,
                        actor=org.user("officer_a"))
        item_confirm_cause(item=b, actor=org.user("head_a"))
    with clock(at("2026-11-18 11:00")):
        item_complete(item=a, completion=Completion.DONE, actor=org.user("officer_a"))
        item_accept(item=a, actor=org.user("head_a"))


def test_round_trip_export_import_export_is_byte_identical(org, catalogue, django_db_blocker):
    _live_history(org, catalogue)
    products = _dump(export_product_types())
    first = _dump(export_work_items())
    assert first.count("\n") == 3
    WorkItemEvent.objects.all().delete()
    WorkItem.objects.all().update(parent=None)
    WorkItem.co_workers.through.objects.all().delete()
    WorkItem.objects.all().delete()
    from kycuong.workplans.models import Program

    Program.objects.all().delete()
    ProductType.objects.all().delete()
    with clock(NOW):
        import_product_types(io.StringIO(products))
        assert import_work_items(io.StringIO(first)) == 3
    assert _dump(export_work_items()) == first
    a = WorkItem.objects.get(title="Dự thảo báo cáo")
    assert a.status == ItemStatus.ACCEPTED and a.quality_failures == 1 and a.parent.title == "Báo cáo tháng"
    assert WorkItem.objects.get(title="Báo cáo tháng").co_workers.get() == org.staff["onestop_a"]


def test_cli_import_and_export(org, catalogue, tmp_path, capsys):
    path = tmp_path / "items.jsonl"
    path.write_text("".join(_lines([_row(org, 1)])), encoding="utf-8")
    with clock(NOW):
        call_command("import", "work_items", str(path))
    capsys.readouterr()
    call_command("export", "work_items")
    assert json.loads(capsys.readouterr().out.splitlines()[0])["code"] == "CV-001"
