"""Replay the answerer over cached retrieval: a change to the answering checks measured in 2 min.

    .venv/bin/python benchmarks/answer_replay.py collect            # retrieval once, about 3 min
    .venv/bin/python benchmarks/answer_replay.py run [--show] [KEY=VALUE ...]

``collect`` asks every question of the development and held-out sets once (realtimeqa-2022
with and without its question dates, the cross set sampled 1 in 16, answerable-2022,
nearmiss-2022, reuters-heldout, reuters-nearmiss: quality.py's sets) and keeps the passages
retrieved and the answer given. ``run`` answers each again from those passages with the
current answering code and settings (``KEY=VALUE``: any answer setting, e.g.
``cross_weight=0.2``), and prints per set the abstention and contains-answer (over the
questions whose gold article holds an answer, for realtimeqa-2022: quality.py's "contains |
gold"); ``--show`` lists each question whose outcome changed against the collected answers.
Retrieval does not change with the answering code, so the figures equal quality.py's for the
same code (checked: stop 31). Needs ../shared/datasets and quality.py's indexes.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"
DATA = ROOT / "benchmarks" / "data"


def _sets():
    from rag.eval import load_questions

    q22 = load_questions(DATASETS / "realtimeqa-2022" / "questions.jsonl")
    asked = {q.question.strip().lower() for q in q22}
    cross = [q for q in load_questions(DATASETS / "realtimeqa-2022-2024" / "questions.jsonl")
             if q.question.strip().lower() not in asked][::16]
    return [("realtimeqa-2022", "q22", q22, False), ("realtimeqa-2022", "q22-dates", q22, True),
            ("realtimeqa-2022", "cross", cross, False),
            ("realtimeqa-2022", "answerable", load_questions(DATA / "answerable-2022.jsonl"),
             False),
            ("realtimeqa-2022", "nearmiss", load_questions(DATA / "nearmiss-2022.jsonl"), False),
            ("reuters21578", "reuters-heldout", load_questions(DATA / "reuters-heldout.jsonl"),
             False),
            ("reuters21578", "reuters-nearmiss", load_questions(DATA / "reuters-nearmiss.jsonl"),
             False)]


def _index(index_dir: Path, corpus: str) -> Path:
    return next(index_dir.glob(f"{corpus}-articles-*"))


def collect(args) -> int:
    import json

    from rag import Assistant
    from rag.eval.metrics import normalise

    # The questions whose gold article holds an answer string ("contains | gold").
    texts = {}
    with open(DATASETS / "realtimeqa-2022" / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            texts[a["id"]] = f" {normalise(a.get('text', ''))} "
    rows, bots = [], {}
    for corpus, name, questions, dates in _sets():
        bot = bots.setdefault(corpus, Assistant(index_dir=_index(args.index_dir, corpus)))
        started = time.perf_counter()
        for q in questions:
            as_of = q.date if dates else None
            a = bot.ask(q.question, as_of=as_of)
            in_gold = any(f" {normalise(x)} " in texts.get(d, "") for d in q.gold_doc_ids
                          for x in q.answers if normalise(x))
            rows.append({"corpus": corpus, "set": name, "question": q.question,
                         "answers": q.answers, "as_of": as_of, "passages": a.passages,
                         "in_gold": in_gold, "text": a.text, "abstained": a.abstained})
        print(f"{name}: {len(questions)} asks, {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)
    args.cache.write_bytes(pickle.dumps(rows))
    return 0


def run(args) -> int:
    from rag import Assistant
    from rag.eval.metrics import contains_answer

    rows = pickle.loads(args.cache.read_bytes())
    overrides = {}
    for kv in args.settings:
        key, value = kv.split("=", 1)
        overrides[key] = value
    bots, totals, changed = {}, {}, []
    for r in rows:
        bot = bots.setdefault(r["corpus"], Assistant(index_dir=_index(args.index_dir,
                                                                      r["corpus"]),
                                                     **overrides))
        a = bot.answering.extractive.answer(r["question"], r["passages"],
                                            qvec=bot.embedder.embed_query(r["question"]),
                                            as_of=r["as_of"])
        right = not a.abstained and contains_answer(a.text, r["answers"])
        t = totals.setdefault(r["set"], [0, 0, 0, 0])  # asks, abstained, right, counted
        t[0] += 1
        t[1] += a.abstained
        if r["in_gold"] or not r["set"].startswith("q22"):
            t[2] += right
            t[3] += 1
        before = not r["abstained"] and contains_answer(r["text"], r["answers"])
        if right != before or a.abstained != r["abstained"]:
            def said(abst, ok):
                return "abstained" if abst else ("right" if ok else "wrong")
            changed.append(f"  {r['set']}: {r['question'][:90]} "
                           f"{said(r['abstained'], before)} -> {said(a.abstained, right)}")
    print("set: abstention / contains-answer" + (f" ({overrides})" if overrides else ""))
    for name, (n, abst, right, counted) in totals.items():
        print(f"  {name}: {abst / n:.3f} / {right / counted if counted else 0:.3f}")
    if args.show:
        print("\n".join(changed) or "  no question changed")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["collect", "run"])
    ap.add_argument("settings", nargs="*", help="KEY=VALUE answer settings (run)")
    ap.add_argument("--index-dir", type=Path, default=Path("/tmp/eval-v2"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/answer-replay.pkl"))
    ap.add_argument("--show", action="store_true", help="list the questions that changed")
    args = ap.parse_args(argv)
    if not DATASETS.exists():
        print(f"needs {DATASETS} (absent)", file=sys.stderr)
        return 2
    if args.step == "run" and not args.cache.exists():
        print(f"no {args.cache}: run `answer_replay.py collect` first", file=sys.stderr)
        return 2
    return {"collect": collect, "run": run}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
