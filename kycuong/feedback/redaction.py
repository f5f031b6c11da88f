"""Automatic redaction of personal data in texts that will be published (Law 91/2025/QH15).

What is removed: e-mail addresses, ID numbers (CMND 9 digits, CCCD 12 digits), phone numbers
(Vietnamese mobiles and landlines, with or without +84 and separators), and the names the
reporter gave. Staff review and edit the result before publishing; the rule errs on the side
of removing too much.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
ID_NUMBER = re.compile(r"(?<![\d\w])(?:\d{12}|\d{9})(?![\d\w])")
PHONE = re.compile(r"(?<![\d\w+])(?:\+84|84|0)[ .\-]?\d(?:[ .\-]?\d){7,9}(?![\d\w])")

LABELS = {
    "email": "[email đã ẩn]",
    "id_number": "[số định danh đã ẩn]",
    "phone": "[số điện thoại đã ẩn]",
    "name": "[họ tên đã ẩn]",
}


@dataclass
class Redacted:
    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.counts)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def name_variants(names: Iterable[str]) -> list[str]:
    """The full names, plus "middle + given" for names of three words or more (people are often
    called "anh Văn An"); longest first so a full name is replaced before its tail."""
    variants: set[str] = set()
    for name in names:
        words = _nfc(name).split()
        if len(words) >= 2:
            variants.add(" ".join(words))
        if len(words) >= 3:
            variants.add(" ".join(words[1:]))
    return sorted(variants, key=len, reverse=True)


def redact(text: str, *, names: Iterable[str] = (), extra_values: Iterable[str] = ()) -> Redacted:
    """Replace personal data in `text` with labels; `extra_values` (the reporter's own phone or
    e-mail as they typed it) are removed verbatim too."""
    out = _nfc(text)
    counts: Counter[str] = Counter()

    for value in sorted({_nfc(v).strip() for v in extra_values if v and len(v.strip()) >= 4}, key=len, reverse=True):
        pattern = re.compile(re.escape(value), re.IGNORECASE)
        kind = "email" if "@" in value else "phone"
        out, n = pattern.subn(LABELS[kind], out)
        counts[kind] += n

    for kind, pattern in (("email", EMAIL), ("id_number", ID_NUMBER), ("phone", PHONE)):
        out, n = pattern.subn(LABELS[kind], out)
        counts[kind] += n

    for name in name_variants(names):
        pattern = re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.IGNORECASE)
        out, n = pattern.subn(LABELS["name"], out)
        counts["name"] += n
    return Redacted(out, {k: v for k, v in counts.items() if v})
