"""Working calendar data: weekly sessions per unit and admin overrides (domain.md §2).

Holidays themselves come from the `holidays` package (VN); these tables hold what a unit
changes: its own sessions, and days the government announces later (extra days off, extra
working days), each with a reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Thứ Hai")
    TUESDAY = 1, _("Thứ Ba")
    WEDNESDAY = 2, _("Thứ Tư")
    THURSDAY = 3, _("Thứ Năm")
    FRIDAY = 4, _("Thứ Sáu")
    SATURDAY = 5, _("Thứ Bảy")
    SUNDAY = 6, _("Chủ Nhật")


class WorkingSession(models.Model):
    """A unit's weekly working session. A unit without rows inherits its nearest ancestor's, then the default."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="working_sessions", verbose_name=_("đơn vị"))
    weekday = models.PositiveSmallIntegerField(_("thứ"), choices=Weekday.choices)
    start = models.TimeField(_("bắt đầu"))
    end = models.TimeField(_("kết thúc"))

    class Meta:
        verbose_name = _("ca làm việc")
        verbose_name_plural = _("ca làm việc")
        ordering = ["unit", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="session_end_after_start"),
            models.UniqueConstraint(fields=["unit", "weekday", "start"], name="session_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class OverrideKind(models.TextChoices):
    DAY_OFF = "day_off", _("Nghỉ thêm")
    WORKING_DAY = "working_day", _("Làm việc bù")


class CalendarOverride(models.Model):
    """A day the government or the unit announces differently from the standard calendar."""

    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_overrides",
        verbose_name=_("đơn vị"), help_text=_("Để trống: áp dụng cho toàn thành phố"),
    )
    date = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=20, choices=OverrideKind.choices)
    reason = models.CharField(_("lý do"), max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("điều chỉnh lịch")
        verbose_name_plural = _("điều chỉnh lịch")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="override_unique_unit_date"),
            models.UniqueConstraint(fields=["date"], condition=Q(unit__isnull=True), name="override_unique_city_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}: {self.reason}"


class CalendarRevision(models.Model):
    """A single-row counter bumped on every calendar change, so cached calendars know they are stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("phiên bản lịch")

    def __str__(self) -> str:
        return str(self.value)
