"""Search must behave the same on SQLite and PostgreSQL (CI runs this file on both)."""

from __future__ import annotations

import pytest

from kycuong.procedures.selectors import RANK_ALL_WORDS, RANK_PHRASE, RANK_PREFIX, procedure_search
from kycuong.procedures.services import procedure_update


@pytest.mark.parametrize("query", ["dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai sinh", "Đăng ký khai sinh",
                                   "  dang   KY khai-sinh ", "1.001193", "thu tuc dang ky khai sinh"])
def test_birth_registration_is_found_first(catalogue, query):
    results = list(procedure_search(query))
    assert results[0].name == "Thủ tục đăng ký khai sinh"


def test_ranking_prefix_then_phrase_then_all_words(catalogue):
    results = list(procedure_search("dang ky khai sinh"))
    names = [p.name for p in results]
    # Prefix (after "Thủ tục") first, shorter first; "đăng ký lại khai sinh" has all words but not the phrase.
    assert names[:2] == ["Thủ tục đăng ký khai sinh", "Thủ tục đăng ký khai sinh có yếu tố nước ngoài"]
    ranks = {p.name: p.rank for p in results}
    assert ranks["Thủ tục đăng ký khai sinh"] == RANK_PREFIX
    assert ranks["Thủ tục đăng ký lại khai sinh"] == RANK_ALL_WORDS
    assert names.index("Thủ tục đăng ký lại khai sinh") > names.index("Thủ tục đăng ký khai sinh có yếu tố nước ngoài")
    assert [p.rank for p in results] == sorted(p.rank for p in results)


def test_phrase_inside_the_name(catalogue):
    results = list(procedure_search("khai sinh"))
    assert {p.name for p in results if p.rank == RANK_PHRASE} >= {"Thủ tục đăng ký khai sinh",
                                                                  "Thủ tục đăng ký khai sinh có yếu tố nước ngoài"}
    assert "Thủ tục đăng ký kết hôn" not in [p.name for p in results]


def test_partial_matches_come_last(catalogue):
    results = list(procedure_search("khai sinh ket hon"))
    assert results, "some words match"
    assert {p.name for p in results} >= {"Thủ tục đăng ký kết hôn", "Thủ tục đăng ký khai sinh"}


def test_sector_filter_and_inactive_hidden(catalogue):
    assert [p.name for p in procedure_search("", sector="chung-thuc")] == [
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản"]
    procedure_update(procedure=catalogue["khai_tu"], is_active=False)
    assert "Thủ tục đăng ký khai tử" not in [p.name for p in procedure_search("khai tu")]


def test_search_by_sector_name_without_diacritics(catalogue):
    names = [p.name for p in procedure_search("hoat dong xay dung")]
    assert names == ["Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"]


def test_nothing_found(catalogue):
    assert list(procedure_search("xyzzy")) == []
