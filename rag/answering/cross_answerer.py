"""The extractive answerer with its best sentences read again by the cross-encoder.

The hand-set score (ExtractiveAnswerer.score) ranks every candidate sentence cheaply; the
``cross_candidates`` best are then read together with the question by the cross-encoder
(cross_encoder.py) and reordered by their hand-set score plus ``cross_weight`` times the gap of
their logit to the best logit: which sentence leads the answer changes. One it is sure of
(cross_lead_logit) leads when cross_lead_margin over the blend's first; once the articles
answer, one ranked first under the threshold leads when it does not doubt it and reads it
cross_lead_margin better than the one chosen (stop 34).

Whether the articles answer stays mostly the hand-set relevance's (its best logit told
answerable from unanswerable asks no better: benchmarks/README.md, stop 27), with one door
more each way: below its threshold, down to cross_rescue_score, a sentence answers when the
cross-encoder is sure of it (its logit at least cross_rescue_logit); just over it, below
cross_doubt_score, the chosen sentence does not when the cross-encoder doubts it (a logit under
cross_doubt_logit), unless one of its article that it prefers answers instead (stop 36). The
question's checks in constraints.py still apply.
"""

from __future__ import annotations

import re

import numpy as np

from .constraints import asks_a_common_kind
from .cross_encoder import load_scorer
from .extractive import Candidate, ExtractiveAnswerer, sentence_before

_PRONOUN = re.compile(r"\s*(?:It|Its|He|She|They|His|Her|Their|That|This|These|Those)\b")


def blend_order(picks, logits, weight: float, lead_logit: float = float("inf"),
                lead_margin: float = 0.0) -> list[int]:
    """The read-again sentences' order, best first: selection score plus ``weight`` times each
    logit's gap to the best logit; the best logit's sentence first when that logit is at least
    ``lead_logit`` and ``lead_margin`` over the first one's (a pure function: the answerer and
    benchmarks/train_cross.py's test use this one)."""
    logits = np.asarray(logits, dtype=np.float64)
    blend = np.asarray(picks, dtype=np.float64) + weight * (logits - logits.max())
    order = [int(i) for i in np.argsort(-blend, kind="stable")]
    sure = int(np.argmax(logits))
    if logits[sure] >= lead_logit and logits[sure] - logits[order[0]] >= lead_margin:
        order = [sure, *(i for i in order if i != sure)]
    return order


class CrossAnswerer(ExtractiveAnswerer):
    def __init__(self, embedder, settings, window_days: int = 7, scorer=None,
                 cache_dir=None):
        super().__init__(embedder, settings, window_days)
        self.scorer = scorer or load_scorer(weights=settings.cross_weights,
                                            cache_dir=cache_dir)

    @staticmethod
    def _read(c: Candidate) -> str:
        """What the cross-encoder reads of a sentence: one that opens with a pronoun ("It is
        304 metres long") after the sentence before it, since alone it names nothing of the
        topic and any sentence that does would outscore it."""
        before = sentence_before(c) if _PRONOUN.match(c.text) else None
        return f"{before.text} {c.text}" if before is not None else c.text

    def floor(self) -> float:
        return min(self.settings.cross_rescue_score, self.threshold())

    def _logit(self, question: str, c: Candidate) -> float:
        """The cross-encoder's logit for ``c``: the one score() read, else read now."""
        if c.logit is None:
            c.logit = float(self.scorer.scores(question, [self._read(c)])[0])
        return c.logit

    def sure(self, question: str, c: Candidate) -> bool:
        # Below the threshold, the question's words are few in the sentence; the
        # cross-encoder reading them together may still find that it answers.
        return self._logit(question, c) >= self.settings.cross_rescue_logit

    def doubts(self, question: str, best: Candidate, top: float) -> bool:
        # Just over the threshold, a sentence the cross-encoder reads as no answer does not
        # answer: the cross set's questions gather there (benchmarks/README.md, stop 29).
        s = self.settings
        return top < s.cross_doubt_score and self._logit(question, best) < s.cross_doubt_logit

    def prefers(self, question: str, c: Candidate, best: Candidate) -> bool:
        # Under the threshold and ranked before the chosen sentence (the blend put it there),
        # or of the doubted chosen sentence's article, one the cross-encoder does not doubt
        # and reads cross_lead_margin better answers better. Not read (beyond
        # cross_candidates): never.
        s = self.settings
        return c.logit is not None and c.logit >= s.cross_doubt_logit \
            and c.logit - self._logit(question, best) >= s.cross_lead_margin

    def score(self, question: str, qvec, cands: list[Candidate],
              boost_docs: set[str] | None = None, as_of: str | None = None) -> None:
        super().score(question, qvec, cands, boost_docs, as_of)
        s = self.settings
        top = sorted(cands, key=lambda c: c.pick, reverse=True)[:s.cross_candidates]
        if len(top) < 2:
            return
        logits = self.scorer.scores(question, [self._read(c) for c in top])
        for c, logit in zip(top, logits, strict=True):
            c.logit = float(logit)
        # "Which virus ...": the answer is a common noun ("monkeypox"), so a capitalised word
        # tells nothing of it and all are reordered.
        common = asks_a_common_kind(question)
        if top[0].typed and not common:
            # A sentence without an answer of the asked kind (no number for "how many") does
            # not overtake one with it: the hand-set check of the kind is exact where the
            # cross-encoder only learned that a sentence on the topic often answers.
            top = [c for c in top if c.typed]
        elif not common:
            # Led by one without it ("Charles has become Britain's new King ..." for who is
            # next in line), one with it joins the reordering when the cross-encoder reads it
            # as the better answer; the others keep their places.
            ahead = max(c.logit for c in top if not c.typed)
            top = [c for c in top if not c.typed or c.logit > ahead]
        if len(top) < 2:
            return
        logits = [c.logit for c in top]
        order = blend_order([c.pick for c in top], logits, s.cross_weight,
                            s.cross_lead_logit, s.cross_lead_margin)
        # The blend decides the order; the selection scores keep their scale (the read-again
        # sentences take the same values in the new order), so that the composition's ratios
        # (same_article_ratio: a second sentence of the article) mean what they meant.
        values = [c.pick for c in top]  # already best first
        for value, i in zip(values, order, strict=True):
            top[i].pick = value
