"""Train the answer-phrase marker (rag/answering/focus_model.py) from ../shared/datasets alone.

    .venv/bin/python benchmarks/train_focus.py            # train on q24, test on q22, write weights
    .venv/bin/python benchmarks/train_focus.py --swap     # the other way round (not written)

A quoted sentence often holds several phrases of the asked kind ("U.S.", "CNN", "Game 6",
"British", the answer); the marker picks one. Examples: each question's gold-article sentences
that hold a gold answer, each phrase of the asked kind in them (rag.answering.focus
.phrase_spans), positive when it is that answer (rag.eval.metrics.phrase_is_answer).
Training set "q24": realtimeqa-2022-2024 questions that are not realtimeqa-2022 ones,
over their evidence passages. Test set "q22": the realtimeqa-2022 questions over their full
gold articles, never trained on. Logistic regression (L2 1.0, Newton steps, no randomness), then
the phrase with the best score is marked. Reported: how often the marked phrase is the answer,
among sentences with two phrases or more and one of them the answer, for the rule before (the
phrase nearest to the question's words) and the learned weights. Under a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"
L2 = 1.0


def examples(questions, articles) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per gold sentence holding an answer: (features, labels, nearest-rule one-hot)."""
    from rag.answering.constraints import asks_a_common_kind
    from rag.answering.focus import anchors, nearest, phrase_spans
    from rag.answering.focus_model import features
    from rag.answering.question import names_in
    from rag.eval.metrics import contains_answer, phrase_is_answer
    from rag.text import sentence_spans

    out = []
    for q in questions:
        if asks_a_common_kind(q.question):
            continue  # nothing is marked for these (extractive.compose)
        for doc_id in q.gold_doc_ids:
            text = articles.get(doc_id)
            if not text:
                continue
            known = names_in([text])  # as compose reads the passages: an opening name
            for a, b in sentence_spans(text):
                sentence = text[a:b]
                if not contains_answer(sentence, q.answers):
                    continue
                spans = phrase_spans(q.question, sentence, known, marked=True)
                if not spans:
                    continue
                marks = anchors(q.question, sentence)
                x = features(q.question, sentence, spans, marks)
                y = np.array([phrase_is_answer(sentence[s:e], q.answers) for s, e in spans],
                             dtype=float)
                near = nearest(spans, marks)
                rule = np.array([float(sp == near) for sp in spans])
                out.append((x, y, rule))
    return out


def fit(groups) -> np.ndarray:
    """L2-regularised logistic regression by Newton's method over every phrase."""
    x = np.vstack([g[0] for g in groups])
    y = np.concatenate([g[1] for g in groups])
    w = np.zeros(x.shape[1])
    reg = L2 * np.eye(x.shape[1])
    reg[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) + reg @ w
        hess = (x * (p * (1 - p))[:, None]).T @ x + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def accuracy(groups, w: np.ndarray | None) -> tuple[float, int]:
    """How often the marked phrase is the answer, over sentences with 2+ phrases and 1+ right."""
    counted = [g for g in groups if len(g[1]) >= 2 and g[1].any()]
    if not counted:
        return 0.0, 0
    right = 0
    for x, y, rule in counted:
        i = int(np.argmax(rule)) if w is None else int(np.argmax(x @ w))
        right += int(y[i] > 0)
    return right / len(counted), len(counted)


def _load(name: str):
    """A set's questions, and its articles' texts by id (read as `rag ingest` reads them)."""
    from rag.eval import load_questions
    from rag.sources import read_paths

    folder = DATASETS / name
    articles, _log = read_paths([folder / "articles.jsonl"])
    return load_questions(folder / "questions.jsonl"), {a.id: a.text for a in articles}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--swap", action="store_true",
                    help="train on realtimeqa-2022, test on the other questions (not written)")
    ap.add_argument("--out", type=Path,
                    default=ROOT / "rag" / "answering" / "focus_weights.json")
    args = ap.parse_args(argv)
    if not DATASETS.exists():
        print(f"needs {DATASETS}", file=sys.stderr)
        return 2
    from rag.answering.focus_model import NAMES

    q22, art22 = _load("realtimeqa-2022")
    q24, art24 = _load("realtimeqa-2022-2024")
    asked = {q.question.strip().lower() for q in q22}
    q24 = [q for q in q24 if q.question.strip().lower() not in asked]
    sets = {"q24": examples(q24, art24), "q22": examples(q22, art22)}
    train, test = ("q22", "q24") if args.swap else ("q24", "q22")
    w = fit(sets[train])
    print(f"trained on {train}: {sum(len(g[1]) for g in sets[train])} phrases in "
          f"{len(sets[train])} sentences")
    print("set    sentences  nearest  learned")
    for name in (train, test):
        base, n = accuracy(sets[name], None)
        learned, _ = accuracy(sets[name], w)
        print(f"{name:5s}  {n:9d}  {base:7.3f}  {learned:7.3f}")
    print("weights: " + ", ".join(f"{k} {v:+.2f}" for k, v in zip(NAMES, w, strict=True)))
    if not args.swap:
        args.out.write_text(json.dumps({
            "names": list(NAMES), "weights": [round(float(v), 6) for v in w],
            "trained_on": "realtimeqa-2022-2024 questions not in realtimeqa-2022",
            "made_by": "benchmarks/train_focus.py"}, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
