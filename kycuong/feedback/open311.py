"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/, JSON and XML.

Services are the feedback categories; a service request is a feedback item, its id is the item
code. Status is `open`/`closed` with the detailed state in `status_notes`; `expected_datetime`
is the current deadline; `agency_responsible` the responsible unit's name. Public output never
contains unpublished text or personal data: `description` is the published (redacted) text or
empty, `address` is the published address or the ward/commune name, coordinates are rounded to
about 100 m. Errors follow the spec: an array of {code, description}.
"""

from __future__ import annotations

import datetime as dt
import decimal
import xml.etree.ElementTree as ET
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kycuong.core.errors import DomainError
from kycuong.core.periods import TZ
from kycuong.org.models import Unit, UnitKind

from . import services
from .models import CLOSED_STATUSES, Category, Channel, FeedbackItem, Status
from .ratelimit import intake_allowed

FORMATS = ("json", "xml")
MAX_RESULTS = 1000
DEFAULT_DAYS = 90


class Open311Error(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.astimezone(TZ).isoformat(timespec="seconds")
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def _to_xml(root: str, item_tag: str | None, data: Any) -> bytes:
    def fill(parent: ET.Element, value: Any, tag_for_list: str = "item") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                child = ET.SubElement(parent, k)
                fill(child, v, tag_for_list={"formats": "format", "endpoints": "endpoint", "keywords": "keyword",
                                             "attributes": "attribute", "values": "value"}.get(k, "item"))
        elif isinstance(value, list):
            for v in value:
                fill(ET.SubElement(parent, tag_for_list), v)
        elif value is None:
            return
        elif isinstance(value, bool):
            parent.text = "true" if value else "false"
        else:
            parent.text = str(_value(value))

    el = ET.Element(root)
    if item_tag is None:
        fill(el, data)
    else:
        for row in data:
            fill(ET.SubElement(el, item_tag), row)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(el, encoding="utf-8")


def _render(fmt: str, data: Any, *, root: str, item_tag: str | None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(_to_xml(root, item_tag, data), content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(_jsonable(data), safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _jsonable(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    return _value(data)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    body = [{"code": status, "description": description}]
    return _render(fmt if fmt in FORMATS else "json", body, root="errors", item_tag="error", status=status)


def _guard(view: Any) -> Any:
    def wrapped(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
        if fmt not in FORMATS:
            return _error("json", 404, _("Định dạng không hỗ trợ: chỉ .json hoặc .xml"))
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as exc:
            return _error(fmt, exc.status, exc.description)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- representations ------------------------------------------------------------------------------
def service_out(c: Category) -> dict[str, Any]:
    return {"service_code": c.code, "service_name": c.name, "description": c.description, "metadata": False,
            "type": "realtime", "keywords": c.keywords, "group": c.group}


def status_notes(item: FeedbackItem) -> str:
    label = item.get_status_display()
    if item.status == Status.MERGED and item.merged_into is not None:
        return _("%(label)s: %(code)s") % {"label": label, "code": item.merged_into.code}
    if item.status in CLOSED_STATUSES:
        return str(label)
    note = _("%(label)s — %(unit)s") % {"label": label, "unit": item.unit.name}
    if item.is_overdue(timezone.now()):
        note += _(" (quá hạn, đã chuyển lên cấp trên đôn đốc)") if item.escalation_level else _(" (quá hạn)")
    return note


def _coarse(v: decimal.Decimal | None) -> float | None:
    return round(float(v), 3) if v is not None else None


def request_out(item: FeedbackItem) -> dict[str, Any]:
    published = item.status == Status.PUBLISHED
    return {
        "service_request_id": item.code,
        "status": "closed" if item.status in CLOSED_STATUSES else "open",
        "status_notes": status_notes(item),
        "service_name": item.category.name,
        "service_code": item.category.code,
        "description": item.public_question if published else "",
        "agency_responsible": item.unit.name,
        "service_notice": item.public_answer if published else "",
        "requested_datetime": item.received_at,
        "updated_datetime": item.updated_at,
        "expected_datetime": item.due_at,
        "address": (item.address if published else "") or (item.place.name if item.place else ""),
        "address_id": item.place.code if item.place else "",
        "zipcode": "",
        "lat": _coarse(item.lat),
        "long": _coarse(item.long),
        "media_url": "",
    }


def _items() -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.select_related("category", "unit", "place", "merged_into")


# --- views ------------------------------------------------------------------------------------------
@require_GET
@_guard
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("feedback:o311_discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    data = {
        "changeset": "2026-11-01T00:00:00+07:00",
        "contact": _("Trung tâm tiếp nhận phản ánh, kiến nghị — Cổng Kỷ cương"),
        "key_service": _("Khóa API do quản trị hệ thống cấp (trang Quản trị › Khóa API Open311)."),
        "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": base,
                       "changeset": "2026-11-01T00:00:00+07:00", "type": "production",
                       "formats": ["text/xml", "application/json"]}],
    }
    return _render(fmt, data, root="discovery", item_tag=None)


@require_GET
@_guard
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    rows = [service_out(c) for c in Category.objects.filter(is_active=True).order_by("order", "name")]
    return _render(fmt, rows, root="services", item_tag="service")


@require_GET
@_guard
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        raise Open311Error(404, _("Không có dịch vụ mã %(code)s.") % {"code": code})
    return _render(fmt, {"service_code": category.code, "attributes": []}, root="service_definition", item_tag=None)


def _parse_date(name: str, raw: str) -> dt.datetime:
    value = parse_datetime(raw.strip().replace(" ", "+")) if raw else None
    if value is None:
        raise Open311Error(400, _("%(name)s phải theo định dạng W3C, ví dụ 2026-10-01T00:00:00Z.") % {"name": name})
    if timezone.is_naive(value):
        value = value.replace(tzinfo=TZ)
    return value


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_guard
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    params = request.GET
    qs = _items()
    if ids := params.get("service_request_id", "").strip():
        codes = [c.strip().upper() for c in ids.split(",") if c.strip()][:MAX_RESULTS]
        rows = [request_out(i) for i in qs.filter(code__in=codes).order_by("-received_at")]
        return _render(fmt, rows, root="service_requests", item_tag="request")
    if service_codes := params.get("service_code", "").strip():
        qs = qs.filter(category__code__in=[c.strip() for c in service_codes.split(",") if c.strip()])
    end = _parse_date("end_date", params["end_date"]) if params.get("end_date") else None
    start = _parse_date("start_date", params["start_date"]) if params.get("start_date") else None
    if start and end and end < start:
        raise Open311Error(400, _("end_date phải sau start_date."))
    if start is None and end is None:
        start = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
    if start:
        qs = qs.filter(received_at__gte=start)
    if end:
        qs = qs.filter(received_at__lte=end)
    if status := params.get("status", "").strip():
        wanted = {s.strip().lower() for s in status.split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, _("status chỉ nhận open hoặc closed."))
        if wanted == {"open"}:
            qs = qs.exclude(status__in=CLOSED_STATUSES)
        elif wanted == {"closed"}:
            qs = qs.filter(status__in=CLOSED_STATUSES)
    rows = [request_out(i) for i in qs.order_by("-received_at", "-id")[:MAX_RESULTS]]
    return _render(fmt, rows, root="service_requests", item_tag="request")


#: Times a client might send for the request; the receipt time is the server's (issue 10).
CLIENT_TIME_FIELDS = ("requested_datetime", "updated_datetime", "expected_datetime")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    """POST requests: api_key, service_code, a location (lat+long, address_string or address_id =
    a ward/commune code), description; optional first_name, last_name, email, phone. Personal
    data is accepted only because the client application collected the citizen's consent under
    the key's terms of use."""
    p = request.POST
    key = services.open311_key_check(p.get("api_key", ""))
    if key is None:
        raise Open311Error(403, _("api_key không hợp lệ hoặc đã bị thu hồi."))
    if not intake_allowed(request, scope=f"open311:{key.pk}"):
        raise Open311Error(429, _("Gửi quá nhiều yêu cầu; vui lòng thử lại sau."))
    for field in CLIENT_TIME_FIELDS:
        if field in p:
            raise Open311Error(400, _("%(field)s không được gửi: thời điểm tiếp nhận do máy chủ ghi.") % {"field": field})
    category = Category.objects.filter(code=p.get("service_code", "").strip(), is_active=True).first()
    if category is None:
        raise Open311Error(400, _("service_code không hợp lệ."))
    lat, long = p.get("lat", "").strip(), p.get("long", "").strip()
    address, address_id = p.get("address_string", "").strip(), p.get("address_id", "").strip()
    if not ((lat and long) or address or address_id):
        raise Open311Error(400, _("Cần vị trí: lat và long, hoặc address_string, hoặc address_id."))
    place = None
    if address_id:
        place = Unit.objects.filter(code=address_id, kind__in=[UnitKind.WARD, UnitKind.COMMUNE]).first()
        if place is None:
            raise Open311Error(400, _("address_id phải là mã phường, xã (ví dụ H26.P04)."))
    name = " ".join(x for x in (p.get("first_name", "").strip(), p.get("last_name", "").strip()) if x)
    try:
        lat_v = decimal.Decimal(lat) if lat else None
        long_v = decimal.Decimal(long) if long else None
    except decimal.InvalidOperation as exc:
        raise Open311Error(400, _("lat, long không hợp lệ.")) from exc
    try:
        result = services.feedback_submit(
            category=category, description=p.get("description", ""), channel=Channel.OPEN311, address=address,
            place=place, lat=lat_v, long=long_v, reporter_name=name, reporter_phone=p.get("phone", ""),
            reporter_email=p.get("email", ""), consent=True,
        )
    except DomainError as exc:
        errors = exc.details.get("errors") if isinstance(exc.details, dict) else None
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items()) if errors else str(exc.message)
        raise Open311Error(400, detail) from exc
    item = result.item
    body = [{"service_request_id": item.code, "token": item.open311_token, "service_notice": _(
        "Hạn giải quyết %(due)s. Mã bí mật để người dân theo dõi: %(secret)s") % {
        "due": _value(item.due_at), "secret": result.secret}, "account_id": None}]
    return _render(fmt, body, root="service_requests", item_tag="request", status=201)


@require_GET
@_guard
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    item = _items().filter(code=request_id.strip().upper()).first()
    if item is None:
        raise Open311Error(404, _("Không có yêu cầu mã %(code)s.") % {"code": request_id})
    return _render(fmt, [request_out(item)], root="service_requests", item_tag="request")


@require_GET
@_guard
def token_detail(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    item = FeedbackItem.objects.filter(open311_token=token).only("code", "open311_token").first()
    if item is None:
        raise Open311Error(404, _("Không có token %(token)s.") % {"token": token})
    return _render(fmt, [{"service_request_id": item.code, "token": item.open311_token}],
                   root="service_requests", item_tag="request")
