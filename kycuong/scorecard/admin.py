"""Indicator sets are data: weights, thresholds and formula keys are edited here (a decision's revision)."""

from __future__ import annotations

from django.contrib import admin

from .models import Indicator, IndicatorSet, RefreshState, Result


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("order", "code", "group", "group_name_vi", "name_vi", "name_en", "max_points", "formula", "thresholds")


@admin.register(IndicatorSet)
class IndicatorSetAdmin(admin.ModelAdmin):
    list_display = ("code", "name_vi", "version", "is_public")
    inlines = [IndicatorInline]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ("period", "unit", "indicator", "numerator", "denominator", "rate", "points", "applicable",
                    "source_has_data", "computed_at")
    list_filter = ("indicator_set", "period_kind", "applicable", "source_has_data")
    search_fields = ("unit__code", "unit__name", "period", "indicator__code")
    list_select_related = ("unit", "indicator")
    readonly_fields = [f.name for f in Result._meta.fields]


@admin.register(RefreshState)
class RefreshStateAdmin(admin.ModelAdmin):
    list_display = ("key", "dirty", "touches", "touched_at", "enqueued_at", "refreshed_at", "refresh_seconds")
