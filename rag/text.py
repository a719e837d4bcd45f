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


_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's token pattern
# bm25s's English stop words (stopwords="en" in bm25s 0.3.16), so that tokenising needs neither
# bm25s nor numpy; tests/test_text.py checks that the tokens equal bm25s.tokenize's.
STOPWORDS_EN = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with"))
_STEMS: dict[str, str] = {}  # word -> stem, "" for a stop word
_MAX_STEMS = 1_000_000  # about 150 MB: bounds a long-running process


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop words dropped, stemmed (Snowball English): the keyword index's tokens
    of each text, the same as ``bm25s.tokenize(texts, stopwords="en", stemmer=...)`` but with
    a word cache, which makes indexing a million chunks several times faster."""
    stems = _STEMS
    out = []
    for text in texts:
        words = _WORD.findall(text.lower())
        try:
            out.append([t for t in map(stems.__getitem__, words) if t])
        except KeyError:
            out.append([t for t in _stem_all(words) if t])
    return out


def _stem_all(words: list[str]) -> list[str]:
    stemmer = _stemmer()
    with _LOCK:  # a PyStemmer object is not thread-safe
        if len(_STEMS) > _MAX_STEMS:
            _STEMS.clear()
        for w in words:
            if w not in _STEMS:
                _STEMS[w] = "" if w in STOPWORDS_EN else stemmer.stemWord(w)
        return [_STEMS[w] for w in words]


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
