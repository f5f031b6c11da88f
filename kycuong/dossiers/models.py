"""One-stop dossiers (hồ sơ TTHC) and their events, steps, attachments (domain.md §3).

Denormalised facts the scorecard aggregates with set-based SQL live on Dossier itself
(received_at, finished_at, due_at after supplement shifts, supplement_count, channel, fee
payment, digitisation, sync, latest rating, complaint), each kept current by the services.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kycuong.org.scoping import ScopedQuerySet


class Channel(models.TextChoices):
    COUNTER = "counter", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POST = "post", _("Bưu chính công ích")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Chờ tiếp nhận")  # online, clock not started yet
    REFUSED = "refused", _("Từ chối tiếp nhận")
    RECEIVED = "received", _("Đã tiếp nhận")
    IN_PROGRESS = "in_progress", _("Đang giải quyết")
    WAITING_SUPPLEMENT = "waiting_supplement", _("Chờ bổ sung")
    RESULT_READY = "result_ready", _("Có kết quả")
    RETURNED = "returned", _("Đã trả kết quả")
    WITHDRAWN = "withdrawn", _("Công dân rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")


OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING_SUPPLEMENT)


class FeePayment(models.TextChoices):
    NONE = "none", _("Không thu phí")
    ONLINE = "online", _("Nộp trực tuyến")
    COUNTER = "counter", _("Nộp tại quầy")


class Outcome(models.TextChoices):
    EARLY = "early", _("Trước hạn")
    ON_TIME = "on_time", _("Đúng hạn")
    LATE = "late", _("Trễ hạn")


class RatingLevel(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Rất hài lòng")
    SATISFIED = "satisfied", _("Hài lòng")
    DISSATISFIED = "dissatisfied", _("Không hài lòng")


class DossierQuerySet(ScopedQuerySet["Dossier"]):
    scope_field = "unit"

    def open(self) -> DossierQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, *, at: dt.datetime) -> DossierQuerySet:
        """Overdue at `at` — the one definition, `timeliness.overdue_q` (supplement pauses included)."""
        from .timeliness import overdue_q

        return self.filter(overdue_q(at))

    def late(self, *, at: dt.datetime) -> DossierQuerySet:
        """Finished late, or overdue at `at` (`timeliness.late_q`)."""
        from .timeliness import late_q

        return self.filter(late_q(at))


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=60, unique=True)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("thủ tục"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("cơ quan giải quyết"))
    received_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="received_dossiers",
                                      verbose_name=_("nơi tiếp nhận"))
    current_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="current_dossiers",
                                     verbose_name=_("đơn vị đang xử lý"))
    accountable = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="accountable_dossiers",
                                    verbose_name=_("cán bộ chịu trách nhiệm"))
    channel = models.CharField(_("hình thức nộp"), max_length=10, choices=Channel.choices, default=Channel.COUNTER)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, db_index=True)
    version = models.PositiveIntegerField(default=0, help_text="incremented by every transition (stale-state check)")

    applicant_name = models.CharField(_("người nộp"), max_length=200)
    applicant_id_number = models.CharField(_("số định danh cá nhân"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    form_data = models.JSONField(_("thông tin kê khai"), default=dict, blank=True)
    secret = models.CharField(_("mã tra cứu"), max_length=12, help_text=_("Mã bí mật in trên phiếu hẹn để tra cứu"))

    fee_amount = models.PositiveBigIntegerField(_("phí, lệ phí"), default=0)
    fee_payment = models.CharField(_("thanh toán phí"), max_length=10, choices=FeePayment.choices, default=FeePayment.NONE)
    digitized_input = models.BooleanField(_("số hóa thành phần hồ sơ"), default=False)
    digitized_result = models.BooleanField(_("số hóa kết quả"), default=False)
    synced = models.BooleanField(_("đồng bộ Cổng DVC quốc gia"), default=False)

    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True, db_index=True)
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    due_at = models.DateTimeField(_("hẹn trả"), null=True, blank=True, help_text=_("Sau khi cộng thời gian tạm dừng chờ bổ sung"))
    apology_due_at = models.DateTimeField(_("hẹn lại (thư xin lỗi)"), null=True, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng từ"), null=True, blank=True)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    finished_at = models.DateTimeField(_("có kết quả lúc"), null=True, blank=True, db_index=True)
    returned_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True, help_text=_("rút, dừng, từ chối"))
    outcome = models.CharField(_("kết quả đúng hạn"), max_length=10, choices=Outcome.choices, blank=True)
    paused_seconds = models.PositiveIntegerField(_("thời gian tạm dừng (giây làm việc)"), default=0,
                                                 help_text="working seconds spent waiting for supplements")
    warn_at = models.DateTimeField(null=True, blank=True, help_text="when 80% of the working time is used (notifications)")
    notified_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1 warned at 80%, 2 overdue notified")
    processing_seconds = models.PositiveIntegerField(_("thời gian giải quyết (giây làm việc)"), null=True, blank=True,
                                                     help_text="working seconds from clock start to finish, pauses excluded")

    latest_rating = models.CharField(_("đánh giá gần nhất"), max_length=20, choices=RatingLevel.choices, blank=True)
    complained = models.BooleanField(_("có phản ánh, khiếu nại"), default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DossierQuerySet.as_manager()

    # Not fields: filled only by selectors.dossier_detail (ordered steps and events for the detail
    # screen and the API); reading them on any other instance raises AttributeError.
    step_list: list[DossierStep]
    event_list: list[DossierEvent]
    is_overdue: bool

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "received_at"], name="dossier_unit_received_idx"),
            models.Index(fields=["unit", "finished_at"], name="dossier_unit_finished_idx"),
            models.Index(fields=["unit", "status", "due_at"], name="dossier_unit_status_due_idx"),
            models.Index(fields=["accountable", "status", "due_at"], name="dossier_accountable_idx"),
            models.Index(fields=["current_unit", "status"], name="dossier_current_unit_idx"),
            models.Index(fields=["notified_level", "warn_at"], name="dossier_notify_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status__in=OPEN_STATUSES) | Q(received_at__isnull=False, due_at__isnull=False),
                                   name="dossier_open_has_dates"),
        ]

    def __str__(self) -> str:
        return self.code


class DossierSequence(models.Model):
    """Per unit and day counter for `<unit code>-YYMMDD-NNNN`: bumped by one upsert
    (INSERT … ON CONFLICT DO UPDATE … RETURNING) in a short transaction; unique per unit and day."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="dossier_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.day}: {self.last}"


