from __future__ import annotations

import datetime as dt

from django.test import Client

from kycuong.core.demodata import DemoContext, build_demo
from kycuong.ratings.models import Rating, RatingChannel
from kycuong.ticketing.models import Counter, ServiceArea, Ticket, TicketStatus
from kycuong.ticketing.selectors import device_for_token


def test_demo_builds_halls_a_day_of_tickets_and_ratings(db):
    ctx = DemoContext(log=lambda s: None)
    build_demo(ctx, only={"org", "ticketing", "ratings"})
    assert ServiceArea.objects.filter(unit__code="H26.TTPVHCC.12").count() == 4
    assert ServiceArea.objects.filter(unit__code="H26.P04").exists()
    assert Counter.objects.filter(unit__code="H26.TTPVHCC.01", number=1, staff__user__username="motcua.ttpvhcc").exists()
    tickets = Ticket.objects.filter(day=ctx.today)
    assert tickets.count() > 800
    assert tickets.filter(status=TicketStatus.WAITING).exists() and tickets.filter(status=TicketStatus.NO_SHOW).exists()
    for area_id in tickets.values_list("issued_area", flat=True).distinct()[:20]:
        numbers = sorted(tickets.filter(issued_area=area_id).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    kiosk = ctx.extra["ticketing_tokens"]["kiosk"]
    assert device_for_token(kiosk).unit.code == "H26.TTPVHCC.01"
    tablet = ctx.extra["ticketing_tokens"]["tablet"]
    assert Client(HTTP_X_DEVICE_TOKEN=tablet).get("/api/v1/ratings/device/state").status_code == 200
    kiosk_ratings = Rating.objects.filter(channel=RatingChannel.KIOSK)
    assert kiosk_ratings.count() > 400
    # Every tablet rating is of a ticket finished at that counter, within the rating window.
    for r in kiosk_ratings.select_related("ticket")[:200]:
        assert r.ticket.counter_id == r.counter_id and r.ticket.status == TicketStatus.DONE
        assert dt.timedelta(0) <= r.rated_at - r.ticket.finished_at <= dt.timedelta(minutes=15)
