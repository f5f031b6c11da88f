from django.urls import path

from . import adms, views

app_name = "attendance"

urlpatterns = [
    # ADMS push protocol: fixed paths, no trailing slash (terminal firmware calls them as is).
    path("iclock/cdata", adms.cdata, name="adms_cdata"),
    path("iclock/getrequest", adms.getrequest, name="adms_getrequest"),
    path("iclock/devicecmd", adms.devicecmd, name="adms_devicecmd"),
    # Staff screens.
    path("cham-cong/", views.today_page, name="today"),
    path("cham-cong/cua-toi/", views.my_month, name="mine"),
    path("cham-cong/cua-toi/don/<int:pk>/huy/", views.cancel_request, name="cancel_request"),
    path("cham-cong/bang-cham-cong/", views.timesheet_page, name="timesheet"),
    path("cham-cong/duyet-don/", views.requests_page, name="requests"),
    path("cham-cong/may/", views.devices_page, name="devices"),
    path("cham-cong/may/<int:pk>/", views.device_page, name="device"),
    path("cham-cong/dieu-chinh/", views.correction_page, name="correction"),
    path("cham-cong/nhap-tep/", views.upload_page, name="upload"),
]
