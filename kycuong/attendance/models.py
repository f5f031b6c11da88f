"""Automatic timekeeping (2018 Directive, first IT item): terminals, punches, rules, justifications
and the computed attendance of each staff member on each day.

Data flows one way: a terminal pushes raw text (RawPush, stored before we answer OK) → parsed
into Punch rows (one per device × PIN × time × status, however often the device resends) →
mapped to staff through PinMapping → DailyAttendance computed per staff × day by the worker.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.core.periods import TZ
from kycuong.org.scoping import ScopedQuerySet


def local_day_seconds(at: dt.datetime) -> tuple[dt.date, int]:
    """The local date and seconds since local midnight of an instant (Asia/Ho_Chi_Minh, no DST)."""
    local = at.astimezone(TZ)
    return local.date(), local.hour * 3600 + local.minute * 60 + local.second


class Device(models.Model):
    """A registered biometric terminal (ZKTeco-compatible, ADMS "iclock" push)."""

    serial_number = models.CharField(_("số sê-ri"), max_length=64, unique=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="attendance_devices", verbose_name=_("đơn vị"))
    location = models.CharField(_("vị trí lắp đặt"), max_length=200, blank=True)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    registered_at = models.DateTimeField(_("ngày đăng ký"), auto_now_add=True)
    last_contact_at = models.DateTimeField(_("lần liên lạc cuối"), null=True, blank=True)
    last_push_at = models.DateTimeField(_("lần gửi dữ liệu cuối"), null=True, blank=True)
    clock_drift_seconds = models.IntegerField(_("lệch đồng hồ (giây)"), null=True, blank=True)
    clock_checked_at = models.DateTimeField(_("thời điểm đo lệch đồng hồ"), null=True, blank=True)
    attlog_stamp = models.CharField(_("ATTLOGStamp"), max_length=32, default="0")
    operlog_stamp = models.CharField(_("OPERLOGStamp"), max_length=32, default="0")
    info = models.CharField(_("thông tin thiết bị"), max_length=300, blank=True)
    remote_ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    # Trust (docs/adms.md "Security"): the serial number is printed on the terminal, so a push is
    # accepted only from an allow-listed source address or with the device's secret key.
    allowed_ips = models.CharField(_("địa chỉ IP được phép"), max_length=500, blank=True, default="", db_default="",
                                   help_text=_("Địa chỉ hoặc dải mạng (CIDR), cách nhau bởi dấu phẩy."))
    key_hash = models.CharField(_("mã băm khoá thiết bị"), max_length=64, blank=True, default="", db_default="")

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("máy chấm công")
        verbose_name_plural = _("máy chấm công")
        ordering = ["serial_number"]

    def __str__(self) -> str:
        return f"{self.serial_number} – {self.location or self.unit_id}"


class UnknownDeviceContact(models.Model):
    """A terminal that is not registered (or is deactivated) contacted the server; nothing it sends is kept as attendance."""

    serial_number = models.CharField(_("số sê-ri"), max_length=64, unique=True)
    first_at = models.DateTimeField(_("lần đầu"))
    last_at = models.DateTimeField(_("lần cuối"))
    contacts = models.PositiveIntegerField(_("số lần"), default=0)
    last_path = models.CharField(_("đường dẫn"), max_length=300, blank=True)
    last_ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    reason = models.CharField(_("lý do từ chối"), max_length=40, default="unknown")

    class Meta:
        verbose_name = _("thiết bị lạ")
        verbose_name_plural = _("thiết bị lạ")
        ordering = ["-last_at"]

    def __str__(self) -> str:
        return f"{self.serial_number} ({self.contacts})"


class RawPush(models.Model):
    """The body of one device upload, stored durably before the device gets its OK."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="raw_pushes")
    table = models.CharField(max_length=20)
    stamp = models.CharField(max_length=32, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(db_index=True)
    # The device's previous upload as known when this one arrived (server clock): punches dated
    # well before it (or before registration) are held for review, however often this is re-parsed.
    previous_push_at = models.DateTimeField(null=True, blank=True)
    previous_contact_at = models.DateTimeField(null=True, blank=True)  # was the device online just before?
    parsed_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    stored_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("gói dữ liệu thô")
        verbose_name_plural = _("gói dữ liệu thô")
        indexes = [models.Index(fields=["parsed_at", "received_at"], name="att_rawpush_pending_idx")]

    def __str__(self) -> str:
        return f"{self.table} #{self.pk} {self.received_at:%Y-%m-%d %H:%M:%S}"


class PunchSource(models.TextChoices):
    DEVICE = "device", _("Máy chấm công")
    CSV = "csv", _("Nhập tệp")
    MANUAL = "manual", _("Điều chỉnh thủ công")


class Punch(models.Model):
    """One fingerprint/face/card punch. Devices resend (at-least-once), so (device, PIN, time, status)
    is unique and inserts ignore conflicts."""

    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="punches")
    pin = models.CharField(_("mã chấm công"), max_length=32)
    punched_at = models.DateTimeField(_("thời điểm chấm"))
    day = models.DateField(_("ngày"))  # local date (Asia/Ho_Chi_Minh) of punched_at, for set-based grouping
    seconds = models.IntegerField(_("giây trong ngày"), default=0)  # local seconds since midnight (first/last in SQL)
    status = models.SmallIntegerField(_("trạng thái"), default=0)
    verify = models.SmallIntegerField(_("kiểu xác thực"), default=0)
    workcode = models.CharField(max_length=20, blank=True)
    raw = models.CharField(_("dòng gốc"), max_length=500, blank=True)
    staff = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.CASCADE, related_name="punches")
    source = models.CharField(max_length=10, choices=PunchSource.choices, default=PunchSource.DEVICE)
    clock_suspect = models.BooleanField(_("nghi lệch đồng hồ"), default=False)
    raw_push = models.ForeignKey(RawPush, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("thời điểm nhận"))
    voided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("lý do"), max_length=300, blank=True)
    # Held for review: a device punch dated too far before the device's previous upload (or its
    # registration). Stored, not counted, until the unit head accepts it (held=False) or rejects it
    # (voided with the reason).
    # Database defaults too: bulk loads (COPY) that predate these columns keep working.
    held = models.BooleanField(_("chờ xem xét"), default=False, db_default=False)
    held_reason = models.CharField(_("lý do giữ lại"), max_length=200, blank=True, default="", db_default="")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lượt chấm công")
        verbose_name_plural = _("lượt chấm công")
        constraints = [
            models.UniqueConstraint(fields=["device", "pin", "punched_at", "status"], name="att_punch_unique"),
        ]
        indexes = [
            models.Index(fields=["staff", "day"], name="att_punch_staff_day_idx"),
            # Covers the daily computation's per-day GROUP BY (index-only scan on PostgreSQL).
            models.Index(fields=["day", "staff"], include=["seconds", "clock_suspect"], name="att_punch_day_staff_idx",
                         condition=Q(voided_at__isnull=True, staff__isnull=False, held=False)),
            models.Index(fields=["device"], name="att_punch_held_idx", condition=Q(held=True)),
        ]

    def __str__(self) -> str:
        return f"{self.pin} {self.punched_at:%Y-%m-%d %H:%M:%S}"


