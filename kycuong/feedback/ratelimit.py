"""Cache-based rate limit for anonymous intake (per client IP, fixed window)."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from kycuong.core.middleware import client_ip

from .selectors import policy


def intake_allowed(request: HttpRequest, *, scope: str = "web") -> bool:
    """Count one attempt for this IP; False when over the limit configured in FeedbackPolicy.
    Logged-in staff are not limited (they enter hotline calls and letters)."""
    if getattr(request.user, "is_authenticated", False):
        return True
    pol = policy()
    key = f"feedback:intake:{scope}:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=pol.rate_limit_seconds)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=pol.rate_limit_seconds)
        count = 1
    return count <= pol.rate_limit_count
