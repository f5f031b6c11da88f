from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Category, FeedbackItem, FeedbackPolicy, Open311Key, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "group", "is_active", "order"]
    list_filter = ["is_active", "group"]
    search_fields = ["code", "name"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "place", "responsible_unit", "priority", "is_active"]
    list_filter = ["is_active", "category"]
    autocomplete_fields = ["place", "responsible_unit"]
    search_fields = ["place__name", "responsible_unit__name", "category__name"]


@admin.register(FeedbackPolicy)
class FeedbackPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "refuse_days", "info_days", "resolve_days", "publish_days", "reopen_window_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not FeedbackPolicy.objects.exists()


@admin.register(Open311Key)
class Open311KeyAdmin(admin.ModelAdmin):
    """API keys for Open311 clients: the clear key is shown once, when the key is created."""

    list_display = ["name", "prefix", "contact", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "contact", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: Open311Key, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key, raw = services.open311_key_create(name=obj.name, contact=obj.contact, actor=request.user)
        obj.pk, obj.prefix, obj.digest, obj.created_at = key.pk, key.prefix, key.digest, key.created_at
        messages.warning(request, _("Khóa API (chỉ hiển thị một lần, hãy sao chép ngay): %(key)s") % {"key": raw})

    @admin.action(description=_("Thu hồi khóa đã chọn"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["code", "kind", "category", "unit", "status", "received_at", "due_at"]
    list_filter = ["status", "kind", "channel", "category"]
    search_fields = ["code"]
    list_select_related = ["category", "unit"]
    exclude = ["secret_digest", "reporter_name", "reporter_phone", "reporter_email"]
    readonly_fields = [f.name for f in FeedbackItem._meta.fields if f.name not in
                       ("secret_digest", "reporter_name", "reporter_phone", "reporter_email")]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
