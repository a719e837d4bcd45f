"""The step after ranking: a passage that opens by pointing back gets the sentence before it.

A chunk starts at a sentence boundary, and its overlap with the chunk before is often shorter
than a sentence, so a passage can open with "He will become the first ..." or "That’s how much
plastic ... is recycled" while the name or the figure it points to ends the chunk before. Such
a passage is widened back to the start of that sentence, so that the answer can quote it.
The text comes from the article as stored (one read by id for the few passages concerned);
offsets stay the article's, so a quote is still exactly article.text[start:end].
"""

from __future__ import annotations

from dataclasses import replace

from ..text import points_back, sentence_spans
from ..types import Passage

_LOOK_BACK = 2000  # characters read before the passage: longer than any sentence quoted


def widen(passages: list[Passage], store) -> list[Passage]:
    """``passages`` with each one that opens by pointing back widened to the sentence before
    it (read from its article's stored text); the others as they are."""
    texts: dict[str, str | None] = {}
    out = []
    for p in passages:
        if p.start > 0 and points_back(p.text):
            if p.doc_id not in texts:
                article = store.get_article(p.doc_id)
                texts[p.doc_id] = article.text if article else None
            # twice at most: the sentence before may point back too ("She ... They ...")
            p = _widened(p, texts[p.doc_id])
            if points_back(p.text):
                p = _widened(p, texts[p.doc_id])
        out.append(p)
    return out


def _widened(p: Passage, text: str | None) -> Passage:
    if text is None or text[p.start:p.end] != p.text:
        return p  # the article changed since: leave the passage as retrieved
    lo = max(0, p.start - _LOOK_BACK)
    spans = sentence_spans(text[lo:p.start])
    if not spans:
        return p
    a, b = spans[-1]
    if text[lo + b:p.start].strip() or (a == 0 and lo > 0):
        return p  # the passage starts mid-sentence, or the sentence is longer than the look
    return replace(p, text=text[lo + a:p.end], start=lo + a, lead=p.lead + p.start - (lo + a))
