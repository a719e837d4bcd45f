"""BM25 with bm25s, kept in memory and in a folder beside the store (RAG_KEYWORD_INDEX=bm25s).

Rebuilt from the stored chunks whenever the store's generation changes, and loaded whole: fine
for tens of thousands of chunks; tantivy_index.py (the default) is the one that grows. We use
bm25s directly rather than llama-index's BM25Retriever because that one cannot be built from a
Chroma-backed index and has no way to apply metadata filters, while bm25s scores every chunk at
once and takes a mask.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from ..dates import date_int
from ..text import tokenize
from ..types import Filters, StoredChunk


class Bm25sSearcher:
    """One state of the index (never changed once built)."""

    def __init__(self, retriever, chunks: list[StoredChunk], generation: str):
        self.retriever = retriever
        self.chunks = chunks
        self.generation = generation
        self.size = len(chunks)
        self.date_ints = np.array([date_int(c.date) for c in chunks], dtype=np.int64)
        self.sources = [c.source for c in chunks]
        self.vocab = retriever.vocab_dict if retriever is not None else {}
        self._pos = {c.id: i for i, c in enumerate(chunks)}
        self._last = threading.local()  # the last query's scores, reused by scores_for

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when no query word is indexed)."""
        last = getattr(self._last, "value", None)
        if last is not None and last[0] == query:
            return last[1]
        if self.retriever is None:
            out = np.zeros(0, dtype=np.float32)
        else:
            words = [w for w in tokenize([query])[0] if w in self.vocab]
            out = (np.asarray(self.retriever.get_scores(words), dtype=np.float32) if words
                   else np.zeros(self.size, dtype=np.float32))
        self._last.value = (query, out)
        return out

    def search(self, query: str, filters: Filters | None,
               k: int) -> list[tuple[StoredChunk, float]]:
        if not self.size:
            return []
        bm = self.scores(query)
        mask = self.mask(filters)
        if mask is not None:
            bm = np.where(mask, bm, -1.0)
        k = min(k, len(bm))
        top = np.argpartition(-bm, k - 1)[:k] if k else []
        return [(self.chunks[i], float(bm[i])) for i in top if bm[i] > 0]

    def scores_for(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        if not self.size:
            return {}
        bm = self.scores(query)
        return {cid: max(0.0, float(bm[self._pos[cid]])) for cid in chunk_ids
                if cid in self._pos}

    def idf(self, words: list[str]) -> dict[str, float]:
        """BM25 (Lucene) inverse document frequency of each indexed word."""
        if self.retriever is None:
            return {}
        sc = self.retriever.scores
        indptr, n = sc["indptr"], max(1, int(sc.get("num_docs", self.size)))
        out = {}
        for w in words:
            t = self.vocab.get(w)
            if t is None:
                continue
            df = int(indptr[t + 1] - indptr[t])
            out[w] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return out

    def facets(self) -> dict:
        dated = self.date_ints[self.date_ints > 0]
        dates = None
        if dated.size:
            dates = tuple(f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}"
                          for d in (int(dated.min()), int(dated.max())))
        return {"sources": sorted({s for s in self.sources if s}), "dates": dates}

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(self.size, dtype=bool)
        if filters.since:
            keep &= self.date_ints >= date_int(filters.since)
        if filters.until:
            keep &= (self.date_ints <= date_int(filters.until)) & (self.date_ints > 0)
        if filters.sources:
            wanted = set(filters.sources)
            keep &= np.array([s in wanted for s in self.sources], dtype=bool)
        return keep


class Bm25sIndex:
    def __init__(self, folder: Path):
        self.folder = folder
        self._current: Bm25sSearcher | None = None
        self._lock = threading.Lock()

    def listener(self, store) -> None:
        return None  # rebuilt from the store when its generation changes

    def searcher(self, store) -> Bm25sSearcher:
        """The searcher for the store's current state. A changed store gets a new searcher,
        never an update in place, so a search holding the old one stays consistent."""
        with self._lock:
            generation = store.generation()
            if self._current is None or self._current.generation != generation:
                self._current = self._load(generation) or self._build(store, generation)
            return self._current

    def _load(self, generation: str) -> Bm25sSearcher | None:
        import bm25s

        meta_path = self.folder / "chunks.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("generation") != generation:
                return None
            retriever = (bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False)
                         if meta["ids"] else None)
        except (OSError, ValueError, KeyError):
            return None
        chunks = [_chunk(cid, text, m) for cid, text, m in zip(meta["ids"], meta["texts"],
                                                               meta["metas"], strict=True)]
        return Bm25sSearcher(retriever, chunks, generation)

    def _build(self, store, generation: str) -> Bm25sSearcher:
        import bm25s

        chunks = list(store.iter_chunks())
        retriever = None
        if chunks:
            tokens = tokenize([f"{c.title}\n{c.text}" for c in chunks])
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
        # Write to a temporary folder, then swap: readers never see half an index.
        tmp = self.folder.with_name(self.folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if retriever is not None:
            retriever.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "chunks.json").write_text(json.dumps({
            "generation": generation, "ids": [c.id for c in chunks],
            "texts": [c.text for c in chunks], "metas": [_meta(c) for c in chunks]}))
        old = self.folder.with_name(self.folder.name + f".old{os.getpid()}")
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        return Bm25sSearcher(retriever, chunks, generation)


def _meta(c: StoredChunk) -> dict:
    return {"doc_id": c.doc_id, "title": c.title, "date": c.date, "source": c.source,
            "url": c.url, "start": c.start, "end": c.end}


def _chunk(cid: str, text: str, m: dict) -> StoredChunk:
    return StoredChunk(id=cid, doc_id=str(m.get("doc_id", "")), text=text or "",
                       start=int(m.get("start") or 0), end=int(m.get("end") or 0),
                       title=m.get("title") or "", date=m.get("date") or "",
                       source=m.get("source") or "", url=m.get("url") or "")
