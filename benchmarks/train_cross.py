"""Train the reader's cross-encoder (rag/answering/cross_encoder.py) from ../shared/datasets alone.

    .venv/bin/python benchmarks/train_reader.py collect   # the asks, about 3 min (once)
    .venv/bin/python benchmarks/train_cross.py train      # 652 steps, 29-35 min on 2 cores
    .venv/bin/python benchmarks/train_cross.py test       # q22: which sentences it picks, 3 min

Data: the asks that ``train_reader.py collect`` writes to /tmp/reader-data. Training set
"q24": realtimeqa-2022-2024 questions that are not realtimeqa-2022 questions, each asked
against the realtimeqa-2022-2024 articles (one ask per question, and a second ask for every
other question with its gold passages and every passage holding an answer removed). A
candidate sentence is positive when it holds a gold answer string. Test set "q22": the 206
realtimeqa-2022 questions against the realtimeqa-2022 articles, never trained on.

Recipe: the bundled MiniLM frozen, LoRA rank 8 on the query, value and both feed-forward
layers of each of its 6 layers, a linear head on the mean-pooled output; binary cross-entropy
per sentence plus half a listwise term (softmax over an ask's candidates, for asks with a
positive); AdamW, learning rate 1e-3 with 30 warm-up steps and a linear decay; 6 asks (at most
16 candidates each) per step; 2 passes over the asks (1.5 picked the answer sentence less
often: benchmarks/README.md); seeds fixed, 2 torch threads. ``--restatements`` adds each
question's scene-setting sentences as negatives (tried at stop 32, not kept: benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import pickle
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = 0
ASKS_PER_STEP = 6
MAX_CANDIDATES = 16


def _read(c: dict, title: bool = False) -> str:
    """What the cross-encoder reads of a candidate: its sentence, after its article's title
    with ``title``."""
    return f"{c['title']} | {c['text']}" if title and c.get("title") else c["text"]


def _pairs(ask: dict, title: bool = False) -> list[tuple[str, str]]:
    return [(ask["question"], _read(c, title)) for c in ask["contexts"]]


def _examples(ask: dict, restatements: bool, gold_positives: bool = False,
              title: bool = False) -> tuple[list[tuple[str, str]], list[float]]:
    """An ask's (question, sentence) pairs and labels, at most MAX_CANDIDATES. With
    ``restatements``, the quiz's scene-setting sentences ("King Charles III became Britain's
    new monarch ...") join as negatives: a long article restates them in its own words, and
    the 200-character evidence passages never show such a sentence that does not answer.
    With ``gold_positives``, a sentence holding a gold answer outside the gold articles
    ("Taiwan" in another story) is left out rather than taken as positive (tried at stop 39,
    not kept: benchmarks/README.md). With ``title``, each sentence is read after its article's
    title (tried at stop 40, not kept)."""
    from rag.answering.constraints import _asking
    from rag.text import sentences

    if gold_positives:
        gold = set(ask["gold"])
        keep = [i for i, (c, y) in enumerate(zip(ask["contexts"], ask["labels"], strict=True))
                if not y or c["doc_id"] in gold]
        ask = dict(ask, contexts=[ask["contexts"][i] for i in keep],
                   labels=[ask["labels"][i] for i in keep])
    pairs = _pairs(ask, title)
    labels = [float(x) for x in ask["labels"]]
    extra = []
    if restatements:
        asking = _asking(ask["question"])
        head = ask["question"][:ask["question"].rfind(asking)].strip()
        extra = [s for s in sentences(head) if len(s.split()) >= 4] if head else []
    keep = MAX_CANDIDATES - len(extra)
    return ([*pairs[:keep], *((ask["question"], s) for s in extra)],
            [*labels[:keep], *(0.0 for _ in extra)])


_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
    r"hundreds?|thousands?|millions?|billions?)\b", re.I)


def _erased(ask: dict) -> list[tuple[str, str]]:
    """Each positive sentence with its answer replaced by a vague word ("will call up some
    reservists" for "will call up 300,000 reservists"): a negative that matches the question
    as well as the answer does, so that what tells them apart is the answer itself (the
    evidence passages' other sentences are mostly of other stories, easy negatives)."""
    out = []
    for c, y in zip(ask["contexts"], ask["labels"], strict=True):
        if not y:
            continue
        text = c["text"].replace("’", "'")
        for a in sorted(ask["answers"], key=len, reverse=True):
            a = a.strip().strip("“”\"").replace("’", "'")
            pattern = rf"(?<!\w){re.escape(a)}(?!\w)"
            if a and re.search(pattern, text, re.I):
                filler = "some" if _NUMBER.search(a) else "something"
                out.append((ask["question"], re.sub(pattern, filler, text, flags=re.I)))
                break
    return out


def train(args) -> int:
    import torch

    from rag.answering.cross_encoder import build, trained_state

    torch.manual_seed(SEED)
    random.seed(SEED)
    torch.set_num_threads(2)
    with open(args.data / "q24.pkl", "rb") as fh:
        asks = pickle.load(fh)
    model, tokenizer = build()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    total = int(args.epochs * len(asks) / ASKS_PER_STEP)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 30) * max(0.05, 1 - s / total))
    bce = torch.nn.BCEWithLogitsLoss()
    order = list(range(len(asks)))
    step, started = 0, time.perf_counter()
    model.train()
    print(f"{len(asks)} asks, {sum(p.numel() for p in params)} trained numbers, {total} steps",
          file=sys.stderr)
    while step < total:
        random.shuffle(order)
        for i in range(0, len(order), ASKS_PER_STEP):
            pairs, labels, spans = [], [], []
            for k in order[i:i + ASKS_PER_STEP]:
                a = asks[k]
                some, ys = _examples(a, args.restatements, args.gold_positives, args.title)
                if args.erased and not a["negative"]:
                    extra = _erased(a)
                    some, ys = [*some, *extra], [*ys, *(0.0 for _ in extra)]
                spans.append((len(pairs), len(pairs) + len(some), a["negative"]))
                pairs += some
                labels += ys
            batch = tokenizer([q for q, _ in pairs], [s for _, s in pairs], padding=True,
                              truncation=True, max_length=128, return_tensors="pt")
            logits = model(**batch)
            y = torch.tensor(labels)
            loss = bce(logits, y)
            for s, e, negative in spans:
                if not negative and y[s:e].sum() > 0:
                    logp = torch.log_softmax(logits[s:e], 0)
                    loss = loss + 0.5 * -(logp * y[s:e]).sum() / y[s:e].sum() / len(spans)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                print(f"step {step}/{total}, loss {loss.item():.3f}, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            if step >= total:
                break
    np.savez(args.out, **trained_state(model))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


def test(args) -> int:
    """On q22: how often the best sentence holds the answer, over asks where some candidate
    does (the hand-set score, the cross-encoder alone, and the blend the answerer uses)."""
    from rag.answering.cross_answerer import blend_order
    from rag.answering.cross_encoder import load_scorer
    from rag.config import AnswerSettings

    with open(args.data / "q22.pkl", "rb") as fh:
        asks = pickle.load(fh)
    scorer = load_scorer(weights=args.out)
    s = AnswerSettings()
    reach = [a for a in asks if not a["negative"] and any(a["labels"])]
    started = time.perf_counter()
    rows = {"hand-set score": [], "cross-encoder alone": [], "blend (answerer)": []}
    # Does the cross-encoder find answers the hand-set score misses, as an added sentence?
    more = {"hand-set 2 best": [], "hand-set 3 best": [],
            "hand-set best + cross-encoder's best of 8": [],
            "hand-set 2 best + cross-encoder's best of 8": []}
    for a in reach:
        rules = np.array(a["rules"])
        labels = np.array(a["labels"], dtype=bool)
        logits = scorer.scores(a["question"], [_read(c, args.title) for c in a["contexts"]])
        top = np.argsort(-rules, kind="stable")[:s.cross_candidates]
        best = top[blend_order(rules[top], logits[top], s.cross_weight,
                               s.cross_lead_logit, s.cross_lead_margin)[0]]
        rows["hand-set score"].append(a["labels"][int(np.argmax(rules))])
        rows["cross-encoder alone"].append(a["labels"][int(np.argmax(logits))])
        rows["blend (answerer)"].append(a["labels"][int(best)])
        ce = int(top[np.argmax(logits[top])])
        for hits, chosen in zip(more.values(), [top[:2], top[:3], [top[0], ce],
                                             [*top[:2], ce]], strict=True):
            hits.append(bool(labels[list(chosen)].any()))
    print(f"q22: {len(reach)} asks with a candidate holding the answer "
          f"({time.perf_counter() - started:.0f} s)")
    for name, hits in rows.items():
        print(f"  best sentence holds the answer, {name}: {np.mean(hits):.3f}")
    for name, hits in more.items():
        print(f"  one of the sentences holds the answer, {name}: {np.mean(hits):.3f}")
    return 0


def main(argv=None) -> int:
    from rag.answering.cross_encoder import WEIGHTS

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("step", choices=["train", "test"])
    ap.add_argument("--data", type=Path, default=Path("/tmp/reader-data"))
    ap.add_argument("--out", type=Path, default=WEIGHTS, help="the weights file (.npz)")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--erased", action="store_true",
                    help="each positive sentence with its answer erased, as a negative (train)")
    ap.add_argument("--restatements", action="store_true",
                    help="the questions' scene-setting sentences as negatives (train)")
    ap.add_argument("--gold-positives", action="store_true",
                    help="positives from the gold articles only; others left out (train)")
    ap.add_argument("--title", action="store_true",
                    help="each sentence read after its article's title (train, test)")
    args = ap.parse_args(argv)
    if not (args.data / "q24.pkl").exists():
        print(f"no {args.data}/q24.pkl: run benchmarks/train_reader.py collect first",
              file=sys.stderr)
        return 2
    return {"train": train, "test": test}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
