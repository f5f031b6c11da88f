"""Django-admin edits are audited like service calls: add, change and delete, with before/after.

`AuditedAdminSite` is the project's default admin site (KycuongAdminConfig in apps.py): its
`register()` mixes `AuditedModelAdmin` into every ModelAdmin, including Django's own (users,
groups), so a future registration cannot forget it. The admin edits fields directly, bypassing
the services; without this a `city_leader` membership granted there would widen someone's scope
with no trace.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from .audit import audit_record

REDACTED = "***"
SECRET_FIELDS = frozenset({"password", "digest", "secret", "comm_key"})


def _plain(field: Any, value: Any) -> Any:
    if field.name in SECRET_FIELDS:
        return REDACTED
    if field.many_to_many:
        return sorted(str(getattr(v, "pk", v)) for v in (value or []))
    if isinstance(value, models.Model):
        return value.pk
    return value


def _model_field(obj: models.Model, name: str) -> Any:
    try:
        return obj._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a form-only field (e.g. password1 on the user add form)
        return None


def _snapshot(obj: models.Model) -> dict[str, Any]:
    return {f.name: _plain(f, f.value_from_object(obj)) for f in obj._meta.concrete_fields if not f.primary_key}


def _form_diff(obj: models.Model, form: Any, changed: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Before (the form's initial, i.e. the stored row) and after (the saved object) of each changed field."""
    diff = {}
    for name in changed if changed is not None else form.changed_data:
        field = _model_field(obj, name)
        if field is None or not getattr(field, "concrete", False) and not field.many_to_many:
            continue
        after = form.cleaned_data.get(name) if field.many_to_many else field.value_from_object(obj)
        diff[name] = {"before": _plain(field, form.initial.get(name)), "after": _plain(field, after)}
    return diff


def _audited(request: HttpRequest) -> set[tuple[str, str]]:
    seen = getattr(request, "_kycuong_admin_audited", None)
    if seen is None:
        seen = set()
        request._kycuong_admin_audited = seen  # type: ignore[attr-defined]
    return seen


def admin_audit(request: HttpRequest, action: str, obj: models.Model, *, object_id: Any = None,
                **changes: Any) -> None:
    pk = obj.pk if object_id is None else object_id
    _audited(request).add((obj._meta.label_lower, str(pk)))
    audit_record(action=f"admin.{action}", obj=obj, object_id=pk, actor=request.user,
                 changes={"via": "admin", **changes})


class AuditedModelAdmin(admin.ModelAdmin):
    """Writes one audit row per object added, changed or deleted, inline objects included."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            admin_audit(request, "change", obj, fields=_form_diff(obj, form))
        else:
            admin_audit(request, "add", obj, fields={k: {"before": None, "after": v} for k, v in _snapshot(obj).items()})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        forms_by_pk = {f.instance.pk: f for f in formset.initial_forms}
        deleted = [(f.instance, f.instance.pk, _snapshot(f.instance)) for f in formset.deleted_forms
                   if f.instance.pk is not None]
        super().save_formset(request, form, formset, change)
        parent = f"{form.instance._meta.label_lower}#{form.instance.pk}"
        for obj in getattr(formset, "new_objects", []):
            admin_audit(request, "add", obj, parent=parent,
                        fields={k: {"before": None, "after": v} for k, v in _snapshot(obj).items()})
        for obj, changed in getattr(formset, "changed_objects", []):
            admin_audit(request, "change", obj, parent=parent, fields=_form_diff(obj, forms_by_pk[obj.pk], changed))
        for obj, pk, before in deleted:
            admin_audit(request, "delete", obj, object_id=pk, parent=parent,
                        fields={k: {"before": v, "after": None} for k, v in before.items()})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        admin_audit(request, "delete", obj, fields={k: {"before": v, "after": None} for k, v in _snapshot(obj).items()})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                admin_audit(request, "delete", obj,
                            fields={k: {"before": v, "after": None} for k, v in _snapshot(obj).items()})
            super().delete_queryset(request, queryset)

    # Admin views that save without save_model (e.g. the user's password form) still log a change
    # message; audit it when nothing else was audited for that object in this request.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        if (obj._meta.label_lower, str(obj.pk)) not in _audited(request):
            admin_audit(request, "add", obj, message=message)
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        if (obj._meta.label_lower, str(obj.pk)) not in _audited(request):
            admin_audit(request, "change", obj, message=message)
        return entry


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(admin_class.__name__, (AuditedModelAdmin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        super().register(model_or_iterable, admin_class, **options)
