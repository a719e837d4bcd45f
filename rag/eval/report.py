"""The evaluation report: its records, tables and the files `rag eval` writes."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from .metrics import unique_in_order

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
    conversations: dict | None = None
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
    n_conversations: int = 0

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
            "conversations": p.conversations,
            "n_conversations": self.n_conversations,
            "settings": self.settings,
            "articles": self.articles,
            "questions": self.questions,
            "unanswerable_questions": self.unanswerable_questions,
            "index_dirs": self.index_dirs,
            "seconds": round(self.seconds, 1),
            "configs": {name: c.to_dict() for name, c in self.configs.items()},
        }


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
    ("focus", "citations", "focus_is_answer"),
    ("p50 ms", "latency_ms", "p50"), ("p95 ms", "latency_ms", "p95"),
    ("abstain-unans", "unanswerable", "abstention_rate"),
    ("conv-1st", "conversations", "first_turn_contains"),
    ("conv-follow", "conversations", "followup_contains"),
    ("conv-alone", "conversations", "standalone_contains"),
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
    from .plots import write_plots

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
    for section in ("retrieval", "answer", "citations", "latency_ms", "unanswerable",
                    "conversations"):
        keys = unique_in_order(k for r in report.configs.values()
                               for k in (getattr(r, section) or {}))
        if not keys:
            continue
        lines += [f"## {section}", "", md_table(
            ["config", *keys],
            [[n, *(_fmt((getattr(r, section) or {}).get(k)) for k in keys)]
                                for n, r in report.configs.items()]), ""]
    lines += ["## Failures (count of questions per reason)", ""]
    for n, r in report.configs.items():
        lines.append(f"- **{n}**: " + (", ".join(f"{k} ({v})" for k, v in r.failures.items())
                                       or "none"))
    lines.append("")
    for p in plots:
        lines += [f"![{p}]({p})", ""]
    return "\n".join(lines)



def metric(report: EvalReport, path: str):
    """A figure of the first configuration by its report.json path, e.g.
    "answer.contains_answer_in_gold", "unanswerable.abstention_rate",
    "conversations.followup_ratio" (None when the run has no such figure)."""
    section, _, key = path.partition(".")
    if not key:
        return None
    return (getattr(report.primary, section, None) or {}).get(key)


def failing(report: EvalReport, bounds: list[tuple[str, float, str]]) -> list[str]:
    """One line per bound the report does not meet: (METRIC, VALUE, ">=") for
    ``--fail-under METRIC=VALUE``, (METRIC, VALUE, "<=") for ``--fail-over``."""
    out = []
    for path, bound, op in bounds:
        got = metric(report, path)
        if got is None:
            out.append(f"{path}: not measured by this run (needs {op} {bound})")
        elif (got < bound) if op == ">=" else (got > bound):
            out.append(f"{path}: {got:.4f} {'<' if op == '>=' else '>'} {bound}")
    return out
