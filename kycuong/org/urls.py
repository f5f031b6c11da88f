from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("don-vi/", views.unit_list, name="units"),
    path("don-vi/<str:code>/", views.unit_detail, name="unit"),
]
