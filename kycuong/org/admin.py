from django.contrib import admin

from .models import Membership, Staff, Unit


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "active_from", "active_to"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent", "successor"]
    readonly_fields = ["path", "depth"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "position", "email", "is_active"]
    search_fields = ["code", "full_name", "email"]
    inlines = [MembershipInline]
    raw_id_fields = ["user"]
