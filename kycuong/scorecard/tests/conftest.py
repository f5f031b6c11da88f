"""Fixtures: the shared small org tree plus Phường P02, loaded with the JSON Lines test datasets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kycuong.core.periods import TZ
from kycuong.org.models import UnitKind
from kycuong.org.tests.factories import UnitFactory

from .loader import load

#: Computations of past periods are judged "now" = well after October 2026.
NOW = dt.datetime(2026, 11, 20, 16, 30, tzinfo=TZ)


def ensure_builtin_sets() -> None:
    """Re-seed dvc766 / kycuong (a transactional test's flush removes data-migration rows)."""
    import importlib

    from django.apps import apps

    importlib.import_module("kycuong.scorecard.migrations.0002_seed_indicator_sets").seed(apps, None)
    importlib.import_module("kycuong.scorecard.migrations.0003_workplan_indicators").forward(apps, None)


@pytest.fixture
def dataset(org: Any) -> Any:
    """org tree + ward H26.P02; staff codes used by the dataset's events; procedures and dossiers loaded."""
    ensure_builtin_sets()
    org.ward_p02 = UnitFactory(code="H26.P02", name="Phường Cửa Nam", kind=UnitKind.WARD, parent=org.city)
    for name, code in (("officer_a", "NV90001"), ("officer_b", "NV90002"), ("dept_officer", "NV90003")):
        staff = org.staff[name]
        staff.code = code
        staff.save(update_fields=["code"])
    org.loaded = {"procedures": load("procedures.jsonl", "procedures"), "dossiers": load("dossiers.jsonl", "dossiers")}
    return org
