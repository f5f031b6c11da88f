"""Citizen feedback (phản ánh, kiến nghị) and questions (hỏi đáp): domain.md §5 and §8.

An item is received (web form, hotline, letter, Open311), routed to a responsible unit by
category and place, handled there within per-stage deadlines counted in working time, escalated
up the unit tree when a deadline passes, answered (draft → head approval → publication with
personal data redacted), and rated or reopened by the citizen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.org.scoping import ScopedQuerySet, scope_for


class Kind(models.TextChoices):
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")
    QUESTION = "question", _("Câu hỏi")


class Channel(models.TextChoices):
    WEB = "web", _("Cổng thông tin")
    HOTLINE = "hotline", _("Đường dây nóng")
    LETTER = "letter", _("Thư, đơn")
    OPEN311 = "open311", _("Ứng dụng (Open311)")


class Status(models.TextChoices):
    RECEIVED = "received", _("Đã tiếp nhận")
    ROUTED = "routed", _("Đã chuyển đơn vị xử lý")
    IN_PROGRESS = "in_progress", _("Đang xử lý")
    INFO_REQUESTED = "info_requested", _("Chờ bổ sung thông tin")
    RESOLVED = "resolved", _("Đã giải quyết, chờ công khai")
    PUBLISHED = "published", _("Đã trả lời công khai")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    MERGED = "merged", _("Đã gộp vào phản ánh trùng")


#: Statuses where the unit still has to resolve the item (the resolve clock is running).
OPEN_STATUSES = (Status.RECEIVED, Status.ROUTED, Status.IN_PROGRESS, Status.INFO_REQUESTED)
#: Terminal statuses (Open311 "closed").
CLOSED_STATUSES = (Status.PUBLISHED, Status.REFUSED, Status.MERGED)
#: Statuses with a running stage clock (`due_at`): resolve while open, publish once resolved.
WATCHED_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)


def is_overdue(*, status: str, due_at: dt.datetime | None, at: dt.datetime) -> bool:
    """The one meaning of "overdue" for a feedback item (issue 10): at `at` its current stage
    (resolve while open, publish once resolved) is not done and that stage's deadline `due_at`
    is before `at`. Exactly at the deadline it is still on time (done at `due_at` is on time).
    `FeedbackQuerySet.overdue(at)` is the same rule in SQL."""
    return status in WATCHED_STATUSES and due_at is not None and due_at < at


def overdue_q(at: dt.datetime) -> Q:
    """`is_overdue` in SQL (for filters and conditional counts)."""
    return Q(status__in=WATCHED_STATUSES, due_at__lt=at)


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Hài lòng")
    NOT_SATISFIED = "not_satisfied", _("Không hài lòng")


class Stage(models.TextChoices):
    REFUSE = "refuse", _("Từ chối tiếp nhận")
    INFO = "info", _("Đề nghị bổ sung thông tin")
    RESOLVE = "resolve", _("Giải quyết")
    PUBLISH = "publish", _("Công khai kết quả")


class Category(models.Model):
    """A kind of problem or question (an Open311 *service*): đường sá, chiếu sáng, thủ tục hành chính..."""

    code = models.SlugField(_("mã"), max_length=40, unique=True, help_text=_("Dùng làm service_code của Open311"))
    name = models.CharField(_("tên lĩnh vực"), max_length=150)
    group = models.CharField(_("nhóm"), max_length=100, blank=True)
    description = models.TextField(_("mô tả"), blank=True)
    keywords = models.CharField(_("từ khóa"), max_length=255, blank=True)
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = _("lĩnh vực phản ánh")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Category × place → responsible unit. Empty category or place means "any"; the most
    specific active rule wins (category and place, then place, then category), then priority."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="rules",
                                 verbose_name=_("lĩnh vực"))
    place = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("địa bàn (phường, xã)"))
    responsible_unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="feedback_rules",
                                         verbose_name=_("đơn vị chịu trách nhiệm"))
    priority = models.PositiveSmallIntegerField(_("ưu tiên"), default=100, help_text=_("Số nhỏ được ưu tiên"))
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("quy tắc phân công")
        verbose_name_plural = _("quy tắc phân công")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.place or '*'} → {self.responsible_unit}"


class FeedbackPolicy(models.Model):
    """Deadlines and windows as data (one row, pk=1), per the national scorecard (domain.md §5)."""

    refuse_days = models.DecimalField(_("thời hạn từ chối (ngày làm việc)"), max_digits=5, decimal_places=2, default=2)
    info_days = models.DecimalField(_("thời hạn đề nghị bổ sung (ngày làm việc)"), max_digits=5, decimal_places=2, default=5)
    resolve_days = models.DecimalField(_("thời hạn giải quyết (ngày làm việc)"), max_digits=5, decimal_places=2, default=15)
    publish_days = models.DecimalField(_("thời hạn công khai (ngày làm việc)"), max_digits=5, decimal_places=2, default=2)
    reminder_hours = models.DecimalField(_("nhắc trước hạn (giờ làm việc)"), max_digits=5, decimal_places=2, default=8)
    escalation_step_days = models.DecimalField(_("khoảng cách giữa các cấp chuyển lên (ngày làm việc)"), max_digits=5,
                                               decimal_places=2, default=1)
    reopen_window_days = models.PositiveSmallIntegerField(_("thời hạn mở lại (ngày)"), default=10)
    support_centre_code = models.CharField(_("mã đơn vị đầu mối thành phố"), max_length=40, default="H26.TTPVHCC",
                                           help_text=_("Cấp cuối khi chuyển lên; nếu không có thì dùng đơn vị cấp thành phố"))
    rate_limit_count = models.PositiveSmallIntegerField(_("số phản ánh ẩn danh tối đa mỗi IP"), default=5)
    rate_limit_seconds = models.PositiveIntegerField(_("trong khoảng (giây)"), default=600)

    class Meta:
        verbose_name = _("cấu hình thời hạn phản ánh")
        verbose_name_plural = _("cấu hình thời hạn phản ánh")

    def __str__(self) -> str:
        return str(_("Cấu hình thời hạn phản ánh"))


class FeedbackSequence(models.Model):
    """Counter per prefix and month for codes like PA-2611-000123 (select_for_update + unique)."""

    prefix = models.CharField(max_length=4)
    month = models.CharField(max_length=4, help_text="YYMM")
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "month"], name="feedback_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.month}: {self.value}"


class FeedbackQuerySet(ScopedQuerySet["FeedbackItem"]):
    def visible_to(self, user: Any) -> FeedbackQuerySet:
        """Items of the user's units (subtrees), plus items escalated to one of them."""
        scope = scope_for(user)
        if scope.all_units:
            return self
        if scope.is_empty:
            return self.none()
        return self.filter(Q(unit_id__in=scope.unit_ids) | Q(escalated_to_id__in=scope.unit_ids))

    def open(self) -> FeedbackQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def published(self) -> FeedbackQuerySet:
        return self.filter(status=Status.PUBLISHED)

    def overdue(self, at: dt.datetime) -> FeedbackQuerySet:
        """Items overdue at `at` (see `is_overdue`: the current stage's deadline has passed)."""
        return self.filter(overdue_q(at))


