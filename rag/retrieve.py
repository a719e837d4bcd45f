"""Hybrid retrieval: dense search in Chroma and BM25 (bm25s), fused, with date/source filters.

BM25 is kept on disk beside Chroma and rebuilt from the stored chunks whenever the index's
generation changes. We use bm25s directly rather than llama-index's BM25Retriever because that
one cannot be built from a Chroma-backed index and has no way to apply metadata filters, while
bm25s takes a per-document weight mask.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
from pathlib import Path

import numpy as np

from .store import Store, date_int
from .types import Filters, Passage


def tokenize(texts: list[str]):
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"),
                          show_progress=False, return_ids=False)


class BM25Index:
    def __init__(self, folder: Path):
        self.folder = folder
        self.generation = -1
        self.retriever = None
        self.ids: list[str] = []
        self.date_ints = np.zeros(0, dtype=np.int64)
        self.sources: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict] = []
        self.vocab: dict[str, int] = {}

    def ensure(self, store: Store, generation: int) -> None:
        if self.generation == generation:
            return
        if not self._load(generation):
            self._build(store, generation)

    def _load(self, generation: int) -> bool:
        import bm25s

        meta_path = self.folder / "chunks.json"
        if not meta_path.exists():
            return False
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("generation") != generation:
                return False
            retriever = bm25s.BM25.load(str(self.folder / "bm25"), show_progress=False)
        except (OSError, ValueError):
            return False
        self._adopt(retriever, meta["ids"], meta["texts"], meta["metas"], generation)
        return True

    def _build(self, store: Store, generation: int) -> None:
        import bm25s

        ids, texts, metas = [], [], []
        for cid, text, meta in store.iter_chunks():
            ids.append(cid)
            texts.append(text or "")
            metas.append({k: meta.get(k) for k in ("doc_id", "title", "date", "source", "url",
                                                  "start", "end", "date_int")})
        retriever = None
        if ids:
            tokens = tokenize([f"{m.get('title') or ''}\n{t}" for t, m in zip(texts, metas,
                                                                              strict=True)])
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
        # Write to a temporary folder, then swap: readers never see half a BM25 index.
        tmp = self.folder.with_name(self.folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if retriever is not None:
            retriever.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "chunks.json").write_text(json.dumps(
            {"generation": generation, "ids": ids, "texts": texts, "metas": metas}))
        old = self.folder.with_name(self.folder.name + f".old{os.getpid()}")
        if self.folder.exists():
            self.folder.rename(old)
        tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        self._adopt(retriever, ids, texts, metas, generation)

    def _adopt(self, retriever, ids, texts, metas, generation) -> None:
        self.retriever = retriever
        self.ids, self.texts, self.metas = ids, texts, metas
        self.date_ints = np.array([int(m.get("date_int") or 0) for m in metas], dtype=np.int64)
        self.sources = [m.get("source") or "" for m in metas]
        self.vocab = retriever.vocab_dict if retriever is not None else {}
        self.generation = generation

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when no query word is indexed)."""
        if self.retriever is None:
            return np.zeros(0, dtype=np.float32)
        words = [w for w in tokenize([query])[0] if w in self.vocab]
        if not words:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(words), dtype=np.float32)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.since:
            keep &= self.date_ints >= date_int(filters.since)
        if filters.until:
            keep &= (self.date_ints <= date_int(filters.until)) & (self.date_ints > 0)
        if filters.sources:
            wanted = set(filters.sources)
            keep &= np.array([s in wanted for s in self.sources], dtype=bool)
        return keep


