from __future__ import annotations

from typing import Any

import pytest

from .factories import procedure_create


@pytest.fixture
def proc(db: Any) -> Any:
    return procedure_create()
