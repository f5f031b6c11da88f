from __future__ import annotations

import io
import json

import pytest

from kycuong.attendance.interchange import export_punches, import_punches
from kycuong.attendance.models import Punch
from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import registry, write_jsonl


def test_registered_in_interchange():
    importers, exporters = registry()
    assert "punches" in importers and "punches" in exporters


def test_jsonl_round_trip(device, org):
    lines = [{"device": device.serial_number, "pin": "1", "time": "2026-08-03T07:58:12+07:00", "status": 0, "verify": 1},
             {"device": device.serial_number, "pin": "9", "time": "2026-08-03T17:01:00+07:00", "status": 1, "verify": 15}]
    text = "".join(json.dumps(x) + "\n" for x in lines)
    assert import_punches(io.StringIO(text)) == 2
    assert Punch.objects.get(pin="1").staff == org.staff["officer_a"]
    assert Punch.objects.get(pin="9").staff is None  # unmapped PIN kept, mapped later
    out = io.StringIO()
    write_jsonl(export_punches(period="2026-08"), out)
    assert [json.loads(x) for x in out.getvalue().splitlines()] == lines


@pytest.mark.parametrize(("text", "line"), [
    ('{"device": "CJDE123456789", "pin": "1", "time": "2026-08-03T07:58:12+07:00"}\n{"device": "NOPE", "pin": "1", "time": "2026-08-03T07:58:12+07:00"}\n', 2),
    ('{"device": "CJDE123456789", "pin": "1", "time": "2026-08-03T07:58:12+07:00", "colour": "red"}\n', 1),
    ('{"device": "CJDE123456789", "pin": "", "time": "2026-08-03T07:58:12+07:00"}\n', 1),
    ('{"device": "CJDE123456789", "pin": "1", "time": "2099-08-03T07:58:12+07:00"}\n', 1),
])
def test_bad_lines_name_the_line_and_change_nothing(device, text, line):
    with pytest.raises(ImportFailed) as exc:
        import_punches(io.StringIO(text))
    assert exc.value.line == line
    assert Punch.objects.count() == 0
