from __future__ import annotations

import importlib
import sys

import pytest


def _load_production(monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("config.settings.production", None)
    return importlib.import_module("config.settings.production")


def test_production_is_secure_by_default(monkeypatch):
    prod = _load_production(monkeypatch, SECRET_KEY="x" * 50, ALLOWED_HOSTS="kycuong.hanoi.gov.vn")
    assert prod.DEBUG is False
    assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE
    assert prod.SECURE_HSTS_SECONDS >= 31536000
    assert prod.SECURE_SSL_REDIRECT
    assert "'self'" in prod.CONTENT_SECURITY_POLICY["DIRECTIVES"]["default-src"]


def test_production_refuses_to_start_without_secret(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured):
        _load_production(monkeypatch, ALLOWED_HOSTS="x")


def test_base_settings_defaults():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh" and settings.USE_TZ
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
