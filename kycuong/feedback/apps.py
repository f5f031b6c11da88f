from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "kycuong.feedback"
    label = "feedback"
