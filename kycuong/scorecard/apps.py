from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _on_unit_activity(sender: Any, *, unit_id: int | None = None, **kwargs: Any) -> None:
    from .services import scorecard_touch

    scorecard_touch(unit_id=unit_id)


class ScorecardConfig(AppConfig):
    name = "kycuong.scorecard"
    label = "scorecard"

    def ready(self) -> None:
        from kycuong.core.hooks import unit_activity

        unit_activity.connect(_on_unit_activity, dispatch_uid="scorecard.unit_activity")
