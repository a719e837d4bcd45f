"""Evaluation metrics as pure functions (defined in docs/metrics.md; unit-tested)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

KS = (1, 3, 5, 10)
DEPTH = 10  # article-level ranking depth for MRR, nDCG and recall

# --- normalisation and metric functions (pure, unit-tested) -----------------------------------

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
                         "\u2032": "'", "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
                         "\u2013": "-", "\u2014": "-"})
_CITE_MARK = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_ARTICLES = {"a", "an", "the"}


def normalise(text: str) -> str:
    """Lower case, curly quotes made straight, punctuation to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).lower()
    text = "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch
                   for ch in text)
    return " ".join(text.split())


def strip_citation_marks(text: str) -> str:
    return _CITE_MARK.sub(" ", text or "")


def contains_answer(text: str, answers: list[str]) -> bool:
    """True when a normalised gold answer occurs in the normalised text, on word boundaries."""
    hay = f" {normalise(strip_citation_marks(text))} "
    return any(f" {a} " in hay for a in (normalise(x) for x in answers) if a)


def phrase_is_answer(phrase: str, answers: list[str]) -> bool:
    """Whether a marked answer phrase is a gold answer: it holds all of a gold answer's words,
    or some of them with its last ("Chick-fil-A's" for "Chick-fil-A", "Ron DeSantis" for
    "Florida Gov. Ron DeSantis", "Avalanche" for "Colorado Avalanche"; not "US" for "US
    Open")."""
    got = set(normalise(phrase).split())
    for answer in answers:
        gold = normalise(answer).split()
        if gold and got and (set(gold) <= got or (got <= set(gold) and gold[-1] in got)):
            return True
    return False


def _f1_tokens(text: str) -> list[str]:
    return [w for w in normalise(text).split() if w not in _ARTICLES]


def token_f1(prediction: str, answers: list[str]) -> float:
    """SQuAD-style token F1 of the prediction against its best-matching gold answer."""
    pred = _f1_tokens(strip_citation_marks(prediction))
    best = 0.0
    for answer in answers:
        gold = _f1_tokens(answer)
        if not pred or not gold:
            best = max(best, float(pred == gold))
            continue
        common = sum((Counter(pred) & Counter(gold)).values())
        if common:
            p, r = common / len(pred), common / len(gold)
            best = max(best, 2 * p * r / (p + r))
    return best


def unique_in_order(items) -> list:
    seen: set = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def hit_at_k(ranked: list[str], gold, k: int) -> float:
    gold = set(gold)
    return float(any(d in gold for d in ranked[:k]))


def first_gold_rank(ranked: list[str], gold) -> int | None:
    """1-based rank of the first gold article, or None."""
    gold = set(gold)
    for i, d in enumerate(ranked, 1):
        if d in gold:
            return i
    return None


def mrr_at_k(ranked: list[str], gold, k: int = DEPTH) -> float:
    r = first_gold_rank(ranked[:k], gold)
    return 1.0 / r if r else 0.0


def ndcg_at_k(ranked: list[str], gold, k: int = DEPTH) -> float:
    """Binary-relevance nDCG: DCG of the ranking over DCG of a ranking with every gold first."""
    gold = set(gold)
    if not gold:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal


def recall_at_k(ranked: list[str], gold, k: int = DEPTH) -> float:
    gold = set(gold)
    if not gold:
        return 0.0
    return len(gold & set(ranked[:k])) / len(gold)


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0-100), as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _r(x, nd: int = 4):
    return None if x is None else round(float(x), nd)

