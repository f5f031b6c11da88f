"""Dossiers as JSON Lines (../shared/docs/interchange.md § dossiers), one dossier per line.

Import replays each dossier's events through the one state machine (lifecycle.py, via replay.py:
the same transitions and planning helpers as the services), times bounded by the previous event
and the server's now plus a tolerance; all-or-nothing: every line is parsed and replayed first; any error raises
ImportFailed naming the line and nothing is written. Export writes what import reads, so an
export imported into an empty database exports identically (tests/test_interchange.py).

Extensions to the shared contract (optional, so files following the contract import unchanged):
event `reason` (supplement request, refusal, apology, withdrawal, stop), event types `submitted`
(online submission before acceptance) and `stopped`, and applicant `email` / `address`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import DomainError, ImportFailed
from kycuong.core.interchange import check_keys, read_jsonl
from kycuong.core.periods import TZ, parse_period
from kycuong.org.models import Staff, Unit
from kycuong.procedures.models import Procedure

from .models import Channel, Dossier, DossierEvent, EventType, FeePayment, RatingLevel
from .replay import CODE_RE, Built, Ev, Replayer, ReplayError, save_built
from .services import _check_procedure_unit, _clean_applicant

Progress = Callable[..., None] | None

EVENT_TYPES = {
    EventType.RECEIVED, EventType.SUPPLEMENT_REQUESTED, EventType.SUPPLEMENT_COMPLETED, EventType.TRANSFERRED,
    EventType.APOLOGIZED, EventType.FINISHED, EventType.RETURNED, EventType.WITHDRAWN, EventType.REFUSED,
    EventType.SUBMITTED, EventType.STOPPED,
}
REQUIRED = {"code", "procedure", "unit", "applicant", "events"}
OPTIONAL = {"channel", "fee", "digitized_input", "digitized_result", "synced", "due_at", "rating", "complained"}


def _moment(value: Any, *, line: int, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise ImportFailed(_("%(what)s phải là thời điểm ISO 8601.") % {"what": what}, line=line)
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ImportFailed(_("%(what)s không hợp lệ: %(v)s") % {"what": what, "v": value}, line=line) from exc
    if at.tzinfo is None:
        raise ImportFailed(_("%(what)s phải có múi giờ (ví dụ +07:00): %(v)s") % {"what": what, "v": value}, line=line)
    return at


def _bool(obj: dict[str, Any], key: str, *, line: int) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise ImportFailed(_("%(key)s phải là true hoặc false.") % {"key": key}, line=line)
    return value


class _Lookup:
    def __init__(self) -> None:
        self.units = {u.code: u for u in Unit.objects.all()}
        self.procedures = {p.code: p for p in Procedure.objects.all()}
        self._staff: dict[str, Staff] | None = None
        self._checked: set[tuple[int, int]] = set()

    def staff(self, code: str, *, line: int) -> Staff:
        if self._staff is None:
            self._staff = {s.code: s for s in Staff.objects.all()}
        staff = self._staff.get(code)
        if staff is None:
            raise ImportFailed(_("Không có cán bộ mã %(code)s.") % {"code": code}, line=line)
        return staff

    def check(self, procedure: Procedure, unit: Unit, *, line: int) -> None:
        key = (procedure.pk, unit.pk)
        if key in self._checked:
            return
        try:
            _check_procedure_unit(procedure, unit)
        except DomainError as exc:
            raise ImportFailed(exc.message, line=line) from exc
        self._checked.add(key)


def _parse(line: int, obj: dict[str, Any], look: _Lookup, replayer: Replayer) -> Built:
    check_keys(obj, line=line, required=REQUIRED, optional=OPTIONAL)
    code = obj["code"]
    if not isinstance(code, str) or not code.strip() or len(code) > 60:
        raise ImportFailed(_("Mã hồ sơ không hợp lệ."), line=line)
    procedure = look.procedures.get(obj["procedure"])
    if procedure is None:
        raise ImportFailed(_("Không có thủ tục mã %(code)s.") % {"code": obj["procedure"]}, line=line)
    unit = look.units.get(obj["unit"])
    if unit is None:
        raise ImportFailed(_("Không có đơn vị mã %(code)s.") % {"code": obj["unit"]}, line=line)
    look.check(procedure, unit, line=line)
    m = CODE_RE.match(code)
    received_unit = look.units.get(m["unit"], unit) if m else unit
    channel = obj.get("channel", Channel.COUNTER)
    if channel not in Channel.values:
        raise ImportFailed(_("Hình thức nộp không hợp lệ: %(v)s") % {"v": channel}, line=line)
    fee = obj.get("fee", FeePayment.NONE)
    if fee not in FeePayment.values:
        raise ImportFailed(_("Hình thức nộp phí không hợp lệ: %(v)s") % {"v": fee}, line=line)
    rating = obj.get("rating") or ""
    if rating and rating not in RatingLevel.values:
        raise ImportFailed(_("Mức đánh giá không hợp lệ: %(v)s") % {"v": rating}, line=line)
    applicant = obj["applicant"]
    if not isinstance(applicant, dict):
        raise ImportFailed(_("applicant phải là một đối tượng."), line=line)
    check_keys(applicant, line=line, required={"name"}, optional={"id_number", "phone", "email", "address"})
    try:
        applicant = _clean_applicant(applicant)
    except DomainError as exc:
        raise ImportFailed(exc.message, line=line) from exc
    due_at = _moment(obj["due_at"], line=line, what="due_at") if obj.get("due_at") is not None else None
    raw_events = obj["events"]
    if not isinstance(raw_events, list) or not raw_events:
        raise ImportFailed(_("events phải là một danh sách không rỗng."), line=line)
    events: list[Ev] = []
    for n, e in enumerate(raw_events, start=1):
        if not isinstance(e, dict):
            raise ImportFailed(_("Sự kiện %(n)s phải là một đối tượng.") % {"n": n}, line=line)
        t = e.get("type")
        optional = {"by", "reason"}
        if t == EventType.TRANSFERRED:
            optional |= {"to_unit"}
        if t == EventType.APOLOGIZED:
            optional |= {"new_due_at"}
        check_keys(e, line=line, required={"type", "at"}, optional=optional)
        if t not in EVENT_TYPES:
            raise ImportFailed(_("Sự kiện %(n)s: loại không hợp lệ “%(t)s”.") % {"n": n, "t": t}, line=line)
        ev = Ev(type=t, at=_moment(e["at"], line=line, what=f"events[{n}].at"), reason=str(e.get("reason") or ""))
        if e.get("by"):
            ev.by = look.staff(e["by"], line=line)
        if t == EventType.TRANSFERRED:
            ev.to_unit = look.units.get(e.get("to_unit") or "")
            if ev.to_unit is None:
                raise ImportFailed(_("Sự kiện %(n)s: không có đơn vị %(u)s.") % {"n": n, "u": e.get("to_unit")}, line=line)
        if t == EventType.APOLOGIZED:
            if not e.get("new_due_at"):
                raise ImportFailed(_("Sự kiện %(n)s: thiếu new_due_at.") % {"n": n}, line=line)
            ev.new_due_at = _moment(e["new_due_at"], line=line, what=f"events[{n}].new_due_at")
        events.append(ev)
    try:
        return replayer.build(
            code=code, procedure=procedure, unit=unit, received_unit=received_unit, channel=channel, fee_payment=fee,
            applicant=applicant, events=events, due_at=due_at, digitized_input=_bool(obj, "digitized_input", line=line),
            digitized_result=_bool(obj, "digitized_result", line=line), synced=_bool(obj, "synced", line=line),
            rating=rating, complained=_bool(obj, "complained", line=line))
    except ReplayError as exc:
        where = f" (sự kiện {exc.index + 1})" if exc.index is not None else ""
        raise ImportFailed(f"{exc.message}{where}", line=line) from exc


def import_dossiers(stream: IO[str] | Iterable[str], *, fmt: str = "jsonl", progress: Progress = None,
                    actor: Any = None) -> int:
    """All-or-nothing import; a code already in the database or repeated in the file is an error."""
    if fmt != "jsonl":
        raise ImportFailed(_("Hồ sơ chỉ nhập từ JSON Lines."), line=0)
    look = _Lookup()
    replayer = Replayer()
    replayer.preload_steps(look.procedures.values())
    built: list[Built] = []
    lines: dict[str, int] = {}
    for line, obj in read_jsonl(stream):
        item = _parse(line, obj, look, replayer)
        code = item.dossier.code
        if code in lines:
            raise ImportFailed(_("Mã hồ sơ %(code)s lặp lại (dòng %(first)s).") % {"code": code, "first": lines[code]},
                               line=line)
        lines[code] = line
        built.append(item)
        if progress and len(built) % 500 == 0:
            progress(len(built))
    existing = set(Dossier.objects.filter(code__in=list(lines)).values_list("code", flat=True)) if lines else set()
    if existing:
        first = min(existing, key=lambda c: lines[c])
        raise ImportFailed(_("Mã hồ sơ %(code)s đã có trong hệ thống.") % {"code": first}, line=lines[first])
    with transaction.atomic():
        for start in range(0, len(built), 5000):
            save_built(built[start:start + 5000])
            if progress:
                progress(min(start + 5000, len(built)), len(built))
        audit_record(action="dossiers.import", object_type="dossiers.dossier", object_id="*", actor=actor,
                     changes={"count": len(built)})
    return len(built)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(TZ).isoformat()


EXPORT_EVENT_TYPES = [t for t in EventType.values if t in EVENT_TYPES]


def export_dossiers(*, period: str | None = None, unit: str | None = None) -> Iterator[dict[str, Any]]:
    """Dossiers received (or, never received, submitted) in `period`, of `unit`'s subtree."""
    qs = Dossier.objects.select_related("procedure", "unit")
    if period:
        p = parse_period(period)
        qs = qs.filter(Q(received_at__gte=p.start_at, received_at__lt=p.end_at)
                       | Q(received_at__isnull=True, submitted_at__gte=p.start_at, submitted_at__lt=p.end_at))
    if unit:
        from kycuong.org.selectors import unit_by_code

        qs = qs.filter(unit__path__startswith=unit_by_code(unit).path)
    ids = list(qs.order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        dossiers = qs.filter(id__in=chunk).order_by("id")
        events: dict[int, list[DossierEvent]] = {}
        for e in (DossierEvent.objects.filter(dossier_id__in=chunk, type__in=EXPORT_EVENT_TYPES)
                  .select_related("actor", "to_unit").order_by("dossier_id", "at", "id")):
            events.setdefault(e.dossier_id, []).append(e)
        for d in dossiers:
            yield _export_one(d, events.get(d.pk, []))


def _export_one(d: Dossier, events: list[DossierEvent]) -> dict[str, Any]:
    applicant = {"name": d.applicant_name, "id_number": d.applicant_id_number, "phone": d.applicant_phone}
    if d.applicant_email:
        applicant["email"] = d.applicant_email
    if d.applicant_address:
        applicant["address"] = d.applicant_address
    row: dict[str, Any] = {"code": d.code, "procedure": d.procedure.code, "unit": d.unit.code, "channel": d.channel,
                           "applicant": applicant, "fee": d.fee_payment, "digitized_input": d.digitized_input,
                           "digitized_result": d.digitized_result, "synced": d.synced}
    if d.original_due_at is not None:
        row["due_at"] = _iso(d.original_due_at)
    if d.latest_rating:
        row["rating"] = d.latest_rating
    row["complained"] = d.complained
    out = []
    for e in events:
        item: dict[str, Any] = {"type": e.type, "at": _iso(e.at)}
        if e.actor is not None:
            item["by"] = e.actor.code
        if e.type == EventType.TRANSFERRED and e.to_unit is not None:
            item["to_unit"] = e.to_unit.code
        if e.type == EventType.APOLOGIZED and e.new_due_at:
            item["new_due_at"] = _iso(e.new_due_at)
        if e.reason:
            item["reason"] = e.reason
        out.append(item)
    row["events"] = out
    return row


IMPORTERS = {"dossiers": import_dossiers}
EXPORTERS = {"dossiers": export_dossiers}
