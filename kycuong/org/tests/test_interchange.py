from __future__ import annotations

import io
import json

import pytest

from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import write_jsonl
from kycuong.org.interchange import export_staff, export_units, import_staff, import_units
from kycuong.org.models import Staff, Unit

UNITS = [
    {"code": "H26", "name": "Thành phố Hà Nội", "kind": "city", "parent": None},
    {"code": "H26.01", "name": "Phường Hoàn Kiếm", "kind": "ward", "parent": "H26"},
    {"code": "H26.01.1", "name": "Bộ phận một cửa", "kind": "office", "parent": "H26.01"},
]


def jsonl(rows):
    return io.StringIO("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")


def test_units_round_trip(db):
    # Children before parents in the file still import.
    assert import_units(jsonl(list(reversed(UNITS)))) == 3
    assert Unit.objects.get(code="H26.01.1").path.count("/") == 4
    out = io.StringIO()
    write_jsonl(export_units(), out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == UNITS


def test_invalid_line_rejects_whole_file(db):
    rows = [*UNITS, {"code": "H26.02", "name": "X", "kind": "district", "parent": "H26"}]
    with pytest.raises(ImportFailed) as err:
        import_units(jsonl(rows))
    assert err.value.line == 4
    assert Unit.objects.count() == 0


def test_unknown_key_is_an_error(db):
    with pytest.raises(ImportFailed) as err:
        import_units(jsonl([{**UNITS[0], "colour": "red"}]))
    assert err.value.line == 1 and "colour" in str(err.value.message)


def test_missing_parent_is_an_error(db):
    with pytest.raises(ImportFailed) as err:
        import_units(jsonl([UNITS[1]]))
    assert err.value.line == 1


def test_malformed_json_names_line(db):
    with pytest.raises(ImportFailed) as err:
        import_units(io.StringIO(json.dumps(UNITS[0]) + "\n{not json\n"))
    assert err.value.line == 2


def test_units_csv(db):
    data = "code,name,kind,parent\nH26,Hà Nội,city,\nH26.01,Phường Hoàn Kiếm,ward,H26\n"
    assert import_units(io.StringIO(data), fmt="csv") == 2


def test_staff_round_trip(db):
    import_units(jsonl(UNITS))
    staff = [
        {"code": "NV0001", "name": "Nguyễn Văn An", "email": "an@hanoi.gov.vn",
         "memberships": [{"unit": "H26.01", "role": "head"}, {"unit": "H26.01.1", "role": "one_stop_officer"}]},
        {"code": "NV0002", "name": "Trần Thị Bình", "email": "", "memberships": [{"unit": "H26", "role": "city_leader"}]},
    ]
    assert import_staff(jsonl(staff)) == 2
    out = io.StringIO()
    write_jsonl(export_staff(), out)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == staff


def test_staff_bad_role_rejects_file(db):
    import_units(jsonl(UNITS))
    staff = [{"code": "NV1", "name": "A", "memberships": [{"unit": "H26", "role": "king"}]}]
    with pytest.raises(ImportFailed):
        import_staff(jsonl(staff))
    assert Staff.objects.count() == 0


def test_import_command_reports_line(db, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "units.jsonl"
    path.write_text(json.dumps(UNITS[0]) + "\n" + json.dumps({"code": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        call_command("import", "units", str(path))
    assert Unit.objects.count() == 0


def test_csv_export_then_import_round_trip(db, capsys):
    from django.core.management import call_command

    import_units(jsonl(UNITS))
    import_staff(jsonl([{"code": "NV1", "name": "Lê Văn Tám", "email": "",
                         "memberships": [{"unit": "H26.01", "role": "head"}, {"unit": "H26", "role": "inspector"}]}]))
    call_command("export", "units", "--format", "csv")
    units_csv = capsys.readouterr().out
    call_command("export", "staff", "--format", "csv")
    staff_csv = capsys.readouterr().out
    assert units_csv.splitlines()[0] == "code,name,kind,parent"
    Staff.objects.all().delete()
    for unit in Unit.objects.order_by("-depth"):
        unit.delete()
    assert import_units(io.StringIO(units_csv), fmt="csv") == 3
    assert import_staff(io.StringIO(staff_csv), fmt="csv") == 1
    out = io.StringIO()
    write_jsonl(export_staff(), out)
    assert json.loads(out.getvalue())["memberships"] == [{"unit": "H26.01", "role": "head"}, {"unit": "H26", "role": "inspector"}]
