from django.urls import path

from . import views

app_name = "scorecard"

urlpatterns = [
    path("chi-so/", views.ranking_view, name="ranking"),
    path("chi-so/don-vi/<str:code>/", views.unit_view, name="unit"),
    path("chi-so/don-vi/<str:code>/xu-huong.csv", views.unit_trend_csv, name="unit_trend_csv"),
    path("chi-so/don-vi/<str:code>/vi-sao/", views.why_view, name="why"),
    path("cong-khai/chi-so/", views.public_view, name="public"),
]
