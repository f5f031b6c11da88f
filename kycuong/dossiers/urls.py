"""Mounted at the root by config/urls.py. No `app_name` here on purpose: it includes three
namespaces — `citizen` (public lookup, online submission, kiosk: public_urls.py),
`dossier_documents` (staff-only forms 01–05 and attachments) and `dossiers` (officer screens:
officer_urls.py)."""

from django.urls import include, path

from .public_urls import document_urlpatterns

urlpatterns = [
    path("", include("kycuong.dossiers.public_urls")),
    path("", include((document_urlpatterns, "dossier_documents"))),
    path("", include("kycuong.dossiers.officer_urls")),
]
