from django.contrib import admin

from .models import CalendarOverride, WorkingSession


@admin.register(WorkingSession)
class WorkingSessionAdmin(admin.ModelAdmin):
    list_display = ["unit", "weekday", "start", "end"]
    autocomplete_fields = ["unit"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "unit", "reason"]
    list_filter = ["kind"]
    autocomplete_fields = ["unit"]
