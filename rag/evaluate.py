"""Measure retrieval, answer and citation quality on a question set (`rag eval`).

    from rag.evaluate import evaluate
    report = evaluate("articles.jsonl", "questions.jsonl", out="eval_out", compare=True)
    report.configs["default"].retrieval["hit@5"]

Every metric is defined in docs/metrics.md. The articles are indexed into an index of their own
(one per article file and chunking, under ``index_dir``) that later runs reuse: ingestion is
incremental by content hash, so an unchanged file costs nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import offline  # noqa: F401

KS = (1, 3, 5, 10)
DEPTH = 10  # article-level ranking depth for MRR, nDCG and recall
SEARCH_PASSAGES = 60  # passages asked for to build an article ranking of DEPTH articles
DEFAULT_INDEX_ROOT = Path("/tmp") / "rag-eval-index"


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


# --- inputs --------------------------------------------------------------------------------------

@dataclass
class Question:
    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    gold_doc_ids: list[str] = field(default_factory=list)
    date: str = ""


def load_questions(path: str | Path, limit: int | None = None) -> list[Question]:
    from .types import RagError

    out: list[Question] = []
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read the questions {path}: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            q = Question(id=str(row.get("id") or f"{path.stem}-{n}"),
                         question=str(row["question"]),
                         answers=[str(a) for a in row.get("answers") or []],
                         gold_doc_ids=[str(g) for g in row.get("gold_doc_ids") or []],
                         date=str(row.get("date") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{path}:{n}: not a question in the datasets schema ({exc})") from exc
        out.append(q)
        if limit and len(out) >= limit:
            break
    if not out:
        raise RagError(f"{path} holds no questions")
    return out


# --- configurations ------------------------------------------------------------------------------

@dataclass
class EvalConfig:
    """One way of answering: a retrieval mode plus Settings overrides.

    ``use_dates`` passes each question's date to the assistant as ``as_of`` (when the question
    was asked), for the date-aware variant.
    """

    name: str
    mode: str = "hybrid"
    overrides: dict = field(default_factory=dict)
    use_dates: bool = False
    description: str = ""


PRESETS: dict[str, EvalConfig] = {
    "default": EvalConfig("default", description="the shipped defaults (hybrid retrieval)"),
    "dense": EvalConfig("dense", mode="dense", description="dense retrieval only"),
    "bm25": EvalConfig("bm25", mode="bm25", description="BM25 retrieval only"),
    "rrf": EvalConfig("rrf", overrides={"fusion": "rrf", "dense_weight": 0.5,
                                        "sentence_weight": 0.0},
                      description="hybrid with plain reciprocal rank fusion (equal weights, "
                      "no second stage)"),
    "default+dates": EvalConfig("default+dates", use_dates=True,
                                description="shipped defaults, question date passed as as_of"),
}
COMPARE = ["default", "dense", "bm25", "rrf"]


def parse_config(spec: str) -> EvalConfig:
    """A preset name, or NAME:key=value,key=value (Settings overrides; mode=dense|bm25|hybrid,
    dates=1 to pass question dates)."""
    from .config import Settings, _coerce
    from .types import RagError

    if ":" not in spec:
        if spec not in PRESETS:
            raise RagError(f"unknown configuration {spec!r}; presets: {', '.join(PRESETS)}, "
                           "or NAME:key=value,...")
        return dataclasses.replace(PRESETS[spec], overrides=dict(PRESETS[spec].overrides))
    name, _, rest = spec.partition(":")
    base = PRESETS.get(name)
    cfg = (dataclasses.replace(base, overrides=dict(base.overrides)) if base
           else EvalConfig(name))
    types = {f.name: f.type for f in dataclasses.fields(Settings)}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise RagError(f"in {spec!r}: {part!r} is not key=value")
        if key == "mode":
            cfg.mode = value
        elif key == "dates":
            cfg.use_dates = value.lower() in ("1", "true", "yes")
        elif key in types:
            cfg.overrides[key] = _coerce(key, types[key], value)
        else:
            raise RagError(f"in {spec!r}: {key!r} is not a setting")
    if cfg.mode not in ("hybrid", "dense", "bm25"):
        raise RagError(f"in {spec!r}: mode must be hybrid, dense or bm25")
    return cfg


# --- the report -----------------------------------------------------------------------------------

@dataclass
class ConfigReport:
    name: str
    description: str
    mode: str
    settings: dict
    n_questions: int
    retrieval: dict
    answer: dict
    citations: dict
    latency_ms: dict
    unanswerable: dict | None = None
    failures: dict = field(default_factory=dict)
    hit_curve: list = field(default_factory=list)  # hit@k for k = 1..DEPTH

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class EvalReport:
    """What `rag eval` writes to report.json: the first configuration's figures at the top level,
    every configuration under ``configs``."""

    n_questions: int
    n_unanswerable: int
    articles: str
    questions: str
    unanswerable_questions: str | None
    settings: dict
    configs: dict[str, ConfigReport]
    index_dirs: dict[str, str]
    seconds: float
    out: str | None = None

    @property
    def primary(self) -> ConfigReport:
        return next(iter(self.configs.values()))

    @property
    def retrieval(self) -> dict:
        return self.primary.retrieval

    @property
    def answer(self) -> dict:
        return self.primary.answer

    @property
    def citations(self) -> dict:
        return self.primary.citations

    @property
    def latency_ms(self) -> dict:
        return self.primary.latency_ms

    def to_dict(self) -> dict:
        p = self.primary
        return {
            "n_questions": self.n_questions,
            "n_unanswerable": self.n_unanswerable,
            "config": p.name,
            "retrieval": p.retrieval,
            "answer": p.answer,
            "citations": p.citations,
            "latency_ms": p.latency_ms,
            "unanswerable": p.unanswerable,
            "settings": self.settings,
            "articles": self.articles,
            "questions": self.questions,
            "unanswerable_questions": self.unanswerable_questions,
            "index_dirs": self.index_dirs,
            "seconds": round(self.seconds, 1),
            "configs": {name: c.to_dict() for name, c in self.configs.items()},
        }


# --- the evaluator -------------------------------------------------------------------------------

class Evaluator:
    def __init__(self, articles: str | Path, questions: str | Path | list[Question], *,
                 unanswerable: str | Path | list[Question] | None = None,
                 configs: list[str | EvalConfig] | None = None, compare: bool = False,
                 index_dir: str | Path | None = None, limit: int | None = None,
                 answers: bool = True, settings=None, progress: bool = True):
        from .config import Settings

        self.articles_path = Path(articles)
        self.questions_label = str(questions) if not isinstance(questions, list) else "(list)"
        self.questions = (questions[:limit] if limit else questions) if isinstance(
            questions, list) else load_questions(questions, limit)
        self.unanswerable_label = (None if unanswerable is None else
                                   str(unanswerable) if not isinstance(unanswerable, list)
                                   else "(list)")
        self.unanswerable = [] if unanswerable is None else (
            (unanswerable[:limit] if limit else unanswerable) if isinstance(unanswerable, list)
            else load_questions(unanswerable, limit))
        specs = list(configs or (COMPARE if compare else ["default"]))
        self.configs = [c if isinstance(c, EvalConfig) else parse_config(c) for c in specs]
        names = [c.name for c in self.configs]
        if len(set(names)) != len(names):
            from .types import RagError

            raise RagError(f"configuration names repeat: {names}")
        self.index_root = Path(index_dir) if index_dir else DEFAULT_INDEX_ROOT
        self.answers = answers
        self.base = settings or Settings.from_env()
        self.progress = progress
        self._stores: dict[Path, object] = {}
        self._articles: dict[tuple[Path, str], object] = {}
        self._qvecs: dict[tuple[str, str], list[float]] = {}

    # --- indexes ---

    def settings_for(self, cfg: EvalConfig):
        s = dataclasses.replace(self.base, **cfg.overrides)
        return dataclasses.replace(s, index_dir=self.index_dir_for(s))

    def index_dir_for(self, s) -> Path:
        src = self.articles_path.resolve()
        key = hashlib.sha1(f"{src}|{s.model_label}".encode()).hexdigest()[:8]
        return self.index_root / (f"{src.parent.name}-{src.stem}-{key}"
                                  f"-c{s.chunk_size}o{s.chunk_overlap}")

    def assistant_for(self, cfg: EvalConfig):
        from .assistant import Assistant

        s = self.settings_for(cfg)
        bot = Assistant(s)
        if s.index_dir in self._stores:
            bot._store = self._stores[s.index_dir]
        else:
            report = bot.ingest([self.articles_path], prune=True, progress=self.progress)
            if report.failed and not (report.added or report.updated or report.skipped):
                from .types import RagError

                raise RagError(f"cannot index {self.articles_path}: {report.failed[0].reason}")
            self._stores[s.index_dir] = bot.store
        return bot

    def query_vector(self, bot, question: str):
        """The question's embedding, computed once for all configurations of a run."""
        key = (bot.settings.model_label, question)
        if key not in self._qvecs:
            self._qvecs[key] = bot.embedder.embed_query(question)
        return self._qvecs[key]

    def article_text(self, bot, doc_id: str) -> str | None:
        key = (bot.settings.index_dir, doc_id)
        if key not in self._articles:
            art = bot.article(doc_id)
            self._articles[key] = None if art is None else art.text
        return self._articles[key]

    # --- running ---

    def run(self, out: str | Path | None = None) -> EvalReport:
        from tqdm import tqdm

        started = time.perf_counter()
        per_question: list[dict] = []
        reports: dict[str, ConfigReport] = {}
        bots = {}
        for cfg in self.configs:  # index first: the bar below then counts questions only
            bots[cfg.name] = self.assistant_for(cfg)
        total = len(self.configs) * (len(self.questions) + len(self.unanswerable))
        bar = tqdm(total=total, unit="q", desc="Evaluating", disable=not self.progress,
                   file=sys.stderr, dynamic_ncols=True)
        try:
            for cfg in self.configs:
                bot = bots[cfg.name]
                bar.set_postfix(config=cfg.name, refresh=False)
                rows = []
                for q in self.questions:
                    rows.append(self.run_question(bot, cfg, q, answerable=True))
                    bar.update(1)
                un_rows = []
                for q in self.unanswerable:
                    un_rows.append(self.run_question(bot, cfg, q, answerable=False))
                    bar.update(1)
                reports[cfg.name] = self.summarise(cfg, bot.settings, rows, un_rows)
                per_question.extend(rows + un_rows)
        finally:
            bar.close()
        first = self.configs[0]
        report = EvalReport(
            n_questions=len(self.questions), n_unanswerable=len(self.unanswerable),
            articles=str(self.articles_path), questions=self.questions_label,
            unanswerable_questions=self.unanswerable_label,
            settings=settings_dict(bots[first.name].settings), configs=reports,
            index_dirs={c.name: str(bots[c.name].settings.index_dir) for c in self.configs},
            seconds=time.perf_counter() - started)
        if out is not None:
            write_outputs(report, per_question, Path(out))
            report.out = str(out)
        return report

    def ask(self, bot, cfg: EvalConfig, q: Question):
        kw = {"as_of": q.date} if (cfg.use_dates and q.date) else {}
        if cfg.mode == "hybrid":
            return bot.ask(q.question, **kw)
        # Same path as Assistant.ask, with the configuration's retrieval mode.
        question = bot.check_question(q.question)
        qvec = bot.embedder.embed_query(question)
        passages = bot.retriever.search(question, None, mode=cfg.mode, query_vector=qvec, **kw)
        return bot.answerer.answer(question, passages, qvec=qvec)

    def run_question(self, bot, cfg: EvalConfig, q: Question, answerable: bool) -> dict:
        kw = {"as_of": q.date} if (cfg.use_dates and q.date) else {}
        row: dict = {"config": cfg.name, "set": "answerable" if answerable else "unanswerable",
                     "id": q.id, "question": q.question, "date": q.date,
                     "answers": q.answers, "gold_doc_ids": q.gold_doc_ids}
        question = bot.check_question(q.question)
        passages = bot.retriever.search(question, None, top_k=SEARCH_PASSAGES, mode=cfg.mode,
                                        query_vector=self.query_vector(bot, question), **kw)
        ranked = unique_in_order(p.doc_id for p in passages)[:DEPTH]
        row["ranked_doc_ids"] = ranked
        if answerable:
            gold = q.gold_doc_ids
            row["gold_rank"] = first_gold_rank(ranked, gold)
            row["retrieval"] = {f"hit@{k}": hit_at_k(ranked, gold, k) for k in KS}
            row["retrieval"].update({"mrr@10": mrr_at_k(ranked, gold), "ndcg@10":
                                     ndcg_at_k(ranked, gold), "recall@10":
                                     recall_at_k(ranked, gold)})
            row["hit_curve"] = [hit_at_k(ranked, gold, k) for k in range(1, DEPTH + 1)]
            gold_texts = [t for t in (self.article_text(bot, g) for g in gold) if t]
            row["answer_in_gold"] = bool(q.answers) and any(
                contains_answer(t, q.answers) for t in gold_texts)
        if not self.answers:
            row["failure"] = self.failure(row, answerable)
            return row
        t0 = time.perf_counter()
        ans = self.ask(bot, cfg, q)
        row["latency_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        row["abstained"] = bool(ans.abstained)
        row["answer"] = ans.text
        cites = []
        for c in ans.citations:
            text = self.article_text(bot, c.doc_id)
            gold = c.doc_id in set(q.gold_doc_ids)
            cites.append({"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end,
                          "gold": gold,
                          "verbatim": text is not None and text[c.start:c.end] == c.quote,
                          "supports": gold or bool(q.answers and text
                                                   and contains_answer(text, q.answers)),
                          "quote_has_answer": bool(q.answers)
                          and contains_answer(c.quote, q.answers)})
        row["citations"] = cites
        sentences = ans.sentences or []
        row["n_sentences"] = len(sentences)
        row["n_cited_sentences"] = sum(1 for s in sentences if s.citations)
        if answerable and not ans.abstained:
            row["contains_answer"] = contains_answer(ans.text, q.answers) if q.answers else None
            row["f1"] = token_f1(ans.text, q.answers) if q.answers else None
        row["failure"] = self.failure(row, answerable)
        return row

    @staticmethod
    def failure(row: dict, answerable: bool) -> str:
        """Why a question failed (first reason in pipeline order), or "" when it did not."""
        if not answerable:
            return "" if row.get("abstained", True) else "answered a question the articles " \
                "cannot answer"
        reasons = []
        if row.get("gold_rank") is None:
            reasons.append(f"retrieval: no gold article in the top {DEPTH}")
        elif row["gold_rank"] > 5:
            reasons.append(f"retrieval: first gold article below rank 5 (rank {row['gold_rank']})")
        if "abstained" in row:
            if row["abstained"]:
                reasons.append("answer: abstained")
            else:
                if row.get("contains_answer") is False:
                    why = ("answer missing though a gold article holds it"
                           if row.get("answer_in_gold") else "answer missing (no gold article "
                           "holds the answer string verbatim)")
                    reasons.append(f"answer: {why}")
                if any(not c["gold"] for c in row.get("citations", [])):
                    reasons.append("citation: cites a non-gold article")
                if any(not c["verbatim"] for c in row.get("citations", [])):
                    reasons.append("citation: quote not verbatim at its offsets")
        return "; ".join(reasons)

    def summarise(self, cfg: EvalConfig, settings, rows: list[dict],
                  un_rows: list[dict]) -> ConfigReport:
        retrieval = {k: _r(mean(r["retrieval"][k] for r in rows))
                     for k in [*(f"hit@{k}" for k in KS), "mrr@10", "ndcg@10", "recall@10"]}
        curve = [_r(mean(r["hit_curve"][i] for r in rows)) for i in range(DEPTH)]
        answer: dict = {}
        citations: dict = {}
        latency: dict = {}
        if self.answers:
            answered = [r for r in rows if not r["abstained"]]
            with_answers = [r for r in rows if r["answers"]]
            in_gold = [r for r in with_answers if r["answer_in_gold"]]
            answer = {
                "contains_answer": _r(mean(float(bool(r.get("contains_answer")))
                                           for r in with_answers)),
                "contains_answer_in_gold": _r(mean(float(bool(r.get("contains_answer")))
                                                   for r in in_gold)),
                "n_answer_in_gold": len(in_gold),
                "contains_answer_when_answered": _r(mean(float(bool(r.get("contains_answer")))
                                                         for r in with_answers
                                                         if not r["abstained"])),
                "token_f1": _r(mean(r.get("f1") or 0.0 for r in with_answers)),
                "abstention_rate": _r(mean(float(r["abstained"]) for r in rows)),
            }
            cites = [c for r in answered for c in r["citations"]]
            n_sent = sum(r["n_sentences"] for r in answered)
            citations = {
                "article_precision": _r(mean(float(c["gold"]) for c in cites)),
                "article_supports": _r(mean(float(c["supports"]) for c in cites)),
                "quote_has_answer": _r(mean(float(c["quote_has_answer"]) for c in cites)),
                "quote_verbatim": _r(mean(float(c["verbatim"]) for c in cites)),
                "sentence_coverage": _r(sum(r["n_cited_sentences"] for r in answered) / n_sent
                                        if n_sent else None),
                "n_citations": len(cites),
            }
            lat = [r["latency_ms"] for r in rows + un_rows]
            latency = {"p50": _r(percentile(lat, 50), 1), "p95": _r(percentile(lat, 95), 1),
                       "mean": _r(mean(lat), 1)}
        unanswerable = None
        if un_rows:
            unanswerable = {"n_questions": len(un_rows)}
            if self.answers:
                unanswerable["abstention_rate"] = _r(mean(float(r["abstained"])
                                                          for r in un_rows))
        failures = Counter(reason.split(" (rank")[0] for r in rows + un_rows
                           for reason in r["failure"].split("; ") if reason)
        return ConfigReport(name=cfg.name, description=cfg.description, mode=cfg.mode,
                            settings={**cfg.overrides, "mode": cfg.mode,
                                      "use_dates": cfg.use_dates,
                                      "chunk_size": settings.chunk_size,
                                      "chunk_overlap": settings.chunk_overlap},
                            n_questions=len(rows), retrieval=retrieval, answer=answer,
                            citations=citations, latency_ms=latency, unanswerable=unanswerable,
                            failures=dict(failures.most_common()), hit_curve=curve)


def _r(x, nd: int = 4):
    return None if x is None else round(float(x), nd)


def settings_dict(settings) -> dict:
    out = {}
    for f in dataclasses.fields(settings):
        if f.name.startswith("llm_api") or f.name in ("chroma_host", "chroma_port"):
            continue
        v = getattr(settings, f.name)
        out[f.name] = str(v) if isinstance(v, Path) else v
    out["model"] = settings.model_label
    return out


# --- outputs ---------------------------------------------------------------------------------

TABLE_COLUMNS = [
    ("hit@1", "retrieval", "hit@1"), ("hit@3", "retrieval", "hit@3"),
    ("hit@5", "retrieval", "hit@5"), ("hit@10", "retrieval", "hit@10"),
    ("MRR@10", "retrieval", "mrr@10"), ("nDCG@10", "retrieval", "ndcg@10"),
    ("R@10", "retrieval", "recall@10"),
    ("contains", "answer", "contains_answer"), ("contains|gold", "answer",
                                                "contains_answer_in_gold"),
    ("F1", "answer", "token_f1"), ("abstain", "answer", "abstention_rate"),
    ("cite-gold", "citations", "article_precision"),
    ("cite-supp", "citations", "article_supports"),
    ("verbatim", "citations", "quote_verbatim"), ("cited-sent", "citations", "sentence_coverage"),
    ("p50 ms", "latency_ms", "p50"), ("p95 ms", "latency_ms", "p95"),
    ("abstain-unans", "unanswerable", "abstention_rate"),
]


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3f}"
    return str(v)


