from decimal import Decimal

from kycuong.workplans.models import ItemStatus, ProgramStatus

from .factories import item, program, week_of


def test_factories_build_a_week_and_a_unit_program(org):
    week = week_of(org, items=2, status=ProgramStatus.APPROVED)
    assert week.items.count() == 2
    assert set(week.items.values_list("status", flat=True)) == {ItemStatus.IN_PROGRESS}
    unit_prog = program(org.ward_a, "2026-11")
    it = item(unit_prog, owner=org.staff["head_a"], quantity="2")
    assert it.weight == Decimal("3.000")
