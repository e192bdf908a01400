"""Tìm thủ tục (procedure finder): ranked BM25 search over the catalog's procedures.

Scoring is the ``bm25s`` library's BM25 (Lucene variant); this module only decides what a
token is. Vietnamese is written in syllables, so each text is folded (diacritics stripped,
đ -> d, case-folded: "dang ky khai sinh" finds "Đăng ký khai sinh") and indexed as its
syllables plus adjacent-syllable pairs ("khai_sinh"), which lets a whole word like "khai
sinh" outrank texts that merely contain "khai" and "sinh" apart. Two BM25 indexes, one
over the names (Vietnamese and English) and one over the whole entry (names, required
documents, notes, code), are combined with the names weighted ``NAME_WEIGHT`` times (a
per-field weighting in the spirit of BM25F): a short name that is the query ranks first.
"""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import bm25s  # type: ignore[import-untyped]  # no type information shipped

from registry._catalog import Catalog
from registry.model import Procedure

__all__ = ["ProcedureHit", "ProcedureIndex", "fold", "index_for", "tokens"]

_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "cho con toi cua va la thi o tai nhu the nao gi can lam muon xin hoi ve mot cac nhung "
        "duoc khong co bao nhieu dau i a of the for to and my how do what is",
    )
)
_MAX_QUERY_CHARS = 500
NAME_WEIGHT = 2.0


def fold(text: str) -> str:
    """Lower-case ASCII-ish form: diacritics stripped, đ -> d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str) -> list[str]:
    """Syllables (without stopwords) and adjacent-syllable pairs of the folded text."""
    words = _WORD.findall(fold(text))
    kept = [w for w in words if w not in _STOPWORDS]
    pairs = [f"{a}_{b}" for a, b in itertools.pairwise(words)]
    return kept + [p for p in pairs if not set(p.split("_")) <= _STOPWORDS]


def _names(procedure: Procedure) -> list[str]:
    return tokens(procedure.name_vi) + tokens(procedure.name_en)


def _document(procedure: Procedure) -> list[str]:
    parts = [*procedure.required_documents, procedure.note or "", procedure.code]
    return _names(procedure) + [t for part in parts for t in tokens(part)]


def _bm25(corpus: list[list[str]]) -> Any:
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return index


def _scores(index: Any, wanted: list[str]) -> Any:
    known = [t for t in wanted if t in index.vocab_dict]
    return index.get_scores(known) if known else None


@dataclass(frozen=True)
class ProcedureHit:
    """One ranked match."""

    procedure: Procedure
    score: float


class ProcedureIndex:
    """A BM25 index over every procedure of one catalog."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        self._procedures = list(procedures)
        self._names = _bm25([_names(p) for p in self._procedures]) if procedures else None
        self._all = _bm25([_document(p) for p in self._procedures]) if procedures else None

    def search(self, query: str, limit: int = 5) -> list[ProcedureHit]:
        """The best ``limit`` procedures for a free-text query (empty if nothing matches)."""
        wanted = tokens(query[:_MAX_QUERY_CHARS])
        if not wanted or self._names is None or self._all is None:
            return []
        body = _scores(self._all, wanted)
        if body is None:
            return []
        names = _scores(self._names, wanted)
        total = body if names is None else body + NAME_WEIGHT * names
        ranked = sorted(
            ((float(s), i) for i, s in enumerate(total) if s > 0),
            key=lambda pair: (-pair[0], self._procedures[pair[1]].code),
        )
        return [ProcedureHit(self._procedures[i], round(s, 4)) for s, i in ranked[:limit]]


_cache: dict[int, tuple[Catalog, ProcedureIndex]] = {}
_lock = threading.Lock()


def index_for(catalog: Catalog) -> ProcedureIndex:
    """The index of ``catalog``, built once per catalog object (the registry view swaps
    the object whenever the catalog changes)."""
    with _lock:
        found = _cache.get(id(catalog))
        if found is None or found[0] is not catalog:
            _cache.clear()
            found = _cache[id(catalog)] = (
                catalog,
                ProcedureIndex(list(catalog.procedures.values())),
            )
        return found[1]
