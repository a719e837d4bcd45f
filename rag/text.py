"""Text helpers shared by every part: the keyword tokenizer and sentence spans.

One tokenizer (bm25s with English stop words and the Snowball stemmer) for keyword search,
sentence scores and answer checks, so that a word counts the same everywhere; one sentence
segmenter for chunk boundaries and answer sentences.
"""

from __future__ import annotations

import re
import threading

_LOCK = threading.Lock()
_SEGMENTER = None
_STEMMER = None
_PARAGRAPH = re.compile(r"\n\s*\n")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop words dropped, stemmed: the keyword index's tokens of each text."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), show_progress=False,
                          return_ids=False)


def _stemmer():
    global _STEMMER
    with _LOCK:
        if _STEMMER is None:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("english")
        return _STEMMER


def _segmenter():
    global _SEGMENTER
    with _LOCK:
        if _SEGMENTER is None:
            # llama-index puts its bundled NLTK data on nltk's path when first asked for punkt;
            # the trained English model splits "U.S." and "Mr." correctly, the untrained one not.
            from llama_index.core.utils import globals_helper
            from nltk.tokenize.punkt import PunktTokenizer

            _ = globals_helper.punkt_tokenizer
            _SEGMENTER = PunktTokenizer("english")
        return _SEGMENTER


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed, so that
    ``text[start:end]`` is the sentence; a blank line always ends a sentence."""
    tok = _segmenter()
    spans = []
    pos = 0
    for para in [*_PARAGRAPH.finditer(text), None]:
        end = para.start() if para else len(text)
        block = text[pos:end]
        for a, b in tok.span_tokenize(block):
            seg = block[a:b]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            if b - trail > a + lead:
                spans.append((pos + a + lead, pos + b - trail))
        if para:
            pos = para.end()
    return spans


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]
