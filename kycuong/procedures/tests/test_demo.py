from __future__ import annotations

import time

from kycuong.core.demodata import DemoContext
from kycuong.org.models import UnitKind
from kycuong.org.tests.factories import UnitFactory
from kycuong.procedures import demo
from kycuong.procedures.models import OnlineLevel, Procedure, TimeUnit
from kycuong.procedures.selectors import procedure_search


def test_demo_builds_the_real_catalogue(db):
    city = UnitFactory(code="H26", name="Hà Nội", kind=UnitKind.CITY)
    for abbrev in ("STP", "SNNMT", "SXD", "STC", "SNV", "SYT", "SDL", "SVHTT", "SGDĐT", "SDTTG", "SQHKT", "VPUB"):
        UnitFactory(code=f"H26.{abbrev}", name=f"Sở {abbrev}", kind=UnitKind.DEPARTMENT, parent=city)
    started = time.monotonic()
    summary = demo.build(DemoContext(log=lambda s: None))
    assert time.monotonic() - started < 15
    assert summary.startswith("200 procedures")
    assert Procedure.objects.count() == 200
    assert Procedure.objects.values("sector").distinct().count() >= 20
    birth = Procedure.objects.get(code="1.001193")
    assert birth.online_level == OnlineLevel.FULL and birth.deciding_unit_kinds == ["ward", "commune"]
    assert "processing_time" not in birth.demo_assumed and "online_level" not in birth.demo_assumed
    assert 2 <= birth.steps.count() <= 4
    # Empty cells are filled and flagged; 0.125 working days is one working hour.
    hourly = Procedure.objects.filter(processing_unit=TimeUnit.WORKING_HOURS)
    assert hourly.count() == 1 and hourly.get().processing_value == 1
    assert Procedure.objects.filter(demo_assumed__icontains="processing_time").count() == 127
    # Provincial procedures are decided by the right department.
    land = Procedure.objects.filter(sector__name="Đất đai", deciding_unit_kinds__icontains="department").first()
    assert list(land.units.values_list("code", flat=True)) == ["H26.SNNMT"]
    assert procedure_search("dang ky khai sinh")[0].code == "1.001193"
