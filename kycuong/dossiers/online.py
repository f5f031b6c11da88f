"""Online submission (dịch vụ công trực tuyến): the citizen's form, attachments, and the
SUBMITTED dossier an officer then accepts (the clock starts) or refuses with a reason.

Attachments are checked by content, not by name: only PDF, JPEG and PNG pass (an executable
renamed .pdf is refused), at most 10 MB each. They are stored under MEDIA with random names and
served only through a scoped staff view (never under a public URL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kycuong.core.audit import audit_record
from kycuong.core.errors import ValidationFailed
from kycuong.org.models import Unit
from kycuong.procedures.models import Procedure

from .models import Attachment, Dossier, FeePayment

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
#: Magic numbers → (content type, extension). Nothing else is accepted.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
EXTENSIONS_FOR = {"pdf": {"pdf"}, "jpg": {"jpg", "jpeg"}, "png": {"png"}}
ALLOWED_EXTENSIONS = {"pdf", "jpg", "jpeg", "png"}


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file already checked and stored, not yet tied to a dossier."""

    path: str
    original_name: str
    content_type: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "original_name": self.original_name, "content_type": self.content_type,
                "size": self.size, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredFile:
        return cls(**{k: data[k] for k in ("path", "original_name", "content_type", "size", "sha256")})