def summary_rows(report: EvalReport) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in TABLE_COLUMNS
            if any((getattr(r, c[1]) or {}).get(c[2]) is not None
                   for r in report.configs.values())]
    header = ["config", *(c[0] for c in cols)]
    rows = [[name, *(_fmt((getattr(r, c[1]) or {}).get(c[2])) for c in cols)]
            for name, r in report.configs.items()]
    return header, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(x).rjust(w) if i else str(x).ljust(w)
                       for i, (x, w) in enumerate(zip(row, widths, strict=True)))
             for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def write_outputs(report: EvalReport, per_question: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2,
                                                ensure_ascii=False) + "\n")
    with open(out / "questions.jsonl", "w", encoding="utf-8") as fh:
        for row in per_question:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    plots = write_plots(report, out)
    (out / "report.md").write_text(markdown_report(report, plots))


def markdown_report(report: EvalReport, plots: list[str]) -> str:
    header, rows = summary_rows(report)
    lines = [
        "# Evaluation report", "",
        f"- articles: `{report.articles}`",
        f"- questions: `{report.questions}` ({report.n_questions})",
    ]
    if report.unanswerable_questions:
        lines.append(f"- unanswerable questions: `{report.unanswerable_questions}` "
                     f"({report.n_unanswerable})")
    lines += [f"- model: {report.settings.get('model')}; took {report.seconds:.0f} s",
              "- metrics are defined in docs/metrics.md; article level; "
              "per-question results and failure reasons in `questions.jsonl`", "",
              "## Summary", "", md_table(header, rows), ""]
    lines += ["## Configurations", "", md_table(
        ["config", "mode", "description", "settings"],
        [[n, r.mode, r.description or "-", ", ".join(f"{k}={v}" for k, v in r.settings.items())]
         for n, r in report.configs.items()]), ""]
    for section in ("retrieval", "answer", "citations", "latency_ms"):
        keys = unique_in_order(k for r in report.configs.values()
                               for k in (getattr(r, section) or {}))
        if not keys:
            continue
        lines += [f"## {section}", "", md_table(
            ["config", *keys], [[n, *(_fmt(getattr(r, section).get(k)) for k in keys)]
                                for n, r in report.configs.items()]), ""]
    lines += ["## Failures (count of questions per reason)", ""]
    for n, r in report.configs.items():
        lines.append(f"- **{n}**: " + (", ".join(f"{k} ({v})" for k, v in r.failures.items())
                                       or "none"))
    lines.append("")
    for p in plots:
        lines += [f"![{p}]({p})", ""]
    return "\n".join(lines)


