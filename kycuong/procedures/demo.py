"""Demo catalogue: the 200 real procedures of kycuong/demo_data/procedures-sample.csv (national
catalogue codes and names), with their deciding level, processing time, fee and online level.

Where the source is silent (empty cell) a plausible value is filled in and the field is listed in
`Procedure.demo_assumed`, so nobody mistakes it for the law. Documents, internal steps and the
applicant's fields are demo values for every procedure (also listed in `demo_assumed`).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django.utils.text import slugify

from kycuong.core.demodata import DemoContext
from kycuong.core.text import fold
from kycuong.org.models import Role, Unit, UnitKind

from .models import OnlineLevel, Procedure, ProcedureStep, Sector, TimeUnit
from .services import search_key_for

LOCAL_KINDS: list[str] = [UnitKind.WARD, UnitKind.COMMUNE]

#: Sector → department deciding the provincial-level procedures (Hanoi after the 2025 restructuring).
SECTOR_DEPARTMENT = {
    "Hộ tịch": "STP", "Chứng thực": "STP", "Lý lịch tư pháp": "STP", "Nuôi con nuôi": "STP", "Hòa giải ở cơ sở": "STP",
    "Đăng ký biện pháp bảo đảm": "SNNMT", "Đất đai": "SNNMT", "Nông nghiệp": "SNNMT", "Giảm nghèo": "SNNMT",
    "Hoạt động xây dựng": "SXD", "Nhà ở": "SXD", "Đường bộ": "SXD", "Quy hoạch đô thị và nông thôn": "SQHKT",
    "Thành lập và hoạt động của doanh nghiệp": "STC", "Thành lập và hoạt động của hộ kinh doanh": "STC",
    "Việc làm": "SNV", "Người có công": "SNV", "Lao động, tiền lương": "SNV",
    "Bảo trợ xã hội": "SYT", "Trẻ em": "SYT", "Khám bệnh, chữa bệnh": "SYT", "Dược phẩm": "SYT", "An toàn thực phẩm": "SYT",
    "Du lịch": "SDL", "Văn hóa": "SVHTT", "Giáo dục và Đào tạo": "SGDĐT", "Tín ngưỡng, tôn giáo": "SDTTG",
}

#: Plausible processing time (working days) when the source gives none, by sector and level.
DEFAULT_DAYS = {"Hộ tịch": 3, "Chứng thực": 1, "Đất đai": 10, "Hoạt động xây dựng": 15, "Đăng ký, quản lý cư trú": 5,
                "Cấp, quản lý căn cước": 7, "Thành lập và hoạt động của doanh nghiệp": 3,
                "Thành lập và hoạt động của hộ kinh doanh": 3, "Bảo trợ xã hội": 7, "Người có công": 10}
DEFAULT_FEE = {"Chứng thực": 10000, "Hoạt động xây dựng": 75000, "Đất đai": 100000,
               "Thành lập và hoạt động của hộ kinh doanh": 100000, "Thành lập và hoạt động của doanh nghiệp": 50000,
               "Du lịch": 200000, "Dược phẩm": 500000, "An toàn thực phẩm": 500000}
ONLINE = {"toàn trình": OnlineLevel.FULL, "một phần": OnlineLevel.PARTIAL, "": OnlineLevel.NONE}

ID_DOC = "Giấy tờ tùy thân của người nộp (thẻ căn cước hoặc hộ chiếu)"
#: Documents by keyword in the procedure name (first match wins), then by sector.
DOCS_BY_KEYWORD = [
    ("khai sinh", ["Tờ khai đăng ký khai sinh theo mẫu", "Giấy chứng sinh (bản chính)", ID_DOC],
     "Giấy khai sinh (bản chính)"),
    ("kết hôn", ["Tờ khai đăng ký kết hôn theo mẫu", "Giấy xác nhận tình trạng hôn nhân (nếu đăng ký tại nơi khác)", ID_DOC],
     "Giấy chứng nhận kết hôn"),
    ("khai tử", ["Tờ khai đăng ký khai tử theo mẫu", "Giấy báo tử hoặc giấy tờ thay giấy báo tử", ID_DOC],
     "Trích lục khai tử"),
    ("tình trạng hôn nhân", ["Tờ khai cấp Giấy xác nhận tình trạng hôn nhân theo mẫu", ID_DOC],
     "Giấy xác nhận tình trạng hôn nhân"),
    ("chứng thực", ["Bản chính giấy tờ, văn bản cần chứng thực", "Bản sao cần chứng thực", ID_DOC], "Bản sao được chứng thực"),
    ("hộ kinh doanh", ["Giấy đề nghị đăng ký hộ kinh doanh", "Bản sao giấy tờ pháp lý của chủ hộ kinh doanh",
                       "Biên bản họp thành viên hộ gia đình (nếu có)"], "Giấy chứng nhận đăng ký hộ kinh doanh"),
    ("doanh nghiệp", ["Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty", "Danh sách thành viên/cổ đông",
                      "Bản sao giấy tờ pháp lý của cá nhân, tổ chức"], "Giấy chứng nhận đăng ký doanh nghiệp"),
    ("giấy phép xây dựng", ["Đơn đề nghị cấp giấy phép xây dựng theo mẫu", "Giấy tờ chứng minh quyền sử dụng đất",
                            "Hai bộ bản vẽ thiết kế xây dựng"], "Giấy phép xây dựng"),
    ("thường trú", ["Tờ khai thay đổi thông tin cư trú (CT01)", "Giấy tờ chứng minh chỗ ở hợp pháp"],
     "Thông báo kết quả đăng ký thường trú"),
    ("tạm trú", ["Tờ khai thay đổi thông tin cư trú (CT01)", "Giấy tờ chứng minh chỗ ở hợp pháp"],
     "Thông báo kết quả đăng ký tạm trú"),
]
DOCS_BY_SECTOR = {
    "Đất đai": ["Đơn đăng ký, đề nghị theo mẫu", "Giấy chứng nhận quyền sử dụng đất đã cấp (bản gốc)",
                "Hợp đồng, văn bản về chuyển quyền (nếu có)", "Chứng từ nộp nghĩa vụ tài chính (nếu có)"],
    "Bảo trợ xã hội": ["Tờ khai đề nghị trợ giúp xã hội theo mẫu", "Giấy xác nhận khuyết tật hoặc giấy tờ liên quan", ID_DOC],
    "Người có công": ["Bản khai cá nhân theo mẫu", "Giấy tờ làm căn cứ xác nhận người có công", ID_DOC],
    "Cấp, quản lý căn cước": ["Tờ khai căn cước theo mẫu", "Giấy tờ chứng minh thông tin thay đổi (nếu có)"],
    "Giáo dục và Đào tạo": ["Tờ trình đề nghị", "Đề án hoặc hồ sơ chứng minh đủ điều kiện", "Danh sách cán bộ quản lý, giáo viên"],
}
DEFAULT_DOCS = ["Đơn (tờ khai) đề nghị theo mẫu", "Giấy tờ chứng minh đủ điều kiện theo quy định", ID_DOC]

FORM_FIELDS_BY_KEYWORD = [
    ("khai sinh", [
        {"name": "child_name", "label": "Họ, chữ đệm, tên người được đăng ký khai sinh", "type": "text", "required": True},
        {"name": "birth_date", "label": "Ngày sinh", "type": "date", "required": True},
        {"name": "sex", "label": "Giới tính", "type": "choice", "required": True, "choices": ["Nam", "Nữ"]},
        {"name": "birth_place", "label": "Nơi sinh", "type": "text", "required": True},
    ]),
    ("kết hôn", [
        {"name": "partner_name", "label": "Họ, chữ đệm, tên bên kia", "type": "text", "required": True},
        {"name": "partner_id", "label": "Số định danh cá nhân của bên kia", "type": "text", "required": True,
         "hint": "12 chữ số"},
    ]),
    ("khai tử", [
        {"name": "deceased_name", "label": "Họ, chữ đệm, tên người đã chết", "type": "text", "required": True},
        {"name": "death_date", "label": "Ngày chết", "type": "date", "required": True},
    ]),
    ("chứng thực", [
        {"name": "pages", "label": "Số trang cần chứng thực", "type": "number", "required": True},
    ]),
]
DEFAULT_FIELDS = [{"name": "purpose", "label": "Nội dung đề nghị", "type": "text", "required": True,
                   "hint": "Ghi ngắn gọn việc cần giải quyết"}]


def _steps(rng: Any, *, hours: bool, department: bool) -> list[tuple[str, str, str, Decimal]]:
    """2–4 internal steps ("5 rõ"): receive (one-stop), examine (officer), approve (head), return."""
    if hours:
        return [("Tiếp nhận hồ sơ", Role.ONE_STOP_OFFICER, "", Decimal("0.250")),
                ("Giải quyết và trả kết quả", Role.OFFICER, "", Decimal("0.750"))]
    n = rng.choice([3, 4, 4, 4])
    if n == 3:
        return [("Tiếp nhận, kiểm tra hồ sơ", Role.ONE_STOP_OFFICER, "", Decimal("0.125")),
                ("Thẩm định hồ sơ" if department else "Xử lý hồ sơ", Role.OFFICER, "", Decimal("0.625")),
                ("Phê duyệt, ký kết quả", Role.HEAD, "", Decimal("0.250"))]
    return [("Tiếp nhận, kiểm tra hồ sơ", Role.ONE_STOP_OFFICER, "", Decimal("0.100")),
            ("Thẩm định hồ sơ", Role.OFFICER, "", Decimal("0.600")),
            ("Phê duyệt, ký kết quả", Role.HEAD, "", Decimal("0.200")),
            ("Trả kết quả", Role.ONE_STOP_OFFICER, "", Decimal("0.100"))]


def _by_keyword(name: str, table: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    lowered = name.lower()
    return next((row for row in table if row[0] in lowered), None)


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("procedures")
    with open(ctx.data_dir / "procedures-sample.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    departments = {u.code: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    sectors: dict[str, Sector] = {}
    for row in rows:
        name = row["sector"].strip()
        if name not in sectors:
            sectors[name] = Sector(code=slugify(fold(name))[:80], name=name)
    existing = {s.name: s for s in Sector.objects.filter(name__in=sectors)}
    Sector.objects.bulk_create([s for n, s in sectors.items() if n not in existing])
    sectors = {s.name: s for s in Sector.objects.filter(name__in=sectors)}

    procedures: list[Procedure] = []
    steps_for: dict[str, list[tuple[str, str, str, Decimal]]] = {}
    units_for: dict[str, Unit] = {}
    for row in rows:
        sector = row["sector"].strip()
        provincial = row["level"].strip() == "tỉnh"
        assumed = ["documents", "steps", "form_fields"]
        days = row["processing_days"].strip()
        if days:
            value = Decimal(days)
        else:
            value = Decimal(DEFAULT_DAYS.get(sector, 10 if provincial else 5))
            assumed.append("processing_time")
        unit_of_time = TimeUnit.WORKING_DAYS
        if value < 1 and value > 0:
            value, unit_of_time = (value * 8).quantize(Decimal("1")), TimeUnit.WORKING_HOURS
        fee_text = row["fee_vnd"].strip()
        if fee_text:
            fee = int(Decimal(fee_text))
        else:
            fee = DEFAULT_FEE.get(sector, 0)
            assumed.append("fee")
        online_text = row["online_level"].strip()
        if not online_text:
            assumed.append("online_level")
        kinds: list[str] = LOCAL_KINDS
        dept = None
        if provincial:
            dept = departments.get(f"H26.{SECTOR_DEPARTMENT.get(sector, 'VPUB')}")
            if dept is None:
                assumed.append("units")
            kinds = [UnitKind.DEPARTMENT]
        name = row["name"].strip()
        match = _by_keyword(name, DOCS_BY_KEYWORD)
        documents = match[1] if match else DOCS_BY_SECTOR.get(sector, DEFAULT_DOCS)
        result = match[2] if match else "Văn bản giải quyết thủ tục hành chính"
        fields_match = _by_keyword(name, FORM_FIELDS_BY_KEYWORD)
        code = row["code"].strip()
        procedures.append(Procedure(
            code=code, name=name, sector=sectors[sector],
            search_key=search_key_for(name=name, code=code, sector=sector),
            deciding_unit_kinds=kinds, processing_value=value, processing_unit=unit_of_time, fee=fee,
            online_level=ONLINE.get(online_text, OnlineLevel.NONE), documents=list(documents),
            form_fields=list(fields_match[1] if fields_match else DEFAULT_FIELDS), result=result,
            demo_assumed=assumed,
        ))
        steps_for[code] = _steps(rng, hours=unit_of_time == TimeUnit.WORKING_HOURS, department=provincial)
        if dept is not None:
            units_for[code] = dept
    Procedure.objects.bulk_create(procedures, batch_size=500)
    ids = dict(Procedure.objects.filter(code__in=steps_for).values_list("code", "id"))
    ProcedureStep.objects.bulk_create(
        [ProcedureStep(procedure_id=ids[code], order=i, name=n, role=role, unit_kind=kind, share=share)
         for code, steps in steps_for.items() for i, (n, role, kind, share) in enumerate(steps, start=1)],
        batch_size=1000,
    )
    through = Procedure.units.through
    through.objects.bulk_create([through(procedure_id=ids[code], unit_id=u.pk) for code, u in units_for.items()])
    online = sum(1 for p in procedures if p.online_level != OnlineLevel.NONE)
    return f"{len(procedures)} procedures in {len(sectors)} sectors ({online} online, {len(units_for)} decided by departments)"
