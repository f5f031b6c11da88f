"""Reporting periods: ISO week `2026-W43`, month `2026-10`, quarter `2026-Q4`, year `2026`.

A period is the half-open interval [start, end) of local dates in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | quarter | year
    label: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=TZ)

    @property
    def end_at(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(0), tzinfo=TZ)

    def previous(self) -> Period:
        return period_containing(self.start - dt.timedelta(days=1), self.kind)

    def next(self) -> Period:
        return period_containing(self.end, self.kind)

    def __str__(self) -> str:
        return self.label


def parse_period(label: str) -> Period:
    label = (label or "").strip()
    try:
        if m := _WEEK.match(label):
            year, week = int(m[1]), int(m[2])
            start = dt.date.fromisocalendar(year, week, 1)
            return Period("week", label, start, start + dt.timedelta(days=7))
        if m := _MONTH.match(label):
            year, month = int(m[1]), int(m[2])
            start = dt.date(year, month, 1)
            end = dt.date(year + (month == 12), month % 12 + 1, 1)
            return Period("month", label, start, end)
        if m := _QUARTER.match(label):
            year, q = int(m[1]), int(m[2])
            start = dt.date(year, 3 * (q - 1) + 1, 1)
            end = dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)
            return Period("quarter", label, start, end)
        if m := _YEAR.match(label):
            year = int(m[1])
            return Period("year", label, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    except ValueError:
        pass
    raise ValidationFailed(
        _("Kỳ không hợp lệ: “%(label)s”. Dùng dạng 2026-W43, 2026-10, 2026-Q4 hoặc 2026.") % {"label": label},
        code="invalid_period",
        details={"period": label},
    )


def period_containing(day: dt.date, kind: str) -> Period:
    if kind == "week":
        iso = day.isocalendar()
        return parse_period(f"{iso.year}-W{iso.week:02d}")
    if kind == "month":
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "year":
        return parse_period(f"{day.year}")
    raise ValidationFailed(_("Loại kỳ không hợp lệ."), code="invalid_period")
