from __future__ import annotations

import io
import json

import pytest

from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import registry, write_jsonl
from kycuong.procedures.interchange import export_procedures, import_procedures
from kycuong.procedures.models import Procedure

ROWS = [
    {"code": "1.001193", "name": "Thủ tục đăng ký khai sinh", "sector": "Hộ tịch", "units": [],
     "processing_time": {"value": 1, "unit": "working_days"}, "fee": 0, "online_level": "full",
     "documents": ["Tờ khai đăng ký khai sinh", "Giấy chứng sinh"],
     "steps": [{"name": "Tiếp nhận", "role": "one_stop_officer", "share": 0.125},
               {"name": "Xử lý", "role": "officer", "share": 0.625},
               {"name": "Phê duyệt", "role": "head", "share": 0.25}],
     "unit_kinds": ["ward", "commune"],
     "form_fields": [{"name": "child_name", "label": "Họ tên trẻ", "type": "text", "required": True}]},
    {"code": "1.009972", "name": "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "sector": "Hoạt động xây dựng",
     "units": ["H26.STP"], "processing_time": {"value": 0.125, "unit": "working_days"}, "fee": 75000,
     "online_level": "partial", "documents": [],
     "steps": [{"name": "Thẩm định", "role": "officer", "share": 0.7, "unit_kind": "office"},
               {"name": "Ký", "role": "head", "share": 0.3}], "cutoff": "15:30"},
    {"code": "2.000815", "name": "Chứng thực bản sao từ bản chính", "sector": "Chứng thực", "units": [],
     "processing_time": {"value": 8, "unit": "working_hours"}, "fee": 2000, "online_level": "none",
     "documents": ["Bản chính"], "steps": []},
]


def jsonl(rows):
    return io.StringIO("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")


def exported():
    out = io.StringIO()
    write_jsonl(export_procedures(), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_round_trip_is_exact(org):
    assert import_procedures(jsonl(ROWS)) == 3
    assert exported() == sorted(ROWS, key=lambda r: r["code"])
    # Importing the export again changes nothing.
    first = exported()
    assert import_procedures(jsonl(first)) == 3
    assert exported() == first
    assert Procedure.objects.get(code="1.001193").search_key.startswith("thu tuc dang ky khai sinh")


def test_registered_for_the_cli(db):
    importers, exporters = registry()
    assert importers["procedures"] is import_procedures and exporters["procedures"] is export_procedures


@pytest.mark.parametrize("bad, line_no, fragment", [
    ({**ROWS[2], "colour": "red"}, 3, "colour"),
    ({**ROWS[2], "online_level": "sometimes"}, 3, "online_level"),
    ({**ROWS[2], "processing_time": {"value": -1, "unit": "working_days"}}, 3, "không âm"),
    ({**ROWS[2], "units": ["H26.NOPE"]}, 3, "H26.NOPE"),
    ({**ROWS[2], "steps": [{"name": "A", "role": "officer", "share": 0.3}]}, 3, "Tổng tỷ lệ"),
    ({**ROWS[2], "code": "1.001193"}, 3, "lặp lại"),
    ({k: v for k, v in ROWS[2].items() if k != "fee"}, 3, "fee"),
])
def test_an_invalid_line_rejects_the_whole_file(org, bad, line_no, fragment):
    with pytest.raises(ImportFailed) as err:
        import_procedures(jsonl([ROWS[0], ROWS[1], bad]))
    assert err.value.line == line_no
    assert fragment in str(err.value.message)
    assert Procedure.objects.count() == 0


def test_service_refusal_late_in_the_file_rolls_back_earlier_lines(org):
    # The shares check runs inside procedure_create, after lines 1-2 were written: all rolled back.
    bad = {**ROWS[2], "steps": [{"name": "A", "role": "officer", "share": 0.5}]}
    with pytest.raises(ImportFailed) as err:
        import_procedures(jsonl([ROWS[0], ROWS[1], bad]))
    assert err.value.line == 3
    assert Procedure.objects.count() == 0


def test_malformed_json_names_its_line(db):
    with pytest.raises(ImportFailed) as err:
        import_procedures(io.StringIO(json.dumps(ROWS[0], ensure_ascii=False) + "\n{oops\n"))
    assert err.value.line == 2


def test_import_updates_existing_by_code(org):
    import_procedures(jsonl(ROWS))
    changed = {**ROWS[0], "fee": 5000, "steps": [{"name": "Giải quyết", "role": "officer", "share": 1}]}
    import_procedures(jsonl([changed]))
    p = Procedure.objects.get(code="1.001193")
    assert p.fee == 5000 and list(p.steps.values_list("name", flat=True)) == ["Giải quyết"]
    assert Procedure.objects.count() == 3


def test_export_for_one_unit(org):
    import_procedures(jsonl(ROWS))
    codes = [r["code"] for r in export_procedures(unit="H26.STP")]
    assert codes == ["1.009972"]
    assert [r["code"] for r in export_procedures(unit="H26.P04")] == ["1.001193"]
