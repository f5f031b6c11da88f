from django.apps import AppConfig


class TicketingConfig(AppConfig):
    name = "kycuong.ticketing"
    label = "ticketing"
