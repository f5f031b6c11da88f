"""Admin: the product catalogue, templates and the submission policy are edited here (the core admin
site audits every change; the database constraints — factor > 0, one code per unit — are validated
by the forms). Programs, items and their events are read-only: they change only through the
services and the life-cycle table (lifecycle.py), whose events are the evidence."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    ItemTemplate,
    ProductType,
    Program,
    ProgramPolicy,
    WorkItem,
    WorkItemEvent,
    WorkItemEvidence,
)


@admin.register(ProductType)
class ProductTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "factor", "unit", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "unit__name", "unit__code"]
    autocomplete_fields = ["unit"]


@admin.register(ItemTemplate)
class ItemTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "unit", "role", "owner", "recurrence", "product_type", "quantity", "is_active"]
    list_filter = ["recurrence", "is_active", "role"]
    search_fields = ["title", "unit__name"]
    autocomplete_fields = ["unit", "owner"]


@admin.register(ProgramPolicy)
class ProgramPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "weekly_weekday", "weekly_time", "monthly_working_day", "monthly_time"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ProgramPolicy.objects.exists()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = WorkItemEvent
    fields = readonly_fields = ("type", "at", "source", "actor", "note", "completion", "new_due_at", "cause_claimed",
                                "objective_cause")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EvidenceInline(admin.TabularInline):
    model = WorkItemEvidence
    fields = readonly_fields = ("kind", "title", "dossier", "feedback", "document", "url", "added_by", "added_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(_ReadOnly):
    list_display = ["period", "kind", "unit", "owner", "status", "submitted_at", "approved_at"]
    list_filter = ["kind", "period_kind", "status"]
    search_fields = ["period", "unit__name", "owner__full_name", "owner__code"]


@admin.register(WorkItem)
class WorkItemAdmin(_ReadOnly):
    list_display = ["code", "title", "unit", "owner", "due_at", "status", "weight", "quality_failures", "reschedules"]
    list_filter = ["status", "completion"]
    search_fields = ["code", "title", "owner__full_name", "owner__code"]
    inlines = [EventInline, EvidenceInline]
