"""Work programs (chương trình công tác): product catalogue, unit and personal programs per
period, work items with one presiding person, their events and evidence, templates and policy.

Rules and legal sources: docs/modules/workplans.md. Directive 2018 of the Hanoi Party Committee
(day/week/month/quarter/year programs of every civil servant, in software); Decree 39/2022/NĐ-CP
("một việc – một đầu mối": one presiding, accountable person per task); Decision 42/2014/QĐ-TTg as
amended (the four status classes of an assigned task at a date); Decree 335/2025/NĐ-CP (products
converted to standard units with a catalogue of conversion factors).

Every write goes through services (one life-cycle table in lifecycle.py); the events are the
evidence; `version` guards concurrent edits (a stale version is a 409).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.org.scoping import ScopedQuerySet


class PeriodKind(models.TextChoices):
    YEAR = "year", _("Năm")
    QUARTER = "quarter", _("Quý")
    MONTH = "month", _("Tháng")
    WEEK = "week", _("Tuần")


class ProductType(models.Model):
    """A product / kind of work in a unit's catalogue, with its Decree 335 conversion factor to
    standard units. A unit's items may use its own product types or its ancestors' (inherited)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="product_types",
                             verbose_name=_("đơn vị"))
    code = models.CharField(_("mã"), max_length=40)
    name = models.CharField(_("tên sản phẩm, công việc"), max_length=200)
    factor = models.DecimalField(_("hệ số quy đổi"), max_digits=8, decimal_places=3,
                                 help_text=_("Số sản phẩm chuẩn cho một sản phẩm (Nghị định 335/2025/NĐ-CP)"))
    is_active = models.BooleanField(_("đang dùng"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("loại sản phẩm, công việc")
        verbose_name_plural = _("danh mục sản phẩm, công việc")
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="product_type_unique_unit_code"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="product_type_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.factor})"


class ProgramKind(models.TextChoices):
    UNIT = "unit", _("Chương trình của đơn vị")
    PERSONAL = "personal", _("Chương trình cá nhân")


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Chờ duyệt")
    RETURNED = "returned", _("Trả lại để sửa")
    APPROVED = "approved", _("Đã duyệt")


class ProgramQuerySet(ScopedQuerySet["Program"]):
    scope_field = "unit"


class Program(models.Model):
    """A unit program (year, quarter, month, week) or a personal program (week, month) of one
    person in one unit. Submission and approval are of the whole program, items included."""

    kind = models.CharField(_("loại"), max_length=10, choices=ProgramKind.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="work_programs",
                             verbose_name=_("đơn vị"))
    owner = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="work_programs", verbose_name=_("cán bộ"),
                              help_text=_("Chỉ với chương trình cá nhân"))
    period = models.CharField(_("kỳ"), max_length=10, help_text="2026, 2026-Q4, 2026-11, 2026-W47")
    period_kind = models.CharField(_("loại kỳ"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("từ ngày"))
    period_end = models.DateField(_("đến trước ngày"), help_text="exclusive")
    status = models.CharField(_("trạng thái"), max_length=10, choices=ProgramStatus.choices,
                              default=ProgramStatus.DRAFT)
    submitted_at = models.DateTimeField(_("gửi duyệt lúc"), null=True, blank=True)
    approved_at = models.DateTimeField(_("duyệt lúc"), null=True, blank=True)
    approved_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("người duyệt"))
    return_comment = models.TextField(_("ý kiến khi trả lại"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("chương trình công tác")
        verbose_name_plural = _("chương trình công tác")
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], condition=Q(kind="unit"),
                                    name="program_unique_unit_period"),
            models.UniqueConstraint(fields=["owner", "unit", "period"], condition=Q(kind="personal"),
                                    name="program_unique_personal_period"),
            models.CheckConstraint(condition=Q(kind="unit", owner__isnull=True) | Q(kind="personal", owner__isnull=False),
                                   name="program_owner_matches_kind"),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="program_period_order"),
        ]
        indexes = [models.Index(fields=["period", "unit", "status"], name="program_period_unit_idx")]

    def __str__(self) -> str:
        who = self.owner.full_name if self.kind == ProgramKind.PERSONAL and self.owner else self.unit.name
        return f"{who} – {self.period}"


class ItemStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Chờ duyệt")
    RETURNED = "returned", _("Trả lại để sửa")
    IN_PROGRESS = "in_progress", _("Đang thực hiện")
    REPORTED = "reported", _("Đã báo cáo, chờ nghiệm thu")
    ACCEPTED = "accepted", _("Đã nghiệm thu")
    CANCELLED = "cancelled", _("Đã hủy")
    CARRIED_OVER = "carried_over", _("Chuyển kỳ sau")