class MalformedLine(models.Model):
    """A line a device sent that could not be read: kept raw and reported, never silently dropped."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="malformed_lines")
    raw_push = models.ForeignKey(RawPush, on_delete=models.CASCADE, related_name="malformed_lines")
    line_no = models.PositiveIntegerField()
    raw = models.CharField(max_length=500)
    error = models.CharField(max_length=200)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["raw_push", "line_no"], name="att_malformed_unique")]

    def __str__(self) -> str:
        return f"{self.raw_push_id}:{self.line_no} {self.error}"


class DeviceUser(models.Model):
    """A user enrolled on a terminal, as the terminal reported it (OPERLOG `USER PIN=...`)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="enrolled_users")
    pin = models.CharField(max_length=32)
    name = models.CharField(max_length=100, blank=True)
    privilege = models.SmallIntegerField(default=0)
    card = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "pin"], name="att_device_user_unique")]

    def __str__(self) -> str:
        return f"{self.pin} {self.name}"


class PinMapping(models.Model):
    """PIN → staff, either for one device or for a unit (and every device of its subtree).
    A device mapping wins over a unit mapping; the nearest unit wins over its ancestors."""

    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="attendance_pins")
    pin = models.CharField(_("mã chấm công"), max_length=32)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="pin_mappings")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="attendance_pins")

    class Meta:
        verbose_name = _("mã chấm công")
        verbose_name_plural = _("mã chấm công")
        constraints = [
            models.CheckConstraint(condition=Q(device__isnull=True) ^ Q(unit__isnull=True), name="att_pin_one_scope"),
            models.UniqueConstraint(fields=["device", "pin"], condition=Q(device__isnull=False), name="att_pin_device_unique"),
            models.UniqueConstraint(fields=["unit", "pin"], condition=Q(unit__isnull=False), name="att_pin_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pin} → {self.staff_id}"


class CommandStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    DONE = "done", _("Đã thực hiện")
    FAILED = "failed", _("Lỗi")


class DeviceCommand(models.Model):
    """A command queued for a terminal; delivered on `getrequest` as `C:<id>:<command>`."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="commands")
    command = models.CharField(max_length=1000)
    status = models.CharField(max_length=10, choices=CommandStatus.choices, default=CommandStatus.PENDING)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    return_code = models.IntegerField(null=True, blank=True)
    reply = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["device", "status"], name="att_cmd_device_status_idx")]

    def __str__(self) -> str:
        return f"C:{self.pk}:{self.command}"


class AttendancePolicy(models.Model):
    """Grace minutes of a unit (inherited by its subtree when a unit has none)."""

    unit = models.OneToOneField("org.Unit", on_delete=models.CASCADE, related_name="attendance_policy")
    grace_late_minutes = models.PositiveSmallIntegerField(_("số phút cho phép đến muộn"), default=5)
    grace_early_minutes = models.PositiveSmallIntegerField(_("số phút cho phép về sớm"), default=5)

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.grace_late_minutes}/{self.grace_early_minutes}"


class AbsenceKind(models.TextChoices):
    ANNUAL = "annual", _("Nghỉ phép năm")
    SICK = "sick", _("Nghỉ ốm")
    MATERNITY = "maternity", _("Nghỉ thai sản")
    UNPAID = "unpaid", _("Nghỉ không lương")
    OTHER = "other", _("Nghỉ việc riêng khác")
    BUSINESS_TRIP = "business_trip", _("Công tác, làm việc ngoài cơ quan")
    TRAINING = "training", _("Đào tạo, bồi dưỡng")


class AbsenceStatus(models.TextChoices):
    PENDING = "pending", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt")
    REJECTED = "rejected", _("Từ chối")
    CANCELLED = "cancelled", _("Đã huỷ")


class AbsenceQuerySet(ScopedQuerySet["Absence"]):
    def live(self) -> AbsenceQuerySet:
        return self.filter(status__in=[AbsenceStatus.PENDING, AbsenceStatus.APPROVED])


class Absence(models.Model):
    """A justification for days away from the office: leave, business trip (công tác), training."""

    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="absences", verbose_name=_("cán bộ"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("đơn vị"))
    kind = models.CharField(_("loại"), max_length=20, choices=AbsenceKind.choices)
    start = models.DateField(_("từ ngày"))
    end = models.DateField(_("đến ngày"))
    reason = models.CharField(_("lý do"), max_length=300)
    status = models.CharField(_("trạng thái"), max_length=10, choices=AbsenceStatus.choices, default=AbsenceStatus.PENDING)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.CharField(max_length=300, blank=True)

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn nghỉ, công tác")
        verbose_name_plural = _("đơn nghỉ, công tác")
        ordering = ["-start", "-id"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="att_absence_range")]
        indexes = [models.Index(fields=["staff", "start", "end"], name="att_absence_staff_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class DayStatus(models.TextChoices):
    OFF = "off", _("Ngày nghỉ")
    HOLIDAY = "holiday", _("Nghỉ lễ, Tết")
    PRESENT = "present", _("Đúng giờ")
    LATE = "late", _("Đi muộn")
    EARLY = "early", _("Về sớm")
    LATE_EARLY = "late_early", _("Đi muộn, về sớm")
    MISSING_PUNCH = "missing_punch", _("Thiếu lượt chấm")
    HALF_DAY = "half_day", _("Làm nửa ngày")
    ABSENT = "absent", _("Vắng không lý do")
    JUSTIFIED = "justified", _("Có lý do")
    PENDING = "pending", _("Chưa hết ngày")


class DailyAttendance(models.Model):
    """The computed attendance of one staff member on one day (upserted by the worker)."""

    # A derived table, rewritten in bulk by the worker: no database-level foreign keys (their
    # per-row checks were a third of the time of a city-month computation); Django still
    # cascades deletes, and every row is recomputable from punches and justifications.
    staff = models.ForeignKey("org.Staff", on_delete=models.CASCADE, related_name="daily_attendance", db_constraint=False)
    day = models.DateField()
    unit = models.ForeignKey("org.Unit", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    is_working_day = models.BooleanField(default=True)
    status = models.CharField(max_length=15, choices=DayStatus.choices)
    absence_kind = models.CharField(max_length=20, blank=True)
    symbol = models.CharField(max_length=4, blank=True)
    first_in = models.TimeField(null=True, blank=True)  # local time
    last_out = models.TimeField(null=True, blank=True)
    punch_count = models.PositiveSmallIntegerField(default=0)
    late_minutes = models.PositiveIntegerField(default=0)
    early_minutes = models.PositiveIntegerField(default=0)
    worked_minutes = models.PositiveIntegerField(default=0)
    clock_suspect = models.BooleanField(default=False)
    computed_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "day"], name="att_daily_unique")]
        indexes = [models.Index(fields=["unit", "day"], name="att_daily_unit_day_idx")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.day} {self.status}"
