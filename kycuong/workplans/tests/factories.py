"""Shared factories for workplans tests: product types, programs and items for the `org` fixture.

They write rows directly (no services, no events), so any test can set up a state quickly; tests of
a rule go through the services. Weight is quantity × factor as the services set it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import time_machine

from kycuong.core.periods import TZ, parse_period
from kycuong.org.models import Staff, Unit
from kycuong.workplans.models import (
    ItemStatus,
    ProductType,
    Program,
    ProgramKind,
    ProgramStatus,
    WorkItem,
)

_seq = itertools.count(1)


def at(text: str) -> dt.datetime:
    """Local Hanoi time from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def clock(when: dt.datetime) -> Any:
    """Freeze the server clock at `when` (services take their time from it)."""
    return time_machine.travel(when, tick=False)


def product_type(unit: Unit, *, code: str | None = None, name: str = "Văn bản trả lời",
                 factor: str | Decimal = "1.0", is_active: bool = True) -> ProductType:
    return ProductType.objects.create(unit=unit, code=code or f"SP{next(_seq):04d}", name=name,
                                      factor=Decimal(str(factor)), is_active=is_active)


def program(unit: Unit, period: str = "2026-W47", *, owner: Staff | None = None,
            status: str = ProgramStatus.DRAFT, kind: str | None = None) -> Program:
    """A unit program (owner None) or a personal program of `owner` in `unit`."""
    p = parse_period(period)
    return Program.objects.create(
        kind=kind or (ProgramKind.PERSONAL if owner else ProgramKind.UNIT), unit=unit, owner=owner,
        period=p.label, period_kind=p.kind, period_start=p.start, period_end=p.end, status=status)


def item(prog: Program, *, owner: Staff | None = None, title: str = "Soạn báo cáo tuần",
         product: ProductType | None = None, quantity: str | Decimal = "1", due_at: dt.datetime | None = None,
         status: str | None = None, parent: WorkItem | None = None, code: str | None = None,
         **fields: Any) -> WorkItem:
    """An item of `prog`: owner defaults to the program's owner, product to a new factor-1.5 type of the
    program's unit, due to the period's Friday 17:00 (or its last day), status follows the program."""
    owner = owner or prog.owner
    if owner is None:
        raise ValueError("a unit program's item needs an owner")
    product = product or product_type(prog.unit, name="Tờ trình, báo cáo", factor="1.5")
    qty = Decimal(str(quantity))
    if due_at is None:
        day = min(prog.period_start + dt.timedelta(days=4), prog.period_end - dt.timedelta(days=1))
        due_at = dt.datetime.combine(day, dt.time(17), tzinfo=TZ)
    if status is None:
        by_program: dict[str, str] = {ProgramStatus.APPROVED: ItemStatus.IN_PROGRESS,
                                      ProgramStatus.SUBMITTED: ItemStatus.SUBMITTED,
                                      ProgramStatus.RETURNED: ItemStatus.RETURNED}
        status = by_program.get(prog.status, ItemStatus.DRAFT)
    return WorkItem.objects.create(
        code=code or f"CV-{next(_seq):06d}", program=prog, unit=prog.unit, owner=owner, title=title,
        product_type=product, quantity=qty, weight=(qty * product.factor).quantize(Decimal("0.001")),
        first_due_at=due_at, due_at=due_at, status=status, parent=parent, **fields)


def week_of(org: Any, who: str = "officer_a", period: str = "2026-W47", *, items: int = 2,
            status: str = ProgramStatus.DRAFT) -> Program:
    """A personal week program of `who` (a name in org.staff) in their unit with `items` items."""
    staff = org.staff[who]
    unit = staff.memberships.first().unit
    prog = program(unit, period, owner=staff, status=status)
    for n in range(items):
        item(prog, title=f"Việc {n + 1}")
    return prog
