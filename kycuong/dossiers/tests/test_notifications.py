"""Deadline notifications: 80 % used and overdue, each once, in-app and by e-mail; the task is idempotent."""

from __future__ import annotations

from typing import Any

import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from kycuong.dossiers import services as s
from kycuong.dossiers.models import Notification, NotificationKind
from kycuong.dossiers.notifications import notifications_scan
from kycuong.dossiers.tasks import PERIODIC, scan_deadlines

from .factories import APPLICANT, at, clock


def test_warning_then_overdue_each_once(org: Any, proc: Any, django_capture_on_commit_callbacks: Any) -> None:
    officer = org.user("officer_a")
    officer.email = "officer_a@example.vn"
    officer.save()
    with clock(at("2026-11-16 09:00")):
        d = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                              received_by=org.staff["onestop_a"])
    assert d.warn_at == at("2026-11-18 13:12")  # 80 % of 24 working hours
    assert notifications_scan(at=at("2026-11-18 13:00")) == 1  # only step 1 (due 11:24 on Monday) is overdue
    with django_capture_on_commit_callbacks(execute=True):
        created = notifications_scan(at=at("2026-11-18 14:00"))
    assert created == 1
    warning = Notification.objects.get(recipient=officer, kind=NotificationKind.DOSSIER_WARNING)
    assert "xin lỗi" in warning.body and warning.url == reverse("dossiers:detail", args=[d.code])
    assert [m.to for m in mail.outbox] == [["officer_a@example.vn"]]
    assert notifications_scan(at=at("2026-11-18 15:00")) == 0
    assert notifications_scan(at=at("2026-11-19 10:00")) == 2  # overdue: accountable + head of the ward
    assert set(Notification.objects.filter(kind=NotificationKind.DOSSIER_OVERDUE)
               .values_list("recipient__username", flat=True)) == {"officer_a", "head_a"}
    assert notifications_scan(at=at("2026-11-19 11:00")) == 0


def test_paused_and_finished_dossiers_are_not_notified(org: Any, proc: Any) -> None:
    with clock(at("2026-11-16 09:00")):
        d = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                              received_by=org.staff["onestop_a"])
    with clock(at("2026-11-16 09:30")):
        s.dossier_request_supplement(dossier=d, reason="Thiếu giấy tờ", actor=org.staff["officer_a"])
    assert notifications_scan(at=at("2026-11-30 10:00")) == 0
    with clock(at("2026-11-16 09:00")):
        d2 = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                               received_by=org.staff["onestop_a"])
    with clock(at("2026-11-16 10:00")):
        s.dossier_finish(dossier=d2, actor=org.staff["officer_a"])
    assert notifications_scan(at=at("2026-11-30 10:00")) == 0


def test_periodic_task_and_pages(org: Any, proc: Any) -> None:
    assert PERIODIC[0].task is scan_deadlines and PERIODIC[0].every.total_seconds() == 300
    with clock(at("2026-11-16 09:00")):
        s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                          received_by=org.staff["onestop_a"])
    with time_machine.travel(at("2026-11-19 10:00"), tick=False):
        scan_deadlines.enqueue()
        scan_deadlines.enqueue()
    assert Notification.objects.filter(recipient=org.user("officer_a")).count() == 1
    c = Client()
    c.force_login(org.user("officer_a"))
    with time_machine.travel(at("2026-11-19 10:05"), tick=False):
        dash = c.get(reverse("portal:dashboard")).content.decode()
    assert "Thông báo chưa đọc" in dash and "Hồ sơ của tôi" in dash
    html = c.get(reverse("dossiers:notifications")).content.decode()
    assert 'data-kind="dossier_overdue"' in html
    c.post(reverse("dossiers:notifications_read"))
    assert not Notification.objects.filter(recipient=org.user("officer_a"), read_at__isnull=True).exists()
