"""The learned reader: which retrieved sentence answers the question, and whether any does.

A small model (one hidden layer, weights in ``reader_weights.json``, trained by
``benchmarks/train_reader.py`` from ../shared/datasets alone) scores each candidate sentence
from features of the question, the sentence, its passage and its article: embedding
similarity, word and IDF coverage (in the sentence and around it), the kind of answer the
question asks for and whether the sentence holds one that the question does not already say,
names and numbers of the question found in the sentence and its article, the passage's
retrieval scores and rank, freshness for an as_of question. Its output is the probability that
the sentence holds the answer: the answerer picks by it and decides by it whether to answer.

Features are computed here and only here, for training and for answering alike.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..dates import date_int, recency_prior
from ..text import tokenize
from ..types import ConfigError
from .question import AnswerType, answer_type, question_words

# Shipped weights, by name (benchmarks/train_reader.py writes both).
WEIGHTS = {"calibrated": Path(__file__).with_name("reader_weights.json"),
           "full": Path(__file__).with_name("reader_weights_full.json")}

_CAP = re.compile(r"\b[A-Z][A-Za-z'’.-]*[A-Za-z]\b|\b[A-Z]{2,}\b")
_NUM = re.compile(r"\d[\d,.]*\d|\d")
_CARDINAL = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                       r"|dozen|hundred|thousand|million|billion|trillion|half|quarter)\b", re.I)
_CALENDAR = re.compile(r"\b(january|february|march|april|may|june|july|august|september"
                       r"|october|november|december|monday|tuesday|wednesday|thursday|friday"
                       r"|saturday|sunday|today|yesterday|tomorrow)\b", re.I)
_QUOTED = re.compile(r"[“\"][^”\"]{2,80}[”\"]")
_START_WORDS = frozenset(
    "the a an i in on at but and or it he she they we you this that these those his her their "
    "its our my your as for if when while after before mr ms mrs dr so there what who which "
    "where how why not no yes also still then now here both some many most all".split())

FEATURES = [
    "dense", "dense_gap", "lex", "idf_cov", "idf_cov_gap", "ctx_idf_cov", "idf_cov_doc",
    "passage_rel", "passage_rank", "passage_dense", "passage_kw",
    "t_quantity", "t_time", "t_entity", "t_other",
    "new_num", "new_time", "new_name", "new_quote", "typed",
    "q_names_sent", "q_names_doc", "q_nums_sent", "q_nums_doc",
    "len_words",
    "fresh", "fresh_gap", "boosted", "doc_best_dense",
    "nb_cov_max", "title_cov", "dense_rank", "cov_rank", "lex_rank", "q_len",
    "rules", "rules_gap", "bias",
]


@dataclass
class SentenceContext:
    """What the features of one candidate need beyond its own text."""

    text: str
    doc_id: str
    start: int  # offset in the article
    rank: int  # its passage's rank
    passage_score: float
    passage_dense: float | None
    passage_kw: float | None
    passage_date: str
    before: str = ""  # the neighbouring sentences in its passage
    after: str = ""
    doc_text: str = ""  # the text of its article's retrieved passages, joined
    title: str = ""  # its article's title
    extra: dict = field(default_factory=dict)


def sentence_contexts(passages, cands) -> list[SentenceContext]:
    """The context of each candidate: its neighbours in its passage, and the retrieved text of
    its article (every passage of it, joined)."""
    from ..text import sentence_spans

    doc_text: dict[str, str] = {}
    for p in passages:
        doc_text[p.doc_id] = (doc_text.get(p.doc_id, "") + " " + p.text).strip()
    spans = {p.chunk_id: sentence_spans(p.text) for p in passages}
    out = []
    for c in cands:
        p = c.passage
        sp = spans[p.chunk_id]
        # the span that holds it (a caption's candidate starts after its photo credit)
        i = next((k for k, (a, b) in enumerate(sp) if p.start + a <= c.start < p.start + b),
                 None)
        before = p.text[sp[i - 1][0]:sp[i - 1][1]] if i else ""
        after = p.text[sp[i + 1][0]:sp[i + 1][1]] if i is not None and i + 1 < len(sp) else ""
        out.append(SentenceContext(c.text, p.doc_id, c.start, c.rank, p.score, p.dense_score,
                                   p.bm25_score, p.date, before, after, doc_text[p.doc_id],
                                   p.title))
    return out


def _names(text: str) -> set[str]:
    """Capitalised words that are likely names (not the sentence's first word, not function
    words), lower-cased."""
    out = set()
    for m in _CAP.finditer(text):
        w = m.group(0).strip(".").lower()
        if w in _START_WORDS or len(w) < 2:
            continue
        out.add(w)
    return out


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUM.findall(text)}


def _question_names(question: str) -> set[str]:
    words = question.split()
    body = " ".join(words[1:]) if words else ""  # the first word is capitalised anyway
    return _names(body)


def featurize(question: str, qvec, svecs: np.ndarray, ctxs: list[SentenceContext],
              idf: Callable[[list[str]], dict[str, float]] | None = None,
              as_of: str | None = None, boost_docs: set[str] | None = None,
              window_days: int = 7, rules=None) -> np.ndarray:
    """One row of FEATURES per candidate sentence (float32). ``rules``: each sentence's
    hand-set score (ExtractiveAnswerer.score's ``pick``), one feature among the others."""
    n = len(ctxs)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    q = np.asarray(qvec, dtype=np.float32)
    dense = svecs @ q
    qtok = list(dict.fromkeys(tokenize([question])[0]))
    toks = tokenize([c.text for c in ctxs])
    ctx_toks = tokenize([f"{c.before} {c.text} {c.after}" for c in ctxs])
    doc_tok = {}
    for c in ctxs:
        if c.doc_id not in doc_tok:
            doc_tok[c.doc_id] = set(tokenize([c.doc_text or c.text])[0])
    weights = idf(qtok) if idf else {}
    # Words the keyword index has never seen carry the most weight (a rare name).
    top = max(weights.values(), default=1.0)
    w = {t: weights.get(t, top) for t in qtok}
    total = sum(w.values()) or 1.0
    kind = answer_type(question)
    qw = question_words(question)
    qnames = _question_names(question)
    qnums = _numbers(question)
    scores = np.array([c.passage_score for c in ctxs], dtype=np.float64)
    lo, span = scores.min(), scores.max() - scores.min()
    ref = date_int(as_of or "")
    per_doc: dict[str, int] = {}
    best_doc_dense: dict[str, float] = {}
    for c, d in zip(ctxs, dense, strict=True):
        per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
        best_doc_dense[c.doc_id] = max(best_doc_dense.get(c.doc_id, -1.0), float(d))
    nb_toks = tokenize([c.before for c in ctxs] + [c.after for c in ctxs])
    title_toks = tokenize([c.title or "" for c in ctxs])
    rows = np.zeros((n, len(FEATURES)), dtype=np.float32)
    cov = np.zeros(n)
    lexes = np.zeros(n)
    for i, (c, t, ct) in enumerate(zip(ctxs, toks, ctx_toks, strict=True)):
        st, cst = set(t), set(ct)
        cov[i] = sum(w[x] for x in qtok if x in st) / total
        nb_cov = max(sum(w[x] for x in qtok if x in set(nb_toks[i])),
                     sum(w[x] for x in qtok if x in set(nb_toks[n + i]))) / total
        title_cov = sum(w[x] for x in qtok if x in set(title_toks[i])) / total
        ctx_cov = sum(w[x] for x in qtok if x in cst) / total
        doc_cov = sum(w[x] for x in qtok if x in doc_tok[c.doc_id]) / total
        lex = len(set(qtok) & st) / len(qtok) if qtok else 0.0
        lexes[i] = lex
        snames, snums = _names(c.text), _numbers(c.text)
        dnames = _names(c.doc_text or c.text)
        dnums = _numbers(c.doc_text or c.text)
        new_num = any(x not in qnums for x in snums) or bool(
            {m.group(0).lower() for m in _CARDINAL.finditer(c.text)} - qw)
        new_time = bool({m.group(0).lower() for m in _CALENDAR.finditer(c.text)} - qw) or any(
            len(x) == 4 and x.isdigit() and x not in qnums for x in snums)
        new_name = bool(snames - qnames - qw)
        new_quote = any(m.group(0).strip("“”\"").lower() not in question.lower()
                        for m in _QUOTED.finditer(c.text))
        typed = {AnswerType.QUANTITY: new_num, AnswerType.TIME: new_time or new_num,
                 AnswerType.ENTITY: new_name or new_quote}.get(kind, False)
        # No position in the article nor share of the candidates: the training articles are short
        # wire snippets, so those would not carry over to long articles.
        # Without a date every sentence counts as fresh: the question's date only ranks them
        # (a flag for "dated question" made undated questions look unanswerable).
        fresh = recency_prior(ref, date_int(c.passage_date), window_days) if ref else 1.0
        words = len(c.text.split())
        rows[i] = [
            float(dense[i]), 0.0, lex, cov[i], 0.0, ctx_cov, doc_cov,
            (c.passage_score - lo) / span if span > 1e-9 else 1.0,
            1.0 / (1.0 + c.rank),
            c.passage_dense if c.passage_dense is not None else 0.0,
            math.log1p(c.passage_kw) / 4.0 if c.passage_kw else 0.0,
            kind is AnswerType.QUANTITY, kind is AnswerType.TIME, kind is AnswerType.ENTITY,
            kind is AnswerType.OTHER,
            new_num, new_time, new_name, new_quote, typed,
            len(qnames & snames) / len(qnames) if qnames else 1.0,
            len(qnames & dnames) / len(qnames) if qnames else 1.0,
            len(qnums & snums) / len(qnums) if qnums else 1.0,
            len(qnums & dnums) / len(qnums) if qnums else 1.0,
            math.log1p(words) / 4.0,
            fresh, 0.0, bool(boost_docs and c.doc_id in boost_docs),
            best_doc_dense[c.doc_id],
            nb_cov, title_cov, 0.0, 0.0, 0.0, math.log1p(len(qtok)) / 3.0, 0.0, 0.0, 1.0,
        ]
    rows[:, FEATURES.index("dense_gap")] = dense - dense.max()
    rows[:, FEATURES.index("idf_cov_gap")] = cov - cov.max()
    if rules is not None:
        r = np.asarray(rules, dtype=np.float32)
        rows[:, FEATURES.index("rules")] = r
        rows[:, FEATURES.index("rules_gap")] = r - r.max()
    fresh = rows[:, FEATURES.index("fresh")]
    rows[:, FEATURES.index("fresh_gap")] = fresh - fresh.max()
    for name, values in (("dense_rank", dense), ("cov_rank", cov), ("lex_rank", lexes)):
        order = np.argsort(-np.asarray(values), kind="stable")
        ranks = np.empty(n)
        ranks[order] = np.arange(n)
        rows[:, FEATURES.index(name)] = 1.0 / (1.0 + ranks)
    return rows


class ReaderModel:
    """The trained scorer: standardised features -> one hidden layer (tanh) -> logit."""

    def __init__(self, weights: dict):
        unknown = [f for f in weights.get("features", []) if f not in FEATURES]
        if unknown or not weights.get("features"):
            raise ValueError(f"reader weights name features this version does not compute "
                             f"({', '.join(unknown) or 'none'}); retrain with "
                             "benchmarks/train_reader.py")
        # the weights name their features: a model may use a subset of FEATURES
        self.cols = np.array([FEATURES.index(f) for f in weights["features"]])
        self.mean = np.asarray(weights["mean"], dtype=np.float32)
        self.scale = np.asarray(weights["scale"], dtype=np.float32)
        self.w1 = np.asarray(weights["w1"], dtype=np.float32)
        self.b1 = np.asarray(weights["b1"], dtype=np.float32)
        self.w2 = np.asarray(weights["w2"], dtype=np.float32)
        self.b2 = float(weights["b2"])
        self.meta = weights.get("meta", {})

    def logits(self, x: np.ndarray) -> np.ndarray:
        h = np.tanh(((x[:, self.cols] - self.mean) / self.scale) @ self.w1 + self.b1)
        return h @ self.w2 + self.b2

    def probs(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(x)))


_MODELS: dict[str, ReaderModel] = {}
_LOCK = threading.Lock()


def load_model(weights: str | Path = "calibrated") -> ReaderModel:
    """A shipped model by name (once per process), or the one in the file ``weights``."""
    key = str(weights)
    with _LOCK:
        if key not in _MODELS:
            path = WEIGHTS.get(key, Path(key))
            try:
                _MODELS[key] = ReaderModel(json.loads(Path(path).read_text()))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"RAG_READER_WEIGHTS={key!r}: cannot load {path}: {exc} "
                                  f"(names: {', '.join(WEIGHTS)}, or a weights file)") from None
        return _MODELS[key]
