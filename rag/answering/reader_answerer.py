"""The reader's answerer: the learned sentence scores (reader.py) decide which sentences answer
and whether any does; the question's constraints (constraints.py) decide whether the best one
answers what was asked or only something near it. Three outcomes:

- ``answered``: the sentence that holds the answer leads, with its answer phrase marked
  (``Citation.focus_start/end``); another sentence follows only when it adds something of the
  kind the question asks for;
- ``related``: the articles speak of it but do not say this: "The articles do not answer
  “...”; closest:" and the closest sentences, cited;
- ``none``: "The articles do not contain an answer to this question."
"""

from __future__ import annotations

import numpy as np

from ..dates import date_int
from ..types import ABSTAIN_TEXT, Answer, Passage
from .constraints import check, restates
from .extractive import Candidate, ExtractiveAnswerer, answer_phrases, compose, related_answer
from .question import answer_type, question_words, refers_to_recent
from .reader import FEATURES, featurize, load_model, sentence_contexts

ANSWERED, NONE = "answered", "none"


class ReaderAnswerer(ExtractiveAnswerer):
    def __init__(self, embedder, settings, window_days: int = 7, idf=None, model=None):
        super().__init__(embedder, settings, window_days)
        self.idf = idf
        self.model = model or load_model(settings.reader_weights)
        meta = self.model.meta
        self.threshold = (settings.reader_threshold if settings.reader_threshold >= 0
                          else float(meta.get("threshold", 0.5)))
        self.related = (settings.related_threshold if settings.related_threshold >= 0
                        else float(meta.get("related_threshold", 0.25)))

    def score(self, question: str, qvec, cands: list[Candidate],
              boost_docs: set[str] | None = None, as_of: str | None = None,
              passages: list[Passage] | None = None) -> None:
        if not cands:
            return
        super().score(question, qvec, cands, boost_docs, as_of)  # the hand-set score: a feature
        rules = [c.pick for c in cands]
        svecs = self.embed_sentences([c.text for c in cands])
        ctxs = sentence_contexts(passages or [c.passage for c in cands], cands)
        x = featurize(question, qvec, svecs, ctxs, idf=self.idf, as_of=as_of,
                      boost_docs=boost_docs, window_days=self.window_days, rules=rules)
        probs = self.model.probs(x)
        fresh = x[:, FEATURES.index("fresh")]
        for c, p, v, ctx, f in zip(cands, probs, svecs, ctxs, fresh, strict=True):
            c.score = c.pick = float(p)
            c.vec = v
            c.ctx = ctx
            c.fresh = float(f) if as_of else 1.0

    def answer(self, question: str, passages: list[Passage], qvec=None,
               boost_docs: set[str] | None = None, as_of: str | None = None) -> Answer:
        if qvec is None:
            qvec = self.embedder.embed_query(question)
        cands = self.candidates(passages)
        self.score(question, qvec, cands, boost_docs, as_of, passages)
        notice = ""
        if as_of and date_int(as_of) and refers_to_recent(question):
            cands = [c for c in cands if c.fresh >= 0.5]
            if not cands:
                notice = (f"No article from the {self.window_days} days before {as_of} answers "
                          "this; older ones are not used for a question about recent events.")
        if not cands:
            return _none(question, passages, notice)
        cands.sort(key=lambda c: c.score, reverse=True)
        why = ""
        for c in cands:
            if c.score < self.threshold:
                break
            verdict = check(question, c.text, f"{c.ctx.before} {c.ctx.after}", c.ctx.doc_text,
                            c.passage.date)
            if verdict.ok:
                return self.compose_answer(question, c, cands, passages)
            why = why or verdict.reason
        if cands[0].score >= self.related:
            return self.compose_related(question, cands, passages, why)
        return _none(question, passages, notice)

    def compose_answer(self, question: str, best: Candidate, cands: list[Candidate],
                       passages: list[Passage]) -> Answer:
        """The best sentence, then others of its article only if they add what is asked."""
        s = self.settings
        kind = answer_type(question)
        qw = question_words(question)
        chosen = [best]
        told = answer_phrases(question, best.text)
        for c in cands:
            if len(chosen) >= s.max_answer_sentences or c.score < max(
                    self.threshold, s.same_article_ratio * best.score):
                break
            if c is best or c.passage.doc_id != best.passage.doc_id or _fragment(c.text):
                continue
            if any(float(c.vec @ o.vec) > s.redundancy_cosine for o in chosen):
                continue  # says the same thing again
            phrase = answer_phrases(question, c.text)
            if kind.value == "other" or not phrase or phrase <= told or all(
                    p.lower() in qw for p in phrase):
                continue  # adds nothing the question asks for
            told |= phrase
            chosen.append(c)
        chosen.sort(key=lambda c: (c is not best, c.start))
        answer = compose(question, chosen, passages)
        answer.status = ANSWERED
        return answer

    def compose_related(self, question: str, cands: list[Candidate], passages: list[Passage],
                        why: str) -> Answer:
        """The articles speak of it but do not say it: the closest sentences, cited."""
        closest: list[Candidate] = []
        for c in cands:
            if len(closest) >= 2 or c.score < self.related:
                break
            if _fragment(c.text) or restates(question, c.text) or any(
                    float(c.vec @ o.vec) > 0.85 for o in closest):
                continue
            closest.append(c)
        return related_answer(question, closest, passages, why, focus=False)


def _fragment(text: str) -> bool:
    """A piece of a sentence, not a sentence: starts in lower case or is a few words long."""
    first = next((ch for ch in text if ch.isalnum() or ch in "“\"‘'"), "")
    return (first.isalpha() and first.islower()) or len(text.split()) < 4


def _none(question: str, passages: list[Passage], notice: str = "") -> Answer:
    return Answer(question=question, text=ABSTAIN_TEXT, citations=[], abstained=True,
                  passages=passages, notice=notice, status=NONE)


def top_sentence_scores(answerer: ReaderAnswerer, question: str, qvec,
                        passages: list[Passage]) -> np.ndarray:
    """The best sentence score of each passage (for the reader as a retrieval stage)."""
    cands = answerer.candidates(passages, max_passages=len(passages))
    answerer.score(question, qvec, cands, passages=passages)
    best = {}
    for c in cands:
        best[c.passage.chunk_id] = max(best.get(c.passage.chunk_id, 0.0), c.score)
    return np.array([best.get(p.chunk_id, 0.0) for p in passages])
