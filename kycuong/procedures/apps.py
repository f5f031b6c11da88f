from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "kycuong.procedures"
    label = "procedures"
