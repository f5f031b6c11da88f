"""Demo organisation: Hanoi city, its departments, the 126 wards/communes (real names, from
kycuong/demo_data, compiled from Resolution 1656/NQ-UBTVQH15), the public administrative service
centre with reception points, ~2,000 staff with Vietnamese names, and one demo login per role."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from kycuong.core.demodata import DEMO_PASSWORD, DemoContext

from .models import Membership, Role, Staff, Unit, UnitKind

SURNAMES = ["Nguyễn"] * 38 + ["Trần"] * 11 + ["Lê"] * 9 + ["Phạm"] * 7 + ["Hoàng"] * 5 + ["Vũ"] * 4 + ["Đặng"] * 3 + [
    "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Phan", "Trịnh", "Đào", "Mai", "Cao", "Lương", "Tạ", "Kiều"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thanh", "Xuân", "Công", "Mạnh", "Tuấn", "Hoàng", "Đình"]
MIDDLE_F = ["Thị", "Thị", "Thu", "Thanh", "Ngọc", "Minh", "Phương", "Hồng", "Kim", "Thùy", "Lan"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong",
           "Quân", "Sơn", "Thắng", "Thành", "Trung", "Tùng", "Việt", "Vinh", "Tuấn", "Hoàng", "Kiên", "Lâm"]
GIVEN_F = ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai",
           "Nga", "Ngọc", "Nhung", "Oanh", "Phương", "Quyên", "Thảo", "Thủy", "Trang", "Vân", "Yến", "Huyền"]

RECEPTION_POINTS = ["Hoàn Kiếm", "Ba Đình", "Cầu Giấy", "Đống Đa", "Hà Đông", "Long Biên", "Tây Hồ",
                    "Thanh Xuân", "Hoàng Mai", "Sơn Tây", "Đông Anh", "Gia Lâm"]
DEPARTMENT_OFFICES = ["Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch – Tài chính"]

# One demo login per role (all with DEMO_PASSWORD).
DEMO_ACCOUNTS: list[dict[str, Any]] = [
    {"username": "admin", "role": "Quản trị hệ thống (admin)", "unit": "H26", "staff_role": Role.ADMIN, "superuser": True},
    {"username": "lanhdao", "role": "Lãnh đạo thành phố (city_leader)", "unit": "H26", "staff_role": Role.CITY_LEADER},
    {"username": "thanhtra", "role": "Thanh tra công vụ, Sở Nội vụ (inspector)", "unit": "H26.SNV", "staff_role": Role.INSPECTOR},
    {"username": "giamdoc.stp", "role": "Thủ trưởng, Sở Tư pháp (head)", "unit": "H26.STP", "staff_role": Role.HEAD},
    {"username": "chutich.hoankiem", "role": "Thủ trưởng, Phường Hoàn Kiếm (head)", "unit": "H26.P04", "staff_role": Role.HEAD},
    {"username": "phochutich.hoankiem", "role": "Cấp phó, Phường Hoàn Kiếm (deputy)", "unit": "H26.P04", "staff_role": Role.DEPUTY},
    {"username": "chuyenvien.hoankiem", "role": "Chuyên viên, Phường Hoàn Kiếm (officer)", "unit": "H26.P04", "staff_role": Role.OFFICER},
    {"username": "motcua.hoankiem", "role": "Cán bộ một cửa, Phường Hoàn Kiếm (one_stop_officer)", "unit": "H26.P04", "staff_role": Role.ONE_STOP_OFFICER},
    {"username": "chuyenvien.badinh", "role": "Chuyên viên, Phường Ba Đình (officer)", "unit": "H26.P01", "staff_role": Role.OFFICER},
    {"username": "motcua.ttpvhcc", "role": "Cán bộ một cửa, Trung tâm PVHCC – Điểm Hoàn Kiếm (one_stop_officer)", "unit": "H26.TTPVHCC.01", "staff_role": Role.ONE_STOP_OFFICER},
]


def vietnamese_name(rng: Any) -> tuple[str, bool]:
    female = rng.random() < 0.55
    middle = rng.choice(MIDDLE_F if female else MIDDLE_M)
    given = rng.choice(GIVEN_F if female else GIVEN_M)
    return f"{rng.choice(SURNAMES)} {middle} {given}", female


def _read_csv(ctx: DemoContext, name: str) -> list[dict[str, str]]:
    with open(ctx.data_dir / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("org")
    units: list[Unit] = []

    def add(code: str, name: str, kind: str, parent: Unit | None, short: str = "") -> Unit:
        unit = Unit(code=code, name=name, kind=kind, parent=parent, short_name=short)
        unit.save()
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.depth = parent.depth + 1 if parent else 0
        Unit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)
        units.append(unit)
        return unit

    import datetime as dt

    city = add("H26", "Ủy ban nhân dân thành phố Hà Nội", UnitKind.CITY, None, "UBND TP")
    departments: list[Unit] = []
    centre = None
    for row in _read_csv(ctx, "hanoi-departments-2025.csv"):
        abbrev = row["abbrev"] or "".join(w[0] for w in row["name"].split()).upper()
        if abbrev == "TTPVHCC":
            centre = add("H26.TTPVHCC", row["name"], UnitKind.SERVICE_CENTRE, city, abbrev)
        else:
            dep = add(f"H26.{abbrev}", row["name"], UnitKind.DEPARTMENT, city, abbrev)
            departments.append(dep)
            for i, office in enumerate(DEPARTMENT_OFFICES, start=1):
                add(f"{dep.code}.{i:02d}", f"{office} – {dep.name}", UnitKind.OFFICE, dep)
    assert centre is not None
    reception_points = [add(f"H26.TTPVHCC.{i:02d}", f"Điểm tiếp nhận {name}", UnitKind.RECEPTION_POINT, centre)
                        for i, name in enumerate(RECEPTION_POINTS, start=1)]
    locals_: list[Unit] = []
    counters = {"phường": 0, "xã": 0}
    for row in _read_csv(ctx, "hanoi-communes-2025.csv"):
        counters[row["kind"]] += 1
        if row["kind"] == "phường":
            unit = add(f"H26.P{counters['phường']:02d}", f"Phường {row['name']}", UnitKind.WARD, city)
        else:
            unit = add(f"H26.X{counters['xã']:02d}", f"Xã {row['name']}", UnitKind.COMMUNE, city)
        # Two-level government since 1/7/2025 (Law 72/2025/QH15).
        unit.active_from = dt.date(2025, 7, 1)
        locals_.append(unit)
    Unit.objects.bulk_update(locals_, ["active_from"])

    # Staff: wards/communes ~12, departments ~25 (+ offices), centre ~5 per reception point.
    staff_rows: list[tuple[Staff, list[tuple[Unit, str]]]] = []
    seq = 0

    def person(unit: Unit, role: str, position: str) -> None:
        nonlocal seq
        seq += 1
        name, _female = vietnamese_name(rng)
        phone = "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        staff = Staff(code=f"NV{seq:05d}", full_name=name, position=position, phone=phone,
                      email=f"nv{seq:05d}@hanoi.gov.vn")
        staff_rows.append((staff, [(unit, role)]))

    for unit in locals_:
        person(unit, Role.HEAD, "Chủ tịch UBND")
        person(unit, Role.DEPUTY, "Phó Chủ tịch UBND")
        for _ in range(3):
            person(unit, Role.ONE_STOP_OFFICER, "Công chức Bộ phận một cửa")
        for _ in range(rng.randint(6, 9)):
            person(unit, Role.OFFICER, rng.choice(["Công chức Tư pháp – Hộ tịch", "Công chức Địa chính – Xây dựng",
                                                   "Công chức Văn hóa – Xã hội", "Công chức Văn phòng – Thống kê",
                                                   "Công chức Tài chính – Kế toán"]))
    offices_by_dep = {d.pk: [u for u in units if u.parent_id == d.pk] for d in departments}
    for dep in departments:
        person(dep, Role.HEAD, "Giám đốc")
        person(dep, Role.DEPUTY, "Phó Giám đốc")
        person(dep, Role.ONE_STOP_OFFICER, "Công chức tiếp nhận hồ sơ")
        for _ in range(rng.randint(14, 20)):
            person(dep, Role.OFFICER, "Chuyên viên")
        for office_unit in offices_by_dep[dep.pk]:
            person(office_unit, Role.HEAD, "Trưởng phòng")
            for _ in range(rng.randint(2, 3)):
                person(office_unit, Role.OFFICER, "Chuyên viên")
    snv = next(d for d in departments if d.code == "H26.SNV")
    for _ in range(6):
        person(snv, Role.INSPECTOR, "Thanh tra viên công vụ")
    person(centre, Role.HEAD, "Giám đốc Trung tâm")
    for rp in reception_points:
        person(rp, Role.HEAD, "Trưởng điểm tiếp nhận")
        for _ in range(4):
            person(rp, Role.ONE_STOP_OFFICER, "Viên chức tiếp nhận hồ sơ")
    person(city, Role.CITY_LEADER, "Phó Chủ tịch UBND thành phố")

    # Demo logins: each is a real staff member of the named unit.
    User = get_user_model()
    by_code = {u.code: u for u in units}
    password_hash = make_password(DEMO_PASSWORD)
    users = []
    for account in DEMO_ACCOUNTS:
        name, _female = vietnamese_name(rng)
        parts = name.split()
        user = User(username=account["username"], first_name=parts[-1], last_name=" ".join(parts[:-1]),
                    email=f"{account['username']}@demo.kycuong.vn", password=password_hash,
                    is_staff=bool(account.get("superuser")), is_superuser=bool(account.get("superuser")))
        users.append(user)
        seq += 1
        staff = Staff(code=f"NV{seq:05d}", full_name=name, position=str(account["role"]).split(",")[0],
                      phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)), email=user.email)
        staff_rows.append((staff, [(by_code[str(account["unit"])], str(account["staff_role"]))]))
        ctx.accounts.append({"username": str(account["username"]), "role": str(account["role"])})
    User.objects.bulk_create(users)
    users_by_name = {u.username: u for u in User.objects.filter(username__in=[a["username"] for a in DEMO_ACCOUNTS])}
    demo_staff_offset = len(staff_rows) - len(DEMO_ACCOUNTS)
    for i, account in enumerate(DEMO_ACCOUNTS):
        staff_rows[demo_staff_offset + i][0].user = users_by_name[str(account["username"])]
    Staff.objects.bulk_create([s for s, _m in staff_rows], batch_size=1000)
    saved = {s.code: s for s in Staff.objects.all()}
    Membership.objects.bulk_create(
        [Membership(staff=saved[s.code], unit=u, role=r) for s, ms in staff_rows for u, r in ms], batch_size=1000
    )
    ctx.extra["city"] = city
    return f"{len(units)} units, {len(staff_rows)} staff, {len(DEMO_ACCOUNTS)} demo logins"
