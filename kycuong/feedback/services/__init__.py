"""Writes for citizen feedback and questions (domain.md §5, §8), by sub-domain:

- `intake`: codes, receiving an item from any channel, Open311 API keys;
- `routing`: the responsible unit, assignment, reassignment, merging duplicates;
- `handling`: information requests and replies, refusal;
- `answers`: draft → approval → publication with redaction;
- `citizen`: rating and reopening;
- `deadlines`: reminders and escalation.

Every function is atomic, checks the actor's rights, takes the time from the server clock,
applies the life cycle of `kycuong.feedback.lifecycle`, records an Event and an audit entry, and
changes nothing when it refuses. `from kycuong.feedback import services` keeps every name.
"""

from kycuong.workdays.services import calendar_for

from ..selectors import policy
from ._common import MAX_DESCRIPTION, MIN_REASON, active_memberships, tracking_url
from .answers import (
    answer_approve,
    answer_publish,
    answer_return,
    answer_save_draft,
    answer_submit,
    public_texts_proposed,
)
from .citizen import feedback_rate, feedback_reopen, reopen_round_start
from .deadlines import escalation_starts, escalation_targets, feedback_deadlines_process, in_reminder_window
from .handling import feedback_refuse, feedback_request_info, feedback_supply_info
from .intake import Submitted, code_next, feedback_submit, open311_key_check, open311_key_create
from .routing import (
    HANDLING_UNIT_KINDS,
    feedback_assign,
    feedback_merge,
    feedback_reassign,
    route_for,
    support_centre,
)

__all__ = [
    "HANDLING_UNIT_KINDS", "MAX_DESCRIPTION", "MIN_REASON", "Submitted", "active_memberships", "answer_approve",
    "answer_publish", "answer_return", "answer_save_draft", "answer_submit", "calendar_for", "code_next",
    "escalation_starts", "escalation_targets", "feedback_assign", "feedback_deadlines_process", "feedback_merge",
    "feedback_rate", "feedback_reassign", "feedback_refuse", "feedback_reopen", "feedback_request_info",
    "feedback_submit", "feedback_supply_info", "in_reminder_window", "open311_key_check", "open311_key_create",
    "policy", "public_texts_proposed", "reopen_round_start", "route_for", "support_centre", "tracking_url",
]
