"""Reminders: each once, only inside its window, never to a person whose membership ended."""

from __future__ import annotations

import datetime as dt

from kycuong.dossiers.models import Notification, NotificationKind
from kycuong.org.models import Membership
from kycuong.workplans.models import Completion, ItemStatus, ProgramPolicy, ProgramStatus
from kycuong.workplans.services.programs import program_return, program_submit
from kycuong.workplans.services.reminders import reminders_scan

from .factories import at, clock, item, program

W48 = "2026-W48"  # Monday 23/11/2026: weekly deadline 10:00; the window opens on Friday 20/11 10:00


def _notes(org, who, prefix="wp:"):
    return list(Notification.objects.filter(recipient=org.user(who), key__startswith=prefix).order_by("id"))


def _scan(when):
    with clock(when):
        return reminders_scan()


def test_weekly_reminder_opens_the_working_day_before_and_closes_at_the_deadline(org):
    _scan(at("2026-11-20 09:59"))
    assert _notes(org, "officer_a", f"wp:prog:{W48}") == []
    _scan(at("2026-11-20 10:00"))
    _scan(at("2026-11-21 08:00"))  # a second run (Saturday, still inside the window)
    notes = _notes(org, "officer_a", f"wp:prog:{W48}")
    assert len(notes) == 1 and notes[0].kind == NotificationKind.INFO and notes[0].dossier is None
    assert "2026-W48" in notes[0].title and "10:00 23/11/2026" in notes[0].title


def test_no_reminder_after_the_deadline_or_once_submitted(org):
    program(org.ward_a, W48, owner=org.staff["onestop_a"], status=ProgramStatus.SUBMITTED)
    program(org.ward_a, W48, owner=org.staff["head_a"], status=ProgramStatus.DRAFT)
    _scan(at("2026-11-23 10:00"))  # at the deadline: the window is closed
    assert _notes(org, "officer_a", f"wp:prog:{W48}") == []
    _scan(at("2026-11-23 09:00"))
    assert _notes(org, "onestop_a", f"wp:prog:{W48}") == []  # submitted
    assert len(_notes(org, "head_a", f"wp:prog:{W48}")) == 1  # a draft is not submitted


def test_a_returned_program_gets_its_own_reminder_and_none_once_resubmitted(org):
    prog = program(org.ward_a, W48, owner=org.staff["officer_a"], status=ProgramStatus.DRAFT)
    item(prog)
    _scan(at("2026-11-20 10:00"))
    with clock(at("2026-11-20 11:00")):
        program_submit(program=prog, actor=org.user("officer_a"))
    with clock(at("2026-11-20 14:00")):
        program_return(program=prog, comment="Bổ sung sản phẩm đầu ra", actor=org.user("head_a"))
    _scan(at("2026-11-20 15:00"))
    _scan(at("2026-11-20 15:15"))
    keys = [n.key for n in _notes(org, "officer_a", f"wp:prog:{W48}")]
    assert keys == [f"wp:prog:{W48}:{org.ward_a.pk}:submit", f"wp:prog:{W48}:{org.ward_a.pk}:returned"]
    with clock(at("2026-11-20 16:00")):
        program_submit(program=prog, actor=org.user("officer_a"))
    Notification.objects.filter(recipient=org.user("officer_a")).delete()
    _scan(at("2026-11-23 09:00"))
    assert _notes(org, "officer_a", f"wp:prog:{W48}") == []


def test_monthly_deadline_is_the_third_working_day_from_the_policy(org):
    # December 2026: 1, 2, 3 are Tue–Thu → deadline Thursday 3/12 17:00, window from 2/12 17:00.
    _scan(at("2026-12-02 16:59"))
    assert _notes(org, "officer_a", "wp:prog:2026-12") == []
    _scan(at("2026-12-02 17:00"))
    assert len(_notes(org, "officer_a", "wp:prog:2026-12")) == 1
    ProgramPolicy.objects.create(monthly_working_day=5)  # deadline Monday 7/12 17:00: window from Friday 4/12
    _scan(at("2026-12-03 17:00"))
    assert len(_notes(org, "officer_b", "wp:prog:2026-12")) == 1  # first reminder of officer_b (ward B)


