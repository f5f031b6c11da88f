from __future__ import annotations

import importlib

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .api import api

admin.site.site_header = _("Kỷ cương — Quản trị")
admin.site.site_title = "Kỷ cương"  # the product name is not translated

urlpatterns = [
    path("quan-tri/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Each app may contribute `urlpatterns` in its urls.py (mounted at the root: apps choose their own
# Vietnamese public paths such as /tra-cuu or /kiosk). The portal comes last (home page, login).
for app in settings.KYCUONG_APPS:
    try:
        module = importlib.import_module(f"{app}.urls")
    except ModuleNotFoundError as exc:
        if exc.name == f"{app}.urls":
            continue
        raise
    urlpatterns.append(path("", include(module)))
