"""What stores share: the article manifest record and the model check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..dates import date_int
from ..types import Article, Chunk, Filters, ModelMismatchError, StoredChunk

INDEX_RECORD = "__index__"
SCHEMA_VERSION = 1


@dataclass
class ArticleRecord:
    id: str
    hash: str
    title: str
    date: str
    source: str
    url: str
    origin: str
    n_chunks: int
    extra: dict

    @classmethod
    def from_meta(cls, doc_id: str, meta: dict) -> ArticleRecord:
        return cls(id=doc_id, hash=meta.get("hash", ""), title=meta.get("title", ""),
                   date=meta.get("date", ""), source=meta.get("source", ""),
                   url=meta.get("url", ""), origin=meta.get("origin", ""),
                   n_chunks=int(meta.get("n_chunks", 0)),
                   extra=json.loads(meta.get("extra", "{}") or "{}"))


def model_mismatch(info: dict, location: str, label: str, dim: int) -> ModelMismatchError | None:
    """The error for an index built with another model than ``label`` (None if it matches)."""
    built = info.get("embed_model")
    if built and (built != label or int(info.get("dim", dim)) != dim):
        return ModelMismatchError(
            f"the index at {location} was built with the embedding model {built!r} "
            f"({info.get('dim')} dims), but {label!r} ({dim} dims) is configured. Use the "
            "same model, choose another --index-dir, or rebuild with `rag ingest --rebuild`.")
    return None


def passes(chunk: StoredChunk, filters: Filters | None) -> bool:
    """Whether a chunk passes the filters, as a store's own filtered search decides it."""
    if filters is None or filters.is_empty():
        return True
    d = date_int(chunk.date)
    if filters.since and d < date_int(filters.since):
        return False
    if filters.until and not (0 < d <= date_int(filters.until)):
        return False
    return not (filters.sources and chunk.source not in filters.sources)


@runtime_checkable
class StoreListener(Protocol):
    """Told about each change ingestion makes to a store, right after the store has it, so that
    an index derived from the store (the keyword index) keeps in step without rebuilding.
    Ingestion calls, with the store's write lock held: ``begin()`` before the first write,
    ``added`` / ``deleted`` after each write, ``committed(generation)`` after each generation
    bump (the derived index records that generation: it now reflects the store exactly), and
    ``end()`` last, also after an error."""

    def begin(self) -> None: ...

    def added(self, items: list[tuple[Article, str, list[Chunk]]], replaced: list[str]) -> None:
        """``items``: (article, content hash, chunks); ``replaced``: ids of articles that were
        in the store before and whose old chunks are now gone."""

    def deleted(self, doc_ids: list[str]) -> None: ...

    def committed(self, generation: str) -> None: ...

    def end(self) -> None: ...
