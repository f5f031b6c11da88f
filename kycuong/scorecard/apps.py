from django.apps import AppConfig


class ScorecardConfig(AppConfig):
    name = "kycuong.scorecard"
    label = "scorecard"
