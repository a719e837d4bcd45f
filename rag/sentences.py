"""Sentence spans with character offsets (trained English Punkt, shipped by llama-index)."""

from __future__ import annotations

import re
import threading

_LOCK = threading.Lock()
_TOKENIZER = None
_PARAGRAPH = re.compile(r"\n\s*\n")


def _tokenizer():
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            # llama-index puts its bundled NLTK data on nltk's path when first asked for punkt;
            # the trained English model splits "U.S." and "Mr." correctly, the untrained one not.
            from llama_index.core.utils import globals_helper
            from nltk.tokenize.punkt import PunktTokenizer

            _ = globals_helper.punkt_tokenizer
            _TOKENIZER = PunktTokenizer("english")
        return _TOKENIZER


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``; paragraph breaks always end a sentence."""
    tok = _tokenizer()
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
