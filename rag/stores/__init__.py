"""The stores door: where chunk vectors and the article manifest live.

``Store`` is the Protocol, in domain operations (add an article with its chunks and vectors,
delete articles, dense search with filters, read vectors back, list the manifest). Stores are
registered by name and chosen by ``settings.store``:

- ``chroma``: Chroma, embedded under ``index_dir``, or a Chroma server when ``chroma_host`` is
  set (rag/stores/chroma.py);
- ``memory``: numpy arrays in this process, for tests and throwaway indexes (memory.py).

Nothing outside this folder imports chromadb or builds llama-index nodes for storage.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable

from ..types import Article, Chunk, ConfigError, Filters, StoredChunk
from .base import ArticleRecord, StoreListener, model_mismatch

__all__ = ["ArticleRecord", "Store", "StoreListener", "model_mismatch", "open_store",
           "register_store"]


@runtime_checkable
class Store(Protocol):
    location: str  # where it is, for messages ("index_store/", "chroma://host:port")

    # the index record: which model built it, and a token that changes with every change
    def index_info(self) -> dict: ...

    def generation(self) -> str: ...

    def check_model(self, label: str, dim: int) -> None: ...

    def bump(self, label: str, dim: int, chunker: str, backend: str = "") -> int:
        """Record the model (and the embedding backend) and advance the generation."""

    # articles (the manifest: one record per article with its content hash)
    def records(self, doc_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        """The manifest records of ``doc_ids``; with None, of every article (reads the whole
        manifest: for repairs, never on the path of a question or one upload)."""

    def iter_records(self) -> Iterator[tuple[str, ArticleRecord]]:
        """Every manifest record, page by page (pruning walks the whole manifest without
        holding it)."""

    def get_article(self, doc_id: str) -> Article | None: ...

    def put_records(self, items: list[tuple[Article, str, int]]) -> None: ...

    def add(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> None:
        """Write each article's chunks with their vectors, then its manifest record (so an
        interrupted write leaves articles either whole or absent from the manifest)."""

    def delete(self, doc_ids: Iterable[str]) -> None: ...

    # chunks
    def dense_search(self, qvec, filters: Filters | None,
                     k: int) -> list[tuple[StoredChunk, float]]:
        """The k chunks nearest to ``qvec`` (cosine similarity), filtered."""

    def vectors(self, chunk_ids: list[str]) -> dict: ...

    def iter_chunks(self) -> Iterator[StoredChunk]: ...

    def chunks_of(self, doc_ids: list[str]) -> list[StoredChunk]:
        """Every chunk of these articles."""

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        """These chunks by id (ids not stored are left out): how keyword hits get their text."""

    def sample(self, n: int) -> list[tuple[str, list[float]]]:
        """Up to n stored chunks as (the text that was embedded, the stored vector)."""

    def count_chunks(self) -> int: ...

    def count_articles(self) -> int: ...

    def size_on_disk(self) -> int: ...

    def reset(self) -> None: ...

    def write_lock(self) -> AbstractContextManager: ...

    def writing(self) -> bool:
        """Whether a writer (in any process) holds the write lock now."""


_STORES: dict[str, str | Callable] = {
    "chroma": "rag.stores.chroma:ChromaStore",
    "memory": "rag.stores.memory:MemoryStore",
}


def register_store(name: str, factory: Callable) -> None:
    """Make ``settings.store = name`` open ``factory(settings)``."""
    _STORES[name] = factory


def open_store(settings) -> Store:
    target = _STORES.get(settings.store)
    if target is None:
        raise ConfigError(f"RAG_STORE={settings.store!r} is not one of: {', '.join(_STORES)}")
    if isinstance(target, str):
        module, _, name = target.partition(":")
        target = getattr(importlib.import_module(module), name)
    return target(settings)