def test_summary_to_the_head_after_the_deadline_lists_who_has_not_submitted_or_not_been_approved(org):
    program(org.ward_a, W48, owner=org.staff["onestop_a"], status=ProgramStatus.SUBMITTED)
    program(org.ward_a, W48, owner=org.staff["head_a"], status=ProgramStatus.APPROVED)
    _scan(at("2026-11-23 09:59"))
    _scan(at("2026-11-23 10:00"))  # exactly at the deadline is still on time (as on the board)
    assert _notes(org, "head_a", f"wp:board:{W48}") == []
    _scan(at("2026-11-23 10:01"))
    _scan(at("2026-11-23 11:00"))
    notes = _notes(org, "head_a", f"wp:board:{W48}")
    assert len(notes) == 1
    missing, waiting = notes[0].body.splitlines()
    assert org.staff["officer_a"].full_name in missing and org.staff["onestop_a"].full_name not in missing
    assert org.staff["onestop_a"].full_name in waiting
    assert org.staff["head_a"].full_name not in notes[0].body  # approved
    assert _notes(org, "officer_a", f"wp:board:{W48}") == []  # officers get no summary


def test_summary_window_closes_on_the_next_working_day(org):
    # 24/11 (Vietnam Culture Day) is a day off: the next working day is Wednesday 25/11.
    _scan(at("2026-11-25 09:59"))
    assert len(_notes(org, "head_a", f"wp:board:{W48}")) == 1
    Notification.objects.all().delete()
    _scan(at("2026-11-25 10:00"))
    assert _notes(org, "head_a", f"wp:board:{W48}") == []


def test_nobody_whose_membership_ended(org):
    Membership.objects.filter(staff=org.staff["officer_a"]).update(active_to=dt.date(2026, 11, 20))
    Membership.objects.filter(staff=org.staff["head_b"]).update(active_to=dt.date(2026, 11, 20))
    _scan(at("2026-11-20 10:00"))
    _scan(at("2026-11-23 10:15"))
    assert _notes(org, "officer_a") == []
    assert _notes(org, "head_b") == []
    summary = _notes(org, "head_a", f"wp:board:{W48}")[0]
    assert org.staff["officer_a"].full_name not in summary.body


def test_no_reminder_before_the_membership_starts(org):
    Membership.objects.filter(staff=org.staff["officer_b"]).update(active_from=dt.date(2026, 11, 23))
    _scan(at("2026-11-20 10:00"))  # officer_b joins ward B on Monday: not reminded on Friday
    assert _notes(org, "officer_b") == []
    assert len(_notes(org, "head_b", f"wp:prog:{W48}")) == 1


def test_item_due_on_the_next_working_day_is_reminded_the_working_day_before(org):
    prog = program(org.ward_a, W48, owner=org.staff["officer_a"], status=ProgramStatus.APPROVED)
    it = item(prog, due_at=at("2026-11-23 17:00"))  # Monday
    _scan(at("2026-11-19 16:00"))  # Thursday: not yet
    assert _notes(org, "officer_a", f"wp:item:{it.pk}") == []
    _scan(at("2026-11-21 09:00"))  # Saturday is no working day: no reminder
    assert _notes(org, "officer_a", f"wp:item:{it.pk}") == []
    _scan(at("2026-11-20 08:00"))  # Friday
    _scan(at("2026-11-20 08:15"))
    assert [n.key.split(":")[3] for n in _notes(org, "officer_a", f"wp:item:{it.pk}")] == ["due"]


def test_overdue_item_reminded_once_within_seven_days_and_never_when_done(org):
    prog = program(org.ward_a, "2026-W47", owner=org.staff["officer_a"], status=ProgramStatus.APPROVED)
    late = item(prog, due_at=at("2026-11-18 17:00"))
    done = item(prog, due_at=at("2026-11-18 17:00"), status=ItemStatus.ACCEPTED, completion=Completion.DONE,
                completed_at=at("2026-11-18 16:00"))
    _scan(at("2026-11-18 17:00"))  # exactly at the due time it is not overdue yet
    assert _notes(org, "officer_a", f"wp:item:{late.pk}:overdue") == []
    _scan(at("2026-11-18 17:15"))
    _scan(at("2026-11-18 17:30"))
    assert len(_notes(org, "officer_a", f"wp:item:{late.pk}:overdue")) == 1
    assert _notes(org, "officer_a", f"wp:item:{done.pk}") == []
    stale = item(prog, due_at=at("2026-11-10 17:00"))
    _scan(at("2026-11-18 17:45"))  # more than 7 days overdue: not reminded any more
    assert _notes(org, "officer_a", f"wp:item:{stale.pk}") == []
