"""The ZKTeco ADMS ("iclock") push server: plain text over HTTP, paths without trailing slash,
no CSRF (terminals have no cookies), never a redirect (terminals do not follow them).
See docs/adms.md for the protocol as implemented and a device set-up guide."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .ingest import (
    device_touch,
    device_trusts,
    raw_push_parse,
    raw_push_store,
    unknown_device_log,
)
from .models import Device
from .services import device_commands_acknowledge, device_commands_fetch

log = logging.getLogger(__name__)

OPTIONS_TEMPLATE = (
    "GET OPTION FROM: {sn}\n"
    "ATTLOGStamp={attlog}\n"
    "OPERLOGStamp={operlog}\n"
    "ATTPHOTOStamp=None\n"
    "ErrorDelay=30\n"
    "Delay=10\n"
    "TransTimes=00:00;14:05\n"
    "TransInterval=1\n"
    "TransFlag=TransData AttLog\tOpLog\tEnrollUser\tChgUser\n"
    "TimeZone=7\n"
    "Realtime=1\n"
    "Encrypt=None\n"
)


def _text(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _device(request: HttpRequest) -> Device | HttpResponse:
    sn = (request.GET.get("SN") or request.GET.get("sn") or "").strip()
    device = Device.objects.filter(serial_number=sn).first() if sn else None
    if device is None or not device.is_active:
        reason = "unknown" if device is None else "inactive"
        unknown_device_log(serial_number=sn, path=request.get_full_path(), ip=_ip(request), reason=reason)
        log.warning("ADMS: refused %s device %r from %s", reason, sn, _ip(request))
        return _text("ERROR: device not registered\n", status=403)
    if not device_trusts(device=device, ip=_ip(request), key=request.META.get("HTTP_X_DEVICE_KEY")):
        # A known serial number from an address not on the device's list and without its key:
        # anyone who read the label could send this. Counted like an unknown terminal, nothing kept.
        unknown_device_log(serial_number=sn, path=request.get_full_path(), ip=_ip(request), reason="untrusted")
        log.warning("ADMS: refused untrusted push for %r from %s", sn, _ip(request))
        return _text("ERROR: device not authorised\n", status=403)
    return device


def _body(request: HttpRequest) -> str:
    raw = request.body
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # Older firmware sends the enrolled names in the terminal's code page.
        return raw.decode("cp1258", errors="replace")


@csrf_exempt
def cdata(request: HttpRequest) -> HttpResponse:
    """GET: the options handshake. POST: an upload (ATTLOG, OPERLOG, others kept raw)."""
    device = _device(request)
    if isinstance(device, HttpResponse):
        return device
    if request.method == "GET":
        device_touch(device=device, ip=_ip(request), info=request.GET.get("pushver") and f"pushver={request.GET['pushver']}")
        return _text(OPTIONS_TEMPLATE.format(sn=device.serial_number, attlog=device.attlog_stamp or "0",
                                             operlog=device.operlog_stamp or "0"))
    if request.method != "POST":
        return _text("ERROR: method\n", status=405)
    table = (request.GET.get("table") or "").upper()
    body = _body(request)
    raw = raw_push_store(device=device, table=table, stamp=request.GET.get("Stamp") or request.GET.get("OpStamp") or "",
                         body=body)  # committed before we answer
    device_touch(device=device, ip=_ip(request), pushed=True)
    try:
        result = raw_push_parse(raw_push=raw)
    except Exception:  # the raw body is safe; the worker parses it again (idempotent)
        log.exception("ADMS: parsing upload %s failed; left for the worker", raw.pk)
        return _text(f"OK: {raw.line_count}\n")
    return _text(f"OK: {result['lines']}\n")


@csrf_exempt
def getrequest(request: HttpRequest) -> HttpResponse:
    """The terminal's poll: queued commands as `C:<id>:<command>` lines, or `OK`."""
    device = _device(request)
    if isinstance(device, HttpResponse):
        return device
    device_touch(device=device, ip=_ip(request), info=request.GET.get("INFO"))
    commands = device_commands_fetch(device=device)
    if not commands:
        return _text("OK")
    return _text("".join(f"C:{c.pk}:{c.command}\n" for c in commands))


@csrf_exempt
def devicecmd(request: HttpRequest) -> HttpResponse:
    """Acknowledgements `ID=<id>&Return=<code>&CMD=<name>`, one per line."""
    device = _device(request)
    if isinstance(device, HttpResponse):
        return device
    device_touch(device=device, ip=_ip(request))
    device_commands_acknowledge(device=device, body=_body(request))
    return _text("OK")
