"""Service hall: service areas, counters, queue tickets and paired devices (domain.md §4).

A reception point (a Unit of kind reception_point, or a ward/commune whose own unit runs the
one-stop desk) has service areas by sector (A, B, C…), counters that serve one or more areas and
are staffed by one officer at a time, and a queue of tickets numbered per area and day
(`A-023`). Devices (ticket kiosks and rating tablets) authenticate with a revocable token whose
SHA-256 is stored; a tablet token is bound to one counter.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.org.scoping import ScopedQuerySet


class ServiceArea(models.Model):
    """Khu vực / lĩnh vực tiếp nhận at one reception point, with the letter printed on its tickets."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="service_areas", verbose_name=_("điểm tiếp nhận"))
    letter = models.CharField(_("ký hiệu"), max_length=3, help_text=_("In trước số thứ tự, ví dụ A trong A-023"))
    name = models.CharField(_("tên khu vực"), max_length=200)
    sector = models.ForeignKey("procedures.Sector", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("lĩnh vực"))
    order = models.PositiveSmallIntegerField(_("thứ tự hiển thị"), default=0)
    default_service_minutes = models.PositiveSmallIntegerField(
        _("thời gian phục vụ bình quân (phút)"), default=10,
        help_text=_("Dùng để ước tính thời gian chờ khi chưa có số liệu trong ngày"))
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("khu vực tiếp nhận")
        verbose_name_plural = _("khu vực tiếp nhận")
        ordering = ["unit", "order", "letter"]
        constraints = [models.UniqueConstraint(fields=["unit", "letter"], name="service_area_letter_unique")]

    def __str__(self) -> str:
        return f"{self.letter} – {self.name}"


class CounterQuerySet(ScopedQuerySet["Counter"]):
    scope_field = "unit"


