"""Factories for dossier tests: procedures with internal steps (the procedures app owns the real catalogue)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine

from kycuong.core.periods import TZ
from kycuong.core.text import fold
from kycuong.procedures.models import Procedure, ProcedureStep, Sector

_counter = {"n": 0}


def at(text: str) -> dt.datetime:
    """Local Hanoi time from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def clock(when: dt.datetime) -> Any:
    """Freeze the server clock at `when`: dossier services take their time from it (issue 10)."""
    return time_machine.travel(when, tick=False)


def procedure_create(*, code: str | None = None, name: str = "Đăng ký khai sinh", value: float = 3,
                     unit_of_time: str = "working_days", kinds: list[str] | None = None, fee: int = 0,
                     steps: list[tuple[str, str, str, float]] | None = None, cutoff: dt.time | None = None,
                     units: list[Any] | None = None, online_level: str = "full") -> Procedure:
    _counter["n"] += 1
    sector, _ = Sector.objects.get_or_create(code="ho-tich", defaults={"name": "Hộ tịch"})
    proc = Procedure.objects.create(
        code=code or f"1.{_counter['n']:06d}", name=name, sector=sector,
        deciding_unit_kinds=kinds if kinds is not None else ["ward", "commune"],
        processing_value=Decimal(str(value)), processing_unit=unit_of_time, fee=fee, cutoff=cutoff,
        online_level=online_level, documents=["Tờ khai"],
        search_key=fold(f"{name} {code or ''} Hộ tịch"),
    )
    if units:
        proc.units.set(units)
    if steps is None:
        steps = [("Tiếp nhận hồ sơ", "one_stop_officer", "", 0.1), ("Thẩm định", "officer", "", 0.6),
                 ("Phê duyệt", "head", "", 0.2), ("Trả kết quả", "one_stop_officer", "", 0.1)]
    for i, (sname, role, kind, share) in enumerate(steps, start=1):
        ProcedureStep.objects.create(procedure=proc, order=i, name=sname, role=role, unit_kind=kind,
                                     share=Decimal(str(share)))
    return proc


APPLICANT = {"name": "Trần Thị Bình", "id_number": "001190012345", "phone": "0912345678"}
