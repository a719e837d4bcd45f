"""Stage: the reader's sentence scores rerank the best candidates (off by default; name it in
RAG_STAGES, e.g. "sentence,date,reader"). Each of the ``top_k`` best candidates gains
``weight`` times the probability the reader gives its best sentence of holding the answer."""

from __future__ import annotations

from .base import Candidate, Query


class ReaderStage:
    name = "reader"

    def __init__(self, embedder, weight: float = 1.0, top_k: int = 20):
        from ..answering.reader_answerer import ReaderAnswerer
        from ..config import AnswerSettings

        self.weight = weight
        self.top_k = top_k
        self.reader = ReaderAnswerer(embedder, AnswerSettings())

    def apply(self, query: Query, cands: list[Candidate], keyword) -> None:
        if self.weight <= 0 or query.vector is None or not cands:
            return
        from ..answering.reader_answerer import top_sentence_scores

        top = sorted(cands, key=lambda c: c.score, reverse=True)[:self.top_k]
        passages = [c.chunk.passage(c.score, c.dense, c.keyword) for c in top]
        self.reader.idf = keyword.idf if keyword is not None else None
        probs = top_sentence_scores(self.reader, query.text, query.vector, passages)
        for c, p in zip(top, probs, strict=True):
            c.score += self.weight * float(p)


def create(settings, embedder=None) -> ReaderStage:
    return ReaderStage(embedder, settings.reader_weight, settings.reader_rescore_k)

