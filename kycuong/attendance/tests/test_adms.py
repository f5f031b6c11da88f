"""A device simulator speaking the ADMS push protocol to the real URLs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kycuong.attendance.models import (
    DailyAttendance,
    DeviceCommand,
    DeviceUser,
    MalformedLine,
    Punch,
    RawPush,
    UnknownDeviceContact,
)
from kycuong.attendance.services import device_command_queue, device_users_sync
from kycuong.core.periods import TZ


class Terminal:
    """What a ZKTeco terminal does: handshake, push ATTLOG/OPERLOG, poll, acknowledge."""

    def __init__(self, sn: str):
        self.sn = sn
        self.http = Client(enforce_csrf_checks=True)

    def handshake(self):
        return self.http.get(f"/iclock/cdata?SN={self.sn}&options=all&pushver=2.4.1&language=83")

    def push(self, table: str, body: str, stamp: int = 1):
        return self.http.post(f"/iclock/cdata?SN={self.sn}&table={table}&Stamp={stamp}", data=body,
                              content_type="text/plain")

    def poll(self):
        return self.http.get(f"/iclock/getrequest?SN={self.sn}&INFO=Ver 8.0.4,2,0,120,192.168.1.201")

    def ack(self, body: str):
        return self.http.post(f"/iclock/devicecmd?SN={self.sn}", data=body, content_type="text/plain")


def _line(pin: str, at: str, status: int = 0, extra: str = "\t1\t0\t0\t0") -> str:
    return f"{pin}\t{at}\t{status}{extra}\n"


def test_handshake_returns_the_options_block(device):
    response = Terminal(device.serial_number).handshake()
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith(f"GET OPTION FROM: {device.serial_number}\n")
    for key in ("ATTLOGStamp=", "OPERLOGStamp=", "ErrorDelay=", "Delay=", "TransTimes=", "TransInterval=",
                "TransFlag=", "TimeZone=7", "Realtime=1"):
        assert key in text
    device.refresh_from_db()
    assert device.last_contact_at is not None


def test_punches_with_resends_are_stored_once(device, org):
    term = Terminal(device.serial_number)
    body = _line("1", "2026-11-18 07:58:12") + _line("2", "2026-11-18 08:09:40", extra="\t15\t0\t0\t0\t255\t36.5") \
        + _line("1", "2026-11-18 17:03:00", status=1)
    first = term.push("ATTLOG", body, stamp=100)
    assert first.status_code == 200 and first.content.decode().startswith("OK")
    # The terminal did not get (or did not like) the answer: it sends the same batch twice more.
    assert term.push("ATTLOG", body, stamp=100).status_code == 200
    assert term.push("ATTLOG", body + _line("3", "2026-11-18 07:45:00"), stamp=101).status_code == 200
    assert RawPush.objects.count() == 3  # every upload kept raw
    assert Punch.objects.count() == 4
    punch = Punch.objects.get(pin="2")
    assert punch.staff == org.staff["onestop_a"] and punch.verify == 15
    assert punch.raw.endswith("\t255\t36.5")  # firmware-specific columns kept in the raw line
    assert punch.punched_at == dt.datetime(2026, 11, 18, 8, 9, 40, tzinfo=TZ)
    device.refresh_from_db()
    assert device.attlog_stamp == "101"
    assert "ATTLOGStamp=101" in term.handshake().content.decode()


def test_late_punch_for_a_past_day_is_computed(device, org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Terminal(device.serial_number).push("ATTLOG", _line("1", "2026-11-18 08:20:00") + _line("1", "2026-11-18 17:01:00"))
    row = DailyAttendance.objects.get(staff=org.staff["officer_a"], day=dt.date(2026, 11, 18))
    assert row.status == "late" and row.late_minutes == 20 and row.symbol == "M"


def test_malformed_lines_are_kept_and_do_not_block_good_ones(device):
    body = _line("1", "2026-11-18 07:58:12") + "garbage-without-tabs\n" + "2\t18/11/2026 08:00\t0\n" \
        + _line("2", "2026-11-18 07:59:00")
    response = Terminal(device.serial_number).push("ATTLOG", body)
    assert response.status_code == 200
    assert Punch.objects.count() == 2
    bad = list(MalformedLine.objects.order_by("line_no").values_list("line_no", "raw"))
    assert bad == [(2, "garbage-without-tabs"), (3, "2\t18/11/2026 08:00\t0")]
    raw = RawPush.objects.get()
    assert raw.error_count == 2 and raw.stored_count == 2 and raw.parsed_at is not None


def test_unknown_serial_number_is_refused_and_logged(device):
    term = Terminal("FAKE0000001")
    assert term.handshake().status_code == 403
    response = term.push("ATTLOG", _line("1", "2026-11-18 07:58:12"))
    assert response.status_code == 403 and not response.content.decode().startswith("OK")
    assert term.poll().status_code == 403
    assert Punch.objects.count() == 0 and RawPush.objects.count() == 0
    contact = UnknownDeviceContact.objects.get(serial_number="FAKE0000001")
    assert contact.contacts == 3


def test_inactive_device_is_refused(device):
    device.is_active = False
    device.save()
    assert Terminal(device.serial_number).push("ATTLOG", _line("1", "2026-11-18 07:58:12")).status_code == 403
    assert Punch.objects.count() == 0
    assert UnknownDeviceContact.objects.get().reason == "inactive"


def test_queued_command_is_delivered_and_acknowledged(device, org):
    term = Terminal(device.serial_number)
    assert term.poll().content.decode() == "OK"
    cmd = device_command_queue(device=device, command="SET OPTIONS DateTime=830000000", actor=org.user("head_a"))
    text = term.poll().content.decode()
    assert text == f"C:{cmd.pk}:SET OPTIONS DateTime=830000000\n"
    cmd.refresh_from_db()
    assert cmd.status == "sent"
    assert term.poll().content.decode() == "OK"  # not delivered twice
    assert term.ack(f"ID={cmd.pk}&Return=0&CMD=SET OPTIONS\n").content.decode() == "OK"
    cmd.refresh_from_db()
    assert cmd.status == "done" and cmd.return_code == 0


def test_user_sync_commands_and_failed_ack(device, org):
    assert device_users_sync(device=device, actor=org.user("head_a")) == 3
    text = Terminal(device.serial_number).poll().content.decode()
    lines = text.strip().split("\n")
    assert len(lines) == 3 and all(line.startswith("C:") and ":DATA UPDATE USERINFO PIN=" in line for line in lines)
    first_id = int(lines[0].split(":")[1])
    Terminal(device.serial_number).ack(f"ID={first_id}&Return=-1002&CMD=DATA")
    assert DeviceCommand.objects.get(pk=first_id).status == "failed"


def test_operlog_enrolments(device):
    body = "USER PIN=7\tName=Trần Thị Bình\tPri=0\tPasswd=\tCard=[0000000000]\tGrp=1\tTZ=0000000100000000\n" \
           "OPLOG 4\t0\t2026-11-18 09:00:00\t0\t0\t0\t0\nFP PIN=7\tFID=6\tSize=1024\tValid=1\tTMP=abc\n"
    response = Terminal(device.serial_number).push("OPERLOG", body)
    assert response.status_code == 200
    user = DeviceUser.objects.get(device=device, pin="7")
    assert user.name == "Trần Thị Bình"
    assert Punch.objects.count() == 0


def test_no_redirect_on_paths_without_slash(device, client):
    for url in ("/iclock/cdata?SN=X", "/iclock/getrequest?SN=X", "/iclock/devicecmd?SN=X"):
        response = client.get(url)
        assert response.status_code not in (301, 302, 308)
    assert client.post(f"/iclock/cdata?SN={device.serial_number}&table=ATTLOG&Stamp=1", data="",
                       content_type="text/plain").status_code == 200


def test_clock_ahead_is_flagged_and_punches_marked(device):
    future = (timezone.now() + dt.timedelta(hours=3)).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    Terminal(device.serial_number).push("ATTLOG", _line("1", future))
    punch = Punch.objects.get()
    assert punch.clock_suspect
    device.refresh_from_db()
    assert device.clock_drift_seconds > 3 * 3600 - 60


def test_raw_body_is_stored_before_parsing(device, monkeypatch):
    from kycuong.attendance import adms

    def boom(**kwargs):
        raise RuntimeError("parser crashed")

    monkeypatch.setattr(adms, "raw_push_parse", boom)
    response = Terminal(device.serial_number).push("ATTLOG", _line("1", "2026-11-18 07:58:12"))
    assert response.status_code == 200  # the body is durable; the worker parses it later
    raw = RawPush.objects.get()
    assert raw.parsed_at is None and Punch.objects.count() == 0
    RawPush.objects.filter(pk=raw.pk).update(received_at=timezone.now() - dt.timedelta(minutes=5))
    from kycuong.attendance.tasks import parse_pending

    parse_pending.call()
    assert Punch.objects.count() == 1


@pytest.mark.parametrize("body", ["1\t2026-11-18 07:58:12", "1\t2026-11-18 07:58:12\t0\t1\t0\t0\t0\t0\t0\t0\t0"])
def test_columns_vary_by_firmware(device, body):
    Terminal(device.serial_number).push("ATTLOG", body + "\n")
    assert Punch.objects.count() == 1
