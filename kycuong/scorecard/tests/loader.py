"""Load the interchange JSON Lines test datasets (docs/interchange.md `procedures`, `dossiers`).

Uses the real importers (`kycuong.procedures.interchange`, `kycuong.dossiers.interchange`) when
those modules provide them; otherwise a small loader here builds the same rows directly, applying
the same rules: the finish moment, supplement pauses moving `due_at` later by the working time they
covered (kycuong.workdays), an apology's `new_due_at` kept aside (it does not make a dossier on time).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from kycuong.dossiers.models import Dossier, FeePayment, Status
from kycuong.org.models import Staff, Unit
from kycuong.procedures.models import Procedure, ProcedureStep, Sector
from kycuong.workdays.services import calendar_for

DATA = Path(__file__).parent / "data"


def _importer(module: str, kind: str) -> Any:
    try:
        return importlib.import_module(module).IMPORTERS[kind]
    except (ModuleNotFoundError, AttributeError, KeyError):
        return None


def load(name: str, kind: str) -> tuple[int, str]:
    """Import DATA/name as `kind`; returns (count, "importer" | "test loader")."""
    module = {"procedures": "kycuong.procedures.interchange", "dossiers": "kycuong.dossiers.interchange"}[kind]
    importer = _importer(module, kind)
    path = DATA / name
    if importer is not None:
        with path.open(encoding="utf-8") as fh:
            return importer(fh), "importer"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    loader = load_procedures if kind == "procedures" else load_dossiers
    return loader(rows), "test loader"


def load_procedures(rows: list[dict[str, Any]]) -> int:
    for row in rows:
        sector, _ = Sector.objects.get_or_create(name=row["sector"], defaults={"code": f"s-{Sector.objects.count() + 1}"})
        proc = Procedure.objects.create(
            code=row["code"], name=row["name"], sector=sector, processing_value=Decimal(str(row["processing_time"]["value"])),
            processing_unit=row["processing_time"]["unit"], fee=row["fee"], online_level=row["online_level"],
            documents=row["documents"])
        proc.units.set(Unit.objects.filter(code__in=row["units"]))
        ProcedureStep.objects.bulk_create([
            ProcedureStep(procedure=proc, order=i, name=s["name"], role=s["role"], share=Decimal(str(s["share"])))
            for i, s in enumerate(row["steps"], start=1)])
    return len(rows)


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def load_dossiers(rows: list[dict[str, Any]]) -> int:
    units = {u.code: u for u in Unit.objects.all()}
    procedures = {p.code: p for p in Procedure.objects.all()}
    staff = {s.code: s for s in Staff.objects.all()}
    for row in rows:
        unit, procedure = units[row["unit"]], procedures[row["procedure"]]
        events = row["events"]
        times: dict[str, dt.datetime] = {}
        pauses: list[tuple[dt.datetime, dt.datetime | None]] = []
        status = Status.RECEIVED
        accountable = None
        apology = None
        for ev in events:
            at = _at(ev["at"])
            times.setdefault(ev["type"], at)
            if ev.get("by"):
                accountable = staff.get(ev["by"], accountable)
            if ev["type"] == "supplement_requested":
                pauses.append((at, None))
                status = Status.WAITING_SUPPLEMENT
            elif ev["type"] == "supplement_completed":
                pauses[-1] = (pauses[-1][0], at)
                status = Status.IN_PROGRESS
            elif ev["type"] == "apologized":
                apology = _at(ev["new_due_at"])
            elif ev["type"] in ("finished", "returned", "withdrawn", "refused"):
                status = {"finished": Status.RESULT_READY, "returned": Status.RETURNED, "withdrawn": Status.WITHDRAWN,
                          "refused": Status.REFUSED}[ev["type"]]
        received_at = times.get("received")
        due = _at(row.get("due_at"))
        cal = calendar_for(unit)
        original_due = due
        for start, end in pauses:
            if end is not None and due is not None:
                due = cal.add_working_seconds(due, cal.working_seconds_between(start, end))
        open_pause = pauses[-1][0] if pauses and pauses[-1][1] is None else None
        Dossier.objects.create(
            code=row["code"], procedure=procedure, unit=unit, received_unit=unit, current_unit=unit,
            accountable=accountable, channel=row["channel"], status=status, applicant_name=row["applicant"]["name"],
            applicant_id_number=row["applicant"].get("id_number", ""), applicant_phone=row["applicant"].get("phone", ""),
            secret="test", fee_amount=procedure.fee if row["fee"] != FeePayment.NONE else 0, fee_payment=row["fee"],
            digitized_input=row["digitized_input"], digitized_result=row["digitized_result"], synced=row["synced"],
            received_at=received_at, original_due_at=original_due, due_at=due, apology_due_at=apology,
            paused_at=open_pause, supplement_count=sum(1 for e in events if e["type"] == "supplement_requested"),
            finished_at=times.get("finished"), returned_at=times.get("returned"),
            closed_at=times.get("withdrawn") or times.get("refused"),
            latest_rating=row.get("rating") or "", complained=row.get("complained", False))
    return len(rows)
