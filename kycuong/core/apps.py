from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "kycuong.core"
    label = "core"
    verbose_name = _("Nền tảng")

    def ready(self) -> None:
        from . import auth_audit

        auth_audit.connect()


class KycuongAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the audited default site (INSTALLED_APPS lists this instead)."""

    default = False
    default_site = "kycuong.core.admin_audit.AuditedAdminSite"
