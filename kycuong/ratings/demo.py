"""Demo ratings: the counter tablets rate most of today's finished tickets (ctx.today), and citizens
rate about one returned dossier in five online over the last four months (a few twice: the later
replaces the earlier, history kept). "Không hài lòng" with a comment opens a follow-up; those
older than two weeks were already handled by the unit head. Dossier.latest_rating is kept current."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict

from kycuong.core.demodata import DemoContext
from kycuong.dossiers.models import Dossier, RatingLevel, Status
from kycuong.org.models import MANAGER_ROLES, Membership
from kycuong.ticketing.models import Device, DeviceKind, Ticket, TicketStatus

from .models import FollowUp, FollowUpStatus, Rating, RatingChannel

LEVELS = [RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED, RatingLevel.DISSATISFIED]
COMMENTS_BAD = ["Phải chờ quá lâu mới được gọi", "Cán bộ hướng dẫn chưa rõ ràng, phải đi lại nhiều lần",
                "Thái độ tiếp dân chưa niềm nở", "Hẹn trả kết quả nhưng chưa có", "Phòng chờ đông, thiếu ghế ngồi",
                "Yêu cầu bổ sung giấy tờ không có trong danh mục"]
COMMENTS_GOOD = ["Cán bộ nhiệt tình, hướng dẫn tận tình", "Thủ tục nhanh gọn", "Rất hài lòng, cảm ơn cán bộ",
                 "Trả kết quả sớm hơn hẹn"]
CRITERIA = ["access_level", "procedure_level", "officer_level", "result_level", "feedback_level"]


def _level(rng, weights=(0.68, 0.27, 0.05)) -> str:  # type: ignore[no-untyped-def]
    return rng.choices(LEVELS, weights=weights)[0]


def _criteria(rng, level: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if rng.random() < 0.5:
        return {}
    out = {}
    for field in CRITERIA:
        if field == "feedback_level" and rng.random() < 0.7:
            continue
        out[field] = level if rng.random() < 0.7 else _level(rng)
    return out


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("ratings")
    tablets = {d.counter_id: d.pk for d in Device.objects.filter(kind=DeviceKind.TABLET, revoked_at__isnull=True)}
    ratings: list[Rating] = []
    # Tablet ratings of today's tickets.
    tickets = (Ticket.objects.filter(day=ctx.today, status=TicketStatus.DONE).select_related("counter", "dossier")
               .order_by("finished_at"))
    for t in tickets:
        if rng.random() > 0.75 or t.counter is None or t.finished_at is None:
            continue
        level = _level(rng)
        at = t.finished_at + dt.timedelta(seconds=rng.uniform(20, 240))
        if at > ctx.now:
            continue
        comment = ""
        if level == RatingLevel.DISSATISFIED and rng.random() < 0.6:
            comment = rng.choice(COMMENTS_BAD)
        elif rng.random() < 0.05:
            comment = rng.choice(COMMENTS_GOOD)
        ratings.append(Rating(channel=RatingChannel.KIOSK, level=level, comment=comment, unit_id=t.counter.unit_id,
                              dossier_id=t.dossier_id, ticket=t, counter_id=t.counter_id, officer_id=t.officer_id,
                              procedure_id=t.dossier.procedure_id if t.dossier else None,
                              device_id=tablets.get(t.counter_id), created_at=at, rated_at=at,
                              idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4), **_criteria(rng, level)))
    kiosk_count = len(ratings)
    # Online ratings of returned dossiers, up to four months back.
    since = ctx.now - dt.timedelta(days=120)
    returned = list(Dossier.objects.filter(status=Status.RETURNED, returned_at__gte=since, returned_at__lte=ctx.now)
                    .only("id", "unit_id", "procedure_id", "accountable_id", "returned_at").order_by("returned_at", "id"))
    replaced: list[tuple[Rating, Rating]] = []
    for d in returned:
        if rng.random() > 0.2 or d.returned_at is None:
            continue
        at = d.returned_at + dt.timedelta(hours=rng.uniform(1, 72))
        if at > ctx.now:
            continue
        level = _level(rng, (0.6, 0.32, 0.08))
        comment = rng.choice(COMMENTS_BAD) if level == RatingLevel.DISSATISFIED and rng.random() < 0.5 else ""
        r = Rating(channel=RatingChannel.ONLINE, level=level, comment=comment, unit_id=d.unit_id, dossier_id=d.pk,
                   officer_id=d.accountable_id, procedure_id=d.procedure_id, created_at=at, rated_at=at,
                   **_criteria(rng, level))
        ratings.append(r)
        if rng.random() < 0.03:
            later = at + dt.timedelta(days=rng.uniform(1, 10))
            if later <= ctx.now:
                level2 = rng.choice([RatingLevel.SATISFIED, RatingLevel.VERY_SATISFIED])
                r2 = Rating(channel=RatingChannel.ONLINE, level=level2, unit_id=d.unit_id, dossier_id=d.pk,
                            officer_id=d.accountable_id, procedure_id=d.procedure_id, created_at=later, rated_at=later)
                r.is_current = False
                ratings.append(r2)
                replaced.append((r, r2))
    Rating.objects.bulk_create(ratings, batch_size=1000)
    for old, new in replaced:
        old.replaced_by_id = new.pk
    Rating.objects.bulk_update([old for old, _new in replaced], ["replaced_by"])

    # Follow-ups for "Không hài lòng" with a comment; older ones already handled by the head.
    heads = {m.unit_id: m.staff.user_id for m in Membership.objects.filter(role__in=MANAGER_ROLES).select_related("staff")}
    followups = []
    for r in ratings:
        if r.level == RatingLevel.DISSATISFIED and r.comment:
            handled = ctx.now - r.created_at > dt.timedelta(days=14)
            followups.append(FollowUp(rating=r, unit_id=r.unit_id, created_at=r.created_at,
                                      status=FollowUpStatus.CLOSED if handled else FollowUpStatus.OPEN,
                                      resolution="Đã làm việc với cán bộ, rút kinh nghiệm và liên hệ lại người dân." if handled else "",
                                      closed_at=r.created_at + dt.timedelta(days=3) if handled else None,
                                      closed_by_id=heads.get(r.unit_id) if handled else None))
    FollowUp.objects.bulk_create(followups, batch_size=1000)

    # Dossier.latest_rating = the level of its most recent current rating (for the scorecard).
    latest: dict[int, tuple[dt.datetime, str]] = {}
    for r in ratings:
        if r.dossier_id and r.is_current and (r.dossier_id not in latest or latest[r.dossier_id][0] < r.created_at):
            latest[r.dossier_id] = (r.created_at, r.level)
    by_level: dict[str, list[int]] = defaultdict(list)
    for dossier_id, (_at, level) in latest.items():
        by_level[level].append(dossier_id)
    for level, ids in by_level.items():
        for i in range(0, len(ids), 900):
            Dossier.objects.filter(pk__in=ids[i:i + 900]).update(latest_rating=level)
    open_count = sum(1 for f in followups if f.status == FollowUpStatus.OPEN)
    return (f"{kiosk_count} tablet ratings today, {len(ratings) - kiosk_count} online ratings "
            f"({len(replaced)} replaced), {len(followups)} follow-ups ({open_count} open)")
