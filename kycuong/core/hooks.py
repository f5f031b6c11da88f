"""Cross-app hooks: how a lower app tells higher apps that something happened, without importing them.

Apps import only downward (docs/architecture.md, enforced by import-linter). When a lower app
(dossiers, feedback, ...) must let a higher one (the scorecard) react to an event, it sends a
signal defined here and the higher app connects a receiver in its `AppConfig.ready()`.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

#: A record that counts in a unit's figures changed (a dossier or feedback transition, ...).
#: Sent with `unit_id` (int | None) and `source` (str, e.g. "dossiers"). Receivers must be cheap
#: and safe inside the sender's transaction (defer real work with `transaction.on_commit`).
unit_activity = Signal()


def unit_activity_send(*, unit_id: int | None, source: str, **extra: Any) -> None:
    """Tell subscribers that `unit_id`'s figures may have changed."""
    unit_activity.send(sender=source, unit_id=unit_id, source=source, **extra)
