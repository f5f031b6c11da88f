from django.apps import AppConfig


class DossiersConfig(AppConfig):
    name = "kycuong.dossiers"
    label = "dossiers"
