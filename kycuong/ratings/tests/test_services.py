from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from kycuong.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kycuong.dossiers.models import Dossier, Status
from kycuong.ratings import services
from kycuong.ratings.models import FollowUp, Rating, RatingChannel
from kycuong.ticketing import services as ticketing
from kycuong.ticketing.tests.factories import make_dossier


def served(hall, *, counter=None, staff=None, at=None, clock=None):
    """A ticket served at the counter; with `at`, served then (the clock is moved, since the
    ticketing services take the server's time) and the clock is brought back to the present."""
    counter = counter or hall.counter1
    staff = staff or hall.officer1
    present = timezone.now()
    if at is not None:
        clock.move_to(at - dt.timedelta(minutes=1), tick=False)
    ticketing.ticket_issue(area=hall.area_a)
    ticketing.ticket_call_next(counter=counter, staff=staff)
    ticketing.ticket_start(counter=counter, staff=staff)
    if at is not None:
        clock.move_to(at, tick=False)
    ticket = ticketing.ticket_finish(counter=counter, staff=staff)
    if at is not None:
        clock.move_to(present, tick=False)
    return ticket


def test_tablet_rating_ties_everything(hall, org):
    ticket = served(hall)
    dossier = make_dossier(unit=org.ward_a, received_unit=hall.unit)
    ticketing.ticket_link_dossier(ticket=ticket, dossier=dossier)
    rating, replayed = services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="very_satisfied",
                                                    criteria={"civil_servant": "very_satisfied"},
                                                    idempotency_key=uuid.uuid4())
    assert not replayed
    assert (rating.ticket_id, rating.dossier_id, rating.counter_id, rating.officer_id, rating.unit_id,
            rating.procedure_id) == (ticket.pk, dossier.pk, hall.counter1.pk, hall.officer1.pk, hall.unit.pk,
                                     dossier.procedure_id)
    assert rating.officer_level == "very_satisfied"
    assert Dossier.objects.get(pk=dossier.pk).latest_rating == "very_satisfied"


def test_second_tablet_rating_for_same_ticket_is_refused(hall):
    ticket = served(hall)
    services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=uuid.uuid4())
    with pytest.raises(Conflict) as exc:
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="dissatisfied",
                                     idempotency_key=uuid.uuid4())
    assert exc.value.code == "already_rated" and "đã được đánh giá" in str(exc.value.message)
    assert Rating.objects.count() == 1


def test_resend_with_same_key_counts_once(hall):
    ticket = served(hall)
    key = uuid.uuid4()
    first, r1 = services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=key)
    again, r2 = services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=key)
    assert (r1, r2) == (False, True) and first.pk == again.pk and Rating.objects.count() == 1


def test_same_key_with_other_content_is_refused(hall):
    ticket = served(hall)
    key = uuid.uuid4()
    services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=key)
    with pytest.raises(Conflict) as exc:
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="dissatisfied", idempotency_key=key)
    assert exc.value.code == "idempotency_key_reused"


def test_tablet_of_another_counter_cannot_rate(hall):
    ticket = served(hall)
    with pytest.raises(Forbidden) as exc:
        services.rating_submit_kiosk(device=hall.tablet2, ticket_id=ticket.pk, level="satisfied", idempotency_key=uuid.uuid4())
    assert exc.value.code == "wrong_counter" and Rating.objects.count() == 0


def test_kiosk_device_cannot_rate(hall):
    ticket = served(hall)
    with pytest.raises(Forbidden):
        services.rating_submit_kiosk(device=hall.kiosk, ticket_id=ticket.pk, level="satisfied", idempotency_key=uuid.uuid4())


def test_unserved_ticket_cannot_be_rated(hall):
    ticket = ticketing.ticket_issue(area=hall.area_a)
    ticketing.ticket_call_next(counter=hall.counter1, staff=hall.officer1)
    with pytest.raises(Conflict) as exc:
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=uuid.uuid4())
    assert exc.value.code == "not_served"


def test_rating_window_closes_after_15_minutes(hall, time_machine):
    ticket = served(hall, at=timezone.now() - dt.timedelta(minutes=16), clock=time_machine)
    with pytest.raises(Conflict) as exc:
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied", idempotency_key=uuid.uuid4())
    assert exc.value.code == "rating_window_closed"


