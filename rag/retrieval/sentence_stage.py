"""Stage: the best fused candidates gain for holding one sentence that says most of the query.

A chunk that answers a question usually has one sentence holding most of the question's word
weight (BM25 IDF); a chunk that matches only because its words are spread over it does not.
The ``top_k`` best candidates gain ``weight`` times that share. Hybrid mode only.
"""

from __future__ import annotations

from ..config import RetrievalMode
from ..text import sentence_spans, tokenize
from .base import Candidate, Query


class SentenceRescorer:
    name = "sentence"

    def __init__(self, weight: float = 0.3, top_k: int = 30):
        self.weight = weight
        self.top_k = top_k

    def apply(self, query: Query, cands: list[Candidate], keyword) -> None:
        if self.weight <= 0 or query.mode is not RetrievalMode.HYBRID or keyword is None:
            return
        idf = keyword.idf(list(dict.fromkeys(tokenize([query.text])[0])))
        total = sum(idf.values())
        if total <= 0:
            return
        top = sorted(cands, key=lambda c: c.score, reverse=True)[:self.top_k]
        sents, owner = [], []
        for c in top:
            text = c.chunk.text or ""
            for a, b in sentence_spans(text):
                sents.append(text[a:b])
                owner.append(c)
        if not sents:
            return
        best: dict[int, float] = {}
        for c, words in zip(owner, tokenize(sents), strict=True):
            cover = sum(idf.get(w, 0.0) for w in set(words)) / total
            best[id(c)] = max(best.get(id(c), 0.0), cover)
        for c in top:
            if id(c) in best:
                c.score += self.weight * best[id(c)]


def create(settings, embedder=None) -> SentenceRescorer:
    return SentenceRescorer(settings.sentence_weight, settings.sentence_rescore_k)
