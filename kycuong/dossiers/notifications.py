"""Deadline notifications (in-app + e-mail): when a step or a dossier has used 80 % of its working
time, and when it is overdue — each fact once (unique key per recipient, `notified_level` marks).

The dossier warning goes to the accountable officer and prompts an apology letter (form 04) before
the appointment passes, as Circular 01/2018 requires when a dossier will be late.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.periods import TZ
from kycuong.org.selectors import heads_of

from .models import Dossier, DossierStep, Notification, NotificationKind, Status, StepStatus

log = logging.getLogger(__name__)
ACTIVE = (Status.RECEIVED, Status.IN_PROGRESS)
BATCH = 2000


def _fmt(at: dt.datetime | None) -> str:
    """Local time for a message; the scans filter on the deadline, so None does not occur there."""
    return at.astimezone(TZ).strftime("%H:%M %d/%m/%Y") if at is not None else "—"


def notification_create(*, user: Any, kind: str, key: str, title: str, body: str = "", url: str = "",
                        dossier: Dossier | None = None, at: dt.datetime | None = None) -> Notification | None:
    """Create one notification unless (user, key) exists; e-mail it after commit. Returns None when it existed."""
    if user is None:
        return None
    at = at or timezone.now()
    with transaction.atomic():
        note, created = Notification.objects.get_or_create(
            recipient=user, key=key,
            defaults={"kind": kind, "title": title[:300], "body": body, "url": url, "dossier": dossier, "created_at": at})
    if not created:
        return None
    if getattr(user, "email", ""):
        def mail() -> None:
            try:
                base = getattr(settings, "KYCUONG_PUBLIC_BASE_URL", "").rstrip("/")
                send_mail(title[:200], f"{body}\n\n{base}{url}", None, [user.email], fail_silently=False)
                Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
            except Exception:  # noqa: BLE001 - the in-app notification stands; log and carry on
                log.exception("notification e-mail failed")
        transaction.on_commit(mail)
    return note


def _recipients_overdue(d: Dossier) -> list[Any]:
    users = [d.accountable.user] if d.accountable and d.accountable.user else []
    users += [s.user for s in heads_of(d.unit) if s.user and s.user not in users]
    return users


def notifications_scan(*, at: dt.datetime | None = None) -> int:
    """Periodic job: find dossiers/steps past 80 % of their time or overdue and not yet notified."""
    at = at or timezone.now()
    created = 0
    # Overdue in the one sense of timeliness.overdue_q: not while a supplement requested before the
    # due date is awaited (the clock is stopped), but yes when it was requested after it.
    dossiers = (Dossier.objects.overdue(at=at).filter(notified_level__lt=2)
                .select_related("accountable__user", "unit", "procedure")[:BATCH])
    for d in dossiers:
        url = reverse("dossiers:detail", kwargs={"code": d.code})
        for user in _recipients_overdue(d):
            created += bool(notification_create(
                user=user, kind=NotificationKind.DOSSIER_OVERDUE, key=f"dossier:{d.pk}:overdue", dossier=d, url=url, at=at,
                title=_("Hồ sơ %(code)s đã quá hạn") % {"code": d.code},
                body=_("Hồ sơ %(code)s (%(proc)s) hẹn trả %(due)s đã quá hạn.") % {
                    "code": d.code, "proc": d.procedure.name, "due": _fmt(d.due_at)}))
        Dossier.objects.filter(pk=d.pk, notified_level__lt=2).update(notified_level=2)
    warned = (Dossier.objects.filter(status__in=ACTIVE, notified_level__lt=1, warn_at__lte=at, due_at__gte=at)
              .select_related("accountable__user", "procedure")[:BATCH])
    for d in warned:
        url = reverse("dossiers:detail", kwargs={"code": d.code})
        if d.accountable and d.accountable.user and d.apology_due_at is None:
            created += bool(notification_create(
                user=d.accountable.user, kind=NotificationKind.DOSSIER_WARNING, key=f"dossier:{d.pk}:warning",
                dossier=d, url=url, at=at,
                title=_("Hồ sơ %(code)s sắp đến hạn (đã dùng 80%% thời gian)") % {"code": d.code},
                body=_("Hồ sơ %(code)s hẹn trả %(due)s. Nếu không kịp, hãy lập thư xin lỗi và hẹn lại "
                       "(mẫu 04) trước thời hạn.") % {"code": d.code, "due": _fmt(d.due_at)}))
        Dossier.objects.filter(pk=d.pk, notified_level__lt=1).update(notified_level=1)
    steps = (DossierStep.objects.filter(status=StepStatus.ACTIVE, dossier__status__in=ACTIVE, notified_level__lt=2,
                                        due_at__lt=at)
             .select_related("assignee__user", "dossier")[:BATCH])
    for s in steps:
        if s.assignee and s.assignee.user:
            created += bool(notification_create(
                user=s.assignee.user, kind=NotificationKind.STEP_OVERDUE, key=f"step:{s.pk}:overdue", dossier=s.dossier,
                url=reverse("dossiers:detail", kwargs={"code": s.dossier.code}), at=at,
                title=_("Bước “%(step)s” của hồ sơ %(code)s đã quá hạn") % {"step": s.name, "code": s.dossier.code},
                body=_("Hạn của bước: %(due)s.") % {"due": _fmt(s.due_at)}))
        DossierStep.objects.filter(pk=s.pk, notified_level__lt=2).update(notified_level=2)
    steps = (DossierStep.objects.filter(status=StepStatus.ACTIVE, dossier__status__in=ACTIVE, notified_level__lt=1,
                                        warn_at__lte=at, due_at__gte=at)
             .select_related("assignee__user", "dossier")[:BATCH])
    for s in steps:
        if s.assignee and s.assignee.user:
            created += bool(notification_create(
                user=s.assignee.user, kind=NotificationKind.STEP_WARNING, key=f"step:{s.pk}:warning", dossier=s.dossier,
                url=reverse("dossiers:detail", kwargs={"code": s.dossier.code}), at=at,
                title=_("Bước “%(step)s” của hồ sơ %(code)s sắp hết hạn") % {"step": s.name, "code": s.dossier.code},
                body=_("Đã dùng 80%% thời gian của bước; hạn %(due)s.") % {"due": _fmt(s.due_at)}))
        DossierStep.objects.filter(pk=s.pk, notified_level__lt=1).update(notified_level=1)
    if created:
        audit_record(action="dossier.notifications", object_type="dossiers.notification", object_id="*", at=at,
                     changes={"created": created})
    return created


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
