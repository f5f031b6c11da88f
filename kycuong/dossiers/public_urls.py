"""Citizen pages (namespace `citizen`): public lookup, online submission, kiosk; and the staff
document views (`document_urlpatterns`, namespace `dossier_documents`). Mounted through
kycuong/procedures/urls.py."""

from django.urls import path, re_path

from . import document_views, public_views

app_name = "citizen"

urlpatterns = [
    re_path(r"^tra-cuu/?$", public_views.lookup, name="lookup"),
    path("nop-truc-tuyen/", public_views.online_start, name="online_start"),
    path("nop-truc-tuyen/da-nop/", public_views.online_done, name="online_done"),
    path("nop-truc-tuyen/<str:code>/", public_views.online_form, name="online_form"),
    path("nop-truc-tuyen/<str:code>/kiem-tra/", public_views.online_check, name="online_check"),
    re_path(r"^kiosk/?$", public_views.kiosk_home, name="kiosk"),
    path("kiosk/thu-tuc/", public_views.kiosk_procedures, name="kiosk_procedures"),
    path("kiosk/thu-tuc/<str:code>/", public_views.kiosk_procedure, name="kiosk_procedure"),
    path("kiosk/tra-cuu/", public_views.kiosk_lookup, name="kiosk_lookup"),
]

document_urlpatterns = [
    path("ho-so/<str:code>/bieu-mau/<str:form>/", document_views.form_view, name="form"),
    path("ho-so/<str:code>/tep/<int:attachment_id>/", document_views.attachment_download, name="attachment"),
    path("ho-so/<str:code>/tep/", document_views.attachment_list, name="attachments"),
]
