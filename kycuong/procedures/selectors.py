"""Procedure catalogue reads: the public catalogue and a diacritics-insensitive ranked search.

The catalogue is public (every procedure must be published, 2017 "Year of administrative
discipline"), so these selectors need no scoping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Concat, Length

from kycuong.core.errors import NotFound
from kycuong.core.text import fold
from kycuong.org.models import Unit, UnitKind

from .models import Procedure, ProcedureStep, Sector

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class SectorCount(TypedDict):
    """Annotation added by `sectors_with_counts`: active procedures in the sector."""

    n: int

#: Words too common in procedure names to narrow anything on their own ("thủ tục", "và").
STOP_WORDS = frozenset({"thu", "tuc", "va", "cua", "cho", "the", "tai", "o", "co"})

RANK_PREFIX, RANK_PHRASE, RANK_ALL_WORDS, RANK_PARTIAL = 0, 1, 2, 3


@dataclass(frozen=True)
class ParsedQuery:
    phrase: str
    words: tuple[str, ...]

    @property
    def significant(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if w not in STOP_WORDS and len(w) >= 2)


def parse_query(text: str | None) -> ParsedQuery:
    phrase = fold(text)
    return ParsedQuery(phrase=phrase, words=tuple(dict.fromkeys(phrase.split())))


def procedures_active() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True).select_related("sector")


def procedure_search(text: str | None, *, sector: str | None = None, online: str | None = None,
                     base: QuerySet[Procedure] | None = None) -> QuerySet[Procedure]:
    """Procedures matching `text`, best first, the same on SQLite and PostgreSQL.

    Matching runs on `search_key` (name, code and sector folded without diacritics, lower case),
    so "dang ky khai sinh", "ĐĂNG KÝ KHAI SINH" and "khai sinh" all find "Đăng ký khai sinh".
    Rank: 0 the name starts with the phrase (ignoring a leading "Thủ tục"), 1 the phrase appears
    as whole words, 2 every word appears, 3 some significant word appears; then shorter names.
    """
    qs = base if base is not None else procedures_active()
    if sector:
        qs = qs.filter(sector__code=sector)
    if online:
        qs = qs.filter(online_level=online)
    query = parse_query(text)
    if not query.words:
        return qs.order_by("sector__name", "name")
    all_words = Q()
    for w in query.words:
        all_words &= Q(search_key__contains=w)
    any_word = Q()
    for w in query.significant:
        any_word |= Q(search_key__contains=w)
    matched = all_words | any_word if query.significant else all_words
    padded = f" {query.phrase} "
    return (
        qs.filter(matched)
        .annotate(padded_key=Concat(Value(" "), F("search_key"), Value(" "), output_field=TextField()))
        .annotate(
            rank=Case(
                When(search_key__startswith=query.phrase + " ", then=Value(RANK_PREFIX)),
                When(search_key__startswith="thu tuc " + query.phrase + " ", then=Value(RANK_PREFIX)),
                When(padded_key__contains=padded, then=Value(RANK_PHRASE)),
                When(all_words, then=Value(RANK_ALL_WORDS)),
                default=Value(RANK_PARTIAL),
                output_field=IntegerField(),
            ),
            name_length=Length("name"),
        )
        .order_by("rank", "name_length", "name", "id")
    )


def sectors_with_counts() -> QuerySet[WithAnnotations[Sector, SectorCount]]:
    from django.db.models import Count

    return (Sector.objects.annotate(n=Count("procedures", filter=Q(procedures__is_active=True)))
            .filter(n__gt=0).order_by("name"))


def procedure_by_code(code: str, *, with_steps: bool = True) -> Procedure:
    qs = Procedure.objects.select_related("sector")
    if with_steps:
        qs = qs.prefetch_related(Prefetch("steps", queryset=ProcedureStep.objects.order_by("order")), "units")
    procedure = qs.filter(code=code).first()
    if procedure is None:
        from django.utils.translation import gettext_lazy as _

        raise NotFound(_("Không tìm thấy thủ tục %(code)s.") % {"code": code})
    return procedure


def procedure_deciding_units(procedure: Procedure) -> QuerySet[Unit]:
    """Units that may decide `procedure`: its listed units, else every active unit of its kinds."""
    listed = procedure.units.all()
    if listed.exists():
        return listed
    kinds = procedure.deciding_unit_kinds or [UnitKind.WARD, UnitKind.COMMUNE]
    return Unit.objects.active().filter(kind__in=kinds).order_by("code")


def processing_time_label(procedure: Procedure) -> str:
    """Human label: "3 ngày làm việc", "1 giờ làm việc", "15 ngày"."""
    value = procedure.processing_value
    number = f"{value.normalize():f}".replace(".", ",") if value is not None else "0"
    return f"{number} {procedure.get_processing_unit_display()}"
