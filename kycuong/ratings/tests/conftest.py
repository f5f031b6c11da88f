from __future__ import annotations

from typing import Any

import pytest

from kycuong.org.models import Role
from kycuong.org.tests.factories import staff_with_role
from kycuong.ticketing.tests.factories import Hall, build_hall


@pytest.fixture
def hall(org: Any) -> Hall:
    """Reception point H26.TTPVHCC.01 with areas A (counter 1, 2) and B (counter 2), officers at
    both counters (onestop_rp at counter 1, rp2 at counter 2), a kiosk and a tablet per counter."""
    other = staff_with_role(org.reception, Role.ONE_STOP_OFFICER, "rp2")
    return build_hall(org.reception, org.staff["onestop_rp"], other)
