"""Mounted at the root by config/urls.py: the public procedure catalogue (namespace `procedures`).
The citizen dossier pages (lookup, online submission, kiosk) are mounted by kycuong/dossiers/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("kycuong.procedures.catalogue_urls")),
]
