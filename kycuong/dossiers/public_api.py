"""Public API: the dossier lookup (/api/v1/public/dossiers/{code}?secret=...), anonymous (auth=None)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from kycuong.core.api import ERRORS
from kycuong.core.middleware import client_ip

from .public import dossier_public_lookup, rate_limit_check

public_router = Router(tags=["public"])


class PublicEventOut(Schema):
    type: str
    label: str
    at: dt.datetime
    unit: str
    step: str
    reason: str
    new_due_at: dt.datetime | None


class PublicDossierOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    unit: str
    received_unit: str
    current_unit: str
    applicant: str
    status: str
    status_label: str
    channel: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    apology_due_at: dt.datetime | None
    apology_reason: str
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    is_late: bool
    fee_amount: int
    fee_payment: str
    timeline: list[PublicEventOut]


@public_router.get("/dossiers/{code}", auth=None, response={200: PublicDossierOut, **ERRORS},
                   operation_id="public_dossier_lookup")
def public_dossier_lookup(request: HttpRequest, code: str, secret: str = "") -> dict:
    """A dossier's public status by code and secret (printed on the receipt). Unknown code, wrong
    or missing secret all answer the same 404; more than the allowed lookups per minute and IP → 429."""
    rate_limit_check(ip=client_ip(request))
    return dossier_public_lookup(code=code, secret=secret).as_dict()
