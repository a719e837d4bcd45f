"""The retrieval door: dense and keyword candidates, fused, then adjusted by stages.

    retriever = Retriever(store, embedder, keyword_index, settings.retrieval)
    passages = retriever.search(Query("What did operation Ikaros achieve?"))

Parts: ``dense.py`` (the store's nearest neighbours), ``keyword.py`` (the KeywordIndex
Protocol and its registry; ``bm25s_index.py`` is the default), ``fusion.py`` (pure functions),
and stages (the ``Stage`` Protocol in base.py), applied in the order of
``settings.retrieval.stages``: ``sentence_stage.py`` and ``date_stage.py``. A reranker is
one more stage file, registered in ``STAGES``. After the stages, near-duplicate copies of one
story give way to one copy (``story_collapse.py``, ``settings.retrieval.collapse_stories``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from ..config import Fusion, RetrievalMode
from ..types import ConfigError, Passage
from .base import Candidate, Query, Stage
from .dense import dense_candidates, fill_dense
from .fusion import fuse, mode_weights
from .keyword import (
    KeywordIndex,
    KeywordIndexDamaged,
    KeywordSearcher,
    open_keyword_index,
    register_keyword_index,
)
from .lead_in import widen
from .story_collapse import collapse

__all__ = ["Candidate", "KeywordIndex", "KeywordSearcher", "Query", "Retriever", "STAGES",
           "Stage", "open_keyword_index", "register_keyword_index", "register_stage"]

# name -> "module:function" taking (RetrievalSettings, embedder) and returning a Stage
STAGES: dict[str, str | Callable] = {
    "sentence": "rag.retrieval.sentence_stage:create",
    "date": "rag.retrieval.date_stage:create",
    "reader": "rag.retrieval.reader_stage:create",
}


def register_stage(name: str, factory: Callable) -> None:
    STAGES[name] = factory


def make_stages(settings, embedder=None) -> list[Stage]:
    out = []
    # "," or "+" between names ("+" inside a `rag eval` configuration, whose pairs use ",")
    for name in [s.strip() for s in settings.stages.replace("+", ",").split(",") if s.strip()]:
        target = STAGES.get(name)
        if target is None:
            raise ConfigError(f"RAG_STAGES: unknown stage {name!r}; known: {', '.join(STAGES)}")
        if isinstance(target, str):
            module, _, func = target.partition(":")
            target = getattr(importlib.import_module(module), func)
        out.append(target(settings, embedder))
    return out


class Retriever:
    def __init__(self, store, embedder, keyword: KeywordIndex, settings,
                 stages: list[Stage] | None = None, stories=None):
        self.store = store
        self.stories = stories  # a rag.stories.StoryLookup (None: no story collapse)
        self.embedder = embedder
        self.keyword = keyword
        self.settings = settings
        self.stages = make_stages(settings, embedder) if stages is None else stages

    def search_within(self, query: Query, doc_ids: list[str]) -> list[Passage]:
        """The top passages of these articles only (every chunk of them is a candidate)."""
        chunks = self.store.chunks_of(doc_ids)
        return self._retrying(lambda: self._rank(query, {c.id: Candidate(c) for c in chunks},
                                                 self.keyword.searcher(self.store), scoped=True))

    def search(self, query: Query) -> list[Passage]:
        """The top passages for ``query`` (``query.top_k``, else settings.top_k)."""
        return self._retrying(lambda: self._rank(query, {}, self.keyword.searcher(self.store)))

    @staticmethod
    def _retrying(run):
        try:
            return run()
        except KeywordIndexDamaged:  # its files were discarded: the next searcher rebuilds
            return run()

    def _rank(self, query: Query, cands: dict[str, Candidate], searcher,
              scoped: bool = False) -> list[Passage]:
        s = self.settings
        mode = RetrievalMode(query.mode)
        query.mode = mode
        if query.vector is None and mode is not RetrievalMode.BM25:
            query.vector = self.embedder.embed_query(query.text)
        if scoped:
            if searcher.size:
                for cid, score in searcher.scores_for(query.text, list(cands)).items():
                    cands[cid].keyword = score
            return self._finish(query, cands, searcher, mode)
        if mode in (RetrievalMode.HYBRID, RetrievalMode.DENSE):
            cands = dense_candidates(self.store, query, s.dense_k)
        if mode in (RetrievalMode.HYBRID, RetrievalMode.BM25) and searcher.size:
            for chunk, score in searcher.search(query.text, query.filters, s.bm25_k):
                cands.setdefault(chunk.id, Candidate(chunk)).keyword = score
            # The keyword score of the candidates only dense search found: a fair fusion.
            missing = [cid for cid, c in cands.items() if c.keyword is None]
            for cid, score in searcher.scores_for(query.text, missing).items():
                cands[cid].keyword = score
        return self._finish(query, cands, searcher, mode)

    def _finish(self, query: Query, cands: dict[str, Candidate], searcher,
                mode: RetrievalMode) -> list[Passage]:
        s = self.settings
        if not cands:
            return []
        if mode is not RetrievalMode.BM25:
            fill_dense(self.store, query, cands)
        ranked = list(cands.values())
        method = s.fusion if mode is RetrievalMode.HYBRID else Fusion.RELATIVE
        fused = fuse({"dense": np.array([c.dense or 0.0 for c in ranked]),
                      "keyword": np.array([c.keyword or 0.0 for c in ranked])},
                     mode_weights(mode, s.dense_weight), method, s.rrf_k)
        for c, score in zip(ranked, fused, strict=True):
            c.score = float(score)
        for stage in self.stages:
            stage.apply(query, ranked, searcher)
        ranked.sort(key=lambda c: c.score, reverse=True)
        if self.stories is not None and s.collapse_stories:
            ranked = collapse(ranked, self.stories)
        passages = [c.chunk.passage(c.score, c.dense, c.keyword)
                    for c in ranked[:query.top_k or s.top_k]]
        return widen(passages, self.store) if s.lead_in else passages
