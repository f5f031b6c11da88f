"""Work program screens (namespace `workplans`), mounted at the root by config/urls.py."""

from django.urls import path

from . import exports
from .views import actions, screens

app_name = "workplans"

urlpatterns = [
    path("chuong-trinh/", screens.my_week, name="week"),
    path("chuong-trinh/ngay/", screens.my_day, name="day"),
    path("chuong-trinh/thang/", screens.my_month, name="month"),
    path("chuong-trinh/don-vi/", screens.unit_outline, name="unit"),
    path("chuong-trinh/don-vi/them-viec/", actions.unit_item_add, name="unit_item_add"),
    path("chuong-trinh/don-vi/tien-do-thang/", screens.gantt, name="gantt"),
    path("chuong-trinh/duyet/", screens.inbox, name="inbox"),
    path("chuong-trinh/chua-nop/", screens.board, name="board"),
    path("chuong-trinh/xuat/chuong-trinh-thang/", exports.monthly_program_view, name="export_program"),
    path("chuong-trinh/xuat/bao-cao-ket-qua/", exports.monthly_report_view, name="export_report"),
    path("chuong-trinh/viec/them/", actions.item_add, name="item_add"),
    path("chuong-trinh/viec/<str:code>/", screens.item_detail, name="item"),
    path("chuong-trinh/viec/<str:code>/bao-cao/", actions.item_complete, name="item_complete"),
    path("chuong-trinh/viec/<str:code>/nghiem-thu/", actions.item_accept, name="item_accept"),
    path("chuong-trinh/viec/<str:code>/khong-dat/", actions.item_quality_fail, name="item_quality_fail"),
    path("chuong-trinh/viec/<str:code>/xac-nhan-nguyen-nhan/", actions.item_confirm_cause, name="item_confirm_cause"),
    path("chuong-trinh/viec/<str:code>/sua/", actions.item_edit, name="item_edit"),
    path("chuong-trinh/viec/<str:code>/lui-han/", actions.item_reschedule, name="item_reschedule"),
    path("chuong-trinh/viec/<str:code>/huy/", actions.item_cancel, name="item_cancel"),
    path("chuong-trinh/<int:pk>/", screens.program_detail, name="program"),
    path("chuong-trinh/<int:pk>/gui-duyet/", actions.program_submit, name="program_submit"),
    path("chuong-trinh/<int:pk>/duyet/", actions.program_approve, name="program_approve"),
    path("chuong-trinh/<int:pk>/tra-lai/", actions.program_return, name="program_return"),
    path("chuong-trinh/<int:pk>/mo-lai/", actions.program_reopen, name="program_reopen"),
]
