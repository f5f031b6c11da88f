"""Issue 10, item 7 (dossier edge cases a mutation run left untested): the afternoon cut-off at
exactly 15:00:00, and receipts before 07:00 local time, when the UTC date is still the day before —
the code's date part, the cut-off and early/on-time must all use the local (Hanoi) day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kycuong.core.periods import TZ
from kycuong.dossiers import services as s
from kycuong.dossiers.models import Dossier, Outcome
from kycuong.dossiers.timeliness import outcome_for

from .factories import APPLICANT, clock, procedure_create


def local(y: int, mo: int, d: int, h: int, mi: int = 0, sec: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, sec, tzinfo=TZ)


def receive_at(org: Any, proc: Any, when: dt.datetime) -> Dossier:
    with clock(when):
        return s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                 received_by=org.staff["onestop_a"])


@pytest.mark.parametrize(("received", "expected_due"), [
    # at 15:00:00 exactly the cut-off applies ("at or after"): the clock starts Tuesday 08:00
    (local(2026, 11, 16, 15, 0, 0), local(2026, 11, 17, 17, 0)),
    # one second earlier it does not: 1 h 59 min 59 s left on Monday, the rest on Tuesday
    (local(2026, 11, 16, 14, 59, 59), local(2026, 11, 17, 14, 59, 59)),
])
def test_cutoff_at_exactly_15_00(org: Any, received: dt.datetime, expected_due: dt.datetime) -> None:
    d = receive_at(org, procedure_create(value=1), received)
    assert d.due_at == expected_due


def test_cutoff_is_read_on_the_local_clock_not_utc(org: Any) -> None:
    # 15:30 in Hanoi is 08:30 UTC: compared in UTC it would look like a morning receipt
    d = receive_at(org, procedure_create(value=1), local(2026, 11, 16, 15, 30))
    assert d.due_at == local(2026, 11, 17, 17, 0)


def test_a_receipt_before_07_00_takes_the_local_day_for_its_code_and_clock(org: Any) -> None:
    when = local(2026, 11, 17, 6, 30)  # Tuesday 06:30 in Hanoi = Monday 23:30 UTC
    assert when.astimezone(dt.UTC).date() == dt.date(2026, 11, 16)
    d = receive_at(org, procedure_create(value=1), when)
    assert d.code == "H26.P04-261117-0001"  # not 261116
    assert d.received_at == when
    # before office hours, not after Monday's cut-off: the clock starts Tuesday 08:00, due Tuesday 17:00
    assert d.due_at == local(2026, 11, 17, 17, 0)


def test_refusals_and_online_submissions_before_07_00_also_use_the_local_day(org: Any, proc: Any) -> None:
    with clock(local(2026, 11, 17, 6, 45)):
        refused = s.dossier_refuse_intake(procedure=proc, unit=org.ward_a, received_unit=org.ward_a,
                                          applicant=APPLICANT, reason="Thiếu", refused_by=org.staff["onestop_a"])
        submitted = s.dossier_submit(procedure=proc, unit=org.ward_a, applicant=APPLICANT)
    assert refused.code == "H26.P04-261117-0001" and submitted.code == "H26.P04-261117-0002"


def test_early_or_on_time_compares_local_days(org: Any) -> None:
    due = local(2026, 11, 19, 17, 0)
    # finished at 06:30 on the appointment day (still the previous day in UTC): on time, not early
    assert outcome_for(finished_at=local(2026, 11, 19, 6, 30), due_at=due) == Outcome.ON_TIME
    assert outcome_for(finished_at=local(2026, 11, 18, 23, 59), due_at=due) == Outcome.EARLY
    d = receive_at(org, procedure_create(value=3), local(2026, 11, 16, 9, 0))
    assert d.due_at == local(2026, 11, 19, 9, 0)
    with clock(local(2026, 11, 19, 6, 30)):
        d = s.dossier_finish(dossier=d, actor=org.staff["officer_a"])
    assert d.outcome == Outcome.ON_TIME
