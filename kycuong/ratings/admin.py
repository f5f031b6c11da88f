from django.contrib import admin

from .models import FollowUp, Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "level", "unit", "counter", "officer", "dossier", "ticket", "is_current", "created_at")
    list_filter = ("channel", "level", "is_current")
    raw_id_fields = ("unit", "dossier", "ticket", "counter", "officer", "procedure", "device", "replaced_by")

    def has_add_permission(self, request):  # ratings come from citizens only
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("id", "unit", "status", "created_at", "closed_at")
    list_filter = ("status",)
    raw_id_fields = ("rating", "unit", "closed_by")
