"""Demo feedback: categories, routing rules, an Open311 key and ~360 items over the four months
before ctx.today, across wards/communes and categories, in every state (routed, in progress,
waiting for information, resolved, published and rated, refused, merged, reopened, overdue and
escalated). Deterministic (ctx.rng("feedback")); bulk inserts; the city calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from kycuong.core.demodata import DemoContext
from kycuong.core.text import fold
from kycuong.org.demo import vietnamese_name
from kycuong.org.models import Membership, Role, Staff, Unit, UnitKind
from kycuong.workdays.services import calendar_for

from . import services
from .models import (
    Answer,
    AnswerStatus,
    Category,
    Channel,
    Event,
    EventType,
    FeedbackItem,
    FeedbackPolicy,
    FeedbackSequence,
    Follower,
    Kind,
    Open311Key,
    RoutingRule,
    Satisfaction,
    Status,
)
from .redaction import redact

DEMO_OPEN311_KEY = "o311_demo_hanoi_2026"  # printed in the summary; demo databases only
DEMO_TRACKING_SECRET = "demo2026"  # secret of every demo item (demo databases only)

CATEGORIES = [
    # code, name, group, keywords, share, question share
    ("duong-sa", "Đường sá, vỉa hè", "Hạ tầng đô thị", "ổ gà, sụt lún, vỉa hè, nắp cống", 14, 0.0),
    ("chieu-sang", "Chiếu sáng công cộng", "Hạ tầng đô thị", "đèn đường, cột đèn, tối", 9, 0.0),
    ("thoat-nuoc", "Thoát nước, ngập úng", "Hạ tầng đô thị", "ngập, cống, mương", 7, 0.0),
    ("cay-xanh", "Cây xanh", "Hạ tầng đô thị", "cây đổ, cành gãy, cắt tỉa", 5, 0.0),
    ("rac-thai", "Rác thải, vệ sinh môi trường", "Môi trường", "rác, thu gom, xả thải", 13, 0.0),
    ("tieng-on", "Tiếng ồn, ô nhiễm", "Môi trường", "karaoke, khói, bụi, mùi", 6, 0.0),
    ("trat-tu-do-thi", "Trật tự đô thị, lấn chiếm", "Trật tự đô thị", "lấn chiếm, vỉa hè, quán", 12, 0.0),
    ("xay-dung", "Trật tự xây dựng", "Trật tự đô thị", "xây trái phép, giấy phép", 6, 0.2),
    ("giao-thong", "Giao thông, đèn tín hiệu", "Giao thông", "đèn tín hiệu, biển báo, ùn tắc", 5, 0.1),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính", "Hành chính", "hồ sơ, giấy tờ, một cửa, dịch vụ công", 15, 0.7),
    ("thai-do-can-bo", "Thái độ, tác phong cán bộ", "Hành chính", "thái độ, nhũng nhiễu, chậm trễ", 5, 0.0),
    ("dat-dai", "Đất đai", "Hành chính", "sổ đỏ, ranh giới, đo đạc", 3, 0.5),
]

STREETS = ["Đội Cấn", "Hàng Bài", "Tràng Tiền", "Kim Mã", "Giảng Võ", "Láng Hạ", "Nguyễn Trãi", "Xã Đàn",
           "Trường Chinh", "Cầu Giấy", "Hoàng Quốc Việt", "Lạc Long Quân", "Minh Khai", "Giải Phóng", "Nguyễn Văn Cừ",
           "Ngọc Lâm", "Phạm Văn Đồng", "Lê Văn Lương", "Tố Hữu", "Quang Trung", "Trần Phú", "Tây Sơn"]

PROBLEMS = {
    "duong-sa": ["Ổ gà lớn giữa đường trước số {n} {s}, xe máy đã ngã nhiều lần.",
                 "Mặt đường {s} đoạn gần ngõ {n} bị sụt lún sau mưa, nguy hiểm cho người đi đường.",
                 "Nắp cống trên vỉa hè {s} bị vỡ, trẻ em đi học dễ sụt chân."],
    "chieu-sang": ["Ba cột đèn đường trên phố {s} không sáng từ một tuần nay, buổi tối rất tối.",
                   "Đèn chiếu sáng ngõ {n} {s} bật cả ban ngày, lãng phí điện.",
                   "Cột đèn trước số {n} {s} bị nghiêng, có nguy cơ đổ."],
    "thoat-nuoc": ["Cống thoát nước tại ngõ {n} {s} bị tắc, mỗi lần mưa nước ngập đến đầu gối.",
                   "Mương thoát nước gần số {n} {s} bốc mùi hôi thối, nhiều muỗi."],
    "cay-xanh": ["Cây xà cừ trước số {n} {s} có cành khô sắp gãy, đề nghị cắt tỉa.",
                 "Cây đổ chắn ngang ngõ {n} {s} sau cơn giông, chưa được dọn."],
    "rac-thai": ["Rác thải tập kết tại đầu ngõ {n} {s} nhiều ngày không được thu gom.",
                 "Có người đổ trộm phế thải xây dựng ở bãi đất trống cạnh số {n} {s} vào ban đêm.",
                 "Xe thu gom rác đến muộn, rác tràn ra lòng đường {s}."],
    "tieng-on": ["Quán karaoke tại số {n} {s} hát đến 1 giờ sáng, ảnh hưởng giấc ngủ cả khu dân cư.",
                 "Xưởng sản xuất trong ngõ {n} {s} xả khói và bụi suốt ngày."],
    "trat-tu-do-thi": ["Các quán ăn lấn chiếm toàn bộ vỉa hè {s} đoạn số {n}, người đi bộ phải xuống lòng đường.",
                       "Bãi trông giữ xe tự phát trên vỉa hè trước số {n} {s}."],
    "xay-dung": ["Công trình tại số {n} {s} xây vượt số tầng được phép, không có biển báo công trình.",
                 "Nhà số {n} {s} sửa chữa làm nứt tường nhà bên cạnh."],
    "giao-thong": ["Đèn tín hiệu giao thông ngã tư {s} bị hỏng từ sáng, ùn tắc nghiêm trọng.",
                   "Biển báo cấm rẽ trên phố {s} bị cây che khuất."],
    "thu-tuc-hanh-chinh": ["Hồ sơ đăng ký hộ kinh doanh của tôi nộp tại bộ phận một cửa đã quá hẹn {n} ngày chưa có kết quả.",
                           "Cổng dịch vụ công báo lỗi khi nộp hồ sơ cấp bản sao trích lục khai sinh.",
                           "Bộ phận một cửa yêu cầu nộp thêm giấy tờ không có trong danh mục thủ tục."],
    "thai-do-can-bo": ["Cán bộ tiếp nhận hồ sơ tại bộ phận một cửa có thái độ thiếu tôn trọng người dân.",
                       "Cán bộ hẹn nhiều lần nhưng không giải quyết, không giải thích lý do."],
    "dat-dai": ["Thửa đất của gia đình tôi tại ngõ {n} {s} bị hộ bên cạnh lấn ranh giới.",
                "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất nộp từ lâu chưa được giải quyết."],
}

QUESTIONS = {
    "thu-tuc-hanh-chinh": [("Thủ tục cấp lại giấy khai sinh", "Tôi bị mất giấy khai sinh bản gốc, xin hỏi thủ tục cấp lại "
                            "như thế nào và có thể nộp ở phường khác nơi cư trú không?"),
                           ("Đăng ký thường trú cho con", "Xin hỏi đăng ký thường trú cho con mới sinh cần giấy tờ gì "
                            "và có làm trực tuyến được không?"),
                           ("Chứng thực bản sao", "Chứng thực bản sao từ bản chính có thu phí không, mức phí bao nhiêu?"),
                           ("Đăng ký hộ kinh doanh", "Đăng ký hộ kinh doanh cá thể mất bao nhiêu ngày làm việc?")],
    "xay-dung": [("Giấy phép sửa chữa nhà", "Sửa chữa, cải tạo nhà ở riêng lẻ không thay đổi kết cấu có cần xin giấy phép "
                  "xây dựng không?")],
    "giao-thong": [("Thời gian cấm xe tải", "Xin hỏi khung giờ cấm xe tải trên đường vành đai 3?")],
    "dat-dai": [("Tách thửa đất", "Điều kiện tách thửa đất ở tại xã theo quy định hiện hành là gì?"),
                ("Thời hạn cấp sổ đỏ", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu mất bao lâu?")],
}

ANSWERS = {
    "feedback": ["{unit} đã kiểm tra hiện trường và chỉ đạo đơn vị duy tu xử lý xong ngày {d}. Đề nghị người dân tiếp tục "
                 "phản ánh nếu tái diễn.",
                 "{unit} đã phối hợp với công ty môi trường đô thị khắc phục. Đã liên hệ người phản ánh {name} qua số {phone} "
                 "để thông báo kết quả.",
                 "Qua xác minh, {unit} đã lập biên bản, yêu cầu hộ vi phạm khắc phục và sẽ tiếp tục kiểm tra."],
    "question": ["Căn cứ quy định hiện hành, người dân nộp hồ sơ tại bất kỳ điểm tiếp nhận nào của Trung tâm Phục vụ "
                 "hành chính công thành phố hoặc trực tuyến trên Cổng dịch vụ công. Thời hạn giải quyết theo thủ tục đã "
                 "công bố; {unit} sẵn sàng hướng dẫn thêm.",
                 "{unit} trả lời: hồ sơ gồm tờ khai theo mẫu và giấy tờ chứng minh liên quan; không thu phí đối với trường "
                 "hợp đăng ký đúng hạn. Chi tiết xem tại Cổng dịch vụ công quốc gia."],
}


def _working_moment(cal: Any, rng: Any, day: dt.date) -> dt.datetime:
    while not cal.is_working_day(day):
        day -= dt.timedelta(days=1)
    start = cal.day_start(day)
    return start + dt.timedelta(minutes=rng.randint(0, 8 * 60 - 1) + (60 if rng.random() < 0.5 else 0))


def build(ctx: DemoContext) -> str:
    rng = ctx.rng("feedback")
    FeedbackPolicy.objects.get_or_create(pk=1)
    cats = []
    for order, (code, name, group, keywords, _share, _q) in enumerate(CATEGORIES):
        cats.append(Category(code=code, name=name, group=group, keywords=keywords, order=order,
                             description=f"Phản ánh, kiến nghị về {name.lower()}."))
    Category.objects.bulk_create(cats)
    cats_by_code = {c.code: c for c in Category.objects.all()}
    units = {u.code: u for u in Unit.objects.filter(Q(kind__in=[UnitKind.WARD, UnitKind.COMMUNE]) | Q(
        code__in=["H26", "H26.SXD", "H26.SNNMT", "H26.TTPVHCC"]))}
    places = sorted((u for u in units.values() if u.kind in (UnitKind.WARD, UnitKind.COMMUNE)), key=lambda u: u.code)
    # Routing: traffic signals go to the Department of Construction; land questions from communes to
    # the Department of Agriculture and Environment; everything else to the ward/commune (default).
    rules = []
    if "H26.SXD" in units:
        rules.append(RoutingRule(category=cats_by_code["giao-thong"], responsible_unit=units["H26.SXD"], priority=10,
                                 note="Đèn tín hiệu, biển báo do Sở Xây dựng quản lý"))
    if "H26.SNNMT" in units:
        rules.append(RoutingRule(category=cats_by_code["dat-dai"], place=None, responsible_unit=units["H26.SNNMT"],
                                 priority=50, note="Câu hỏi đất đai chung"))
        for commune in [u for u in places if u.kind == UnitKind.COMMUNE][:5]:
            rules.append(RoutingRule(category=cats_by_code["dat-dai"], place=commune, responsible_unit=commune, priority=10))
    RoutingRule.objects.bulk_create(rules)
    Open311Key.objects.create(name="Ứng dụng iHanoi (demo)", contact="ihanoi@demo.kycuong.vn", prefix=DEMO_OPEN311_KEY[:10],
                              digest=Open311Key.hash(DEMO_OPEN311_KEY))

    officers: dict[int, list[Staff]] = {}
    for m in Membership.objects.filter(unit__in=list(units.values()), role__in=[Role.OFFICER, Role.ONE_STOP_OFFICER,
                                                                                 Role.HEAD]).select_related("staff"):
        officers.setdefault(m.unit_id, []).append(m.staff)
    cal = calendar_for(None)
    pol = FeedbackPolicy.objects.get(pk=1)
    now = ctx.now
    secret_digest = FeedbackItem.hash_secret(DEMO_TRACKING_SECRET)
    weights = [c[4] for c in CATEGORIES]
    place_weights = [6 if u.code.startswith("H26.P") and int(u.code[5:]) <= 20 else 1 for u in places]
    n_items = int(360 * ctx.scale)
    seq: dict[tuple[str, str], int] = {}
    items: list[FeedbackItem] = []
    plans: list[dict[str, Any]] = []

    for _ in range(n_items):
        code_c, _name, _g, _k, _w, q_share = rng.choices(CATEGORIES, weights=weights)[0]
        category = cats_by_code[code_c]
        kind = Kind.QUESTION if code_c in QUESTIONS and rng.random() < q_share else Kind.FEEDBACK
        place = rng.choices(places, weights=place_weights)[0]
        age = rng.randint(0, 20) if rng.random() < 0.3 else rng.randint(0, 125)
        received = _working_moment(cal, rng, ctx.today - dt.timedelta(days=age))
        if received > now:
            received = now - dt.timedelta(hours=3)
        unit = _route(category, place, rules, units)
        anonymous = rng.random() < 0.25
        name, _f = vietnamese_name(rng)
        phone = "09" + "".join(str(rng.randint(0, 9)) for _ in range(8))
        email = f"nguoidan{rng.randint(100, 999)}@example.com" if not anonymous and rng.random() < 0.6 else ""
        street, number = rng.choice(STREETS), rng.randint(2, 180)
        if kind == Kind.QUESTION:
            title, description = rng.choice(QUESTIONS[code_c])
        else:
            title = ""
            description = rng.choice(PROBLEMS[code_c]).format(n=number, s=street)
            if not anonymous and rng.random() < 0.3:
                description += f" Tôi là {name}, số điện thoại {phone[:4]} {phone[4:7]} {phone[7:]}."
        prefix = "HD" if kind == Kind.QUESTION else "PA"
        month = received.strftime("%y%m")
        seq[(prefix, month)] = seq.get((prefix, month), 0) + 1
        channel = rng.choices([Channel.WEB, Channel.HOTLINE, Channel.LETTER, Channel.OPEN311], weights=[60, 20, 5, 15])[0]
        item = FeedbackItem(
            code=f"{prefix}-{month}-{seq[(prefix, month)]:06d}", secret_digest=secret_digest, kind=kind, channel=channel,
            category=category, title=title, description=description, address=f"Số {number} {street}", place=place,
            lat=None, long=None, is_anonymous=anonymous, reporter_name="" if anonymous else name,
            reporter_phone="" if anonymous else phone, reporter_email=email, consent_at=None if anonymous else received,
            unit=unit, status=Status.ROUTED, received_at=received,
            refuse_due_at=cal.add_working_time(received, days=float(pol.refuse_days)),
            info_due_at=cal.add_working_time(received, days=float(pol.info_days)),
            resolve_due_at=cal.add_working_time(received, days=float(pol.resolve_days)),
        )
        if channel == Channel.OPEN311:
            item.open311_token = f"demo{len(items):06d}"
            item.lat = round(21.0 + rng.random() * 0.08, 6)
            item.long = round(105.78 + rng.random() * 0.1, 6)
        plan = _plan(rng, item, cal, pol, now, officers)
        items.append(item)
        plans.append(plan)

    # Insert the items, then their events, answers and followers.
    FeedbackItem.objects.bulk_create(items, batch_size=500)
    saved = {i.code: i for i in FeedbackItem.objects.filter(code__in=[i.code for i in items])}
    FeedbackSequence.objects.bulk_create([FeedbackSequence(prefix=p, month=m, value=v) for (p, m), v in seq.items()])
    events: list[Event] = []
    answers: list[Answer] = []
    followers: list[Follower] = []
    merges: list[tuple[FeedbackItem, FeedbackItem]] = []
    for item, plan in zip(items, plans, strict=True):
        obj = saved[item.code]
        for type_, at, note, from_unit, to_unit in plan["events"]:
            events.append(Event(item=obj, type=type_, at=at, note=note, from_unit=from_unit, to_unit=to_unit))
        if plan.get("answer"):
            body, status, approved_at, published_at = plan["answer"]
            q = redact(obj.description, names=[obj.reporter_name], extra_values=[obj.reporter_phone, obj.reporter_email])
            a = redact(body, names=[obj.reporter_name], extra_values=[obj.reporter_phone, obj.reporter_email])
            answers.append(Answer(item=obj, round=0, body=body, status=status, approved_at=approved_at,
                                  published_at=published_at, public_question=q.text, public_body=a.text,
                                  redactions={**q.counts, **a.counts}))
        if obj.reporter_email:
            followers.append(Follower(item=obj, email=obj.reporter_email, name=obj.reporter_name))
        if plan.get("merge_into") is not None:
            merges.append((obj, plan["merge_into"]))
    Event.objects.bulk_create(events, batch_size=1000)
    Answer.objects.bulk_create(answers, batch_size=500)
    Follower.objects.bulk_create(followers, batch_size=500, ignore_conflicts=True)

    # Published items: public texts and the knowledge-base search key.
    by_item = {a.item_id: a for a in Answer.objects.filter(item__in=list(saved.values()))}
    published = []
    for obj in saved.values():
        if obj.status == Status.PUBLISHED and obj.pk in by_item:
            answer = by_item[obj.pk]
            obj.public_question, obj.public_answer = answer.public_question, answer.public_body
            obj.public_title = redact(obj.title, names=[obj.reporter_name]).text
            obj.search_key = fold(" ".join([obj.public_title, answer.public_question, answer.public_body,
                                            obj.category.name]))
            published.append(obj)
    FeedbackItem.objects.bulk_update(published, ["public_title", "public_question", "public_answer", "search_key"],
                                     batch_size=500)

    # Duplicates: merge into an older open or published item of the same category and place.
    merged = 0
    for dup, _flag in merges:
        target = (FeedbackItem.objects.filter(category=dup.category, received_at__lt=dup.received_at)
                  .exclude(status=Status.MERGED).exclude(pk=dup.pk).order_by("-received_at").first())
        if target is None:
            continue
        FeedbackItem.objects.filter(pk=dup.pk).update(merged_into=target)
        if dup.reporter_email:
            Follower.objects.get_or_create(item=target, email=dup.reporter_email, defaults={"name": dup.reporter_name})
        merged += 1

    # Reminders and escalations for what is late at ctx.now, through the real service (no e-mail).
    done = services.feedback_deadlines_process(now=now, notify=False)
    counts: dict[str, int] = {}
    for s in FeedbackItem.objects.values_list("status", flat=True):
        counts[s] = counts.get(s, 0) + 1
    ctx.extra["feedback_open311_key"] = DEMO_OPEN311_KEY
    states = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return (f"{len(items)} items ({states}); {merged} merged, {done['escalations']} escalations; "
            f"Open311 key {DEMO_OPEN311_KEY}; tracking secret of every demo item: {DEMO_TRACKING_SECRET}")


def _route(category: Category, place: Unit, rules: list[RoutingRule], units: dict[str, Unit]) -> Unit:
    """The routing rule of services.route_for, evaluated in memory over the demo rules."""
    matching = [r for r in rules if (r.category_id in (None, category.pk)) and (r.place_id in (None, place.pk))]
    if not matching:
        return place
    best = min(matching, key=lambda r: (0 if r.category_id and r.place_id else 1 if r.place_id else 2, r.priority))
    return best.responsible_unit


def _plan(rng: Any, item: FeedbackItem, cal: Any, pol: FeedbackPolicy, now: dt.datetime,
          officers: dict[int, list[Staff]]) -> dict[str, Any]:
    """Decide the item's life so far and set its fields; return its events and answer."""
    received = item.received_at
    ev: list[tuple[str, dt.datetime, str, Any, Any]] = [
        (EventType.RECEIVED, received, item.get_channel_display(), None, None),
        (EventType.ROUTED, received, "", None, item.unit),
    ]
    plan: dict[str, Any] = {"events": ev}
    elapsed_days = cal.working_seconds_between(received, now) / (8 * 3600)
    staff = officers.get(item.unit_id) or []
    t = received + dt.timedelta(hours=rng.randint(1, 6))
    if t > now:
        item.due_at = item.resolve_due_at
        return plan
    if staff and not (elapsed_days < 1.5 and rng.random() < 0.5):
        item.assignee = rng.choice(staff)
        item.status = Status.IN_PROGRESS
        ev.append((EventType.ASSIGNED, t, item.assignee.full_name, None, None))
    if rng.random() < 0.08 and elapsed_days > 1:
        # Reassigned (with a reason and the responsible unit), the clock keeps running.
        neighbours = [u for u in officers if u != item.unit_id]
        if neighbours:
            target = Unit.objects.get(pk=rng.choice(neighbours[:40]))
            at = cal.add_working_time(received, hours=rng.randint(2, 12))
            if at < now:
                ev.append((EventType.REASSIGNED, at, "Vị trí phản ánh thuộc địa bàn đơn vị khác sau sắp xếp địa giới hành "
                           "chính", item.unit, target))
                item.unit = target
                item.reassign_count = 1
                item.assignee = rng.choice(officers[target.pk])
                item.status = Status.IN_PROGRESS
    roll = rng.random()
    if elapsed_days < 5 and roll < 0.2 and item.status != Status.ROUTED:
        item.status = Status.INFO_REQUESTED
        item.info_requested_at = min(now, cal.add_working_time(received, hours=4))
        ev.append((EventType.INFO_REQUESTED, item.info_requested_at, "Đề nghị cung cấp ảnh chụp và vị trí cụ thể hơn",
                   None, None))
        item.due_at = item.resolve_due_at
        return plan
    if elapsed_days > 2.5 and roll < 0.04:
        item.status = Status.REFUSED
        item.refused_at = item.closed_at = cal.add_working_time(received, days=rng.choice([1, 1.5, 2, 3]))
        ev.append((EventType.REFUSED, item.refused_at, "Nội dung là tranh chấp dân sự, thuộc thẩm quyền Tòa án nhân dân",
                   None, None))
        return plan
    if elapsed_days > 1 and roll < 0.08:
        item.status = Status.MERGED
        item.closed_at = cal.add_working_time(received, hours=rng.randint(2, 8))
        ev.append((EventType.MERGED, item.closed_at, "Trùng nội dung phản ánh trước", None, None))
        plan["merge_into"] = True
        return plan
    # Resolution time in working days: mostly on time, some late, some still open.
    late_bias = 0.25 if item.category.code in ("thu-tuc-hanh-chinh", "dat-dai", "xay-dung") else 0.12
    resolve_days = rng.uniform(16, 26) if rng.random() < late_bias else rng.uniform(1.5, 14.5)
    resolved_at = cal.add_working_time(received, days=resolve_days)
    if resolved_at > now:
        item.due_at = item.resolve_due_at
        if item.status == Status.ROUTED and staff:
            item.status = Status.IN_PROGRESS
        return plan
    item.status = Status.RESOLVED
    item.resolved_at = resolved_at
    item.publish_due_at = cal.add_working_time(resolved_at, days=float(pol.publish_days))
    ev.append((EventType.ANSWER_DRAFTED, resolved_at - dt.timedelta(hours=2), "", None, None))
    ev.append((EventType.RESOLVED, resolved_at, "", None, None))
    kind = "question" if item.kind == Kind.QUESTION else "feedback"
    body = rng.choice(ANSWERS[kind]).format(unit=item.unit.name, d=resolved_at.strftime("%d/%m/%Y"),
                                           name=item.reporter_name or "người dân", phone=item.reporter_phone or "—")
    published_at = cal.add_working_time(resolved_at, days=rng.choice([0.2, 0.5, 1, 1.5, 1.8, 3]))
    if published_at > now:
        item.due_at = item.publish_due_at
        plan["answer"] = (body, AnswerStatus.APPROVED, resolved_at, None)
        return plan
    item.status = Status.PUBLISHED
    item.published_at = item.closed_at = published_at
    ev.append((EventType.PUBLISHED, published_at, "", None, None))
    plan["answer"] = (body, AnswerStatus.PUBLISHED, resolved_at, published_at)
    r = rng.random()
    rated_at = published_at + dt.timedelta(hours=rng.randint(2, 72))
    if rated_at < now and r < 0.85:
        late = item.resolved_at > item.resolve_due_at
        unhappy = rng.random() < (0.45 if late else 0.1)
        item.satisfaction = Satisfaction.NOT_SATISFIED if unhappy else Satisfaction.SATISFIED
        item.rated_at = rated_at
        ev.append((EventType.RATED, rated_at, item.get_satisfaction_display(), None, None))
        if unhappy and rng.random() < 0.35 and rated_at + dt.timedelta(hours=1) < now \
                and rated_at - published_at < dt.timedelta(days=pol.reopen_window_days):
            reopened_at = rated_at + dt.timedelta(hours=1)
            item.status = Status.PUBLISHED
            item.published_at = published_at
            services.reopen_round_start(item, at=reopened_at, calendar=cal, pol=pol)
            ev.append((EventType.REOPENED, reopened_at, "Vẫn chưa được khắc phục triệt để", None, None))
    return plan