class Completion(models.TextChoices):
    DONE = "done", _("Hoàn thành")
    PARTLY = "partly", _("Hoàn thành một phần")
    NOT_DONE = "not_done", _("Chưa hoàn thành")


class StatusClass(models.TextChoices):
    """The four official classes of an assigned task at a date (Decision 42/2014/QĐ-TTg as amended)."""

    DONE_ON_TIME = "done_on_time", _("Đã hoàn thành đúng hạn")
    DONE_LATE = "done_late", _("Đã hoàn thành nhưng quá hạn")
    NOT_DONE_IN_TIME = "not_done_in_time", _("Chưa hoàn thành, trong hạn")
    NOT_DONE_OVERDUE = "not_done_overdue", _("Chưa hoàn thành, quá hạn")


class WorkItemQuerySet(ScopedQuerySet["WorkItem"]):
    scope_field = "unit"


class WorkItem(models.Model):
    """One task of a program: expected output (product type × quantity), due date in working time,
    one presiding person and optional co-workers, a parent (personal items cascade from unit items).

    `weight` = quantity × the product type's factor (standard units, Decree 335/2025/NĐ-CP), set by the
    services; a unit item's progress rolls up from its children by weight. `first_due_at` is the
    first due date (the one evaluations judge against); `due_at` moves with each reschedule."""

    code = models.CharField(_("mã"), max_length=60, unique=True)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="items", verbose_name=_("chương trình"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="work_items", verbose_name=_("đơn vị"))
    owner = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="work_items",
                              verbose_name=_("người chủ trì"))
    co_workers = models.ManyToManyField("org.Staff", blank=True, related_name="co_work_items",
                                        verbose_name=_("người phối hợp"))
    assigned_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("người giao việc"))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("việc cấp trên"))
    carried_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("chuyển từ việc"))
    template = models.ForeignKey("ItemTemplate", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="items", verbose_name=_("mẫu"))
    title = models.CharField(_("nội dung công việc"), max_length=300)
    description = models.TextField(_("mô tả"), blank=True)
    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="items",
                                     verbose_name=_("sản phẩm"))
    quantity = models.DecimalField(_("số lượng"), max_digits=8, decimal_places=2)
    weight = models.DecimalField(_("sản phẩm chuẩn"), max_digits=10, decimal_places=3, default=Decimal("0"))
    first_due_at = models.DateTimeField(_("hạn ban đầu"))
    due_at = models.DateTimeField(_("hạn hoàn thành"), db_index=True)
    status = models.CharField(_("trạng thái"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.DRAFT)
    completion = models.CharField(_("kết quả"), max_length=10, choices=Completion.choices, blank=True)
    completed_at = models.DateTimeField(_("báo cáo hoàn thành lúc"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("nghiệm thu lúc"), null=True, blank=True)
    completion_note = models.TextField(_("báo cáo kết quả"), blank=True)
    quality_failures = models.PositiveSmallIntegerField(_("số lần không đạt chất lượng"), default=0)
    reschedules = models.PositiveSmallIntegerField(_("số lần lùi hạn"), default=0)
    objective_cause = models.BooleanField(_("lùi hạn do nguyên nhân khách quan (đã xác nhận)"), default=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("công việc")
        verbose_name_plural = _("công việc")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="work_item_quantity_positive"),
            models.UniqueConstraint(fields=["template", "program"], condition=Q(template__isnull=False),
                                    name="work_item_unique_template_program"),
        ]
        indexes = [
            models.Index(fields=["owner", "first_due_at"], name="work_item_owner_due_idx"),
            models.Index(fields=["unit", "status", "due_at"], name="work_item_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class EventType(models.TextChoices):
    CREATED = "created", _("Tạo")
    EDITED = "edited", _("Sửa")
    SUBMITTED = "submitted", _("Gửi duyệt")
    RETURNED = "returned", _("Trả lại")
    APPROVED = "approved", _("Duyệt")
    REOPENED = "reopened", _("Mở lại để sửa")
    COMPLETED = "completed", _("Báo cáo hoàn thành")
    ACCEPTED = "accepted", _("Nghiệm thu đạt")
    QUALITY_FAILED = "quality_failed", _("Không đạt chất lượng")
    RESCHEDULED = "rescheduled", _("Lùi hạn")
    CAUSE_CONFIRMED = "cause_confirmed", _("Xác nhận nguyên nhân khách quan")
    CANCELLED = "cancelled", _("Hủy")
    CARRIED_OVER = "carried_over", _("Chuyển kỳ sau")


class EventSource(models.TextChoices):
    LIVE = "live", _("Ghi nhận trực tiếp")
    IMPORTED = "imported", _("Nhập từ dữ liệu")


class WorkItemEvent(models.Model):
    """What happened to an item, when (server time; import-path times bounded and marked imported)."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=16, choices=EventType.choices)
    at = models.DateTimeField(_("lúc"), db_index=True)
    recorded_at = models.DateTimeField(_("ghi nhận lúc"), auto_now_add=True)
    source = models.CharField(_("nguồn"), max_length=10, choices=EventSource.choices, default=EventSource.LIVE)
    actor = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(blank=True)
    completion = models.CharField(max_length=10, choices=Completion.choices, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)
    objective_cause = models.BooleanField(default=False, help_text=_(
        "Lùi hạn: nguyên nhân khách quan đã được thủ trưởng xác nhận (chỉ khi đó mới không tính là chậm)"))
    cause_claimed = models.BooleanField(default=False, help_text=_(
        "Lùi hạn: người thực hiện nêu nguyên nhân khách quan, chờ thủ trưởng xác nhận"))

    class Meta:
        verbose_name = _("diễn biến công việc")
        verbose_name_plural = _("diễn biến công việc")
        indexes = [models.Index(fields=["item", "at"], name="work_item_event_item_at_idx")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class EvidenceKind(models.TextChoices):
    DOSSIER = "dossier", _("Hồ sơ TTHC")
    FEEDBACK = "feedback", _("Phản ánh, kiến nghị")
    DOCUMENT = "document", _("Tài liệu")
    LINK = "link", _("Đường dẫn")


class WorkItemEvidence(models.Model):
    """Evidence of an item's output: a dossier, a feedback item, an uploaded document or a link."""

    item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    feedback = models.ForeignKey("feedback.FeedbackItem", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    document = models.FileField(upload_to="workplans/%Y/%m/", blank=True)
    url = models.URLField(blank=True)
    title = models.CharField(_("tên"), max_length=200, blank=True)
    added_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("minh chứng")
        verbose_name_plural = _("minh chứng")
        constraints = [models.CheckConstraint(
            condition=(Q(kind="dossier", dossier__isnull=False) | Q(kind="feedback", feedback__isnull=False)
                       | Q(kind="document") & ~Q(document="") | Q(kind="link") & ~Q(url="")),
            name="work_item_evidence_matches_kind")]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", _("Hằng tuần")
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTER_END = "quarter_end", _("Ngày làm việc cuối quý")


class ItemTemplate(models.Model):
    """A recurring item or a position's standard item (e.g. a one-stop officer's standard week),
    generated into personal programs by the worker; idempotent by (template, program)."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="work_item_templates",
                             verbose_name=_("đơn vị"))
    role = models.CharField(_("vị trí áp dụng"), max_length=20, blank=True,
                            help_text=_("Vai trò (ví dụ one_stop_officer); trống: chỉ người được chọn"))
    owner = models.ForeignKey("org.Staff", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("cán bộ"))
    title = models.CharField(_("nội dung công việc"), max_length=300)
    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("sản phẩm"))
    quantity = models.DecimalField(_("số lượng"), max_digits=8, decimal_places=2, default=Decimal("1"))
    recurrence = models.CharField(_("lặp lại"), max_length=12, choices=Recurrence.choices)
    weekday = models.PositiveSmallIntegerField(_("thứ trong tuần"), null=True, blank=True,
                                               help_text="0 = Monday (weekly)")
    day_of_month = models.PositiveSmallIntegerField(_("ngày trong tháng"), null=True, blank=True)
    due_time = models.TimeField(_("giờ hạn"), default="17:00")
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("mẫu công việc lặp lại")
        verbose_name_plural = _("mẫu công việc lặp lại")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="item_template_quantity_positive"),
            models.CheckConstraint(condition=~Q(role="") | Q(owner__isnull=False), name="item_template_role_or_owner"),
        ]

    def __str__(self) -> str:
        return self.title


class ProgramPolicy(models.Model):
    """Submission deadlines of personal programs (one row, admin-editable): the weekly program by
    `weekly_weekday` `weekly_time` of its week (default Monday 10:00), the monthly one by the end of
    its `monthly_working_day`-th working day (default the 3rd)."""

    weekly_weekday = models.PositiveSmallIntegerField(_("hạn nộp chương trình tuần: thứ"), default=0)
    weekly_time = models.TimeField(_("hạn nộp chương trình tuần: giờ"), default="10:00")
    monthly_working_day = models.PositiveSmallIntegerField(_("hạn nộp chương trình tháng: ngày làm việc thứ"), default=3)
    monthly_time = models.TimeField(_("hạn nộp chương trình tháng: giờ"), default="17:00")

    class Meta:
        verbose_name = _("quy định nộp chương trình công tác")
        verbose_name_plural = _("quy định nộp chương trình công tác")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
