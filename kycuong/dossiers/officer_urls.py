"""Officer screens (namespace `dossiers`), mounted by urls.py beside the citizen pages and forms."""

from django.urls import path

from . import views

app_name = "dossiers"

urlpatterns = [
    path("ho-so/", views.my_list, name="my"),
    path("ho-so/don-vi/", views.unit_list, name="unit"),
    path("ho-so/thong-ke/", views.stats, name="stats"),
    path("ho-so/tiep-nhan/", views.intake, name="intake"),
    path("ho-so/tiep-nhan/<str:procedure_code>/", views.intake_form, name="intake_form"),
    path("thong-bao/", views.notifications, name="notifications"),
    path("thong-bao/da-doc/", views.notifications_read, name="notifications_read"),
    path("ho-so/<str:code>/", views.detail, name="detail"),
    path("ho-so/<str:code>/bien-nhan/", views.receipt, name="receipt"),
    path("ho-so/<str:code>/<slug:slug>/", views.action, name="action"),
]
