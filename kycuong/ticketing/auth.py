"""Device authentication for kiosks and counter tablets.

API clients send `X-Device-Token: kd_…`; a browser paired through the QR code carries the same
token in an HttpOnly cookie (`kc_device`, CSRF-checked on writes). `request.device` is the Device.
A tablet token only ever acts for its own counter: every tablet endpoint takes the counter from
the device, never from the request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

from .selectors import device_for_token

DEVICE_COOKIE = "kc_device"
DEVICE_HEADER = "X-Device-Token"


class DeviceTokenAuth(APIKeyHeader):
    """`X-Device-Token` header with a device token (stored hashed, revocable)."""

    param_name = DEVICE_HEADER
    openapi_description = "Device token of a paired kiosk or counter tablet (X-Device-Token: kd_...)"

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        device = device_for_token(key, kind=self.kind)
        if device is not None:
            request.device = device  # type: ignore[attr-defined]
        return device


class DeviceCookieAuth(APIKeyCookie):
    """The same token in the `kc_device` cookie set when a browser is paired (QR code)."""

    param_name = DEVICE_COOKIE

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        device = device_for_token(key, kind=self.kind)
        if device is not None:
            request.device = device  # type: ignore[attr-defined]
        return device


def device_auth(kind: str | None = None) -> list[Any]:
    return [DeviceTokenAuth(kind), DeviceCookieAuth(kind)]


def device_from_request(request: HttpRequest, kind: str | None = None) -> Any:
    """For HTML views: the paired device of this browser (cookie) or of the header, else None."""
    raw = request.headers.get(DEVICE_HEADER) or request.COOKIES.get(DEVICE_COOKIE)
    return device_for_token(raw, kind=kind)
