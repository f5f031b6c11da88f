"""Denormalised facts other modules keep current on the dossier (ratings, feedback)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ValidationFailed

from ..models import Dossier, RatingLevel
from .common import _touch


def dossier_set_rating(*, dossier: Dossier, level: str) -> Dossier:
    """Keep `latest_rating` current (called by the ratings module)."""
    if level and level not in RatingLevel.values:
        raise ValidationFailed(_("Mức đánh giá không hợp lệ."))
    with transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(latest_rating=level)
        dossier.latest_rating = level
        audit_record(action="dossier.rating", obj=dossier, unit_id=dossier.unit_id, changes={"rating": level})
        _touch(dossier)
    return dossier


def dossier_mark_complained(*, dossier: Dossier, complained: bool = True) -> Dossier:
    """Keep `complained` current (called by the feedback module)."""
    with transaction.atomic():
        Dossier.objects.filter(pk=dossier.pk).update(complained=complained)
        dossier.complained = complained
        audit_record(action="dossier.complained", obj=dossier, unit_id=dossier.unit_id, changes={"complained": complained})
        _touch(dossier)
    return dossier
