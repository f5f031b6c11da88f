"""Near-real-time refresh: scorecard_touch (debounced, on commit) and the every-minute job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from kycuong.dossiers.models import Dossier
from kycuong.scorecard import services
from kycuong.scorecard.models import RefreshState, Result
from kycuong.scorecard.services import current_periods, scorecard_refresh_if_dirty, scorecard_touch
from kycuong.scorecard.tasks import PERIODIC


def _state():
    return RefreshState.objects.get(key=services.REFRESH_KEY)


def test_touch_refreshes_the_current_week_and_month(dataset, django_capture_on_commit_callbacks):
    week, month = current_periods()
    assert not Result.objects.filter(period__in=[week.label, month.label]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        scorecard_touch(unit_id=dataset.ward_a.pk)
    assert Result.objects.filter(period=week.label, indicator_set__code="dvc766", unit=dataset.ward_a).count() == 11
    assert Result.objects.filter(period=month.label, indicator_set__code="kycuong").exists()
    state = _state()
    assert state.dirty is False and state.refreshed_at is not None and state.touches == 1
    assert state.last_unit_id == dataset.ward_a.pk


def test_touch_inside_a_rolled_back_transaction_does_nothing(dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                scorecard_touch(unit_id=dataset.ward_a.pk)
                raise RuntimeError("rollback")
        except RuntimeError:
            pass
    assert callbacks == []
    assert _state().touches == 0


def test_touches_within_the_debounce_window_enqueue_once(dataset, django_capture_on_commit_callbacks, monkeypatch):
    calls = []
    monkeypatch.setattr(services, "scorecard_refresh_current", lambda **kw: calls.append(kw) or [])
    from kycuong.scorecard import tasks

    monkeypatch.setattr(tasks.services, "scorecard_refresh_current", lambda **kw: calls.append(kw) or [])
    for _i in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            scorecard_touch(unit_id=dataset.ward_a.pk)
    assert len(calls) == 1  # the first touch enqueued; the next four fell in the debounce window
    state = _state()
    assert state.touches == 5 and state.dirty is True
    # The every-minute job picks up what is still dirty.
    monkeypatch.undo()
    assert scorecard_refresh_if_dirty() != []
    assert _state().dirty is False
    assert scorecard_refresh_if_dirty() == []  # clean: nothing to do


def test_a_new_late_dossier_shows_in_the_current_week_after_the_event(dataset, django_capture_on_commit_callbacks):
    from django.utils import timezone

    now = timezone.now()
    week = current_periods(now)[0]
    with django_capture_on_commit_callbacks(execute=True):
        scorecard_touch(unit_id=dataset.ward_b.pk)
    before = Result.objects.get(period=week.label, unit=dataset.ward_b, indicator__code="progress.on_time")
    template = Dossier.objects.filter(unit=dataset.ward_b).first()
    received = max(week.start_at, now - dt.timedelta(hours=1))
    Dossier.objects.filter(pk=template.pk).update(
        received_at=received, due_at=received + dt.timedelta(minutes=1), finished_at=now - dt.timedelta(seconds=1),
        returned_at=None, supplement_count=0)
    RefreshState.objects.filter(key=services.REFRESH_KEY).update(enqueued_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        scorecard_touch(unit_id=dataset.ward_b.pk)
    after = Result.objects.get(period=week.label, unit=dataset.ward_b, indicator__code="progress.on_time")
    assert (after.numerator, after.denominator) == (before.numerator or 0, (before.denominator or 0) + 1)
    assert after.computed_at > before.computed_at


def test_periodic_jobs_are_declared():
    names = {p.label for p in PERIODIC}
    assert names == {"scorecard.refresh_if_dirty", "scorecard.nightly"}
    every = next(p for p in PERIODIC if p.label == "scorecard.refresh_if_dirty").every
    assert every == dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_nightly_computes_running_and_previous_periods(dataset):
    from kycuong.core.periods import TZ

    now = dt.datetime(2026, 11, 2, 1, 30, tzinfo=TZ)
    summaries = services.scorecard_nightly(now=now)
    labels = {(s.set_code, s.period) for s in summaries}
    assert ("dvc766", "2026-10") in labels and ("dvc766", "2026-11") in labels
    assert ("kycuong", "2026-Q4") in labels and ("dvc766", "2026") in labels and ("dvc766", "2025") in labels


def test_the_minute_job_also_notices_events_logged_without_a_touch(dataset):
    from django.utils import timezone

    from kycuong.dossiers.models import DossierEvent

    scorecard_refresh_if_dirty()  # first run: never refreshed → refresh
    assert scorecard_refresh_if_dirty() == []  # nothing happened since
    dossier = Dossier.objects.filter(unit=dataset.ward_a).first()
    DossierEvent.objects.create(dossier=dossier, type="note", at=timezone.now() + dt.timedelta(seconds=1))
    assert scorecard_refresh_if_dirty() != []


def test_with_the_database_backend_a_trailing_refresh_is_deferred(dataset, django_capture_on_commit_callbacks, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "ENQUEUE_ON_COMMIT": False}}
    for _i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            scorecard_touch(unit_id=dataset.ward_a.pk)
    rows = list(DBTaskResult.objects.filter(task_path__endswith="scorecard_refresh_task").order_by("enqueued_at"))
    assert len(rows) == 2  # one now, one trailing at the end of the debounce window (not one per event)
    assert rows[0].run_after.year == 9999  # the backend stores "no delay" as 9999-01-01
    state = _state()
    assert rows[1].run_after == state.deferred_until == state.enqueued_at + dt.timedelta(seconds=services.DEBOUNCE_SECONDS)
