"""Would a second test before answering refuse more unanswerable questions than answerable ones?

    .venv/bin/python benchmarks/answer_gates.py [--index-dir /tmp/eval-v2] [--cross-sample 16]

Each question of the development sets (realtimeqa-2022 and the cross set, answerable-2022 and
nearmiss-2022) and of the held-out Reuters sets is asked once with the answer threshold lowered
to --low, and what a gate would need is kept: the best hand-set relevance, the first cited
sentence, the cross-encoder's logit for it (rag/answering/cross_encoder.py), and how much of
the question's IDF weight the cited article holds. Then every (threshold, gate) pair is
replayed over those asks without asking again: abstention and contains-answer per set, the
shipped rule (threshold 0.50, no gate) first. A gate earns its place only if, at the same
abstention on answerable questions, it abstains more on the unanswerable ones than raising the
threshold does.

The replay is close to the real answerer but not exact (at a lower threshold the answerer may
pick another sentence), so a kept gate is measured again with benchmarks/quality.py. Needs
../shared/datasets and the eval indexes of quality.py (about 6 min on 2 cores).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"
DATA = ROOT / "benchmarks" / "data"
UNANSWERABLE = {"cross", "nearmiss", "reuters-nearmiss"}


def collect(args) -> list[dict]:
    import json

    from rag import Assistant
    from rag.answering.cross_encoder import load_scorer
    from rag.eval import load_questions
    from rag.eval.metrics import contains_answer
    from rag.text import tokenize

    scorer = load_scorer()
    q22 = load_questions(DATASETS / "realtimeqa-2022" / "questions.jsonl")
    asked = {q.question.strip().lower() for q in q22}
    cross = [q for q in load_questions(DATASETS / "realtimeqa-2022-2024" / "questions.jsonl")
             if q.question.strip().lower() not in asked][::args.cross_sample]
    runs = [("realtimeqa-2022", "realtimeqa-2022", q22),
            ("realtimeqa-2022", "cross", cross),
            ("realtimeqa-2022", "answerable-2022", load_questions(DATA / "answerable-2022.jsonl")),
            ("realtimeqa-2022", "nearmiss", load_questions(DATA / "nearmiss-2022.jsonl")),
            ("reuters21578", "reuters-heldout", load_questions(DATA / "reuters-heldout.jsonl")),
            ("reuters21578", "reuters-nearmiss", load_questions(DATA / "reuters-nearmiss.jsonl"))]
    rows = []
    for corpus, name, questions in runs:
        index = next(args.index_dir.glob(f"{corpus}-articles-*"))
        # Document frequencies over the corpus's articles, for the coverage gate.
        texts = {}
        with open(DATASETS / corpus / "articles.jsonl", encoding="utf-8") as fh:
            for line in fh:
                a = json.loads(line)
                texts[a["id"]] = set(tokenize([a.get("text", "")])[0])
        df = Counter(w for words in texts.values() for w in words)
        # Every answerer answers from --low on, without the cross answerer's rescue.
        assistant = Assistant(index_dir=index, min_answer_score=args.low,
                              cross_rescue_score=args.low)
        ex = assistant.answering.extractive
        started = time.perf_counter()
        for q in questions:
            res = assistant.ask(q.question)
            cands = ex.candidates(res.passages)
            ex.score(q.question, assistant.embedder.embed_query(q.question), cands)
            lead = res.citations[0] if res.citations else None
            weights = {w: math.log((len(texts) + 1) / (df.get(w, 0) + 0.5))
                       for w in set(tokenize([q.question])[0])}
            held = texts.get(lead.doc_id, set()) if lead else set()
            total = sum(weights.values())
            rows.append({
                "set": name, "abstained": res.abstained,
                "best": max((c.score for c in cands), default=0.0),
                "logit": float(scorer.scores(q.question, [lead.quote])[0]) if lead else None,
                "coverage": (sum(v for w, v in weights.items() if w in held) / total
                             if total else 1.0),
                "contains": not res.abstained and contains_answer(res.text, q.answers)})
        print(f"{name}: {len(questions)} asks, {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
    return rows


def replay(rows: list[dict], threshold: float, logit: float, coverage: float,
           rescue: tuple[float, float] | None = None) -> dict:
    """Abstention and contains-answer per set when an answer needs the best relevance >=
    ``threshold``, the lead sentence's logit >= ``logit`` and the article's coverage >=
    ``coverage``, or, with ``rescue`` = (relevance, logit), a relevance below the threshold
    but >= that one and a lead sentence the cross-encoder scores >= that logit (a pure
    function of the collected asks)."""
    out = {}
    for name in dict.fromkeys(r["set"] for r in rows):
        asks = [r for r in rows if r["set"] == name]
        answered = [r for r in asks if not r["abstained"] and (
            (r["best"] >= threshold and (r["logit"] is None or r["logit"] >= logit)
             and r["coverage"] >= coverage)
            or (rescue is not None and r["best"] >= rescue[0] and r["logit"] is not None
                and r["logit"] >= rescue[1]))]
        out[name] = (1 - len(answered) / len(asks),
                     sum(r["contains"] for r in answered) / len(asks))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, default=Path("/tmp/eval-v2"))
    ap.add_argument("--cross-sample", type=int, default=16)
    ap.add_argument("--low", type=float, default=0.40, help="the threshold the asks are made at")
    ap.add_argument("--rows", type=Path, help="keep the asks in this JSON file (read it when it "
                                              "exists: another replay without asking again)")
    args = ap.parse_args(argv)
    if not DATASETS.exists():
        print(f"needs {DATASETS} (absent)", file=sys.stderr)
        return 2
    import json

    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text())
    else:
        rows = collect(args)
        if args.rows:
            args.rows.write_text(json.dumps(rows))
    names = list(dict.fromkeys(r["set"] for r in rows))
    print("threshold  logit  coverage | " + " | ".join(
        f"{n}: abstain" + ("" if n in UNANSWERABLE else " / contains") for n in names))
    grid = [(0.50, -99, 0.0)] + [(t, g, 0.0) for t in (0.46, 0.48, 0.50, 0.53, 0.56)
                                 for g in (-99, -3.0, -2.0)] \
        + [(t, -99, c) for t in (0.46, 0.48, 0.50) for c in (0.45, 0.50, 0.55)]
    def show(label: str, r: dict) -> None:
        print(label + " | " + " | ".join(
            f"{r[n][0]:.3f}" + ("" if n in UNANSWERABLE else f" / {r[n][1]:.3f}")
            for n in names))

    for threshold, logit, coverage in grid:
        show(f"{threshold:9.2f}  {'-' if logit < -50 else logit:>5}  {coverage:8.2f}",
             replay(rows, threshold, logit, coverage))
    # Below the threshold, a sentence the cross-encoder is sure of ("Dinosaur tracks ... have
    # been revealed" for "What ancient find was uncovered in a Texas riverbed?").
    print("threshold T, or relevance >= R and logit >= L:")
    for threshold in (0.50, 0.52, 0.53, 0.54, 0.56):
        for low in (0.40, 0.44):
            for high in (-1.0, 0.0, 1.0):
                show(f"T {threshold:.2f} R {low:.2f} L {high:4.1f}",
                     replay(rows, threshold, -99, 0.0, (low, high)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
