"""Scorecards (bộ chỉ số): indicator sets as data, and the stored results per unit × period × indicator.

Decision 766/QĐ-TTg (2022) and Hanoi's own discipline index are *data*: an `IndicatorSet` with its
`Indicator`s (max points, a formula key naming how numerator and denominator are counted, and
thresholds such as "full marks at 80 %"). A revision of the decision is a data change, not a code change
(domain.md §7, docs/modules/scorecard.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    WEEK = "week", _("Tuần")
    MONTH = "month", _("Tháng")
    QUARTER = "quarter", _("Quý")
    YEAR = "year", _("Năm")


class IndicatorSet(models.Model):
    code = models.SlugField(_("mã bộ chỉ số"), max_length=40, unique=True)
    name_vi = models.CharField(_("tên bộ chỉ số"), max_length=200)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=200, blank=True)
    version = models.CharField(_("phiên bản"), max_length=40)
    legal_basis = models.CharField(_("căn cứ"), max_length=300, blank=True)
    is_public = models.BooleanField(_("công khai"), default=False,
                                    help_text=_("Hiện trên trang công khai (chỉ số tổng hợp, không có dữ liệu cá nhân)"))

    class Meta:
        verbose_name = _("bộ chỉ số")
        verbose_name_plural = _("bộ chỉ số")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.version})"


class Indicator(models.Model):
    """One indicator: points = max × rate, or max × min(1, rate / thresholds.full_at)."""

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="indicators",
                                      verbose_name=_("bộ chỉ số"))
    code = models.CharField(_("mã chỉ số"), max_length=60)
    group = models.CharField(_("nhóm"), max_length=40)
    group_name_vi = models.CharField(_("tên nhóm"), max_length=120, blank=True)
    name_vi = models.CharField(_("tên chỉ số"), max_length=300)
    name_en = models.CharField(_("tên tiếng Anh"), max_length=300, blank=True)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    #: Key into kycuong.scorecard.engine.MEASURES: how numerator and denominator are counted.
    formula = models.CharField(_("công thức"), max_length=60)
    #: {"full_at": 0.8} gives full marks from a rate of 80 %; empty: points proportional to the rate.
    thresholds = models.JSONField(_("ngưỡng"), default=dict, blank=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("chỉ số")
        verbose_name_plural = _("chỉ số")
        ordering = ["indicator_set", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["indicator_set", "code"], name="scorecard_indicator_unique")]

    def __str__(self) -> str:
        return f"{self.code} ({self.max_points})"


class Result(models.Model):
    """numerator / denominator = rate → points, for one unit (its whole subtree) and one period.

    `applicable` is False when the denominator is 0 (shown "—", left out of the total) and also
    when the source module has no data (`source_has_data` False, `note` says why): never a silent zero.
    """

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="scorecard_results")
    period = models.CharField(_("kỳ"), max_length=10)
    period_kind = models.CharField(_("loại kỳ"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("từ ngày"))
    numerator = models.BigIntegerField(_("tử số"), null=True)
    denominator = models.BigIntegerField(_("mẫu số"), null=True)
    rate = models.FloatField(_("tỷ lệ"), null=True)
    points = models.FloatField(_("điểm"), null=True)
    applicable = models.BooleanField(_("áp dụng"), default=False)
    source_has_data = models.BooleanField(_("nguồn có dữ liệu"), default=True)
    note = models.CharField(_("ghi chú"), max_length=200, blank=True)
    computed_at = models.DateTimeField(_("tính lúc"))

    class Meta:
        verbose_name = _("kết quả chỉ số")
        verbose_name_plural = _("kết quả chỉ số")
        constraints = [models.UniqueConstraint(fields=["indicator", "unit", "period"], name="scorecard_result_unique")]
        indexes = [
            models.Index(fields=["indicator_set", "period", "unit"], name="scorecard_result_set_period"),
            models.Index(fields=["unit", "indicator_set", "period_kind", "period_start"], name="scorecard_result_trend"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period} {self.indicator_id}: {self.points}"


class RefreshState(models.Model):
    """Debounce state of the near-real-time refresh (current week and month), one row per key.

    `scorecard_touch` marks it dirty after dossier/feedback events and enqueues a refresh at most
    every DEBOUNCE seconds; the every-minute job picks up whatever is still dirty.
    """

    key = models.CharField(max_length=20, primary_key=True)
    dirty = models.BooleanField(default=False)
    dirty_since = models.DateTimeField(null=True, blank=True)
    touched_at = models.DateTimeField(null=True, blank=True)
    touches = models.PositiveBigIntegerField(default=0)
    last_unit_id = models.BigIntegerField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    deferred_until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("trạng thái cập nhật chỉ số")
        verbose_name_plural = _("trạng thái cập nhật chỉ số")

    def __str__(self) -> str:
        return f"{self.key}: {'dirty' if self.dirty else 'clean'}"
