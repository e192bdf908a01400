"""The procedure finder: BM25 over the catalog, diacritics-insensitive Vietnamese."""

from __future__ import annotations

import pytest

from registry import load_catalog
from registry.procedure_search import ProcedureIndex, fold, index_for, tokens

BIRTH = "1.001193"


@pytest.fixture(scope="module")
def index() -> ProcedureIndex:
    return index_for(load_catalog())


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký khai sinh cho con",
        "khai sinh",
        "dang ky khai sinh cho con",
        "KHAI SINH",
        "Tôi muốn làm giấy khai sinh cho con",
        "birth registration",
    ],
)
def test_birth_registration_first(index: ProcedureIndex, query: str) -> None:
    hits = index.search(query)
    assert hits[0].procedure.code == BIRTH
    assert hits[0].score > hits[1].score


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("lý lịch tư pháp", "2.000488"),
        ("ly lich tu phap", "2.000488"),
        ("đăng ký kết hôn", "1.900002"),
    ],
)
def test_other_procedures(index: ProcedureIndex, query: str, code: str) -> None:
    assert index.search(query)[0].procedure.code == code


@pytest.mark.parametrize("query", ["", "   ", "xyzzy qwerty", "cho con", "?!"])
def test_nothing_useful_finds_nothing(index: ProcedureIndex, query: str) -> None:
    assert index.search(query) == []


def test_hits_carry_what_a_citizen_needs(index: ProcedureIndex) -> None:
    hit = index.search("khai sinh", limit=1)[0].procedure
    assert "Giấy chứng sinh" in hit.required_documents
    assert hit.fee_vnd == 8000
    assert len(index.search("đăng ký", limit=3)) == 3


def test_fold_and_tokens() -> None:
    assert fold("Đăng Ký Khai Sinh") == "dang ky khai sinh"
    assert tokens("đăng ký khai sinh cho con") == [
        "dang", "ky", "khai", "sinh", "dang_ky", "ky_khai", "khai_sinh", "sinh_cho",
    ]  # fmt: skip


def test_index_is_cached_per_catalog() -> None:
    catalog = load_catalog()
    assert index_for(catalog) is index_for(catalog)
    assert ProcedureIndex([]).search("khai sinh") == []
