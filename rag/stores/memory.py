"""A store in this process's memory: numpy vectors, exact cosine search, nothing on disk.

For tests (with the fake embedder, a whole index in milliseconds) and throwaway indexes. It
implements the whole Store Protocol, so it also shows what a new store has to provide.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterable, Iterator

import numpy as np

from ..chunks import embed_text
from ..types import Article, Chunk, Filters, StoredChunk
from .base import ArticleRecord, model_mismatch, passes


class MemoryStore:
    def __init__(self, settings=None):
        self.location = "memory"
        self._lock = threading.RLock()
        self._writers = 0
        self._info: dict = {}
        self._articles: dict[str, tuple[Article, ArticleRecord]] = {}
        self._chunks: dict[str, StoredChunk] = {}
        self._vecs: dict[str, np.ndarray] = {}
        self._embedded: dict[str, str] = {}

    def index_info(self) -> dict:
        return dict(self._info)

    def generation(self) -> str:
        return f"{self._info.get('uid', '')}:{self._info.get('generation', 0)}"

    def check_model(self, label: str, dim: int) -> None:
        err = model_mismatch(self._info, self.location, label, dim)
        if err:
            raise err

    def bump(self, label: str, dim: int, chunker: str, backend: str = "") -> int:
        with self._lock:
            gen = int(self._info.get("generation", 0)) + 1
            backend = backend or self._info.get("embed_backend", "")
            self._info = {"embed_model": label, "dim": dim, "chunker": chunker,
                          "generation": gen, "uid": self._info.get("uid") or uuid.uuid4().hex}
            if backend:
                self._info["embed_backend"] = backend
            return gen

    def records(self, doc_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        with self._lock:
            ids = self._articles if doc_ids is None else [d for d in doc_ids
                                                          if d in self._articles]
            return {d: self._articles[d][1] for d in ids}

    def iter_records(self):
        yield from self.records().items()

    def get_article(self, doc_id: str) -> Article | None:
        got = self._articles.get(doc_id)
        return got[0] if got else None

    def put_records(self, items: list[tuple[Article, str, int]]) -> None:
        with self._lock:
            for a, h, n in items:
                self._articles[a.id] = (a, ArticleRecord(a.id, h, a.title, a.date, a.source, a.url,
                                                         a.origin, n, dict(a.extra)))

    def add(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> None:
        with self._lock:
            self._drop_chunks({a.id for a, *_ in items})
            for a, _h, chunks, vecs in items:
                for c, v in zip(chunks, vecs, strict=True):
                    self._chunks[c.id] = StoredChunk(c.id, a.id, c.text, c.start, c.end, a.title,
                                                     a.date, a.source, a.url)
                    self._vecs[c.id] = np.asarray(v, dtype=np.float32)
                    self._embedded[c.id] = embed_text(a, c)
            self.put_records([(a, h, len(chunks)) for a, h, chunks, _v in items])

    def delete(self, doc_ids: Iterable[str]) -> None:
        with self._lock:
            ids = set(doc_ids)
            self._drop_chunks(ids)
            for d in ids:
                self._articles.pop(d, None)

    def _drop_chunks(self, doc_ids: set[str]) -> None:
        for cid in [c.id for c in self._chunks.values() if c.doc_id in doc_ids]:
            del self._chunks[cid]
            del self._vecs[cid]
            del self._embedded[cid]

    def dense_search(self, qvec, filters: Filters | None,
                     k: int) -> list[tuple[StoredChunk, float]]:
        with self._lock:
            chunks = [c for c in self._chunks.values() if passes(c, filters)]
            if not chunks:
                return []
            mat = np.stack([self._vecs[c.id] for c in chunks])
        sims = mat @ np.asarray(qvec, dtype=np.float32)
        order = np.argsort(-sims, kind="stable")[:k]
        return [(chunks[i], float(sims[i])) for i in order]

    def vectors(self, chunk_ids: list[str]) -> dict:
        return {c: self._vecs[c] for c in chunk_ids if c in self._vecs}

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        with self._lock:
            return {c: self._chunks[c] for c in chunk_ids if c in self._chunks}

    def iter_chunks(self) -> Iterator[StoredChunk]:
        with self._lock:
            chunks = list(self._chunks.values())
        yield from chunks

    def chunks_of(self, doc_ids: list[str]) -> list[StoredChunk]:
        wanted = set(doc_ids)
        with self._lock:
            return [c for c in self._chunks.values() if c.doc_id in wanted]

    def sample(self, n: int) -> list[tuple[str, list[float]]]:
        with self._lock:
            ids = list(self._chunks)[:n]
            return [(self._embedded[c], self._vecs[c].tolist()) for c in ids]

    def count_chunks(self) -> int:
        return len(self._chunks)

    def count_articles(self) -> int:
        return len(self._articles)

    def size_on_disk(self) -> int:
        return 0

    def reset(self) -> None:
        with self._lock:
            self.__init__()

    @contextlib.contextmanager
    def write_lock(self):
        with self._lock:
            self._writers += 1
            try:
                yield
            finally:
                self._writers -= 1

    def writing(self) -> bool:
        return self._writers > 0

