"""The English interface: the catalogue is complete and compiled, and pages render in English on request."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "kycuong" / "locale" / "en" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# %(name)s / %(n)d / %s / %% (python-format), {name} (strings filled in by JavaScript).
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|%%|\{[A-Za-z_][A-Za-z0-9_]*\}")
# Letters that occur in Vietnamese but not in English text.
VIETNAMESE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE
)


def _live_entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO_PATH)) if not e.obsolete]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


class _Headings(HTMLParser):
    """Collects the text of the <title> and of every <h1>."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.found: dict[str, list[str]] = {"title": [], "h1": []}

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.found:
            self.stack.append(tag)
            self.found[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            tag = self.stack[-1]
            self.found[tag][-1] += data


def _headings(html: str) -> dict[str, list[str]]:
    parser = _Headings()
    parser.feed(html)
    return {k: [" ".join(v.split()) for v in values] for k, values in parser.found.items()}


# --- the catalogue -----------------------------------------------------------------------------


def test_catalogue_has_a_real_number_of_entries() -> None:
    entries = _live_entries()
    assert len(entries) > 1000


def test_every_entry_is_translated_and_not_fuzzy() -> None:
    untranslated = []
    for entry in _live_entries():
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags or not forms or not all(f.strip() for f in forms):
            untranslated.append(entry.msgid)
    assert untranslated == []


def test_every_translation_keeps_the_placeholders_of_its_source() -> None:
    mismatched = []
    for entry in _live_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, target in pairs:
            if _placeholders(source) != _placeholders(target):
                mismatched.append((source, target))
    assert mismatched == []


def test_plural_entries_have_singular_and_plural_english_forms() -> None:
    plurals = [e for e in _live_entries() if e.msgid_plural]
    assert plurals
    for entry in plurals:
        assert set(entry.msgstr_plural) == {0, 1}
    header = polib.pofile(str(PO_PATH)).metadata["Plural-Forms"]
    assert header.replace(" ", "") == "nplurals=2;plural=(n!=1);"


def test_translations_read_as_english_except_proper_names_and_official_terms() -> None:
    # Vietnamese letters are allowed only inside proper names or official terms kept in parentheses;
    # a translation that is mostly Vietnamese means the msgstr was copied instead of translated.
    copied = []
    for entry in _live_entries():
        target = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        if target == entry.msgid and VIETNAMESE.search(entry.msgid) and entry.msgid != "Tiếng Việt":
            copied.append(entry.msgid)
    assert copied == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    po_entries = {
        (e.msgctxt, e.msgid, e.msgstr if not e.msgid_plural else tuple(sorted(e.msgstr_plural.items())))
        for e in _live_entries()
        if "fuzzy" not in e.flags
    }
    compiled = polib.mofile(str(MO_PATH))
    mo_entries = {
        (e.msgctxt, e.msgid, e.msgstr if not e.msgid_plural else tuple(sorted(e.msgstr_plural.items())))
        for e in compiled
        if e.msgid
    }
    stale = po_entries ^ mo_entries
    assert not stale, (
        f"{len(stale)} entries differ between django.po and django.mo: run `make messages` "
        f"(or manage.py compilemessages) and commit the .mo; e.g. {sorted(stale, key=str)[:3]}"
    )


def test_gettext_returns_english_when_english_is_active() -> None:
    with translation.override("en"):
        assert translation.gettext("Không tìm thấy.") == "Not found."
        assert translation.ngettext("%(n)s hồ sơ", "%(n)s hồ sơ", 1) % {"n": 1} == "1 dossier"
        assert translation.ngettext("%(n)s hồ sơ", "%(n)s hồ sơ", 3) % {"n": 3} == "3 dossiers"
    with translation.override("vi"):
        assert translation.gettext("Không tìm thấy.") == "Không tìm thấy."


# --- pages -------------------------------------------------------------------------------------

PUBLIC_PAGES = {
    "/": "Administrative discipline and service quality",
    "/dang-nhap/": "Sign in",
    "/thu-tuc/": "Administrative procedures",
    "/tra-cuu": "Dossier lookup",
    "/phan-anh/gui/": "Send feedback or a recommendation",
}


@pytest.mark.parametrize(("path", "heading"), PUBLIC_PAGES.items())
def test_public_page_renders_in_english_with_the_language_cookie(client: Any, org: Any, path: str, heading: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en"' in html
    found = _headings(html)
    assert found["h1"], f"{path} has no <h1>"
    main = found["h1"][0]
    assert heading in main
    assert not VIETNAMESE.search(main), f"Vietnamese left in the heading of {path}: {main!r}"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_stays_vietnamese_without_a_choice(client: Any, org: Any, path: str) -> None:
    # A browser sending Accept-Language: en but no cookie still gets Vietnamese (Vietnamese first).
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "vi"
    main = _headings(response.content.decode())["h1"][0]
    assert VIETNAMESE.search(main), main


def test_english_navigation_and_footer_on_the_home_page(client: Any, org: Any) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/").content.decode()

    assert "Skip to main content" in html
    assert "Sign in" in html
    assert "Chuyển đến nội dung chính" not in html


def test_staff_dashboard_renders_in_english(client: Any, org: Any) -> None:
    client.force_login(org.user("officer_a"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/trang-cua-toi/")

    assert response.status_code == 200
    main = _headings(response.content.decode())["h1"][0]
    assert not VIETNAMESE.search(main.split(",")[0]), main


def test_language_switch_sets_the_cookie_and_the_next_page_is_english(client: Any, org: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/thu-tuc/"})

    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/thu-tuc/")
    assert "Administrative procedures" in _headings(page.content.decode())["h1"][0]


# --- API -----------------------------------------------------------------------------------------


def test_api_error_message_is_english_with_accept_language_en(client: Any, db: Any) -> None:
    response = client.get("/api/v1/workdays/due", {"start": "nope", "working_days": 1}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 422
    body = response.json()
    assert body["code"]
    assert body["message"] == "The start time is not in ISO 8601 format."
    assert response.headers["Content-Language"] == "en"


def test_api_error_message_is_vietnamese_by_default(client: Any, db: Any) -> None:
    response = client.get("/api/v1/workdays/due", {"start": "nope", "working_days": 1})

    assert response.status_code == 422
    assert response.json()["message"] == "Thời điểm bắt đầu không đúng định dạng ISO 8601."


def test_api_not_found_is_english_with_accept_language_en(client: Any, org: Any, api_client_for: Any) -> None:
    api = api_client_for(org.user("admin"))

    response = api.get("/api/v1/dossiers/no-such-dossier", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8")

    assert response.status_code == 404
    assert not VIETNAMESE.search(response.json()["message"]), response.json()
