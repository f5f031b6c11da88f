"""The OpenAPI document is committed (docs/openapi.json); this test fails when the API drifts
from it, so every API change is a visible diff. Regenerate with `make openapi`."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

SNAPSHOT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def current_schema() -> dict:
    from config.api import api

    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), sort_keys=True, default=str))


def test_openapi_document_matches_the_committed_snapshot(db):
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert current_schema() == committed, "API changed: run `make openapi` and commit docs/openapi.json"


def test_every_operation_has_an_operation_id_and_error_shape(db):
    schema = current_schema()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            assert op.get("operationId"), f"{method.upper()} {path} has no operationId"