class EventType(models.TextChoices):
    SUBMITTED = "submitted", _("Nộp trực tuyến")
    RECEIVED = "received", _("Tiếp nhận")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    ASSIGNED = "assigned", _("Phân công")
    HANDED_OVER = "handed_over", _("Chuyển bước")
    TRANSFERRED = "transferred", _("Chuyển liên thông")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Yêu cầu bổ sung")
    SUPPLEMENT_COMPLETED = "supplement_completed", _("Đã bổ sung")
    APOLOGIZED = "apologized", _("Thư xin lỗi, hẹn lại")
    FINISHED = "finished", _("Có kết quả")
    RETURNED = "returned", _("Trả kết quả")
    WITHDRAWN = "withdrawn", _("Rút hồ sơ")
    STOPPED = "stopped", _("Dừng xử lý")
    REASSIGNED = "reassigned", _("Đổi cán bộ chịu trách nhiệm")
    NOTE = "note", _("Ghi chú")


class EventSource(models.TextChoices):
    LIVE = "live", _("Ghi nhận trực tiếp")
    IMPORTED = "imported", _("Nhập từ dữ liệu")


class DossierEvent(models.Model):
    """Every transition (actor, time, from/to) — the control sheet (form 05) and public timeline.

    `at` is when it happened; `recorded_at` when the server learnt of it, and `source` how: live
    events are recorded at the server's time (`at == recorded_at`), imported ones carry the time of
    the history they come from, bounded by the import (docs/modules/dossiers.md § Time)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=30, choices=EventType.choices)
    at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), default=timezone.now)
    source = models.CharField(_("nguồn"), max_length=10, choices=EventSource.choices, default=EventSource.LIVE)
    actor = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    from_staff = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_staff = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    step = models.ForeignKey("DossierStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    reason = models.TextField(blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="dossier_event_idx")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Chưa đến lượt")
    ACTIVE = "active", _("Đang xử lý")
    DONE = "done", _("Hoàn thành")
    SKIPPED = "skipped", _("Bỏ qua")


class DossierStep(models.Model):
    """A step of the internal process, with its own unit, assignee and due time."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, blank=True)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="dossier_steps")
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    allotted_seconds = models.PositiveIntegerField(default=0, help_text="working seconds allotted (share × total)")
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, help_text="when 80% of the step's time is used")
    notified_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1 warned, 2 overdue notified")

    # Not a field: set by selectors.dossier_detail (timeliness.step_is_overdue).
    is_overdue: bool

    class Meta:
        ordering = ["dossier", "order"]
        constraints = [models.UniqueConstraint(fields=["dossier", "order"], name="dossier_step_order_unique")]
        indexes = [models.Index(fields=["assignee", "status", "due_at"], name="dossier_step_assignee_idx"),
                   models.Index(fields=["status", "notified_level", "warn_at"], name="dossier_step_notify_idx")]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.order} {self.name}"


class Attachment(models.Model):
    """A file of a dossier; stored privately, served only to staff who may see the dossier."""

    class Kind(models.TextChoices):
        INPUT = "input", _("Thành phần hồ sơ")
        SUPPLEMENT = "supplement", _("Bổ sung")
        RESULT = "result", _("Kết quả")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INPUT)
    file = models.FileField(upload_to="dossiers/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.original_name


class NotificationKind(models.TextChoices):
    STEP_WARNING = "step_warning", _("Bước xử lý sắp hết hạn")
    STEP_OVERDUE = "step_overdue", _("Bước xử lý quá hạn")
    DOSSIER_WARNING = "dossier_warning", _("Hồ sơ sắp trễ hạn")
    DOSSIER_OVERDUE = "dossier_overdue", _("Hồ sơ quá hạn")
    INFO = "info", _("Thông báo")


class Notification(models.Model):
    """An in-app notification (also sent by e-mail). `key` makes the periodic job idempotent."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossier_notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    key = models.CharField(max_length=120, help_text="e.g. step:42:warning — each fact is notified once")
    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("tiêu đề"), max_length=300)
    body = models.TextField(_("nội dung"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("lúc"), db_index=True)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_key")]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_recipient_idx")]

    def __str__(self) -> str:
        return self.title