def sniff_type(head: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, ext
    return None


def upload_check(*, name: str, size: int, head: bytes) -> tuple[str, str]:
    """Content type and extension of an acceptable upload, or ValidationFailed naming the file."""
    shown = (name or "").rsplit("/", 1)[-1][:120]
    if size <= 0:
        raise ValidationFailed(_("Tệp %(name)s rỗng.") % {"name": shown}, details={"field": "files"})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationFailed(_("Tệp %(name)s lớn hơn 10 MB.") % {"name": shown}, details={"field": "files"})
    ext = shown.rsplit(".", 1)[-1].lower() if "." in shown else ""
    sniffed = sniff_type(head)
    if sniffed is None or ext not in ALLOWED_EXTENSIONS:
        raise ValidationFailed(_("Tệp %(name)s không phải PDF, JPG hoặc PNG.") % {"name": shown}, details={"field": "files"})
    content_type, real_ext = sniffed
    if ext not in EXTENSIONS_FOR[real_ext]:
        raise ValidationFailed(_("Nội dung tệp %(name)s không khớp với phần mở rộng.") % {"name": shown},
                               details={"field": "files"})
    return content_type, real_ext


def upload_store(*, file: IO[bytes], name: str, size: int | None = None) -> StoredFile:
    """Check and store one upload under MEDIA/dossiers/online/YYYY/MM/<random>.<ext>."""
    data = file.read(MAX_UPLOAD_BYTES + 1)
    size = len(data)
    content_type, ext = upload_check(name=name, size=size, head=data[:16])
    now = timezone.now()
    path = default_storage.save(f"{UPLOAD_DIR}/{now:%Y/%m}/{secrets.token_hex(16)}.{ext}", ContentFile(data))
    original = (name or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or f"tep.{ext}"
    return StoredFile(path=path, original_name=original, content_type=content_type, size=size,
                      sha256=hashlib.sha256(data).hexdigest())


def upload_discard(stored: StoredFile) -> None:
    """Remove a stored upload the citizen abandoned."""
    if default_storage.exists(stored.path):
        default_storage.delete(stored.path)


UPLOAD_DIR = "dossiers/online"


def uploads_orphaned_purge(*, older_than: dt.timedelta = dt.timedelta(days=2), now: dt.datetime | None = None) -> int:
    """Delete uploads a citizen stored but never submitted (no Attachment points to them) once they
    are older than `older_than`; safe to run twice. Returns the number of files removed."""
    now = now or timezone.now()
    referenced = set(Attachment.objects.filter(file__startswith=UPLOAD_DIR + "/").values_list("file", flat=True))
    removed = 0
    stack = [UPLOAD_DIR]
    while stack:
        folder = stack.pop()
        if not default_storage.exists(folder):
            continue
        dirs, files = default_storage.listdir(folder)
        stack.extend(f"{folder}/{d}" for d in dirs)
        for name in files:
            path = f"{folder}/{name}"
            if path in referenced:
                continue
            if default_storage.get_modified_time(path) < now - older_than:
                default_storage.delete(path)
                removed += 1
    if removed:
        audit_record(action="dossier.uploads_purge", object_type="dossiers.attachment", object_id="*",
                     changes={"removed": removed})
    return removed


def attachments_add(*, dossier: Dossier, files: list[StoredFile], kind: str = Attachment.Kind.INPUT,
                    uploaded_by: Any = None) -> list[Attachment]:
    """Tie stored uploads to a dossier (audited)."""
    if len(files) > MAX_FILES:
        raise ValidationFailed(_("Tối đa %(n)s tệp đính kèm.") % {"n": MAX_FILES}, details={"field": "files"})
    rows = []
    with transaction.atomic():
        for f in files:
            att = Attachment(dossier=dossier, kind=kind, original_name=f.original_name, content_type=f.content_type,
                             size=f.size, sha256=f.sha256, uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None)
            att.file.name = f.path
            rows.append(att)
        Attachment.objects.bulk_create(rows)
        if rows:
            audit_record(action="dossier.attachments_add", obj=dossier, unit_id=dossier.unit_id,
                         changes={"count": len(rows), "kind": kind, "sha256": [f.sha256 for f in files]})
    return rows


def form_data_clean(*, procedure: Procedure, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check the procedure's own fields (`form_fields`): required, type, choices.
    Returns (clean values, errors by field name)."""
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in procedure.form_fields or []:
        raw = str(data.get(f["name"], "") or "").strip()
        if not raw:
            if f.get("required"):
                errors[f["name"]] = _("Hãy nhập %(label)s.") % {"label": f["label"].lower()}
            continue
        kind = f.get("type", "text")
        if kind == "date":
            try:
                dt.date.fromisoformat(raw)
            except ValueError:
                errors[f["name"]] = _("%(label)s phải là ngày hợp lệ.") % {"label": f["label"]}
                continue
        elif kind == "number":
            try:
                float(raw.replace(",", "."))
            except ValueError:
                errors[f["name"]] = _("%(label)s phải là số.") % {"label": f["label"]}
                continue
        elif kind == "choice" and raw not in (f.get("choices") or []):
            errors[f["name"]] = _("Hãy chọn %(label)s trong danh sách.") % {"label": f["label"].lower()}
            continue
        clean[f["name"]] = raw[:1000]
    return clean, errors


def online_allowed(procedure: Procedure) -> bool:
    from kycuong.procedures.models import OnlineLevel

    return procedure.is_active and procedure.online_level in (OnlineLevel.FULL, OnlineLevel.PARTIAL)


def dossier_submit_online(
    *,
    procedure: Procedure,
    unit: Unit,
    applicant: dict[str, Any],
    form_data: dict[str, Any] | None = None,
    files: list[StoredFile] | None = None,
    fee_payment: str = FeePayment.NONE,
) -> Dossier:
    """A citizen's online submission: the dossier (SUBMITTED, code and secret from the dossiers
    life cycle `dossier_submit`) plus its attachments, in one transaction. The fee is recorded as
    paid online or at the counter (none when the procedure is free)."""
    from .services import dossier_submit

    if not online_allowed(procedure):
        raise ValidationFailed(_("Thủ tục này chưa được cung cấp trực tuyến."), details={"field": "procedure"})
    if procedure.fee and fee_payment not in (FeePayment.ONLINE, FeePayment.COUNTER):
        raise ValidationFailed(_("Hãy chọn cách nộp phí, lệ phí."), details={"field": "fee_payment"})
    if not procedure.fee:
        fee_payment = FeePayment.NONE
    clean_data, errors = form_data_clean(procedure=procedure, data=form_data or {})
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(errors[first], details={"field": first, "errors": errors})
    with transaction.atomic():
        dossier = dossier_submit(procedure=procedure, unit=unit, applicant=applicant, fee_payment=fee_payment,
                                 form_data=clean_data)
        attachments_add(dossier=dossier, files=files or [])
    return dossier
