"""Model rows built directly with the ORM for the selector tests (W2): programs, items, events."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from kycuong.core.periods import parse_period
from kycuong.workplans.models import (
    EventType,
    ItemStatus,
    ProductType,
    Program,
    ProgramKind,
    WorkItem,
    WorkItemEvent,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_seq = itertools.count(1)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def product_type(unit: Any, factor: str = "1.5", code: str | None = None) -> ProductType:
    return ProductType.objects.create(unit=unit, code=code or f"SP{next(_seq)}", name="Tờ trình, báo cáo",
                                      factor=Decimal(factor))


def program(unit: Any, period: str, owner: Any = None, **fields: Any) -> Program:
    p = parse_period(period)
    kind = ProgramKind.PERSONAL if owner is not None else ProgramKind.UNIT
    return Program.objects.create(kind=kind, unit=unit, owner=owner, period=p.label, period_kind=p.kind,
                                  period_start=p.start, period_end=p.end, **fields)


def item(prog: Program, *, due: dt.datetime, pt: ProductType | None = None, quantity: str = "1",
         owner: Any = None, first_due: dt.datetime | None = None, **fields: Any) -> WorkItem:
    pt = pt or product_type(prog.unit)
    q = Decimal(quantity)
    return WorkItem.objects.create(
        code=f"CV{next(_seq):06d}", program=prog, unit=prog.unit, owner=owner or prog.owner,  # type: ignore[misc]
        title="Việc",
        product_type=pt, quantity=q, weight=q * pt.factor, first_due_at=first_due or due, due_at=due,
        status=fields.pop("status", ItemStatus.IN_PROGRESS), **fields)


def event(it: WorkItem, type: str, at: dt.datetime, **fields: Any) -> WorkItemEvent:
    return WorkItemEvent.objects.create(item=it, type=type, at=at, **fields)


def complete(it: WorkItem, at: dt.datetime, completion: str = "done") -> WorkItemEvent:
    it.status, it.completion, it.completed_at = ItemStatus.REPORTED, completion, at
    it.save(update_fields=["status", "completion", "completed_at"])
    return event(it, EventType.COMPLETED, at, completion=completion)
