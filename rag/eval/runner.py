"""The evaluator: index a set's articles, ask its questions, measure, summarise.

    from rag.eval import evaluate
    report = evaluate("articles.jsonl", "questions.jsonl", out="eval_out", compare=True)
    report.configs["default"].retrieval["hit@5"]

The articles are indexed into an index of their own (one per article file and chunking, under
``index_dir``) that later runs reuse: ingestion is incremental by content hash, so an unchanged
file costs nothing. Every question goes through ``Assistant.ask`` (the one ask path).
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import offline  # noqa: F401
from .dataset import Question, load_questions
from .metrics import (
    DEPTH,
    KS,
    _r,
    contains_answer,
    first_gold_rank,
    hit_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    phrase_is_answer,
    recall_at_k,
    token_f1,
    unique_in_order,
)
from .report import ConfigReport, EvalReport, write_outputs

SEARCH_PASSAGES = 60  # passages asked for to build an article ranking of DEPTH articles
DEFAULT_INDEX_ROOT = Path("/tmp") / "rag-eval-index"

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
    """A preset name, or NAME:key=value,key=value (settings by flat key, see rag/config.py;
    mode=dense|bm25|hybrid; dates=1 to pass question dates)."""
    from ..config import RetrievalMode, coerce_key
    from ..types import RagError

    if ":" not in spec:
        if spec not in PRESETS:
            raise RagError(f"unknown configuration {spec!r}; presets: {', '.join(PRESETS)}, "
                           "or NAME:key=value,...")
        return dataclasses.replace(PRESETS[spec], overrides=dict(PRESETS[spec].overrides))
    name, _, rest = spec.partition(":")
    base = PRESETS.get(name)
    cfg = (dataclasses.replace(base, overrides=dict(base.overrides)) if base
           else EvalConfig(name))
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        if not eq:
            raise RagError(f"in {spec!r}: {part!r} is not key=value")
        if key == "mode":
            cfg.mode = value
        elif key == "dates":
            cfg.use_dates = value.lower() in ("1", "true", "yes")
        else:
            try:
                cfg.overrides[key] = coerce_key(key, value)
            except RagError as exc:
                raise RagError(f"in {spec!r}: {exc}") from None
    if cfg.mode not in {m.value for m in RetrievalMode}:
        raise RagError(f"in {spec!r}: mode must be hybrid, dense or bm25")
    return cfg


# --- the evaluator -------------------------------------------------------------------------------

class Evaluator:
    def __init__(self, articles: str | Path, questions: str | Path | list[Question], *,
                 unanswerable: str | Path | list[Question] | None = None,
                 configs: list[str | EvalConfig] | None = None, compare: bool = False,
                 index_dir: str | Path | None = None, limit: int | None = None,
                 answers: bool = True, settings=None, progress: bool = True):
        from ..config import Settings

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
            from ..types import RagError

            raise RagError(f"configuration names repeat: {names}")
        self.index_root = Path(index_dir) if index_dir else DEFAULT_INDEX_ROOT
        self.answers = answers
        self.base = settings or Settings.from_env()
        self.progress = progress
        self._stores: dict[Path, object] = {}
        self._articles: dict[tuple[Path, str], object] = {}
        self._qvecs: dict[tuple[str, str, str], list[float]] = {}

    # --- indexes ---

    def settings_for(self, cfg: EvalConfig):
        s = self.base.replace(**cfg.overrides)
        return s.replace(index_dir=self.index_dir_for(s))

    def index_dir_for(self, s) -> Path:
        src = self.articles_path.resolve()
        # Each embedding backend gets an index of its own, so that comparing backends compares
        # their vectors (PyTorch's keeps the key it always had).
        backend = "" if s.embed_backend == "huggingface" else f"|{s.embed_backend}"
        key = hashlib.sha1(f"{src}|{s.model_label}{backend}".encode()).hexdigest()[:8]
        return self.index_root / (f"{src.parent.name}-{src.stem}-{key}"
                                  f"-c{s.chunk_size}o{s.chunk_overlap}")

    def assistant_for(self, cfg: EvalConfig):
        from ..assistant import Assistant

        s = self.settings_for(cfg)
        bot = Assistant(s)
        if s.index_dir in self._stores:
            bot._parts["store"] = self._stores[s.index_dir]
        else:
            report = bot.ingest([self.articles_path], prune=True, progress=self.progress)
            if report.failed and not (report.added or report.updated or report.skipped):
                from ..types import RagError

                raise RagError(f"cannot index {self.articles_path}: {report.failed[0].reason}")
            self._stores[s.index_dir] = bot.store
        return bot

    def query_vector(self, bot, question: str):
        """The question's embedding, computed once for all configurations of a run."""
        key = (bot.settings.model_label, bot.settings.embed_backend, question)
        if key not in self._qvecs:
            self._qvecs[key] = bot.embedder.embed_query(question)
        return self._qvecs[key]

    def article_text(self, bot, doc_id: str) -> str | None:
        key = (bot.settings.index_dir, doc_id)
        if key not in self._articles:
            art = bot.article(doc_id)
            self._articles[key] = None if art is None else art.text
        return self._articles[key]

    def copies_of_gold(self, bot, gold: list[str]) -> dict[str, str]:
        """Near-copies of the gold articles (one story, rag/stories.py: the same text under
        another URL or from another outlet) -> the gold article each stands for. Retrieval
        returns one copy of a story, the earliest full one, so a copy found in place of the
        gold one counts as that gold article."""
        lookup = bot.story_lookup
        story = lookup.story_of(gold)
        members = lookup.members(set(story.values()))
        return {m["doc_id"]: g for g in gold if g in story
                for m in members.get(story[g], []) if m["doc_id"] not in gold}

    # --- running ---

    def run(self, out: str | Path | None = None) -> EvalReport:
        from tqdm import tqdm

        started = time.perf_counter()
        per_question: list[dict] = []
        reports: dict[str, ConfigReport] = {}
        bots = {}
        for cfg in self.configs:  # index first: the bar below then counts questions only
            bots[cfg.name] = self.assistant_for(cfg)
        plain = [q for q in self.questions if not q.is_conversation]
        convs = [q for q in self.questions if q.is_conversation]
        total = len(self.configs) * (len(plain) + len(self.unanswerable)
                                     + sum(len(c.turns) for c in convs))
        bar = tqdm(total=total, unit="q", desc="Evaluating", disable=not self.progress,
                   file=sys.stderr, dynamic_ncols=True)
        try:
            for cfg in self.configs:
                bot = bots[cfg.name]
                bar.set_postfix(config=cfg.name, refresh=False)
                rows = []
                for q in plain:
                    rows.append(self.run_question(bot, cfg, q, answerable=True))
                    bar.update(1)
                un_rows = []
                for q in self.unanswerable:
                    un_rows.append(self.run_question(bot, cfg, q, answerable=False))
                    bar.update(1)
                conv_rows = []
                for conv in convs:
                    conv_rows.extend(self.run_conversation(bot, cfg, conv))
                    bar.update(len(conv.turns))
                reports[cfg.name] = self.summarise(cfg, bot.settings, rows, un_rows)
                reports[cfg.name].conversations = summarise_conversations(conv_rows)
                per_question.extend(rows + un_rows + conv_rows)
        finally:
            bar.close()
        first = self.configs[0]
        report = EvalReport(
            n_questions=len(plain), n_unanswerable=len(self.unanswerable),
            n_conversations=len(convs),
            articles=str(self.articles_path), questions=self.questions_label,
            unanswerable_questions=self.unanswerable_label,
            settings=settings_dict(bots[first.name].settings), configs=reports,
            index_dirs={c.name: str(bots[c.name].settings.index_dir) for c in self.configs},
            seconds=time.perf_counter() - started)
        if out is not None:
            write_outputs(report, per_question, Path(out))
            report.out = str(out)
        return report

    def run_conversation(self, bot, cfg: EvalConfig, conv: Question) -> list[dict]:
        """Ask a conversation's turns in order through the chat API; each follow-up is also
        asked alone as its standalone rewrite (the upper bound of following the thread)."""
        session = bot.chat()
        rows = []
        for i, turn in enumerate(conv.turns):
            as_of = turn.date if (cfg.use_dates and turn.date) else None
            t0 = time.perf_counter()
            ans = session.ask(turn.question, as_of=as_of)
            gold = {*turn.gold_doc_ids, *self.copies_of_gold(bot, turn.gold_doc_ids)}
            row = {"config": cfg.name, "set": "conversation", "id": turn.id,
                   "conversation": conv.id, "turn": i + 1, "question": turn.question,
                   "answers": turn.answers, "gold_doc_ids": turn.gold_doc_ids,
                   "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
                   "answer": ans.text, "status": ans.status, "abstained": ans.abstained,
                   "contains_answer": (not ans.abstained
                                       and contains_answer(ans.text, turn.answers)),
                   "cites_gold": any(c.doc_id in gold for c in ans.citations)}
            if i and turn.standalone:
                alone = bot.ask(turn.standalone, as_of=as_of, mode=cfg.mode)
                row["standalone"] = turn.standalone
                row["standalone_contains_answer"] = (not alone.abstained and contains_answer(
                    alone.text, turn.answers))
            row["failure"] = "" if row["contains_answer"] else (
                "conversation: abstained" if ans.abstained else
                "conversation: answer missing")
            rows.append(row)
        return rows

    def ask(self, bot, cfg: EvalConfig, q: Question):
        return bot.ask(q.question, as_of=q.date if (cfg.use_dates and q.date) else None,
                       mode=cfg.mode)

    def run_question(self, bot, cfg: EvalConfig, q: Question, answerable: bool) -> dict:
        row: dict = {"config": cfg.name, "set": "answerable" if answerable else "unanswerable",
                     "id": q.id, "question": q.question, "date": q.date,
                     "answers": q.answers, "gold_doc_ids": q.gold_doc_ids}
        question = bot.check_question(q.question)
        passages = bot.search(question, top_k=SEARCH_PASSAGES, mode=cfg.mode,
                              as_of=q.date if (cfg.use_dates and q.date) else None,
                              query_vector=self.query_vector(bot, question))
        ranked = unique_in_order(p.doc_id for p in passages)[:DEPTH]
        row["ranked_doc_ids"] = ranked
        if answerable:
            copies = self.copies_of_gold(bot, q.gold_doc_ids)
            row["gold_copies"] = sorted(copies)
            gold = q.gold_doc_ids
            ranked = unique_in_order(copies.get(d, d) for d in ranked)  # a copy counts as gold
            row["gold_rank"] = first_gold_rank(ranked, gold)
            row["retrieval"] = {f"hit@{k}": hit_at_k(ranked, gold, k) for k in KS}
            row["retrieval"].update({"mrr@10": mrr_at_k(ranked, gold), "ndcg@10":
                                     ndcg_at_k(ranked, gold), "recall@10":
                                     recall_at_k(ranked, gold)})
            row["hit_curve"] = [hit_at_k(ranked, gold, k) for k in range(1, DEPTH + 1)]
            gold_texts = [t for t in (self.article_text(bot, g) for g in q.gold_doc_ids) if t]
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
        gold_ids = {*q.gold_doc_ids, *row.get("gold_copies", [])}
        for c in ans.citations:
            text = self.article_text(bot, c.doc_id)
            gold = c.doc_id in gold_ids
            cites.append({"n": c.n, "doc_id": c.doc_id, "start": c.start, "end": c.end,
                          "gold": gold,
                          "verbatim": text is not None and text[c.start:c.end] == c.quote,
                          "supports": gold or bool(q.answers and text
                                                   and contains_answer(text, q.answers)),
                          "quote_has_answer": bool(q.answers)
                          and contains_answer(c.quote, q.answers),
                          # the marked answer phrase, when the quote has one
                          "focus_is_answer": None if c.focus_start is None or not q.answers
                          else phrase_is_answer(c.quote[c.focus_start - c.start:
                                                        c.focus_end - c.start], q.answers)})
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
                # Of the answers whose first quote holds a gold answer and marks a phrase: how
                # often the marked phrase is that answer (the bold words a reader sees first).
                "focus_is_answer": _r(mean(
                    float(r["citations"][0]["focus_is_answer"]) for r in answered
                    if r["citations"] and r["citations"][0]["quote_has_answer"]
                    and r["citations"][0]["focus_is_answer"] is not None)),
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