class Counter(models.Model):
    """Quầy giao dịch: serves some areas; `staff` is the officer serving there now (None: closed)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="counters", verbose_name=_("điểm tiếp nhận"))
    number = models.PositiveSmallIntegerField(_("số quầy"))
    name = models.CharField(_("tên quầy"), max_length=100, blank=True)
    areas = models.ManyToManyField(ServiceArea, related_name="counters", verbose_name=_("khu vực phục vụ"))
    staff = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="counters_serving",
                              verbose_name=_("cán bộ đang phục vụ"))
    staffed_since = models.DateTimeField(_("nhận quầy lúc"), null=True, blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    objects = CounterQuerySet.as_manager()

    class Meta:
        verbose_name = _("quầy giao dịch")
        verbose_name_plural = _("quầy giao dịch")
        ordering = ["unit", "number"]
        constraints = [models.UniqueConstraint(fields=["unit", "number"], name="counter_number_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or f"Quầy {self.number}"


class Priority(models.TextChoices):
    """Nhóm ưu tiên ("luồng xanh"): served before everyone else, in their own order."""

    NONE = "none", _("Không ưu tiên")
    ELDERLY = "elderly", _("Người cao tuổi")
    DISABLED = "disabled", _("Người khuyết tật")
    PREGNANT = "pregnant", _("Phụ nữ mang thai, có con nhỏ")
    MERIT = "merit", _("Người có công với cách mạng")


class TicketStatus(models.TextChoices):
    ISSUING = "issuing", _("Đang cấp số")  # a row not numbered yet (a split second inside ticket_issue)
    WAITING = "waiting", _("Đang chờ")
    CALLED = "called", _("Đã gọi")
    SERVING = "serving", _("Đang phục vụ")
    DONE = "done", _("Đã phục vụ xong")
    NO_SHOW = "no_show", _("Vắng mặt")


OPEN_TICKET_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
AT_COUNTER_STATUSES = (TicketStatus.CALLED, TicketStatus.SERVING)


class TicketSequence(models.Model):
    """Per area and day counter: the last number issued (atomic upsert, see ticket_issue)."""

    area = models.ForeignKey(ServiceArea, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="ticket_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.area_id}/{self.day}: {self.last}"


class TicketQuerySet(ScopedQuerySet["Ticket"]):
    scope_field = "unit"

    def waiting(self) -> TicketQuerySet:
        return self.filter(status=TicketStatus.WAITING)

    def in_call_order(self) -> TicketQuerySet:
        """Green channel first, then the order in the queue (domain.md §4)."""
        return self.order_by("-is_priority", "queued_at", "id")


class Ticket(models.Model):
    """A queue ticket. `issued_area`+`day`+`number` is the printed number and never changes;
    `area` is the queue it waits in now (a transfer moves it, keeping its place by time)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("điểm tiếp nhận"))
    issued_area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("khu vực lấy số"))
    area = models.ForeignKey(ServiceArea, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("khu vực"))
    day = models.DateField(_("ngày"))
    number = models.PositiveIntegerField(_("số"), null=True, help_text="set by the last statement of ticket_issue")
    code = models.CharField(_("số thứ tự"), max_length=12)
    public_token = models.CharField(max_length=32, unique=True, help_text="opaque id for the public status page / QR")
    priority = models.CharField(_("nhóm ưu tiên"), max_length=10, choices=Priority.choices, default=Priority.NONE)
    is_priority = models.BooleanField(default=False, editable=False)
    status = models.CharField(_("trạng thái"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING,
                              db_index=True)
    issued_at = models.DateTimeField(_("lấy số lúc"))
    queued_at = models.DateTimeField(_("vào hàng đợi lúc"))
    called_at = models.DateTimeField(_("gọi lúc"), null=True, blank=True)
    first_called_at = models.DateTimeField(_("gọi lần đầu lúc"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("số lần gọi"), default=0)
    serving_started_at = models.DateTimeField(_("bắt đầu phục vụ"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True, db_index=True)
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
                                verbose_name=_("quầy"))
    officer = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets_served",
                                verbose_name=_("cán bộ"))
    transfer_count = models.PositiveSmallIntegerField(_("số lần chuyển"), default=0)
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets",
                                verbose_name=_("hồ sơ"))
    #: Denormalised facts for the metrics (seconds): issue → first call, start → finish.
    wait_seconds = models.PositiveIntegerField(null=True, blank=True)
    service_seconds = models.PositiveIntegerField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("số thứ tự")
        verbose_name_plural = _("số thứ tự")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issued_area", "day", "number"], name="ticket_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="ticket_number_positive"),
        ]
        indexes = [
            models.Index(fields=["area", "status", "is_priority", "queued_at"], name="ticket_queue_idx"),
            models.Index(fields=["unit", "day"], name="ticket_unit_day_idx"),
            models.Index(fields=["counter", "status"], name="ticket_counter_status_idx"),
            models.Index(fields=["unit", "called_at"], name="ticket_unit_called_idx"),
        ]

    def __str__(self) -> str:
        return self.code


class DeviceKind(models.TextChoices):
    KIOSK = "kiosk", _("Máy lấy số")
    TABLET = "tablet", _("Máy tính bảng đánh giá")


class DeviceQuerySet(ScopedQuerySet["Device"]):
    scope_field = "unit"


class Device(models.Model):
    """A paired kiosk or counter tablet. Only the token's SHA-256 is kept; revoking is final."""

    kind = models.CharField(_("loại thiết bị"), max_length=10, choices=DeviceKind.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="devices", verbose_name=_("điểm tiếp nhận"))
    counter = models.ForeignKey(Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="devices",
                                verbose_name=_("quầy"))
    name = models.CharField(_("tên thiết bị"), max_length=100)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    objects = DeviceQuerySet.as_manager()

    class Meta:
        verbose_name = _("thiết bị")
        verbose_name_plural = _("thiết bị")
        ordering = ["unit", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="kiosk") | Q(counter__isnull=False), name="device_tablet_has_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
