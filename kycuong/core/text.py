"""Vietnamese text helpers: diacritics folding for search, personal-data masking."""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})
_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str | None) -> str:
    """Lower-case ASCII form without diacritics: "ĐĂNG KÝ Khai sinh" -> "dang ky khai sinh".

    Used to build search keys stored next to names, so SQLite and PostgreSQL search alike.
    """
    if not text:
        return ""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _NON_WORD.sub(" ", stripped.lower()).strip()


def mask_id_number(value: str | None) -> str:
    """Citizen ID (CCCD, 12 digits): keep the first 3 and last 2 digits, e.g. 001*******45."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_phone(value: str | None) -> str:
    """Phone: keep the last 3 digits, e.g. *******789."""
    if not value:
        return ""
    if len(value) <= 3:
        return "*" * len(value)
    return "*" * (len(value) - 3) + value[-3:]


def mask_name(value: str | None) -> str:
    """Name for public lists: given name kept, other words initialled (Nguyễn Văn An -> N. V. An)."""
    if not value:
        return ""
    parts = value.split()
    if len(parts) == 1:
        return parts[0]
    return " ".join(p[0] + "." for p in parts[:-1]) + " " + parts[-1]


def person_name(user: object) -> str:
    """A user's name in Vietnamese order (family name first), falling back to the username."""
    # A missing one-to-one row raises RelatedObjectDoesNotExist, an AttributeError: getattr's default applies.
    staff = getattr(user, "staff", None) if getattr(user, "pk", None) else None
    if staff is not None and staff.full_name:
        return str(staff.full_name)
    last = getattr(user, "last_name", "") or ""
    first = getattr(user, "first_name", "") or ""
    name = f"{last} {first}".strip()
    return name or str(getattr(user, "username", ""))
