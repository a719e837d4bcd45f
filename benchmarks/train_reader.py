"""Train the reader (rag/answering/reader.py) from ../shared/datasets alone, reproducibly.

    .venv/bin/python benchmarks/train_reader.py collect [--index-dir /tmp/eval-v2]
    .venv/bin/python benchmarks/train_reader.py select  # model size and L2, on q24 split by date
    .venv/bin/python benchmarks/train_reader.py train   [--out-dir DIR]   # both shipped models
    .venv/bin/python benchmarks/train_reader.py cross   # train on one set, test on the other

collect: for each question of a set, retrieval over that set's own index (as `rag eval` builds
it), the answerer's candidate sentences, their features (rag.answering.reader.featurize) and a
label: does the sentence hold a gold answer string (normalised as contains-answer in `rag
eval`). Each question is asked once, every other one with its date as ``as_of``; and every
other question a second time as unanswerable: its gold articles and every passage holding an
answer string are removed from what retrieval found, so that what is left is what an index
without the answer would give. Written to --data (default /tmp/reader-data).

Sets, split by set so that no question is on both sides (all realtimeqa-2022 questions are
also in realtimeqa-2022-2024, with their evidence passages):
- "q24": realtimeqa-2022-2024 questions that are NOT realtimeqa-2022 questions, against the
  realtimeqa-2022-2024 articles: the training set of the shipped weights;
- "q22": the 206 realtimeqa-2022 questions against the realtimeqa-2022 articles: never
  trained on by the shipped weights; `rag eval` figures on it are test figures.

train: a one-hidden-layer network (8 tanh units, L2 0.01) on the q24 rows: binary cross-entropy per
sentence plus a listwise term (softmax over a question's candidates, for questions that have a
positive); full-batch Adam, fixed seed, 400 steps. CPU, about a minute. The size and L2 were
chosen on q24 alone, split by date (train before 2024-05-09, validate after; `select`): of
(16, 1e-3), (16, 1e-3, 150 steps), (4, 1e-2), (32, 1e-2), (8, 3e-2), (8, 1e-2), the last had the
best validation top-1 (0.861 of reachable asks, against 0.787 for 16 units with L2 1e-3).
The weights file records the features, the standardisation, the seed and the data counts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"
SEED = 20261129


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def sets() -> dict[str, tuple[Path, list[dict]]]:
    from rag.eval.metrics import contains_answer

    a22 = DATASETS / "realtimeqa-2022" / "articles.jsonl"
    a24 = DATASETS / "realtimeqa-2022-2024" / "articles.jsonl"
    q22 = _load(DATASETS / "realtimeqa-2022" / "questions.jsonl")
    asked = {q["question"].strip().lower() for q in q22}
    # Training questions: those whose answer is written in their evidence passage (the
    # others give no positive sentence and noisy negatives).
    texts = {a["id"]: a["text"] for a in _load(a24)}
    q24 = [q for q in _load(DATASETS / "realtimeqa-2022-2024" / "questions.jsonl")
           if q["question"].strip().lower() not in asked
           and any(contains_answer(texts.get(g, ""), q["answers"]) for g in q["gold_doc_ids"])]
    return {"q24": (a24, q24), "q22": (a22, q22)}


def collect(args) -> int:
    """Retrieval and candidates for every ask, saved raw (texts, contexts, vectors, IDF),
    so that features can change without asking again (``featurize`` runs at train time)."""
    import dataclasses
    import pickle

    import rag  # noqa: F401
    from rag.answering.extractive import ExtractiveAnswerer
    from rag.answering.reader import sentence_contexts
    from rag.eval import Evaluator, parse_config
    from rag.eval.metrics import contains_answer
    from rag.text import tokenize

    args.data.mkdir(parents=True, exist_ok=True)
    for name, (articles, questions) in sets().items():
        if args.only and name not in args.only.split(","):
            continue
        qfile = args.data / f"{name}-questions.jsonl"
        qfile.write_text("".join(json.dumps(q) + "\n" for q in questions))
        ev = Evaluator(articles, qfile, index_dir=args.index_dir, progress=True)
        bot = ev.assistant_for(parse_config("default"))
        reader = ExtractiveAnswerer(bot.embedder, bot.settings.answer,
                                    bot.settings.retrieval.date_window_days)
        searcher = bot.retriever.keyword.searcher(bot.store)
        if name == "q24":  # short passages: embed every sentence once, in large batches
            from rag.text import sentences

            every = [s for c in bot.store.iter_chunks() for s in sentences(c.text)]
            for i in range(0, len(every), 512):
                reader.embed_sentences(every[i:i + 512])
        asks = []
        started = time.perf_counter()
        for k, q in enumerate(questions[:args.limit] if args.limit else questions):
            as_of = q.get("date") if k % 2 else None
            gold = set(q["gold_doc_ids"])
            qvec = np.asarray(bot.embedder.embed_query(q["question"]), dtype=np.float32)
            qtok = list(dict.fromkeys(tokenize([q["question"]])[0]))
            for negative in [False] + ([True] if k % 2 == 0 else []):
                passages = bot.search(q["question"], top_k=20 if negative else args.top_k,
                                      as_of=as_of,
                                      query_vector=qvec)
                if negative:
                    passages = [p for p in passages if p.doc_id not in gold
                                and not contains_answer(p.text, q["answers"])][:args.top_k]
                cands = reader.candidates(passages)
                if not cands:
                    continue
                reader.score(q["question"], qvec, cands, as_of=as_of)  # the hand-set score
                asks.append({
                    "id": q["id"], "question": q["question"], "answers": q["answers"],
                    "as_of": as_of, "negative": negative, "gold": sorted(gold), "qvec": qvec,
                    "idf": searcher.idf(qtok),
                    "contexts": [dataclasses.asdict(c)
                                 for c in sentence_contexts(passages, cands)],
                    "rules": [c.pick for c in cands],
                    "svecs": reader.embed_sentences([c.text for c in cands]).astype(np.float16),
                    "labels": [contains_answer(c.text, q["answers"]) and not negative
                               for c in cands]})
            if k % 25 == 0:
                print(f"{name}: {k}/{len(questions)} questions, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
        with open(args.data / f"{name}.pkl", "wb") as fh:
            pickle.dump(asks, fh)
        n = sum(len(a["labels"]) for a in asks)
        print(f"{name}: {len(asks)} asks, {n} sentences, "
              f"{sum(sum(a['labels']) for a in asks)} positive", file=sys.stderr)
    return 0


def featurize_asks(asks: list[dict]):
    """(x, y, q, unans) from collected asks, with the current features."""
    from rag.answering.reader import SentenceContext, featurize

    xs, ys, qs, un = [], [], [], []
    for k, a in enumerate(asks):
        ctxs = [SentenceContext(**c) for c in a["contexts"]]
        idf = a["idf"]
        x = featurize(a["question"], a["qvec"], a["svecs"].astype(np.float32), ctxs,
                      idf=lambda words, idf=idf: {w: idf[w] for w in words if w in idf},
                      as_of=a["as_of"], rules=a["rules"])
        xs.append(x)
        ys += a["labels"]
        qs += [k] * len(ctxs)
        un.append(a["negative"])
    return (np.concatenate(xs), np.array(ys, dtype=np.float32), np.array(qs),
            np.array(un, dtype=np.int8))


def load_data(path: Path):
    """Features and labels of a collected set (``path``: its .pkl)."""
    import pickle

    with open(path, "rb") as fh:
        return featurize_asks(pickle.load(fh))


def fit(x, y, q, hidden: int = 8, steps: int = 400, seed: int = SEED, listwise: float = 1.0,
        l2: float = 1e-2, features: list[str] | None = None) -> dict:
    """The network's weights, trained with torch on the CPU (deterministic)."""
    import torch

    from rag.answering.reader import FEATURES

    features = features or FEATURES
    x = x[:, [FEATURES.index(f) for f in features]]
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-6] = 1.0
    xs = torch.tensor((x - mean) / scale, dtype=torch.float32)
    ys = torch.tensor(y, dtype=torch.float32)
    qs = torch.tensor(q, dtype=torch.long)
    n_q = int(q.max()) + 1
    has_pos = torch.zeros(n_q).index_add_(0, qs, ys) > 0
    w1 = torch.nn.Parameter(torch.randn(x.shape[1], hidden) * 0.1)
    b1 = torch.nn.Parameter(torch.zeros(hidden))
    w2 = torch.nn.Parameter(torch.randn(hidden) * 0.1)
    b2 = torch.nn.Parameter(torch.zeros(()))
    opt = torch.optim.Adam([w1, b1, w2, b2], lr=0.02)
    pos_weight = torch.tensor(max(1.0, float((1 - y).sum() / max(1.0, y.sum()))) ** 0.5)
    for _ in range(steps):
        opt.zero_grad()
        logit = torch.tanh(xs @ w1 + b1) @ w2 + b2
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logit, ys,
                                                                   pos_weight=pos_weight)
        # listwise: -log of the softmax mass on the positives of each question with one
        mx = torch.full((n_q,), -1e9).scatter_reduce(0, qs, logit, "amax")
        e = torch.exp(logit - mx[qs])
        z = torch.zeros(n_q).index_add_(0, qs, e)
        zp = torch.zeros(n_q).index_add_(0, qs, e * ys)
        lw = -(torch.log(zp[has_pos] + 1e-9) - torch.log(z[has_pos])).mean()
        loss = bce + listwise * lw + l2 * (w1.pow(2).sum() + w2.pow(2).sum())
        loss.backward()
        opt.step()
    return {"features": list(features), "mean": mean.tolist(), "scale": scale.tolist(),
            "w1": w1.detach().numpy().tolist(), "b1": b1.detach().numpy().tolist(),
            "w2": w2.detach().numpy().tolist(), "b2": float(b2.detach()),
            "meta": {"hidden": hidden, "steps": steps, "seed": seed, "listwise": listwise,
                     "l2": l2}}


