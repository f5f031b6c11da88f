"""Dossiers JSON Lines: exact round trip, all-or-nothing with the line named, same planning as the services."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from kycuong.core.errors import ImportFailed
from kycuong.core.interchange import write_jsonl
from kycuong.dossiers import services as s
from kycuong.dossiers.interchange import export_dossiers, import_dossiers
from kycuong.dossiers.models import Dossier, DossierEvent, DossierSequence, DossierStep, Status

from .factories import APPLICANT, at, clock, procedure_create


def history(org: Any, proc: Any) -> list[Dossier]:
    """A few dossiers through the services: returned early, late with apology and supplements,
    transferred, withdrawn, refused at intake, online submission waiting, open overdue."""
    st = org.staff
    with clock(at("2026-11-02 09:00")):
        d1 = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                               received_by=st["onestop_a"], digitized_input=True)
    with clock(at("2026-11-02 10:00")):
        s.dossier_hand_over(dossier=d1, actor=st["onestop_a"])
    with clock(at("2026-11-03 15:00")):
        s.dossier_finish(dossier=d1, actor=st["head_a"], digitized_result=True)
    with clock(at("2026-11-04 09:00")):
        s.dossier_return(dossier=d1, actor=st["onestop_a"])
    s.dossier_set_rating(dossier=d1, level="very_satisfied")
    with clock(at("2026-11-05 15:30")):
        d2 = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.reception,
                               applicant={**APPLICANT, "email": "a@example.vn", "address": "12 Hàng Bạc"},
                               received_by=st["onestop_rp"], fee_payment="counter")
    with clock(at("2026-11-06 10:00")):
        s.dossier_request_supplement(dossier=d2, reason="Thiếu giấy chứng sinh", actor=st["officer_a"])
    with clock(at("2026-11-09 11:30")):
        s.dossier_complete_supplement(dossier=d2, actor=st["onestop_a"])
    with clock(at("2026-11-10 09:00")):
        s.dossier_request_supplement(dossier=d2, reason="Thiếu bản sao", actor=st["officer_a"])
    with clock(at("2026-11-10 16:00")):
        s.dossier_complete_supplement(dossier=d2, actor=st["onestop_a"])
    with clock(at("2026-11-11 09:00")):
        s.dossier_transfer(dossier=d2, to_unit=org.dept, actor=st["officer_a"], reason="Liên thông")
    with clock(at("2026-11-12 09:00")):
        s.dossier_apologize(dossier=d2, reason="Chờ xác minh", new_due_at=at("2026-11-20 17:00"), actor=st["officer_a"])
    with clock(at("2026-11-18 10:00")):
        s.dossier_finish(dossier=d2, actor=st["head_a"])
    s.dossier_mark_complained(dossier=d2)
    with clock(at("2026-11-06 08:30")):
        d3 = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                               received_by=st["onestop_a"])
    with clock(at("2026-11-06 14:00")):
        s.dossier_withdraw(dossier=d3, reason="Xin rút", actor=st["onestop_a"])
    with clock(at("2026-11-07 09:00")):
        s.dossier_refuse_intake(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                                reason="Không đủ thành phần", refused_by=st["onestop_a"])
    with clock(at("2026-11-08 21:00")):
        d5 = s.dossier_submit(procedure=proc, unit=org.ward_a, applicant=APPLICANT,
                              fee_payment="online")
    with clock(at("2026-11-10 08:00")):
        s.dossier_accept(dossier=d5, accepted_by=st["onestop_a"])
    return list(Dossier.objects.order_by("id"))


def export_text(**kw: Any) -> str:
    buf = io.StringIO()
    write_jsonl(export_dossiers(**kw), buf)
    return buf.getvalue()


FIELDS = ["code", "status", "channel", "received_at", "original_due_at", "due_at", "apology_due_at", "finished_at",
          "returned_at", "closed_at", "outcome", "supplement_count", "paused_seconds", "processing_seconds", "warn_at",
          "fee_payment", "digitized_input", "digitized_result", "latest_rating", "complained", "submitted_at",
          "current_unit_id", "received_unit_id", "applicant_email", "applicant_address"]


def snapshot() -> list[tuple[Any, ...]]:
    return [tuple(getattr(d, f) for f in FIELDS) for d in Dossier.objects.order_by("code")]


def test_export_then_import_round_trips_exactly_and_matches_the_services(org: Any, proc: Any) -> None:
    history(org, proc)
    before = snapshot()
    text = export_text(period="2026-11")
    assert len(text.splitlines()) == 5
    first = json.loads(text.splitlines()[1])
    assert first["code"].startswith("H26.TTPVHCC.01-261105-") and first["complained"] is True
    # wipe and import
    DossierEvent.objects.all().delete()
    DossierStep.objects.all().delete()
    Dossier.objects.all().delete()
    DossierSequence.objects.all().delete()
    assert import_dossiers(io.StringIO(text)) == 5
    assert export_text(period="2026-11") == text
    # Transitions are one table and one set of functions (lifecycle.py, tests/test_lifecycle.py); the
    # receipt planning is implemented twice for speed (cached step units and assignees in the replay),
    # so the imported dossiers must still carry the services' due dates, warnings and processing times.
    assert snapshot() == before
    # sequences continue after imported codes
    with clock(at("2026-11-02 11:00")):
        d = s.dossier_receive(procedure=proc, unit=org.ward_a, received_unit=org.ward_a, applicant=APPLICANT,
                              received_by=org.staff["onestop_a"])
    assert d.code == "H26.P04-261102-0002"


def test_invalid_line_rejects_the_whole_file_with_its_line_number(org: Any, proc: Any) -> None:
    history(org, proc)
    lines = export_text().splitlines()
    Dossier.objects.all().delete()
    bad = json.loads(lines[2])
    bad["events"].insert(0, {"type": "finished", "at": "2026-11-01T09:00:00+07:00"})
    text = "\n".join([lines[0], lines[1], json.dumps(bad), lines[3]])
    with pytest.raises(ImportFailed) as err:
        import_dossiers(io.StringIO(text))
    assert err.value.line == 3
    assert Dossier.objects.count() == 0


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda o: o.update(extra=1), "extra"),
    (lambda o: o.update(procedure="9.999999"), "9.999999"),
    (lambda o: o["events"][0].update(at="2026-11-02T09:00:00"), "múi giờ"),
    (lambda o: o["events"][0].update(type="teleported"), "teleported"),
    (lambda o: o.update(rating="wow"), "wow"),
    (lambda o: o["events"][0].update(by="NV-NOBODY"), "NV-NOBODY"),
])
def test_bad_values_name_the_line(org: Any, proc: Any, mutate: Any, message: str) -> None:
    history(org, proc)
    line = json.loads(export_text().splitlines()[0])
    Dossier.objects.all().delete()
    mutate(line)
    with pytest.raises(ImportFailed) as err:
        import_dossiers(io.StringIO("\n" + json.dumps(line) + "\n"))
    assert err.value.line == 2 and message in str(err.value)


def test_duplicate_codes_are_refused(org: Any, proc: Any) -> None:
    history(org, proc)
    text = export_text()
    with pytest.raises(ImportFailed) as err:
        import_dossiers(io.StringIO(text))
    assert err.value.line == 1 and "đã có" in str(err.value)


def test_minimal_contract_line_computes_due_at_and_uses_returned_as_finish(org: Any) -> None:
    proc = procedure_create(code="1.001193", value=3)
    line = {"code": "H26.P04-261116-0007", "procedure": "1.001193", "unit": "H26.P04", "channel": "online",
            "applicant": {"name": "Đỗ Thị Em", "id_number": "", "phone": "0912000111"}, "fee": "none",
            "digitized_input": True, "digitized_result": False, "synced": True, "complained": False,
            "events": [{"type": "received", "at": "2026-11-16T15:30:00+07:00"},
                       {"type": "returned", "at": "2026-11-19T16:00:00+07:00"}]}
    assert import_dossiers([json.dumps(line)]) == 1
    d = Dossier.objects.get()
    assert d.due_at == at("2026-11-19 17:00")  # after the 15:00 cut-off: from Tue 08:00, 3 days
    assert d.finished_at == at("2026-11-19 16:00") and d.outcome == "on_time" and d.status == Status.RETURNED
    assert proc.dossiers.count() == 1


def test_replay_assigns_with_the_memberships_in_force_on_the_events_day(org: Any) -> None:
    """History as of its date: an imported dossier of 5/11 goes to the officer who served the ward
    then (and has left since), one of 16/11 to the officer who joined on 12/11."""
    import datetime as dt

    from kycuong.org.models import Membership, Role
    from kycuong.org.tests.factories import staff_with_role

    procedure_create(code="1.001193", value=3)
    former = staff_with_role(org.ward_a, Role.OFFICER, "former_officer")
    Membership.objects.filter(staff=former).update(active_to=dt.date(2026, 11, 10))
    former.is_active = False
    former.save(update_fields=["is_active"])
    Membership.objects.filter(staff=org.staff["officer_a"]).update(active_from=dt.date(2026, 11, 12))

    def line(code: str, received: str) -> str:
        return json.dumps({"code": code, "procedure": "1.001193", "unit": "H26.P04", "channel": "counter",
                           "applicant": {"name": "Đỗ Thị Em", "id_number": "", "phone": ""}, "fee": "none",
                           "events": [{"type": "received", "at": received}]})

    assert import_dossiers([line("H26.P04-261105-0001", "2026-11-05T09:00:00+07:00"),
                            line("H26.P04-261116-0001", "2026-11-16T09:00:00+07:00")]) == 2
    officer_step = {d.code: d.steps.get(role=Role.OFFICER).assignee_id for d in Dossier.objects.all()}
    assert officer_step == {"H26.P04-261105-0001": former.pk, "H26.P04-261116-0001": org.staff["officer_a"].pk}
