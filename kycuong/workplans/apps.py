from django.apps import AppConfig


class WorkplansConfig(AppConfig):
    name = "kycuong.workplans"
    label = "workplans"
    verbose_name = "Chương trình công tác"
