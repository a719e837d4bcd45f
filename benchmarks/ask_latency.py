"""Warm `ask` latency over a persisted index, against dense-only retrieval measured in the same
run (the floor: one query embedding and one Chroma query).

    .venv/bin/python benchmarks/ask_latency.py --index-dir /tmp/reuters_idx [--questions Q.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402

QUESTIONS = [
    "What did the U.S. Agriculture Department report about wheat prices?",
    "Which company announced a merger with a bank?",
    "What did OPEC decide about oil production?",
    "How much did the trade deficit grow?",
    "What happened to the dollar against the yen?",
    "Who was named chief executive?",
    "What was said about coffee export quotas?",
    "Why did the company report a loss?",
    "What did the Bundesbank do with interest rates?",
    "How many shares will be offered?",
]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index-dir", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    bot = rag.Assistant(index_dir=args.index_dir)
    bot.ask(QUESTIONS[0])  # warm: model loaded, BM25 loaded
    ask_ms, dense_ms, first_ms = [], [], []
    for round_ in range(args.rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            bot.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            if round_ == 0:  # nothing cached yet for this question
                first_ms.append(ask_ms[-1])
            t = time.perf_counter()
            bot.search(q, mode="dense")
            dense_ms.append((time.perf_counter() - t) * 1000)
    stats = bot.stats()
    print(json.dumps({
        "index_articles": stats["articles"], "index_chunks": stats["chunks"],
        "first_ask_ms_p50": round(pct(first_ms, .5)),
        "first_ask_ms_p95": round(pct(first_ms, .95)),
        "ask_ms_p50": round(pct(ask_ms, .5)), "ask_ms_p95": round(pct(ask_ms, .95)),
        "dense_search_ms_p50": round(pct(dense_ms, .5)),
        "dense_search_ms_p95": round(pct(dense_ms, .95)),
        "ratio_ask_to_dense_p50": round(statistics.median(ask_ms) / statistics.median(dense_ms),
                                        1),
        "n": len(ask_ms),
    }, indent=2))


if __name__ == "__main__":
    main()
