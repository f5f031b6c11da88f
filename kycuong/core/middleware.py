from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy documented in docs/deploy.md, X-Forwarded-For's first entry is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[0].strip()[:45]
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(context.RequestContext(ip=client_ip(request), user=getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)


class VietnameseFirstLocaleMiddleware:
    """Vietnamese unless the person chose English (language cookie / ?lang=en).

    Browsers in government offices often run English locales; the interface must still open in
    Vietnamese. API clients (paths under /api/) may ask for English with Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        supported = {code for code, _name in settings.LANGUAGES}
        lang = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in supported and request.path.startswith("/api/"):
            header = translation.get_language_from_request(request, check_path=False)
            lang = header if header in supported else None
        if lang not in supported:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response