def write_plots(report: EvalReport, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in report.configs.items():
        ax.plot(range(1, DEPTH + 1), r.hit_curve, marker="o", label=name)
    ax.set_xlabel("k (articles)")
    ax.set_ylabel("hit@k")
    ax.set_title(f"Article hit@k ({report.n_questions} questions)")
    ax.set_xticks(range(1, DEPTH + 1))
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "hit_at_k.png", dpi=110)
    plt.close(fig)
    made.append("hit_at_k.png")

    metrics = [("hit@5", "retrieval", "hit@5"), ("MRR@10", "retrieval", "mrr@10"),
               ("nDCG@10", "retrieval", "ndcg@10"), ("contains", "answer", "contains_answer"),
               ("cite-gold", "citations", "article_precision"),
               ("abstain", "answer", "abstention_rate"),
               ("abstain-unans", "unanswerable", "abstention_rate")]
    metrics = [m for m in metrics if any((getattr(r, m[1]) or {}).get(m[2]) is not None
                                         for r in report.configs.values())]
    names = list(report.configs)
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(metrics) * max(1, len(names)) / 2), 4))
    width = 0.8 / max(1, len(names))
    for i, name in enumerate(names):
        r = report.configs[name]
        vals = [(getattr(r, m[1]) or {}).get(m[2]) or 0.0 for m in metrics]
        ax.bar([j + i * width for j in range(len(metrics))], vals, width, label=name)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(metrics))])
    ax.set_xticklabels([m[0] for m in metrics])
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics per configuration")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "configs.png", dpi=110)
    plt.close(fig)
    made.append("configs.png")
    return made


