"""Extractive answers: pick the retrieved sentences that answer the question, cite each one.

No LLM: every sentence of the answer is a verbatim sentence of an article, so each citation's
quote is exact at its offsets. When no sentence answers well enough, abstain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .retrieve import tokenize
from .sentences import sentence_spans
from .types import Answer, AnswerSentence, Citation, Passage

ABSTAIN_TEXT = "The articles do not contain an answer to this question."
_MIN_CHARS = 25
_MAX_CHARS = 1200


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the article
    end: int
    text: str
    rank: int
    score: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    vec: object = None


class ExtractiveAnswerer:
    def __init__(self, embedder, settings):
        self.embedder = embedder
        self.settings = settings
        # Weights of the sentence score: embedding similarity to the question, share of the
        # question's content words in the sentence, and the passage's retrieval score.
        self.w_dense, self.w_lex, self.w_passage = 0.55, 0.30, 0.15

    def candidates(self, passages: list[Passage], max_passages: int = 6) -> list[Candidate]:
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for rank, p in enumerate(passages[:max_passages]):
            for a, b in sentence_spans(p.text):
                key = (p.doc_id, p.start + a)
                text = p.text[a:b]
                if key in seen or not (_MIN_CHARS <= len(text) <= _MAX_CHARS):
                    continue
                if sum(ch.isalpha() for ch in text) < 0.5 * len(text):
                    continue  # tables and figures read badly as answers
                seen.add(key)
                out.append(Candidate(p, p.start + a, p.start + b, text, rank))
        return out

    def score(self, question: str, qvec, cands: list[Candidate],
              boost_docs: set[str] | None = None) -> None:
        if not cands:
            return
        vecs = np.asarray(self.embedder.embed_texts([c.text for c in cands]), dtype=np.float32)
        q = np.asarray(qvec, dtype=np.float32)
        dense = vecs @ q
        qwords = set(tokenize([question])[0])
        top_passage = max(c.passage.score for c in cands) or 1.0
        for c, d, v in zip(cands, dense, vecs, strict=True):
            words = set(tokenize([c.text])[0])
            c.dense = float(d)
            c.lexical = len(qwords & words) / len(qwords) if qwords else 0.0
            c.score = (self.w_dense * c.dense + self.w_lex * c.lexical
                       + self.w_passage * (c.passage.score / top_passage))
            if boost_docs and c.passage.doc_id in boost_docs:
                c.score += 0.05
            c.vec = v  # for redundancy checks

    def answer(self, question: str, passages: list[Passage], qvec=None,
               boost_docs: set[str] | None = None) -> Answer:
        if qvec is None:
            qvec = self.embedder.embed_query(question)
        cands = self.candidates(passages)
        self.score(question, qvec, cands, boost_docs)
        cands.sort(key=lambda c: c.score, reverse=True)
        if not cands or cands[0].score < self.settings.min_answer_score:
            return Answer(question=question, text=ABSTAIN_TEXT, citations=[], abstained=True,
                          passages=passages)
        best = cands[0]
        chosen = [best]
        for c in cands[1:]:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if c.score < max(self.settings.min_answer_score, 0.85 * best.score):
                break
            if any(float(c.vec @ o.vec) > 0.85 for o in chosen):
                continue  # says the same thing again
            chosen.append(c)
        return compose(question, chosen, passages)


def compose(question: str, chosen: list[Candidate], passages: list[Passage]) -> Answer:
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    parts = []
    for n, c in enumerate(chosen, 1):
        p = c.passage
        citations.append(Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date,
                                  source=p.source, url=p.url, quote=c.text, start=c.start,
                                  end=c.end))
        flat = " ".join(c.text.split())
        sentences.append(AnswerSentence(text=flat, citations=[n]))
        parts.append(f"{flat} [{n}]")
    return Answer(question=question, text=" ".join(parts), citations=citations,
                  abstained=False, passages=passages, sentences=sentences)
