"""Mounted at the root by config/urls.py. No `app_name` here on purpose: it includes three
namespaces — `procedures` (catalogue), `citizen` (public lookup, online submission, kiosk, from
kycuong.dossiers.public_urls) and `dossier_documents` (staff-only forms 01–05 and attachments)."""

from django.urls import include, path

from kycuong.dossiers.public_urls import document_urlpatterns

urlpatterns = [
    path("", include("kycuong.procedures.catalogue_urls")),
    path("", include("kycuong.dossiers.public_urls")),
    path("", include((document_urlpatterns, "dossier_documents"))),
]
