from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "kycuong.attendance"
    label = "attendance"
