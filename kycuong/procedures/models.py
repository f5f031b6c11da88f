"""Procedure catalogue (thủ tục hành chính): what a dossier is processed under (domain.md §2–§3)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    WORKING_HOURS = "working_hours", _("giờ làm việc")
    CALENDAR_DAYS = "calendar_days", _("ngày")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("Toàn trình")
    PARTIAL = "partial", _("Một phần")
    NONE = "none", _("Trực tiếp")


class Sector(models.Model):
    """Lĩnh vực (e.g. Hộ tịch, Đất đai)."""

    code = models.SlugField(_("mã lĩnh vực"), max_length=80, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    code = models.CharField(_("mã thủ tục"), max_length=30, unique=True, help_text=_("Mã trên Cơ sở dữ liệu quốc gia"))
    name = models.CharField(_("tên thủ tục"), max_length=500)
    search_key = models.TextField(editable=False, default="", help_text="name folded without diacritics, for search")
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực"))
    #: Kinds of unit that decide it (e.g. ["ward", "commune"] or ["department"]); `units` narrows to specific units.
    deciding_unit_kinds = models.JSONField(_("cấp giải quyết"), default=list, blank=True)
    units = models.ManyToManyField("org.Unit", blank=True, related_name="procedures", verbose_name=_("cơ quan giải quyết"))
    processing_value = models.DecimalField(_("thời hạn giải quyết"), max_digits=8, decimal_places=3)
    processing_unit = models.CharField(_("đơn vị thời hạn"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAYS)
    fee = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    online_level = models.CharField(_("mức dịch vụ công trực tuyến"), max_length=10, choices=OnlineLevel.choices, default=OnlineLevel.NONE)
    documents = models.JSONField(_("thành phần hồ sơ"), default=list, blank=True)
    #: Fields the applicant fills for this procedure: [{"name", "label", "type": text|date|number|choice, "required", "choices"}].
    form_fields = models.JSONField(_("thông tin cần khai"), default=list, blank=True)
    cutoff = models.TimeField(_("giờ chốt nhận trong ngày"), null=True, blank=True,
                              help_text=_("Nhận sau giờ này tính từ ngày làm việc tiếp theo (mặc định 15:00)"))
    legal_basis = models.TextField(_("căn cứ pháp lý"), blank=True)
    result = models.CharField(_("kết quả"), max_length=300, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    #: Values the demo generator filled in because the source was silent (never to be taken for the law).
    demo_assumed = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["sector__name", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(processing_value__gte=0), name="procedure_time_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProcedureStep(models.Model):
    """An internal process step ("5 rõ": who, what, how long); `share` of the total processing time."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(_("tên bước"), max_length=200)
    role = models.CharField(_("vai trò thực hiện"), max_length=20)
    unit_kind = models.CharField(_("loại đơn vị thực hiện"), max_length=20, blank=True,
                                 help_text=_("Để trống: đơn vị giải quyết hồ sơ"))
    share = models.DecimalField(_("tỷ lệ thời gian"), max_digits=4, decimal_places=3)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["procedure", "order"]
        constraints = [models.UniqueConstraint(fields=["procedure", "order"], name="procedure_step_order_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
