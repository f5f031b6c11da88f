from django.urls import path

from . import views

app_name = "ticketing"

urlpatterns = [
    path("lay-so/", views.kiosk, name="kiosk"),
    path("lay-so/phieu/<str:token>/", views.kiosk_ticket, name="kiosk_ticket"),
    path("lay-so/diem/<str:unit_code>/", views.kiosk, name="kiosk_preview"),
    path("so-thu-tu/<str:token>/", views.ticket_status, name="status"),
    path("man-hinh/<str:unit_code>/", views.board, name="board"),
    path("quay/", views.counters, name="counters"),
    path("quay/<int:pk>/", views.console, name="console"),
    path("quay/<int:pk>/<slug:action>/", views.console_action, name="console_action"),
    path("xep-hang/thong-ke/", views.metrics, name="metrics"),
    path("xep-hang/thong-ke.xlsx", views.metrics_export, name="metrics_export"),
    path("thiet-bi/", views.devices, name="devices"),
    path("thiet-bi/ghep-noi/", views.pair, name="pair"),
    path("thiet-bi/<int:pk>/thu-hoi/", views.device_revoke, name="device_revoke"),
]