class Retriever:
    def __init__(self, store: Store, embedder, settings):
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.bm25 = BM25Index(_bm25_folder(settings))
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            self.bm25.ensure(self.store, self.store.generation())

    def search(self, query: str, filters: Filters | None = None, top_k: int | None = None,
               mode: str = "hybrid", query_vector: list[float] | None = None) -> list[Passage]:
        """Top passages for ``query``. mode: "hybrid" (default), "dense" or "bm25"."""
        top_k = top_k or self.settings.top_k
        self.refresh()
        cands: dict[str, dict] = {}
        qvec = None
        if mode in ("hybrid", "dense"):
            qvec = np.asarray(query_vector if query_vector is not None
                              else self.embedder.embed_query(query), dtype=np.float32)
            for cid, text, meta, cos in self._dense(qvec, filters, self.settings.dense_k):
                cands[cid] = {"text": text, "meta": meta, "dense": cos}
        bm = None
        if mode in ("hybrid", "bm25") and self.bm25.ids:
            bm = self.bm25.scores(query)
            mask = self.bm25.mask(filters)
            if mask is not None:
                bm = np.where(mask, bm, -1.0)
            k = min(self.settings.bm25_k, len(bm))
            top = np.argpartition(-bm, k - 1)[:k] if k else []
            for i in top:
                if bm[i] <= 0:
                    continue
                cid = self.bm25.ids[i]
                entry = cands.setdefault(cid, {"text": self.bm25.texts[i],
                                               "meta": self.bm25.metas[i]})
                entry["bm25"] = float(bm[i])
        if not cands:
            return []
        if bm is not None:  # BM25 score of the dense-only candidates, for a fair fusion
            pos = {cid: i for i, cid in enumerate(self.bm25.ids)}
            for cid, entry in cands.items():
                if "bm25" not in entry and cid in pos:
                    entry["bm25"] = max(0.0, float(bm[pos[cid]]))
        if qvec is not None:
            missing = [cid for cid, e in cands.items() if "dense" not in e]
            if missing:
                got = self.store.chunks.get(ids=missing, include=["embeddings"])
                for cid, emb in zip(got["ids"], got["embeddings"], strict=True):
                    cands[cid]["dense"] = float(np.dot(qvec, np.asarray(emb, dtype=np.float32)))
        fused = self._fuse(cands, mode)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:top_k]
        return [self._passage(cid, cands[cid], score) for cid, score in ranked]

    def _fuse(self, cands: dict[str, dict], mode: str) -> dict[str, float]:
        # Min-max normalised scores, mixed linearly ("relative score fusion"): unlike reciprocal
        # rank fusion it keeps how far apart the candidates are.
        w = {"dense": 1.0, "bm25": 0.0} if mode == "dense" else (
            {"dense": 0.0, "bm25": 1.0} if mode == "bm25" else
            {"dense": self.settings.dense_weight, "bm25": 1.0 - self.settings.dense_weight})
        out = {cid: 0.0 for cid in cands}
        for key, weight in w.items():
            if weight == 0:
                continue
            vals = [e.get(key, 0.0) for e in cands.values()]
            lo, hi = min(vals), max(vals)
            span = hi - lo
            for cid, e in cands.items():
                out[cid] += weight * ((e.get(key, 0.0) - lo) / span if span > 1e-9 else 1.0)
        return out

    def _dense(self, qvec: np.ndarray, filters: Filters | None, k: int):
        from llama_index.core.vector_stores import VectorStoreQuery

        if self.store.count_chunks() == 0:
            return []
        query = VectorStoreQuery(query_embedding=qvec.tolist(), similarity_top_k=k,
                                 filters=to_metadata_filters(filters))
        result = self.store.vector_store.query(query)
        out = []
        for node, sim in zip(result.nodes, result.similarities, strict=True):
            # The adapter reports exp(-distance); with cosine space, cos = 1 - distance.
            cos = 1.0 + math.log(max(sim, 1e-12))
            out.append((node.node_id, node.get_content(), dict(node.metadata), cos))
        return out

    @staticmethod
    def _passage(cid: str, entry: dict, score: float) -> Passage:
        meta = entry["meta"]
        return Passage(chunk_id=cid, doc_id=str(meta.get("doc_id", "")), text=entry["text"],
                       start=int(meta.get("start") or 0), end=int(meta.get("end") or 0),
                       score=float(score), title=meta.get("title") or "",
                       date=meta.get("date") or "", source=meta.get("source") or "",
                       url=meta.get("url") or "", dense_score=entry.get("dense"),
                       bm25_score=entry.get("bm25"))


def to_metadata_filters(filters: Filters | None):
    from llama_index.core.vector_stores import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    if filters is None or filters.is_empty():
        return None
    parts = []
    if filters.since:
        parts.append(MetadataFilter(key="date_int", value=date_int(filters.since),
                                    operator=FilterOperator.GTE))
    if filters.until:
        parts.append(MetadataFilter(key="date_int", value=date_int(filters.until),
                                    operator=FilterOperator.LTE))
        parts.append(MetadataFilter(key="date_int", value=0, operator=FilterOperator.GT))
    if filters.sources:
        parts.append(MetadataFilter(key="source", value=list(filters.sources),
                                    operator=FilterOperator.IN))
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)


def _bm25_folder(settings) -> Path:
    if settings.chroma_host:
        name = f"bm25-{settings.chroma_host}-{settings.chroma_port}-{settings.collection}"
        return Path(settings.index_dir) / name
    return Path(settings.index_dir) / f"bm25-{settings.collection}"
