"""Keyword search door: a ``KeywordIndex`` derived from the store, kept in step with it.

The index is derived data: ``searcher(store)`` brings it up to date with the store's generation
(rebuilding or updating from the stored chunks, never re-embedding) and returns a searcher
that stays consistent while a search uses it, even if the store changes meanwhile. An index
that can follow changes returns a ``StoreListener`` from ``listener(store)``; ingestion tells
it about each write, so that it never needs a rebuild (``tantivy_index.py``). One that cannot
returns None and is rebuilt when the generation changes (``bm25s_index.py``).
Implementations are registered by name and chosen by ``settings.keyword_index``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..types import ConfigError, Filters, RagError, StoredChunk


class KeywordIndexDamaged(RagError):
    """The keyword index's files are damaged (truncated, overwritten): the index discards them
    and rebuilds from the store on the next ``searcher(store)``; the caller may retry once."""


@runtime_checkable
class KeywordSearcher(Protocol):
    size: int  # chunks indexed
    generation: str  # the store generation this state reflects

    def search(self, query: str, filters: Filters | None,
               k: int) -> list[tuple[StoredChunk, float]]:
        """Up to k chunks with a positive score, best first."""

    def scores_for(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        """Scores of given chunks (0 when a word matches none of them)."""

    def idf(self, words: list[str]) -> dict[str, float]:
        """Inverse document frequency of indexed (tokenised) words."""

    def facets(self) -> dict:
        """What the indexed articles span: ``{"sources": [...], "dates": (first, last) or
        None}`` (for the corpus panel and filters, without reading the store's manifest)."""


@runtime_checkable
class KeywordIndex(Protocol):
    def searcher(self, store) -> KeywordSearcher: ...

    def listener(self, store):
        """A ``StoreListener`` that keeps this index in step with ingestion, or None when the
        index is instead rebuilt whenever the store's generation changes."""


_INDEXES: dict[str, str | Callable] = {
    "tantivy": "rag.retrieval.tantivy_index:TantivyIndex",
    "bm25s": "rag.retrieval.bm25s_index:Bm25sIndex",
}


def register_keyword_index(name: str, factory: Callable) -> None:
    """Make ``settings.keyword_index = name`` use ``factory(folder: Path)``."""
    _INDEXES[name] = factory


def open_keyword_index(settings) -> KeywordIndex:
    target = _INDEXES.get(settings.keyword_index)
    if target is None:
        raise ConfigError(f"RAG_KEYWORD_INDEX={settings.keyword_index!r} is not one of: "
                          f"{', '.join(_INDEXES)}")
    if isinstance(target, str):
        module, _, name = target.partition(":")
        target = getattr(importlib.import_module(module), name)
    return target(keyword_folder(settings))


def keyword_folder(settings) -> Path:
    """Beside the store: one folder per collection (and per server for a Chroma server)."""
    stem = f"{settings.keyword_index}" if settings.keyword_index != "bm25s" else "bm25"
    if settings.chroma_host:
        return Path(settings.index_dir) / (f"{stem}-{settings.chroma_host}-{settings.chroma_port}"
                                           f"-{settings.collection}")
    return Path(settings.index_dir) / f"{stem}-{settings.collection}"
