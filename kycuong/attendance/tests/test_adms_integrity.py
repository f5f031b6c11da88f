"""ADMS integrity: a serial number alone is not trusted, backdated punches are held for review,
and a clock-drift reading comes only from real-time uploads within ±1 day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kycuong.attendance.models import DailyAttendance, Device, Punch, RawPush, UnknownDeviceContact
from kycuong.attendance.selectors import held_punches_for
from kycuong.attendance.services import attendance_compute, device_key_rotate, device_trust_set, punch_review
from kycuong.core.errors import Conflict, Forbidden, ValidationFailed
from kycuong.core.models import AuditEvent
from kycuong.core.periods import TZ

from .test_adms import Terminal, _line


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


# --- trust -------------------------------------------------------------------------------------

def test_a_known_serial_number_from_another_address_is_refused(device):
    forged = Client(REMOTE_ADDR="10.9.9.9")
    response = forged.post(f"/iclock/cdata?SN={device.serial_number}&table=ATTLOG&Stamp=1",
                           data=_line("1", "2026-11-18 07:58:12"), content_type="text/plain")
    assert response.status_code == 403 and b"not authorised" in response.content
    assert not RawPush.objects.exists() and not Punch.objects.exists()
    contact = UnknownDeviceContact.objects.get(serial_number=device.serial_number)
    assert contact.reason == "untrusted" and contact.last_ip == "10.9.9.9"
    assert forged.get(f"/iclock/getrequest?SN={device.serial_number}").status_code == 403


def test_a_device_with_no_address_and_no_key_is_not_trusted(device):
    Device.objects.filter(pk=device.pk).update(allowed_ips="")
    assert Terminal(device.serial_number).push("ATTLOG", _line("1", "2026-11-18 07:58:12")).status_code == 403
    assert not Punch.objects.exists()


def test_the_device_key_is_accepted_from_anywhere_and_a_wrong_one_is_not(device, org):
    device_trust_set(device=device, allowed_ips="", actor=org.user("head_a"))
    key = device_key_rotate(device=device, actor=org.user("head_a"))
    device.refresh_from_db()
    assert key not in device.key_hash  # only the hash is stored
    url = f"/iclock/cdata?SN={device.serial_number}&table=ATTLOG&Stamp=1"
    wrong = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_DEVICE_KEY="guess")
    assert wrong.post(url, data=_line("1", "2026-11-18 07:58:12"), content_type="text/plain").status_code == 403
    relay = Client(REMOTE_ADDR="10.9.9.9", HTTP_X_DEVICE_KEY=key)
    assert relay.post(url, data=_line("1", "2026-11-18 07:58:12"), content_type="text/plain").status_code == 200
    assert Punch.objects.count() == 1
    assert AuditEvent.objects.filter(action="attendance.device.key_rotate").exists()


def test_allowed_addresses_take_networks_and_refuse_nonsense(device, org):
    device_trust_set(device=device, allowed_ips="10.1.2.0/24, 127.0.0.1", actor=org.user("head_a"))
    device.refresh_from_db()
    assert device.allowed_ips == "10.1.2.0/24, 127.0.0.1/32"
    assert Client(REMOTE_ADDR="10.1.2.77").get(f"/iclock/getrequest?SN={device.serial_number}").status_code == 200
    with pytest.raises(ValidationFailed):
        device_trust_set(device=device, allowed_ips="10.1.2.300", actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        device_trust_set(device=device, allowed_ips="0.0.0.0/0", actor=org.user("head_b"))
    device.refresh_from_db()
    assert device.allowed_ips == "10.1.2.0/24, 127.0.0.1/32"


# --- backdating --------------------------------------------------------------------------------

def test_a_punch_backdated_before_the_previous_upload_is_held_not_counted(device, org, django_capture_on_commit_callbacks):
    term = Terminal(device.serial_number)
    now = timezone.now()
    assert term.push("ATTLOG", _line("1", _stamp(now - dt.timedelta(seconds=20)))).status_code == 200  # real time
    forged_day = (now - dt.timedelta(days=2)).astimezone(TZ).date()
    with django_capture_on_commit_callbacks(execute=True):
        term.push("ATTLOG", _line("2", f"{forged_day} 07:55:00") + _line("2", f"{forged_day} 17:05:00"), stamp=2)
    held = list(Punch.objects.filter(pin="2"))
    assert len(held) == 2 and all(p.held and p.held_reason == "backdated" for p in held)
    assert held[0].received_at > held[0].punched_at  # device time kept, next to the server's arrival time
    attendance_compute(start=forged_day, end=forged_day, staff_ids=[org.staff["onestop_a"].pk])
    row = DailyAttendance.objects.filter(staff=org.staff["onestop_a"], day=forged_day).first()
    assert row is None or row.punch_count == 0  # stored, not counted
    assert {p.pk for p in held_punches_for(org.user("head_a"))} == {p.pk for p in held}
    assert not held_punches_for(org.user("head_b")).exists()


def test_the_head_accepts_or_rejects_a_held_punch_with_a_reason(device, org, django_capture_on_commit_callbacks):
    Device.objects.filter(pk=device.pk).update(registered_at=timezone.now() - dt.timedelta(days=1))
    device.refresh_from_db()
    day = dt.date(2026, 11, 18)
    Terminal(device.serial_number).push("ATTLOG", _line("1", f"{day} 07:55:00") + _line("1", f"{day} 17:05:00"))
    first, second = Punch.objects.filter(pin="1").order_by("punched_at")
    assert first.held and second.held  # dated before the device was registered
    with pytest.raises(ValidationFailed):
        punch_review(punch=first, accept=True, reason=" ", actor=org.user("head_a"))
    with pytest.raises(Forbidden):
        punch_review(punch=first, accept=True, reason="Máy mất mạng", actor=org.user("head_b"))
    with django_capture_on_commit_callbacks(execute=True):
        punch_review(punch=first, accept=True, reason="Máy mất mạng, đã đối chiếu sổ trực", actor=org.user("head_a"))
        punch_review(punch=second, accept=False, reason="Không khớp camera", actor=org.user("head_a"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.held and first.reviewed_at is not None and first.voided_at is None
    assert second.voided_at is not None and second.note == "Không khớp camera"
    row = DailyAttendance.objects.get(staff=org.staff["officer_a"], day=day)
    assert row.punch_count == 1 and row.symbol == "Q"  # the accepted punch counts, the rejected one does not
    assert AuditEvent.objects.filter(action="attendance.punch.accept").count() == 1
    assert AuditEvent.objects.filter(action="attendance.punch.reject").count() == 1
    with pytest.raises(Conflict):
        punch_review(punch=first, accept=False, reason="Đổi ý", actor=org.user("head_a"))
    assert not held_punches_for(org.user("head_a")).exists()


def test_an_offline_device_uploading_its_backlog_is_trusted(device):
    last = timezone.now() - dt.timedelta(days=3)
    Device.objects.filter(pk=device.pk).update(last_push_at=last, last_contact_at=last)
    backlog = "".join(_line("1", _stamp(last + dt.timedelta(hours=h))) for h in (1, 20, 44, 68))
    Terminal(device.serial_number).push("ATTLOG", backlog)
    assert Punch.objects.count() == 4 and not Punch.objects.filter(held=True).exists()


def test_the_backdate_window_is_a_setting(device, settings):
    Device.objects.filter(pk=device.pk).update(last_push_at=timezone.now() - dt.timedelta(minutes=5))
    settings.ATTENDANCE_BACKDATE_WINDOW = dt.timedelta(hours=1)
    Terminal(device.serial_number).push("ATTLOG", _line("1", _stamp(timezone.now() - dt.timedelta(minutes=50)))
                                        + _line("1", _stamp(timezone.now() - dt.timedelta(minutes=70))))
    assert list(Punch.objects.order_by("punched_at").values_list("held", flat=True)) == [True, False]


# --- clock drift -------------------------------------------------------------------------------

def test_a_forged_old_punch_does_not_reset_the_drift_reading(device):
    term = Terminal(device.serial_number)
    term.handshake()
    term.push("ATTLOG", _line("1", _stamp(timezone.now() + dt.timedelta(seconds=90))))  # real time, 90 s ahead
    device.refresh_from_db()
    assert 60 <= device.clock_drift_seconds <= 120
    term.push("ATTLOG", _line("1", _stamp(timezone.now() - dt.timedelta(seconds=1_565_890))), stamp=2)
    device.refresh_from_db()
    assert 60 <= device.clock_drift_seconds <= 120  # not −1,565,890 s


def test_drift_is_read_from_real_time_uploads_only(device):
    term = Terminal(device.serial_number)
    # A device that was not in contact just before: its one-line upload may be an old punch, not "now".
    term.push("ATTLOG", _line("1", _stamp(timezone.now() - dt.timedelta(hours=3))))
    device.refresh_from_db()
    assert device.clock_drift_seconds is None
    term.handshake()  # in contact: the next small upload is real time, and a 4-minute lag is its clock
    term.push("ATTLOG", _line("2", _stamp(timezone.now() - dt.timedelta(minutes=4))), stamp=2)
    device.refresh_from_db()
    assert -260 <= device.clock_drift_seconds <= -220
    term.handshake()  # in contact, but 2 days ahead: beyond sane bounds, not a reading
    term.push("ATTLOG", _line("3", _stamp(timezone.now() + dt.timedelta(days=2))), stamp=3)
    device.refresh_from_db()
    assert -260 <= device.clock_drift_seconds <= -220
    assert Punch.objects.get(pin="3").clock_suspect


# --- screens -----------------------------------------------------------------------------------

def test_a_head_registers_a_terminal_with_its_address_and_changes_it(client, org):
    client.force_login(org.user("head_a"))
    response = client.post("/cham-cong/may/", {"serial_number": "NEW0001", "unit": org.ward_a.pk, "location": "Sảnh",
                                               "allowed_ips": "10.26.4.201"})
    device = Device.objects.get(serial_number="NEW0001")
    assert response.status_code == 302 and device.allowed_ips == "10.26.4.201/32"
    client.post(f"/cham-cong/may/{device.pk}/", {"action": "trust", "allowed_ips": "10.26.4.0/24"})
    device.refresh_from_db()
    assert device.allowed_ips == "10.26.4.0/24"
    page = client.post(f"/cham-cong/may/{device.pk}/", {"action": "trust", "allowed_ips": "nonsense"}, follow=True)
    assert "Địa chỉ IP không hợp lệ" in page.content.decode()
    device.refresh_from_db()
    assert device.allowed_ips == "10.26.4.0/24"
    assert AuditEvent.objects.filter(action="attendance.device.trust").count() == 1


def test_held_punches_are_listed_and_decided_on_the_requests_page(client, org, device):
    Device.objects.filter(pk=device.pk).update(last_push_at=timezone.now())
    Terminal(device.serial_number).push("ATTLOG", _line("1", "2026-11-18 07:55:00"))
    held = Punch.objects.get()
    assert held.held
    client.force_login(org.user("head_b"))  # another unit's head cannot see or decide it
    assert client.post("/cham-cong/duyet-don/", {"punch": held.pk, "decision": "accept", "note": "x"}).status_code == 404
    client.force_login(org.user("head_a"))
    html = client.get("/cham-cong/duyet-don/").content.decode()
    assert 'id="held"' in html and "18/11/2026 07:55:00" in html
    client.post("/cham-cong/duyet-don/", {"punch": held.pk, "decision": "reject", "note": "Máy bị giả mạo"})
    held.refresh_from_db()
    assert held.voided_at is not None and held.note == "Máy bị giả mạo"
