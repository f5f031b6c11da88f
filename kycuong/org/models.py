"""Organisation: units as a tree of any depth, staff, and their roles in units (domain.md §1)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    CITY = "city", _("Thành phố")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    WARD = "ward", _("Phường")
    COMMUNE = "commune", _("Xã")
    SERVICE_CENTRE = "service_centre", _("Trung tâm Phục vụ hành chính công")
    RECEPTION_POINT = "reception_point", _("Điểm tiếp nhận")
    OFFICE = "office", _("Phòng, bộ phận")


class Role(models.TextChoices):
    HEAD = "head", _("Thủ trưởng")
    DEPUTY = "deputy", _("Cấp phó")
    OFFICER = "officer", _("Chuyên viên")
    ONE_STOP_OFFICER = "one_stop_officer", _("Cán bộ một cửa")
    INSPECTOR = "inspector", _("Thanh tra công vụ")
    CITY_LEADER = "city_leader", _("Lãnh đạo thành phố")
    ADMIN = "admin", _("Quản trị hệ thống")


#: Roles that see every unit of the city whatever unit they sit in.
CITY_WIDE_ROLES = frozenset({Role.CITY_LEADER, Role.INSPECTOR, Role.ADMIN})
#: Roles that manage a unit (approve, reassign, decide).
MANAGER_ROLES = frozenset({Role.HEAD, Role.DEPUTY})


def in_force_q(day: dt.date, prefix: str = "") -> Q:
    """The one reading of `active_from` / `active_to` (units and memberships): in force on `day`
    when `active_from` is empty or ≤ day and `active_to` is empty or > day. `active_to` is the
    first day it no longer applies (the day a membership ends or a unit is dissolved/merged).
    `prefix` reaches the dates across a relation, e.g. `prefix="memberships__"`."""
    return ((Q(**{f"{prefix}active_from__isnull": True}) | Q(**{f"{prefix}active_from__lte": day}))
            & (Q(**{f"{prefix}active_to__isnull": True}) | Q(**{f"{prefix}active_to__gt": day})))


def in_force_during_q(start: dt.date, end: dt.date, prefix: str = "") -> Q:
    """`in_force_q` over the days [start, end) (end exclusive): in force on at least one of them."""
    return ((Q(**{f"{prefix}active_from__isnull": True}) | Q(**{f"{prefix}active_from__lt": end}))
            & (Q(**{f"{prefix}active_to__isnull": True}) | Q(**{f"{prefix}active_to__gt": start})))


def in_force_on(active_from: dt.date | None, active_to: dt.date | None, day: dt.date) -> bool:
    """`in_force_q` for one loaded row and one day."""
    return (active_from is None or active_from <= day) and (active_to is None or active_to > day)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def in_force(self, on: dt.date | None = None) -> MembershipQuerySet:
        """Memberships in force on `on` (today, local time, by default) of staff still active."""
        return self.filter(in_force_q(on or timezone.localdate()), staff__is_active=True)


class UnitQuerySet(models.QuerySet["Unit"]):
    def active(self, on: dt.date | None = None) -> UnitQuerySet:
        return self.filter(in_force_q(on or timezone.localdate()))

    def subtree_of(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__startswith=unit.path)


class Unit(models.Model):
    """An administrative unit. `path` is the materialised path of ids (`/1/7/42/`) for subtree queries."""

    code = models.CharField(_("mã đơn vị"), max_length=40, unique=True, help_text=_("Mã định danh điện tử"))
    name = models.CharField(_("tên đơn vị"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=40, blank=True)
    kind = models.CharField(_("loại đơn vị"), max_length=20, choices=UnitKind.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("đơn vị cấp trên")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    active_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    active_to = models.DateField(_("hiệu lực đến"), null=True, blank=True, help_text=_("Ngày giải thể hoặc sáp nhập"))
    successor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors", verbose_name=_("đơn vị kế thừa")
    )
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_from__isnull=True) | Q(active_to__gt=models.F("active_from")),
                name="unit_active_range_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_active(self, on: dt.date | None = None) -> bool:
        return in_force_on(self.active_from, self.active_to, on or timezone.localdate())

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p][:-1]


class Staff(models.Model):
    """A civil servant / public employee, with an optional login account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff", verbose_name=_("tài khoản")
    )
    code = models.CharField(_("mã cán bộ"), max_length=20, unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=150)
    email = models.EmailField(_("thư điện tử"), blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    position = models.CharField(_("chức vụ"), max_length=150, blank=True)
    photo = models.ImageField(_("ảnh"), upload_to="staff/", blank=True)
    is_active = models.BooleanField(_("đang công tác"), default=True)

    class Meta:
        verbose_name = _("cán bộ")
        verbose_name_plural = _("cán bộ")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.code})"


class Membership(models.Model):
    """Staff × unit × role. A person may hold roles in several units (kiêm nhiệm)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("cán bộ"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("đơn vị"))
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    is_primary = models.BooleanField(_("đơn vị chính"), default=True)
    active_from = models.DateField(_("từ ngày"), null=True, blank=True)
    active_to = models.DateField(_("đến ngày"), null=True, blank=True,
                                 help_text=_("Ngày đầu tiên không còn hiệu lực"))

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("vị trí công tác")
        verbose_name_plural = _("vị trí công tác")
        constraints = [models.UniqueConstraint(fields=["staff", "unit", "role"], name="membership_unique_role")]
        indexes = [models.Index(fields=["unit", "role"], name="membership_unit_role_idx")]

    def __str__(self) -> str:
        return f"{self.staff.full_name} – {self.get_role_display()} – {self.unit.name}"