def test_offline_rating_resent_later_uses_tablet_time(hall, time_machine):
    finished = timezone.now() - dt.timedelta(hours=2)
    ticket = served(hall, at=finished, clock=time_machine)
    rating, _ = services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied",
                                             idempotency_key=uuid.uuid4(), rated_at=finished + dt.timedelta(minutes=2))
    assert rating.rated_at == finished + dt.timedelta(minutes=2)
    ticket2 = served(hall)
    with pytest.raises(ValidationFailed):
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket2.pk, level="satisfied",
                                     idempotency_key=uuid.uuid4(), rated_at=timezone.now() - dt.timedelta(days=2))


def test_bad_level_or_criterion_changes_nothing(hall):
    ticket = served(hall)
    with pytest.raises(ValidationFailed):
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="great", idempotency_key=uuid.uuid4())
    with pytest.raises(ValidationFailed):
        services.rating_submit_kiosk(device=hall.tablet1, ticket_id=ticket.pk, level="satisfied",
                                     criteria={"speed": "satisfied"}, idempotency_key=uuid.uuid4())
    assert Rating.objects.count() == 0


def test_dossier_returned_at_the_counter_can_be_rated_once(hall, org):
    dossier = make_dossier(unit=org.ward_a, received_unit=hall.unit, returned_by=hall.officer1)
    rating, _ = services.rating_submit_kiosk(device=hall.tablet1, dossier_code=dossier.code, level="satisfied",
                                             idempotency_key=uuid.uuid4())
    assert rating.dossier_id == dossier.pk and rating.officer_id == hall.officer1.pk
    with pytest.raises(Conflict):
        services.rating_submit_kiosk(device=hall.tablet1, dossier_code=dossier.code, level="satisfied",
                                     idempotency_key=uuid.uuid4())


def test_dossier_returned_elsewhere_cannot_be_rated_on_this_tablet(hall, org):
    dossier = make_dossier(unit=org.ward_a, received_unit=hall.unit, returned_by=hall.officer2)
    with pytest.raises(Forbidden):
        services.rating_submit_kiosk(device=hall.tablet1, dossier_code=dossier.code, level="satisfied",
                                     idempotency_key=uuid.uuid4())


def test_online_rating_needs_secret_and_returned_result(hall, org):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP")
    with pytest.raises(NotFound):
        services.rating_submit_online(code=dossier.code, secret="WRONG1", level="satisfied")
    open_dossier = make_dossier(unit=org.ward_a, status=Status.RESULT_READY, secret="AAAAAA")
    with pytest.raises(ValidationFailed) as exc:
        services.rating_submit_online(code=open_dossier.code, secret="AAAAAA", level="satisfied")
    assert exc.value.code == "not_returned"
    assert Rating.objects.count() == 0


def test_later_online_rating_replaces_earlier_with_history(hall, org):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP", accountable=org.staff["officer_a"])
    first, _ = services.rating_submit_online(code=dossier.code, secret="k7q2zp", level="dissatisfied")
    second, _ = services.rating_submit_online(code=dossier.code, secret="K7Q2ZP", level="very_satisfied")
    first.refresh_from_db()
    assert not first.is_current and first.replaced_by_id == second.pk and second.is_current
    assert Rating.objects.filter(dossier=dossier, channel=RatingChannel.ONLINE).count() == 2
    assert Dossier.objects.get(pk=dossier.pk).latest_rating == "very_satisfied"
    assert second.officer_id == org.staff["officer_a"].pk and second.unit_id == org.ward_a.pk


def test_dissatisfied_with_comment_opens_follow_up_for_head(hall, org):
    dossier = make_dossier(unit=org.ward_a, secret="K7Q2ZP")
    services.rating_submit_online(code=dossier.code, secret="K7Q2ZP", level="dissatisfied", comment="Chờ quá lâu")
    services.rating_submit_online(code=dossier.code, secret="K7Q2ZP", level="dissatisfied")  # no comment: no follow-up
    followup = FollowUp.objects.get()
    assert followup.unit_id == org.ward_a.pk
    with pytest.raises(Forbidden):
        services.followup_close(followup=followup, resolution="Đã nhắc nhở", actor=org.user("officer_a"))
    closed = services.followup_close(followup=followup, resolution="Đã nhắc nhở cán bộ", actor=org.user("head_a"))
    assert closed.status == "closed"