def per_question(model, x, y, q, unans):
    """For each ask: the best sentence's probability, and whether it holds the answer."""
    p = model.probs(x)
    out = []
    for k in range(int(q.max()) + 1):
        idx = np.where(q == k)[0]
        if len(idx) == 0:
            continue
        best = idx[np.argmax(p[idx])]
        out.append((float(p[best]), bool(y[best]), bool(y[idx].any()), bool(unans[k])))
    return out


def summary(rows, threshold: float) -> dict:
    ans = [r for r in rows if not r[3]]
    neg = [r for r in rows if r[3]]
    reachable = [r for r in ans if r[2]]
    return {
        "asks": len(rows),
        "top1_holds_answer|reachable": round(np.mean([r[1] for r in reachable]), 3),
        "answered_and_right|reachable": round(np.mean([r[1] and r[0] >= threshold
                                                       for r in reachable]), 3),
        "abstain|answerable": round(np.mean([r[0] < threshold for r in ans]), 3),
        "abstain|synthetic-unanswerable": round(np.mean([r[0] < threshold for r in neg]), 3)
        if neg else None,
    }


# The shipped default ("calibrated"): the hand-set sentence score (ExtractiveAnswerer.score)
# and its gap to the ask's best, through the same network: a learned calibration, so that the
# answer and "related" thresholds are probabilities learned from data. "full" learns from every
# feature; on the test set it picked the answer sentence no better (benchmarks/README.md).
MODELS = {"calibrated": ["rules", "rules_gap", "bias"], "full": None}


