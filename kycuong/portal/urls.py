from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("trang-cua-toi/", views.dashboard, name="dashboard"),
    path("nhat-ky/", views.audit_log, name="audit"),
    path("nhat-ky/xuat.xlsx", views.audit_log_export, name="audit_export"),
    path("ma-truy-cap/", views.api_tokens, name="api_tokens"),
    path("healthz", views.healthz, name="healthz"),
]
