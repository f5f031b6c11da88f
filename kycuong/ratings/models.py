"""Citizen satisfaction ratings (domain.md §4; SIPAS, Decision 1001/QĐ-BNV 2023).

A rating comes from the tablet at a counter (channel "kiosk") or from the online form by dossier
code and secret (channel "online"). Each ties to the dossier, ticket, counter, officer, unit and
procedure it is about. One current rating per dossier per channel: a later one replaces the
earlier one (kept, `is_current=False`). A tablet rating needs a ticket or dossier just served at
that tablet's counter, and a ticket is rated at most once on the tablet.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kycuong.dossiers.models import RatingLevel
from kycuong.org.scoping import ScopedQuerySet


class RatingChannel(models.TextChoices):
    KIOSK = "kiosk", _("Tại quầy (máy tính bảng)")
    ONLINE = "online", _("Trực tuyến")


#: SIPAS elements (Decision 1001/QĐ-BNV): field name on Rating → label.
CRITERIA = {
    "access_level": _("Tiếp cận dịch vụ"),
    "procedure_level": _("Thủ tục hành chính"),
    "officer_level": _("Công chức giải quyết"),
    "result_level": _("Kết quả giải quyết"),
    "feedback_level": _("Tiếp nhận, xử lý phản ánh, kiến nghị"),
}
CRITERIA_KEYS = {"access": "access_level", "procedure": "procedure_level", "civil_servant": "officer_level",
                 "result": "result_level", "feedback_handling": "feedback_level"}


class RatingQuerySet(ScopedQuerySet["Rating"]):
    scope_field = "unit"

    def current(self) -> RatingQuerySet:
        return self.filter(is_current=True)


def _level_field(label: Any) -> models.CharField:
    return models.CharField(label, max_length=20, choices=RatingLevel.choices, blank=True)


class Rating(models.Model):
    channel = models.CharField(_("kênh đánh giá"), max_length=10, choices=RatingChannel.choices)
    level = models.CharField(_("mức độ hài lòng"), max_length=20, choices=RatingLevel.choices)
    access_level = _level_field(CRITERIA["access_level"])
    procedure_level = _level_field(CRITERIA["procedure_level"])
    officer_level = _level_field(CRITERIA["officer_level"])
    result_level = _level_field(CRITERIA["result_level"])
    feedback_level = _level_field(CRITERIA["feedback_level"])
    comment = models.TextField(_("ý kiến"), blank=True, max_length=1000)

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="ratings", verbose_name=_("đơn vị"))
    dossier = models.ForeignKey("dossiers.Dossier", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings",
                                verbose_name=_("hồ sơ"))
    ticket = models.ForeignKey("ticketing.Ticket", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings",
                               verbose_name=_("số thứ tự"))
    counter = models.ForeignKey("ticketing.Counter", null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings",
                                verbose_name=_("quầy"))
    officer = models.ForeignKey("org.Staff", null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings",
                                verbose_name=_("cán bộ"))
    procedure = models.ForeignKey("procedures.Procedure", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("thủ tục"))
    device = models.ForeignKey("ticketing.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings")

    created_at = models.DateTimeField(_("thời điểm ghi nhận"), db_index=True)
    rated_at = models.DateTimeField(_("thời điểm đánh giá"), help_text=_("Theo máy tính bảng, khi gửi lại sau mất mạng"))
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    payload_digest = models.CharField(max_length=64, blank=True)
    is_current = models.BooleanField(_("đang có hiệu lực"), default=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("đánh giá hài lòng")
        verbose_name_plural = _("đánh giá hài lòng")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "channel"], condition=Q(ticket__isnull=False),
                                    name="rating_ticket_once_per_channel"),
            models.UniqueConstraint(fields=["dossier", "channel"], condition=Q(dossier__isnull=False, is_current=True),
                                    name="rating_dossier_current_per_channel"),
            models.CheckConstraint(condition=Q(ticket__isnull=False) | Q(dossier__isnull=False),
                                   name="rating_has_subject"),
        ]
        indexes = [
            models.Index(fields=["unit", "created_at"], name="rating_unit_created_idx"),
            models.Index(fields=["officer", "created_at"], name="rating_officer_created_idx"),
            models.Index(fields=["counter", "created_at"], name="rating_counter_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_level_display()} #{self.pk}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Chờ xử lý")
    CLOSED = "closed", _("Đã xử lý")


class FollowUpQuerySet(ScopedQuerySet["FollowUp"]):
    scope_field = "unit"

    def open(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUpStatus.OPEN)


class FollowUp(models.Model):
    """A "Không hài lòng" with a comment: the unit head looks into it and writes what was done."""

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="follow_up")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="rating_follow_ups", verbose_name=_("đơn vị"))
    status = models.CharField(_("trạng thái"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN,
                              db_index=True)
    created_at = models.DateTimeField(_("tạo lúc"))
    resolution = models.TextField(_("kết quả xử lý"), blank=True)
    closed_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("đánh giá cần xử lý")
        verbose_name_plural = _("đánh giá cần xử lý")
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["unit", "status"], name="followup_unit_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"
