"""Platform-wide records: the audit trail, the personal-data access log and API tokens."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


class AppendOnlyError(DomainError):
    code = "append_only"


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk paths refuse too: `update()`, `delete()` and `bulk_update()` would bypass the model.

    On PostgreSQL a trigger (migration core 0004) also refuses UPDATE/DELETE from raw SQL."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(_("Nhật ký chỉ được ghi thêm, không được sửa."))

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError(_("Nhật ký chỉ được ghi thêm, không được sửa."))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(_("Nhật ký chỉ được ghi thêm, không được xoá."))

    delete.queryset_only = True  # type: ignore[attr-defined]


class AppendOnlyModel(models.Model):
    """Rows are written once and never updated nor deleted (evidence must not change)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError(_("Nhật ký chỉ được ghi thêm, không được sửa."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError(_("Nhật ký chỉ được ghi thêm, không được xoá."))


class AuditEvent(AppendOnlyModel):
    """One state-changing service call: who did what to which object, when, from where."""

    at = models.DateTimeField(_("thời điểm"), db_index=True)
    # DO_NOTHING without a database constraint: deleting a user must not rewrite (SET NULL) the
    # evidence rows that name them; the id stays, `actor_label` keeps the name.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("người thực hiện"),
    )
    actor_label = models.CharField(_("người thực hiện (tên)"), max_length=200, blank=True)
    action = models.CharField(_("hành động"), max_length=100, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=100, db_index=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=100, db_index=True)
    object_label = models.CharField(_("đối tượng"), max_length=300, blank=True)
    unit_id = models.BigIntegerField(_("đơn vị"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)
    # Hash chain (kycuong.core.auditchain): position, the previous row's hash, this row's hash.
    seq = models.BigIntegerField(_("số thứ tự"), unique=True)
    prev_hash = models.CharField(_("mã băm dòng trước"), max_length=64)
    hash = models.CharField(_("mã băm"), max_length=64)

    class Meta:
        verbose_name = _("nhật ký thao tác")
        verbose_name_plural = _("nhật ký thao tác")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}#{self.object_id}"


class AuditChainHead(models.Model):
    """The one row holding the chain's last position and hash; its row lock orders the chain."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class PersonalDataAccess(AppendOnlyModel):
    """One read of personal data (ID number, phone) in clear, as Decree 356/2025 asks us to log."""

    at = models.DateTimeField(_("thời điểm"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("người xem"),
    )
    actor_label = models.CharField(_("người xem (tên)"), max_length=200, blank=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=100)
    object_id = models.CharField(_("mã đối tượng"), max_length=100, db_index=True)
    fields = models.CharField(_("trường dữ liệu"), max_length=200)
    purpose = models.CharField(_("mục đích"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("địa chỉ IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("truy cập dữ liệu cá nhân")
        verbose_name_plural = _("truy cập dữ liệu cá nhân")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.object_type}#{self.object_id} {self.fields}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the clear value is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("tên"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()
