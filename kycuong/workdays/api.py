from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from kycuong.core.api import ERRORS
from kycuong.core.errors import ValidationFailed
from kycuong.org.selectors import unit_by_code

from .engine import DEFAULT_CUTOFF
from .services import calendar_for, due_at_compute

router = Router(tags=["workdays"])


class DueIn(Schema):
    start: str = Field(description="Receipt instant, ISO 8601 with offset, e.g. 2026-03-02T10:00:00+07:00")
    working_days: float | None = Field(default=None, ge=0, le=3650)
    working_hours: float | None = Field(default=None, ge=0, le=87600)
    calendar_days: int | None = Field(default=None, ge=0, le=3650)
    unit: str | None = Field(default=None, description="Unit code; its calendar (sessions, overrides) applies")
    cutoff: bool = Field(default=True, description="Apply the 15:00 afternoon cut-off for day-based times")


class DueOut(Schema):
    due_at: str
    start: str
    clock_start: str


@router.get("/due", response={200: DueOut, **ERRORS}, auth=None, operation_id="workdays_due")
def due(request: HttpRequest, params: Query[DueIn]) -> DueOut:
    """Appointment for a receipt at `start` and a processing time in working days or hours (Decree 61/2018/NĐ-CP as amended by Decree 107/2021/NĐ-CP)."""
    # An unencoded "+07:00" in a query string arrives as " 07:00".
    raw = params.start.replace(" ", "+") if "T" in params.start else params.start
    try:
        start = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationFailed(_("Thời điểm bắt đầu không đúng định dạng ISO 8601."), details={"field": "start"}) from exc
    if start.tzinfo is None:
        raise ValidationFailed(_("Thời điểm bắt đầu phải có múi giờ, ví dụ +07:00."), details={"field": "start"})
    given = [(k, v) for k, v in (("working_days", params.working_days), ("working_hours", params.working_hours),
                                 ("calendar_days", params.calendar_days)) if v is not None]
    if len(given) != 1:
        raise ValidationFailed(_("Cần đúng một trong working_days, working_hours hoặc calendar_days."),
                               details={"field": "working_days"})
    unit_of_time, value = given[0]
    unit = unit_by_code(params.unit) if params.unit else None
    calendar = calendar_for(unit)
    cutoff = DEFAULT_CUTOFF if params.cutoff else None
    due_at = due_at_compute(received_at=start, value=float(value), unit_of_time=unit_of_time, unit=unit,
                            cutoff=cutoff, calendar=calendar)
    clock = calendar.clock_start(start, cutoff=cutoff if unit_of_time != "working_hours" else None)
    tz = dt.timezone(dt.timedelta(hours=7))
    return DueOut(due_at=due_at.astimezone(tz).isoformat(), start=start.isoformat(), clock_start=clock.astimezone(tz).isoformat())