def summarise_conversations(rows: list[dict]) -> dict | None:
    """First turns and follow-ups apart; the follow-ups against their standalone rewrites."""
    if not rows:
        return None
    first = [r for r in rows if r["turn"] == 1]
    follow = [r for r in rows if r["turn"] > 1]
    alone = [r for r in follow if "standalone_contains_answer" in r]
    f_contains = mean(float(r["contains_answer"]) for r in follow)
    s_contains = mean(float(r["standalone_contains_answer"]) for r in alone)
    return {
        "n_conversations": len(first), "n_followups": len(follow),
        "first_turn_contains": _r(mean(float(r["contains_answer"]) for r in first)),
        "followup_contains": _r(f_contains),
        "standalone_contains": _r(s_contains),
        "followup_ratio": _r(f_contains / s_contains) if f_contains is not None
        and s_contains else None,
        "followup_abstention": _r(mean(float(r["abstained"]) for r in follow)),
        "followup_cites_gold": _r(mean(float(r["cites_gold"]) for r in follow)),
    }


def settings_dict(settings) -> dict:
    """The settings a report records (no secrets, no server addresses)."""
    hidden = {"llm_api_key", "chroma_host", "chroma_port", "auth"}
    out = {k: v for k, v in settings.flat().items() if k not in hidden}
    out["model"] = settings.model_label
    return out


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

