from __future__ import annotations

from typing import Any

from django.contrib import admin

from kycuong.core.audit import audit_record

from .models import Procedure, ProcedureStep, Sector
from .services import search_key_for


class ProcedureStepInline(admin.TabularInline):
    model = ProcedureStep
    extra = 0
    fields = ("order", "name", "role", "unit_kind", "share")


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "sector", "processing_value", "processing_unit", "fee", "online_level", "is_active")
    list_filter = ("sector", "online_level", "processing_unit", "is_active")
    search_fields = ("code", "name", "search_key")
    filter_horizontal = ("units",)
    inlines = [ProcedureStepInline]
    readonly_fields = ("demo_assumed",)

    def save_model(self, request: Any, obj: Procedure, form: Any, change: bool) -> None:
        # The admin edits fields directly; keep the search key and the audit trail as the services do.
        obj.search_key = search_key_for(name=obj.name, code=obj.code, sector=obj.sector.name)
        super().save_model(request, obj, form, change)
        audit_record(action="procedure.update" if change else "procedure.create", obj=obj, actor=request.user,
                     changes={"fields": list(form.changed_data), "via": "admin"})
