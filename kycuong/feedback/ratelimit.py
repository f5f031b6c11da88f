"""Cache-based rate limits per client IP (fixed window): anonymous intake and failed lookups."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from kycuong.core.middleware import client_ip

from .selectors import policy

#: Failed tracking lookups (wrong code or secret) allowed per IP and window.
LOOKUP_FAILURES = 20
LOOKUP_WINDOW = 600


def hit(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one event for this IP under `scope`; False when the count exceeds `limit`."""
    key = f"feedback:rl:{scope}:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def blocked(request: HttpRequest, *, scope: str, limit: int) -> bool:
    key = f"feedback:rl:{scope}:{client_ip(request) or 'unknown'}"
    return (cache.get(key) or 0) >= limit


def intake_allowed(request: HttpRequest, *, scope: str = "web") -> bool:
    """Count one anonymous submission; False when over the limit configured in FeedbackPolicy.
    Logged-in staff are not limited (they enter hotline calls and letters)."""
    if getattr(request.user, "is_authenticated", False):
        return True
    pol = policy()
    return hit(request, scope=f"intake:{scope}", limit=pol.rate_limit_count, window=pol.rate_limit_seconds)


def lookup_blocked(request: HttpRequest) -> bool:
    return blocked(request, scope="lookup", limit=LOOKUP_FAILURES)


def lookup_failed(request: HttpRequest) -> None:
    hit(request, scope="lookup", limit=LOOKUP_FAILURES, window=LOOKUP_WINDOW)
