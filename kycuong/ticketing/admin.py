from django.contrib import admin

from .models import Counter, Device, ServiceArea, Ticket


@admin.register(ServiceArea)
class ServiceAreaAdmin(admin.ModelAdmin):
    list_display = ("unit", "letter", "name", "sector", "is_active")
    list_filter = ("is_active",)
    search_fields = ("unit__code", "name")
    raw_id_fields = ("unit",)


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ("unit", "number", "name", "staff", "is_active")
    search_fields = ("unit__code",)
    raw_id_fields = ("unit", "staff")
    filter_horizontal = ("areas",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("code", "unit", "day", "status", "counter", "officer", "issued_at")
    list_filter = ("status", "day")
    search_fields = ("code", "unit__code")
    raw_id_fields = ("unit", "issued_area", "area", "counter", "officer", "dossier")

    def has_add_permission(self, request):  # tickets come from kiosks only
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "unit", "counter", "prefix", "last_seen_at", "revoked_at")
    list_filter = ("kind",)
    readonly_fields = ("prefix", "digest", "created_at", "last_seen_at")
    raw_id_fields = ("unit", "counter", "created_by")

    def has_add_permission(self, request):  # pair through the Thiết bị screen (the token is shown once)
        return False
