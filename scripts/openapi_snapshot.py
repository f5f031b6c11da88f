"""Write docs/openapi.json from the running API definition (make openapi)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from config.api import api  # noqa: E402

schema = api.get_openapi_schema(path_prefix="/api/v1")
out = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
out.write_text(json.dumps(json.loads(json.dumps(schema, default=str)), indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {out} ({len(schema['paths'])} paths)")
