from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "kycuong.ratings"
    label = "ratings"
