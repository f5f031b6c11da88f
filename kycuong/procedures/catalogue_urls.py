from django.urls import path

from . import views

app_name = "procedures"

urlpatterns = [
    path("thu-tuc/", views.catalogue, name="list"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="detail"),
]
