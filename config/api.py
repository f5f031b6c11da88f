"""The one django-ninja API at /api/v1/; each app contributes `router` from its `api.py`."""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from kycuong.core.api import STAFF_AUTH
from kycuong.core.errors import DomainError

api = NinjaAPI(
    title="Kỷ cương API",
    version="1",
    description="Kỷ cương — kỷ luật, kỷ cương hành chính và chất lượng phục vụ. Errors: {code, message, details}.",
    auth=STAFF_AUTH,
    urls_namespace="api",
)


def _error(request: HttpRequest, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "details": details or {}}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body = exc.as_dict()
    return _error(request, exc.status, body["code"], body["message"], body["details"])


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload")]
        errors.append({"field": ".".join(loc), "message": str(err.get("msg", ""))})
    fields = ", ".join(e["field"] for e in errors if e["field"])
    message = _("Dữ liệu không hợp lệ: %(fields)s") % {"fields": fields} if fields else _("Dữ liệu không hợp lệ.")
    return _error(request, 422, "validation_error", message, {"errors": errors})


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized", _("Cần đăng nhập hoặc mã truy cập API hợp lệ."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", _("Bạn không có quyền thực hiện thao tác này."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Không tìm thấy."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


for app in settings.KYCUONG_APPS:
    try:
        module = importlib.import_module(f"{app}.api")
    except ModuleNotFoundError as exc:
        if exc.name == f"{app}.api":
            continue
        raise
    for prefix, router in getattr(module, "ROUTERS", [(app.rsplit(".", 1)[-1], getattr(module, "router", None))]):
        if router is not None:
            api.add_router(f"/{prefix}/", router)