# --- entry points ----------------------------------------------------------------------------

def evaluate(articles, questions, *, unanswerable=None, configs=None, compare: bool = False,
             out=None, index_dir=None, limit: int | None = None, answers: bool = True,
             settings=None, progress: bool = False) -> EvalReport:
    """Index ``articles`` (own index, reused), ask every question, return an EvalReport.

    ``configs``: preset names ("default", "dense", "bm25", "rrf", "default+dates") or
    EvalConfig objects or "NAME:key=value,..." strings; ``compare=True`` runs the presets
    default, dense, bm25 and rrf. ``out``: write report.json, report.md, questions.jsonl and
    PNG plots there. ``answers=False`` measures retrieval only.
    """
    return Evaluator(articles, questions, unanswerable=unanswerable, configs=configs,
                     compare=compare, index_dir=index_dir, limit=limit, answers=answers,
                     settings=settings, progress=progress).run(out)


def main(args) -> int:
    configs = None
    if getattr(args, "config", None):
        configs = [c for spec in args.config for c in _split_specs(spec)]
        if args.compare:
            configs = [*COMPARE, *[c for c in configs if c not in COMPARE]]
    report = evaluate(args.articles, args.questions, unanswerable=args.unanswerable,
                      configs=configs, compare=args.compare, out=args.out,
                      index_dir=getattr(args, "index_dir", None), limit=args.limit,
                      answers=not getattr(args, "retrieval_only", False),
                      progress=not getattr(args, "quiet", False))
    header, rows = summary_rows(report)
    print(text_table(header, rows))
    print(f"\n{report.n_questions} questions"
          + (f" + {report.n_unanswerable} unanswerable" if report.n_unanswerable else "")
          + f", {len(report.configs)} configuration(s), {report.seconds:.0f} s; "
          f"wrote {args.out}/report.json, report.md, questions.jsonl, *.png")
    return 0


def _split_specs(spec: str) -> list[str]:
    # "default,dense" is two presets; "x:chunk_size=150,chunk_overlap=20" is one spec.
    return [spec] if ":" in spec else [s for s in spec.split(",") if s]