def train(args) -> int:
    from rag.answering.reader import WEIGHTS, ReaderModel

    x, y, q, unans = load_data(args.data / "q24.pkl")
    test = args.data / "q22.pkl"
    tx = load_data(test) if test.exists() else None
    for name, features in MODELS.items():
        weights = fit(x, y, q, features=features)
        model = ReaderModel(weights)
        rows = per_question(model, x, y, q, unans)
        # The answer threshold: the training asks' 5th percentile of the best sentence's
        # probability among answerable asks (5% of them would abstain); "related" at half.
        best = sorted(r[0] for r in rows if not r[3])
        threshold = round(float(best[int(0.05 * len(best))]), 3)
        weights["meta"].update({
            "name": name, "threshold": threshold, "related_threshold": round(threshold / 2, 3),
            "trained_on": "realtimeqa-2022-2024 minus realtimeqa-2022 questions (q24)",
            "sentences": int(len(y)), "positives": int(y.sum()), "asks": int(len(unans)),
            "train_summary": summary(rows, threshold)})
        out = (args.out_dir / WEIGHTS[name].name) if args.out_dir else WEIGHTS[name]
        out.write_text(json.dumps(weights, separators=(",", ":")) + "\n")
        print(name, json.dumps(weights["meta"], indent=2))
        if tx is not None:
            print(f"{name}: test q22:", summary(per_question(model, *tx), threshold))
    return 0


