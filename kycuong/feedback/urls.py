from django.urls import path, re_path

from . import open311, views

app_name = "feedback"

O311 = r"^open311/v2/"
FMT = r"\.(?P<fmt>[a-z]+)$"

urlpatterns = [
    # Public
    path("phan-anh/gui/", views.intake, name="intake"),
    path("phan-anh/da-gui/", views.submitted, name="submitted"),
    path("phan-anh/tra-cuu/", views.lookup, name="lookup"),
    path("phan-anh/tra-cuu/<str:code>/", views.track, name="track"),
    path("hoi-dap/", views.knowledge_base, name="kb"),
    path("hoi-dap/dat-cau-hoi/", views.intake, {"kind": "question"}, name="ask"),
    path("hoi-dap/<str:code>/", views.knowledge_base_detail, name="kb_detail"),
    # Staff
    path("phan-anh/", views.inbox, name="inbox"),
    path("phan-anh/nhap/", views.staff_entry, name="staff_entry"),
    path("phan-anh/thong-ke/", views.metrics, name="metrics"),
    path("phan-anh/anh/<int:pk>/", views.photo, name="photo"),
    path("phan-anh/<str:code>/", views.detail, name="detail"),
    path("phan-anh/<str:code>/thao-tac/", views.act, name="act"),
    path("phan-anh/<str:code>/lien-he/", views.reveal_contact, name="reveal_contact"),
    # Open311 GeoReport v2
    re_path(O311 + r"discovery" + FMT, open311.discovery, name="o311_discovery"),
    re_path(O311 + r"services" + FMT, open311.services_list, name="o311_services"),
    re_path(O311 + r"services/(?P<code>[\w-]+)" + FMT, open311.service_definition, name="o311_service"),
    re_path(O311 + r"requests" + FMT, open311.requests_view, name="o311_requests"),
    re_path(O311 + r"requests/(?P<request_id>[\w-]+)" + FMT, open311.request_detail, name="o311_request"),
    re_path(O311 + r"tokens/(?P<token>[\w-]+)" + FMT, open311.token_detail, name="o311_token"),
]