class FeedbackItem(models.Model):
    code = models.CharField(_("mã phản ánh"), max_length=20, unique=True)
    secret_digest = models.CharField(max_length=64, help_text="SHA-256 of the tracking secret given to the citizen")
    open311_token = models.CharField(max_length=32, unique=True, null=True, blank=True)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices, default=Kind.FEEDBACK)
    channel = models.CharField(_("kênh tiếp nhận"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="items", verbose_name=_("lĩnh vực"))
    title = models.CharField(_("tiêu đề"), max_length=200, blank=True)
    description = models.TextField(_("nội dung"))
    address = models.CharField(_("địa chỉ, vị trí"), max_length=300, blank=True)
    place = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("phường, xã"))
    lat = models.DecimalField(_("vĩ độ"), max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(_("kinh độ"), max_digits=9, decimal_places=6, null=True, blank=True)

    is_anonymous = models.BooleanField(_("ẩn danh"), default=False)
    reporter_name = models.CharField(_("họ tên người phản ánh"), max_length=150, blank=True)
    reporter_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    reporter_email = models.EmailField(_("thư điện tử"), blank=True)
    consent_at = models.DateTimeField(_("đồng ý xử lý dữ liệu cá nhân lúc"), null=True, blank=True)

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="feedback_items",
                             verbose_name=_("đơn vị chịu trách nhiệm"))
    assignee = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items",
                                 verbose_name=_("cán bộ xử lý"))
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates",
                                    verbose_name=_("gộp vào"))
    received_by = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("cán bộ tiếp nhận"))

    received_at = models.DateTimeField(_("tiếp nhận lúc"), db_index=True)
    refuse_due_at = models.DateTimeField(_("hạn từ chối"))
    info_due_at = models.DateTimeField(_("hạn đề nghị bổ sung"))
    resolve_due_at = models.DateTimeField(_("hạn giải quyết"), db_index=True)
    publish_due_at = models.DateTimeField(_("hạn công khai"), null=True, blank=True)
    first_resolve_due_at = models.DateTimeField(
        _("hạn giải quyết lần đầu"), null=True, blank=True,
        help_text=_("Hạn giải quyết của vòng đầu, giữ lại khi phản ánh bị mở lại (chỉ số); trống: bằng hạn giải quyết"))
    first_info_due_at = models.DateTimeField(
        _("hạn đề nghị bổ sung lần đầu"), null=True, blank=True,
        help_text=_("Hạn đề nghị bổ sung của vòng đầu, giữ lại khi phản ánh bị mở lại; trống: bằng hạn đề nghị bổ sung"))
    due_at = models.DateTimeField(_("hạn hiện tại"), null=True, blank=True, db_index=True,
                                  help_text=_("Hạn của bước đang thực hiện (giải quyết hoặc công khai); trống khi đã kết thúc"))
    refused_at = models.DateTimeField(_("từ chối lúc"), null=True, blank=True)
    info_requested_at = models.DateTimeField(_("đề nghị bổ sung lúc"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("giải quyết lúc"), null=True, blank=True, db_index=True,
                                       help_text=_("Lần giải quyết đầu tiên (dùng cho chỉ số)"))
    published_at = models.DateTimeField(_("công khai lúc"), null=True, blank=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("cấp đã chuyển lên"), default=0)
    escalated_to = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("đã chuyển lên đơn vị"))
    reassign_count = models.PositiveSmallIntegerField(_("số lần chuyển đơn vị"), default=0)

    satisfaction = models.CharField(_("đánh giá của người dân"), max_length=20, choices=Satisfaction.choices, blank=True)
    rated_at = models.DateTimeField(_("đánh giá lúc"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("số lần mở lại"), default=0)
    reopened_at = models.DateTimeField(_("mở lại lúc"), null=True, blank=True)

    public_title = models.CharField(_("tiêu đề công khai"), max_length=200, blank=True)
    public_question = models.TextField(_("nội dung công khai"), blank=True)
    public_answer = models.TextField(_("trả lời công khai"), blank=True)
    search_key = models.TextField(blank=True, help_text="fold(title + public question + public answer), for the knowledge base")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status", "resolve_due_at"], name="feedback_unit_status_due_idx"),
            models.Index(fields=["unit", "resolved_at"], name="feedback_unit_resolved_idx"),
            models.Index(fields=["status", "category"], name="feedback_status_category_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    @staticmethod
    def hash_secret(raw: str) -> str:
        return hashlib.sha256(raw.strip().encode()).hexdigest()

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(6)[:8]

    def check_secret(self, raw: str) -> bool:
        return bool(raw) and secrets.compare_digest(self.secret_digest, self.hash_secret(raw))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, at: dt.datetime) -> bool:
        return is_overdue(status=self.status, due_at=self.due_at, at=at)

    @property
    def stage(self) -> str | None:
        """The stage whose deadline `due_at` is: resolve while open, publish once resolved."""
        if self.status in OPEN_STATUSES:
            return Stage.RESOLVE
        if self.status == Status.RESOLVED:
            return Stage.PUBLISH
        return None


class Follower(models.Model):
    """Someone notified of progress: the reporter, and reporters of merged duplicates."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="followers")
    email = models.EmailField(_("thư điện tử"))
    name = models.CharField(_("họ tên"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("người theo dõi")
        verbose_name_plural = _("người theo dõi")
        constraints = [models.UniqueConstraint(fields=["item", "email"], name="feedback_follower_unique")]

    def __str__(self) -> str:
        return self.email


class Photo(models.Model):
    """An image attached by the reporter. Private: served only to staff in scope."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="feedback/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ảnh đính kèm")
        verbose_name_plural = _("ảnh đính kèm")

    def __str__(self) -> str:
        return self.file.name or ""


class EventType(models.TextChoices):
    RECEIVED = "received", _("Tiếp nhận")
    ROUTED = "routed", _("Chuyển đơn vị xử lý")
    ASSIGNED = "assigned", _("Giao cán bộ xử lý")
    REASSIGNED = "reassigned", _("Chuyển đơn vị khác")
    INFO_REQUESTED = "info_requested", _("Đề nghị bổ sung thông tin")
    INFO_RECEIVED = "info_received", _("Đã bổ sung thông tin")
    REFUSED = "refused", _("Từ chối tiếp nhận")
    REMINDED = "reminded", _("Nhắc hạn")
    ESCALATED = "escalated", _("Chuyển lên cấp trên đôn đốc")
    ANSWER_DRAFTED = "answer_drafted", _("Dự thảo trả lời")
    ANSWER_SUBMITTED = "answer_submitted", _("Trình lãnh đạo duyệt")
    ANSWER_RETURNED = "answer_returned", _("Lãnh đạo trả lại dự thảo")
    RESOLVED = "resolved", _("Lãnh đạo duyệt, đã giải quyết")
    PUBLISHED = "published", _("Công khai kết quả")
    MERGED = "merged", _("Gộp phản ánh trùng")
    RATED = "rated", _("Người dân đánh giá")
    REOPENED = "reopened", _("Người dân mở lại")


#: Events the citizen sees on the tracking page (no internal notes).
PUBLIC_EVENTS = frozenset({EventType.RECEIVED, EventType.ROUTED, EventType.REASSIGNED, EventType.INFO_REQUESTED,
                           EventType.INFO_RECEIVED, EventType.REFUSED, EventType.ESCALATED, EventType.RESOLVED,
                           EventType.PUBLISHED, EventType.MERGED, EventType.RATED, EventType.REOPENED})


class Event(models.Model):
    """One step in an item's history (who, when, from/to which unit, why)."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=EventType.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="feedback_event_item_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class AnswerStatus(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    SUBMITTED = "submitted", _("Chờ lãnh đạo duyệt")
    APPROVED = "approved", _("Đã duyệt")
    PUBLISHED = "published", _("Đã công khai")


class Answer(models.Model):
    """The unit's answer for one round (a reopen starts a new round). `body` is internal and may
    contain personal data; the public texts are redacted at approval and edited before publishing."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="answers")
    round = models.PositiveSmallIntegerField(default=0)
    body = models.TextField(_("nội dung trả lời"))
    status = models.CharField(max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    public_question = models.TextField(blank=True)
    public_body = models.TextField(blank=True)
    redactions = models.JSONField(default=dict, blank=True, help_text="counts of redacted spans by kind")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "round"], name="feedback_answer_round_unique")]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.round} {self.status}"


class AlertKind(models.TextChoices):
    REMINDER = "reminder", _("Nhắc trước hạn")
    ESCALATION = "escalation", _("Chuyển lên cấp trên")


class DeadlineAlert(models.Model):
    """One reminder or escalation step, recorded once (unique) so the periodic job is idempotent."""

    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="alerts")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    round = models.PositiveSmallIntegerField(default=0)
    level = models.PositiveSmallIntegerField(help_text="0 reminder, 1 unit head, 2 parent unit, 3 city support centre")
    kind = models.CharField(max_length=12, choices=AlertKind.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    recipients = models.JSONField(default=list, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "stage", "round", "level"], name="feedback_alert_unique")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.stage} L{self.level}"


class Open311Key(models.Model):
    """An Open311 API key for a client application. Only its SHA-256 is stored."""

    name = models.CharField(_("ứng dụng"), max_length=100)
    contact = models.CharField(_("liên hệ"), max_length=200, blank=True)
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("khóa API Open311")
        verbose_name_plural = _("khóa API Open311")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
