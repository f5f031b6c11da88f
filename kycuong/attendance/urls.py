from django.urls import path

from . import adms

app_name = "attendance"

urlpatterns = [
    # ADMS push protocol: fixed paths, no trailing slash (terminal firmware calls them as is).
    path("iclock/cdata", adms.cdata, name="adms_cdata"),
    path("iclock/getrequest", adms.getrequest, name="adms_getrequest"),
    path("iclock/devicecmd", adms.devicecmd, name="adms_devicecmd"),
]
