from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from kycuong.scorecard.selectors import unit_scorecard
from kycuong.scorecard.services import scorecard_compute

from .conftest import NOW


@pytest.fixture
def computed(dataset):
    scorecard_compute(set_code="dvc766", period="2026-10", now=NOW)
    return dataset


def test_api_returns_the_same_object_as_the_cli(computed, api_client_for, capsys):
    client = api_client_for(computed.user("officer_b"))
    response = client.get("/api/v1/scorecard/dvc766/2026-10/H26.P04")
    assert response.status_code == 200
    call_command("scorecard", "show", "--set", "dvc766", "--period", "2026-10", "--unit", "H26.P04", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert response.json() == printed == unit_scorecard(set_code="dvc766", period="2026-10", unit_code="H26.P04")
    on_time = next(r for r in printed["indicators"] if r["code"] == "progress.on_time")
    assert on_time == {"code": "progress.on_time", "numerator": 5, "denominator": 9, "rate": 5 / 9,
                       "points": pytest.approx(20 * 5 / 9), "max_points": 20, "applicable": True}


@pytest.mark.parametrize(("url", "status", "code"), [
    ("/api/v1/scorecard/nope/2026-10/H26.P04", 404, "unknown_set"),
    ("/api/v1/scorecard/dvc766/2026-13/H26.P04", 422, "invalid_period"),
    ("/api/v1/scorecard/dvc766/october/H26.P04", 422, "invalid_period"),
    ("/api/v1/scorecard/dvc766/2026-10/H99.NOPE", 404, "not_found"),
    ("/api/v1/scorecard/dvc766/2026-10/ranking/provinces", 422, "invalid_group"),
])
def test_bad_input_is_a_clear_error(computed, api_client_for, url, status, code):
    response = api_client_for(computed.user("officer_a")).get(url)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["message"]


def test_api_needs_authentication(computed, client):
    assert client.get("/api/v1/scorecard/dvc766/2026-10/H26.P04").status_code == 401


def test_ranking_endpoint(computed, api_client_for):
    response = api_client_for(computed.user("leader")).get("/api/v1/scorecard/dvc766/2026-10/ranking/local")
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(r["unit"], r["rank"]) for r in rows] == [("H26.P02", 1), ("H26.P01", 2), ("H26.X01", 2), ("H26.P04", 4)]


def test_cli_errors(computed):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="2026-99"):
        call_command("scorecard", "show", "--set", "dvc766", "--period", "2026-99", "--unit", "H26.P04")
    with pytest.raises(CommandError, match="nope"):
        call_command("scorecard", "compute", "--set", "nope", "--period", "2026-10")
    with pytest.raises(CommandError, match="H99"):
        call_command("scorecard", "show", "--set", "dvc766", "--period", "2026-10", "--unit", "H99")


def test_cli_compute_and_rank(dataset, capsys):
    call_command("scorecard", "compute", "--set", "dvc766", "--period", "2026-10", "--period", "2026-W41")
    out = capsys.readouterr().out
    assert "dvc766 2026-10:" in out and "dvc766 2026-W41:" in out
    call_command("scorecard", "rank", "--set", "dvc766", "--period", "2026-10", "--group", "local")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["1", "—", "H26.P02"] or lines[0].split()[0] == "1"
    assert [line.split()[0] for line in lines] == ["1", "2", "2", "4"]
