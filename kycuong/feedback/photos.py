"""Photo uploads: images only, checked by their content (Pillow), at most 3 of at most 5 MB."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from kycuong.core.errors import ValidationFailed

MAX_PHOTOS = 3
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}


@dataclass
class CheckedPhoto:
    content: ContentFile
    content_type: str
    size: int
    width: int
    height: int


def check_photos(files: list[Any]) -> list[CheckedPhoto]:
    """Validate every file before anything is stored; raise ValidationFailed naming the file."""
    files = [f for f in files if f]
    if len(files) > MAX_PHOTOS:
        raise ValidationFailed(_("Chỉ được gửi tối đa %(n)d ảnh.") % {"n": MAX_PHOTOS}, details={"field": "photos"})
    checked = []
    for f in files:
        name = getattr(f, "name", "") or "ảnh"
        size = getattr(f, "size", None)
        if size is None or size > MAX_BYTES:
            raise ValidationFailed(_("Ảnh “%(name)s” vượt quá 5 MB.") % {"name": name}, details={"field": "photos"})
        data = f.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValidationFailed(_("Ảnh “%(name)s” vượt quá 5 MB.") % {"name": name}, details={"field": "photos"})
        try:
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ValidationFailed(_("Ảnh “%(name)s” quá lớn.") % {"name": name}, details={"field": "photos"})
                img.verify()
        except ValidationFailed:
            raise
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise ValidationFailed(_("Tệp “%(name)s” không phải là ảnh hợp lệ (JPEG, PNG, WEBP).") % {"name": name},
                                   details={"field": "photos"}) from exc
        if fmt not in FORMATS:
            raise ValidationFailed(_("Tệp “%(name)s” không phải là ảnh hợp lệ (JPEG, PNG, WEBP).") % {"name": name},
                                   details={"field": "photos"})
        content_type, ext = FORMATS[fmt]
        checked.append(CheckedPhoto(ContentFile(data, name=f"{uuid.uuid4().hex}.{ext}"), content_type, len(data),
                                    width, height))
    return checked