def cross(args) -> int:
    """Train on one set, test on the other, both ways (same recipe as train)."""
    from rag.answering.reader import ReaderModel

    data = {n: load_data(args.data / f"{n}.pkl") for n in ("q24", "q22")}
    for a, b in (("q24", "q22"), ("q22", "q24")):
        model = ReaderModel(fit(*data[a][:3]))
        for name in (a, b):
            print(f"train {a} -> {'train' if name == a else 'test'} {name}:",
                  summary(per_question(model, *data[name]), 0.5))
    return 0


def select(args) -> int:
    """The model size and L2, chosen on q24 alone: train on its asks dated before the 70th
    percentile date, validate on the rest (q22 is never looked at)."""
    import pickle

    from rag.answering.reader import ReaderModel

    with open(args.data / "q24.pkl", "rb") as fh:
        asks = pickle.load(fh)
    dated = {q["id"]: q.get("date", "") for q in _load(args.data / "q24-questions.jsonl")}
    cut = sorted(dated[a["id"]] for a in asks)[int(len(asks) * 0.7)]
    early = featurize_asks([a for a in asks if dated[a["id"]] < cut])
    late = featurize_asks([a for a in asks if dated[a["id"]] >= cut])
    print(f"train before {cut}: {len(early[3])} asks; validate: {len(late[3])} asks")
    for hidden, steps, l2 in [(16, 400, 1e-3), (16, 150, 1e-3), (4, 300, 1e-2),
                              (32, 400, 1e-2), (8, 200, 3e-2), (8, 400, 1e-2)]:
        model = ReaderModel(fit(*early[:3], hidden=hidden, steps=steps, l2=l2))
        print(f"hidden={hidden} steps={steps} l2={l2}:",
              summary(per_question(model, *late), 0.5))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["collect", "select", "train", "cross"])
    ap.add_argument("--data", type=Path, default=Path("/tmp/reader-data"))
    ap.add_argument("--index-dir", type=Path, default=Path("/tmp/eval-v2"))
    ap.add_argument("--out-dir", type=Path, default=None,
                    help="write the weights here (default: rag/answering/, the shipped ones)")
    ap.add_argument("--only", default="", help="collect only these sets (q24,q22)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--top-k", type=int, default=8, help="passages per ask")
    args = ap.parse_args(argv)
    if not DATASETS.exists():
        print(f"needs {DATASETS}", file=sys.stderr)
        return 2
    return {"collect": collect, "select": select, "train": train,
            "cross": cross}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
