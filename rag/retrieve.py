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
        self.generation = ""
        self.retriever = None
        self.ids: list[str] = []
        self.date_ints = np.zeros(0, dtype=np.int64)
        self.sources: list[str] = []
        self.texts: list[str] = []
        self.metas: list[dict] = []
        self.vocab: dict[str, int] = {}

    def ensure(self, store: Store, generation: str) -> None:
        if self.generation == generation:
            return
        if not self._load(generation):
            self._build(store, generation)

    def _load(self, generation: str) -> bool:
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

    def _build(self, store: Store, generation: str) -> None:
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

    def idf(self, words: list[str]) -> dict[str, float]:
        """BM25 (Lucene) inverse document frequency of each indexed query word."""
        if self.retriever is None:
            return {}
        sc = self.retriever.scores
        indptr, n = sc["indptr"], max(1, int(sc.get("num_docs", len(self.ids))))
        out = {}
        for w in words:
            t = self.vocab.get(w)
            if t is None:
                continue
            df = int(indptr[t + 1] - indptr[t])
            out[w] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return out

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

    def refresh(self) -> BM25Index:
        """The BM25 index for the store's current state. A changed store gets a new BM25Index
        object, never an update in place, so a search holding the old one stays consistent."""
        with self._lock:
            generation = self.store.generation()
            if self.bm25.generation != generation:
                fresh = BM25Index(self.bm25.folder)
                fresh.ensure(self.store, generation)
                self.bm25 = fresh
            return self.bm25

    def search(self, query: str, filters: Filters | None = None, top_k: int | None = None,
               mode: str = "hybrid", query_vector: list[float] | None = None,
               as_of: str | None = None) -> list[Passage]:
        """Top passages for ``query``. mode: "hybrid" (default), "dense" or "bm25".

        ``as_of``: the date (YYYY-MM-DD) the question is asked "as of"; with
        settings.date_weight > 0, articles from the days before it rank higher.
        """
        top_k = top_k or self.settings.top_k
        bm25 = self.refresh()
        cands: dict[str, dict] = {}
        qvec = None
        if mode in ("hybrid", "dense"):
            qvec = np.asarray(query_vector if query_vector is not None
                              else self.embedder.embed_query(query), dtype=np.float32)
            for cid, text, meta, cos in self._dense(qvec, filters, self.settings.dense_k):
                cands[cid] = {"text": text, "meta": meta, "dense": cos}
        bm = None
        if mode in ("hybrid", "bm25") and bm25.ids:
            bm = bm25.scores(query)
            mask = bm25.mask(filters)
            if mask is not None:
                bm = np.where(mask, bm, -1.0)
            k = min(self.settings.bm25_k, len(bm))
            top = np.argpartition(-bm, k - 1)[:k] if k else []
            for i in top:
                if bm[i] <= 0:
                    continue
                cid = bm25.ids[i]
                entry = cands.setdefault(cid, {"text": bm25.texts[i],
                                               "meta": bm25.metas[i]})
                entry["bm25"] = float(bm[i])
        if not cands:
            return []
        if bm is not None:  # BM25 score of the dense-only candidates, for a fair fusion
            pos = {cid: i for i, cid in enumerate(bm25.ids)}
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
        if mode == "hybrid" and self.settings.sentence_weight > 0:
            self._rescore_sentences(bm25, query, cands, fused)
        if as_of and self.settings.date_weight > 0:
            ref = date_int(as_of)
            if ref:
                for cid, e in cands.items():
                    fused[cid] += self.settings.date_weight * recency_prior(
                        ref, int(e["meta"].get("date_int") or 0),
                        self.settings.date_window_days)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:top_k]
        return [self._passage(cid, cands[cid], score) for cid, score in ranked]

    def _rescore_sentences(self, bm25: BM25Index, query: str, cands: dict[str, dict],
                           fused: dict[str, float]) -> None:
        """Second stage: the best-fused candidates gain sentence_weight times the share of the
        question's word weight (BM25 IDF) that one of their sentences holds. A chunk that
        answers the question usually has one sentence that says most of it; a chunk that
        matches only because its words are spread over it does not."""
        from .sentences import sentence_spans

        idf = bm25.idf(list(dict.fromkeys(tokenize([query])[0])))
        total = sum(idf.values())
        if total <= 0:
            return
        top = sorted(fused, key=fused.get, reverse=True)[:self.settings.sentence_rescore_k]
        sents, owner = [], []
        for cid in top:
            text = cands[cid]["text"] or ""
            for a, b in sentence_spans(text):
                sents.append(text[a:b])
                owner.append(cid)
        if not sents:
            return
        best: dict[str, float] = {}
        for cid, words in zip(owner, tokenize(sents), strict=True):
            cover = sum(idf.get(w, 0.0) for w in set(words)) / total
            best[cid] = max(best.get(cid, 0.0), cover)
        for cid, cover in best.items():
            fused[cid] += self.settings.sentence_weight * cover

    def _fuse(self, cands: dict[str, dict], mode: str) -> dict[str, float]:
        """Mix the dense and BM25 scores of the candidates (settings.fusion):

        - "relative": min-max normalised scores mixed linearly ("relative score fusion"):
          unlike reciprocal rank fusion it keeps how far apart the candidates are;
        - "zscore": each score standardised over the candidates (mean 0, sd 1), then mixed
          (robust to one outlying score, which squeezes min-max);
        - "rrf": plain reciprocal rank fusion, 1 / (rrf_k + rank), for comparison.
        """
        w = {"dense": 1.0, "bm25": 0.0} if mode == "dense" else (
            {"dense": 0.0, "bm25": 1.0} if mode == "bm25" else
            {"dense": self.settings.dense_weight, "bm25": 1.0 - self.settings.dense_weight})
        fusion = self.settings.fusion if mode == "hybrid" else "relative"
        out = {cid: 0.0 for cid in cands}
        for key, weight in w.items():
            if weight == 0:
                continue
            ids = list(cands)
            vals = np.array([cands[c].get(key, 0.0) for c in ids], dtype=np.float64)
            if fusion == "rrf":
                order = np.argsort(-vals, kind="stable")
                norm = np.empty(len(ids))
                norm[order] = 1.0 / (self.settings.rrf_k + 1 + np.arange(len(ids)))
            elif fusion == "zscore":
                sd = vals.std()
                norm = (vals - vals.mean()) / sd if sd > 1e-9 else np.zeros(len(ids))
            else:
                lo, span = vals.min(), vals.max() - vals.min()
                norm = (vals - lo) / span if span > 1e-9 else np.ones(len(ids))
            for cid, v in zip(ids, norm, strict=True):
                out[cid] += weight * float(v)
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


def recency_prior(ref: int, when: int, window_days: int) -> float:
    """1 for an article dated in the ``window_days`` before the reference date (or on it),
    decaying with each further day before the window; 0 for undated or later articles."""
    from datetime import date

    if not when or not ref:
        return 0.0
    try:
        a = date(when // 10000, when // 100 % 100, when % 100)
        r = date(ref // 10000, ref // 100 % 100, ref % 100)
    except ValueError:
        return 0.0
    days = (r - a).days
    if days < 0:
        return 0.0
    if days <= window_days:
        return 1.0
    return math.exp(-(days - window_days) / max(1.0, window_days))


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
