"""Keyword search door: a ``KeywordIndex`` derived from the store, kept in step with it.

The index is derived data: ``searcher(store)`` brings it up to date with the store's generation
(rebuilding or updating from the stored chunks, never re-embedding) and returns a searcher
that stays consistent while a search uses it, even if the store changes meanwhile.
Implementations are registered by name and chosen by ``settings.keyword_index``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..types import ConfigError, Filters, StoredChunk


@runtime_checkable
class KeywordSearcher(Protocol):
    size: int  # chunks indexed

    def search(self, query: str, filters: Filters | None,
               k: int) -> list[tuple[StoredChunk, float]]:
        """Up to k chunks with a positive score, best first."""

    def scores_for(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        """Scores of given chunks (0 when a word matches none of them)."""

    def idf(self, words: list[str]) -> dict[str, float]:
        """Inverse document frequency of indexed (tokenised) words."""


@runtime_checkable
class KeywordIndex(Protocol):
    def searcher(self, store) -> KeywordSearcher: ...


_INDEXES: dict[str, str | Callable] = {
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
