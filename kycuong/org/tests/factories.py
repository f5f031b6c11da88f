"""factory_boy factories and a small organisation tree for tests of every module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import factory
from django.contrib.auth import get_user_model

from kycuong.org.models import Membership, Role, Staff, Unit, UnitKind
from kycuong.org.services import _set_path

PASSWORD = "pw"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    kind = UnitKind.WARD

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Unit:
        unit = super()._create(model_class, *args, **kwargs)
        _set_path(unit)
        unit.save(update_fields=["path", "depth"])
        return unit


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "An"
    last_name = "Nguyễn Văn"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: Any, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    code = factory.Sequence(lambda n: f"NV{n:05d}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    user = factory.SubFactory(UserFactory)
    phone = "0912345678"


def staff_with_role(unit: Unit, role: str, username: str, *, superuser: bool = False) -> Staff:
    user = UserFactory(username=username, is_superuser=superuser, is_staff=superuser)
    staff = StaffFactory(user=user, full_name=f"Cán bộ {username}")
    Membership.objects.create(staff=staff, unit=unit, role=role)
    return staff


@dataclass
class OrgTree:
    city: Unit
    dept: Unit
    dept_office: Unit
    ward_a: Unit
    ward_b: Unit
    commune_c: Unit
    centre: Unit
    reception: Unit
    users: dict[str, Any]
    staff: dict[str, Staff]

    def user(self, name: str) -> Any:
        return self.users[name]


def build_org_tree() -> OrgTree:
    city = UnitFactory(code="H26", name="UBND thành phố Hà Nội", kind=UnitKind.CITY)
    dept = UnitFactory(code="H26.STP", name="Sở Tư pháp", kind=UnitKind.DEPARTMENT, parent=city)
    office = UnitFactory(code="H26.STP.01", name="Văn phòng Sở Tư pháp", kind=UnitKind.OFFICE, parent=dept)
    ward_a = UnitFactory(code="H26.P04", name="Phường Hoàn Kiếm", kind=UnitKind.WARD, parent=city)
    ward_b = UnitFactory(code="H26.P01", name="Phường Ba Đình", kind=UnitKind.WARD, parent=city)
    commune_c = UnitFactory(code="H26.X01", name="Xã Sóc Sơn", kind=UnitKind.COMMUNE, parent=city)
    centre = UnitFactory(code="H26.TTPVHCC", name="Trung tâm PVHCC", kind=UnitKind.SERVICE_CENTRE, parent=city)
    reception = UnitFactory(code="H26.TTPVHCC.01", name="Điểm tiếp nhận Hoàn Kiếm", kind=UnitKind.RECEPTION_POINT,
                            parent=centre)
    staff = {
        "admin": staff_with_role(city, Role.ADMIN, "admin", superuser=True),
        "leader": staff_with_role(city, Role.CITY_LEADER, "leader"),
        "inspector": staff_with_role(dept, Role.INSPECTOR, "inspector"),
        "head_a": staff_with_role(ward_a, Role.HEAD, "head_a"),
        "officer_a": staff_with_role(ward_a, Role.OFFICER, "officer_a"),
        "onestop_a": staff_with_role(ward_a, Role.ONE_STOP_OFFICER, "onestop_a"),
        "officer_b": staff_with_role(ward_b, Role.OFFICER, "officer_b"),
        "head_b": staff_with_role(ward_b, Role.HEAD, "head_b"),
        "dept_head": staff_with_role(dept, Role.HEAD, "dept_head"),
        "dept_officer": staff_with_role(office, Role.OFFICER, "dept_officer"),
        "onestop_rp": staff_with_role(reception, Role.ONE_STOP_OFFICER, "onestop_rp"),
    }
    users = {name: s.user for name, s in staff.items()}
    return OrgTree(city, dept, office, ward_a, ward_b, commune_c, centre, reception, users, staff)
