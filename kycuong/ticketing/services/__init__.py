"""Writes for the service hall (domain.md §4), by sub-domain: `halls` (areas, counters, the
officer at a counter, devices) and `tickets` (the queue). Each call is atomic, audited, takes the
server clock and follows `kycuong.ticketing.lifecycle`; `from kycuong.ticketing import services`
keeps every name."""

from ._common import HALL_UNIT_KINDS, is_member_at
from .halls import area_create, counter_create, counter_leave, counter_take, device_pair, device_revoke
from .tickets import (
    ticket_call_next,
    ticket_code,
    ticket_finish,
    ticket_issue,
    ticket_link_dossier,
    ticket_no_show,
    ticket_recall,
    ticket_start,
    ticket_transfer,
    tickets_close_day,
)

__all__ = [
    "HALL_UNIT_KINDS", "area_create", "counter_create", "counter_leave", "counter_take", "device_pair", "device_revoke",
    "is_member_at", "ticket_call_next", "ticket_code", "ticket_finish", "ticket_issue", "ticket_link_dossier",
    "ticket_no_show", "ticket_recall", "ticket_start", "ticket_transfer", "tickets_close_day",
]
