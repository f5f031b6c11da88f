from django.urls import path

from . import views

app_name = "ratings"

urlpatterns = [
    path("may-danh-gia/", views.tablet, name="tablet"),
    path("danh-gia/", views.online, name="online"),
    path("danh-gia/thong-ke/", views.stats, name="stats"),
    path("danh-gia/thong-ke.xlsx", views.stats_export, name="stats_export"),
    path("danh-gia/can-xu-ly/", views.followups, name="followups"),
    path("danh-gia/can-xu-ly/<int:pk>/xu-ly/", views.followup_close, name="followup_close"),
]
