"""Dossier life cycle (domain.md §2–§3): every transition is a keyword-only, atomic, audited
service with an actor (Staff), taking its time from the server clock and checking the expected
state against the one state machine (`kycuong.dossiers.lifecycle`).

Other apps use `from kycuong.dossiers import services as svc; svc.dossier_x(...)`; the package
re-exports every service and the pure helpers the demo and the import replay share:
- `intake.py`: code `<unit code>-YYMMDD-NNNN` from a per-unit-per-day DossierSequence row (one
  upsert, the row locked only for its own short transaction), the appointment `due_at` = receipt +
  processing time in the deciding unit's working time with the afternoon cut-off, the steps of the
  internal process ("5 rõ") with unit, assignee, share of time and due time, one accountable officer;
- `transitions.py`: assignment, hand-over (form 05), transfer, supplement request / completion
  (form 02: the clock pauses, then `due_at` and open steps move later by the pause), apology
  (form 04: never makes a late dossier on time), finish (outcome, `timeliness.outcome_for`), return,
  withdrawal, stop, accountable officer;
- `facts.py`: rating and complaint flags kept by other modules;
- `planning.py`: pure helpers (codes, due dates, clock start, step plans, warnings);
- `common.py`: locking, saving, events, audit, input checks, assignee candidates, membership rule.

Every transition locks the dossier row, refuses an action the state machine does not allow from its
status (Conflict) and, when `expected_version` is given, a dossier that changed since the caller
read it (Conflict).
"""

from kycuong.workdays.services import due_at_compute

from ..timeliness import outcome_for
from .common import (
    APPLICANT_KEYS,
    _check_procedure_unit,
    _clean_applicant,
    member_ensure,
    step_unit_for,
)
from .facts import dossier_mark_complained, dossier_set_rating
from .intake import (
    SEQUENCE_UPSERT,
    dossier_accept,
    dossier_code_next,
    dossier_receive,
    dossier_refuse,
    dossier_refuse_intake,
    dossier_submit,
)
from .planning import (
    SECRET_ALPHABET,
    WARN_SHARE,
    StepPlan,
    clock_start,
    code_format,
    local_day,
    procedure_cutoff,
    procedure_due_at,
    processing_seconds_for,
    secret_new,
    shifted_due,
    step_plans,
    warn_at_for,
)
from .transitions import (
    dossier_apologize,
    dossier_assign,
    dossier_complete_supplement,
    dossier_finish,
    dossier_hand_over,
    dossier_reassign_accountable,
    dossier_request_supplement,
    dossier_return,
    dossier_stop,
    dossier_transfer,
    dossier_withdraw,
)

__all__ = [
    "APPLICANT_KEYS", "SECRET_ALPHABET", "SEQUENCE_UPSERT", "WARN_SHARE", "StepPlan", "_check_procedure_unit",
    "_clean_applicant", "clock_start", "code_format", "dossier_accept", "dossier_apologize", "dossier_assign",
    "dossier_code_next", "dossier_complete_supplement", "dossier_finish", "dossier_hand_over",
    "dossier_mark_complained", "dossier_reassign_accountable", "dossier_receive", "dossier_refuse",
    "dossier_refuse_intake", "dossier_request_supplement", "dossier_return", "dossier_set_rating", "dossier_stop",
    "dossier_submit", "dossier_transfer", "dossier_withdraw", "due_at_compute", "local_day", "member_ensure",
    "outcome_for", "procedure_cutoff", "procedure_due_at", "processing_seconds_for", "secret_new", "shifted_due",
    "step_plans", "step_unit_for", "warn_at_for",
]
