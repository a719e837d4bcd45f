"""Ingestion memory for one very long article: how much the peak RSS rises when a single
article of 1 or 4 MB (a book, a dump, a transcript pasted as one file) is ingested, stage by
stage (issue 11: memory must not grow with the input; the longest article set the peak).

    .venv/bin/python benchmarks/long_article.py [--mb 1,4] [--store chroma]

Each size runs in a fresh process: 50 ordinary articles are ingested first (imports, model,
buffers), then the long article, made of the real articles of ../shared/datasets/
realtimeqa-2022 joined by blank lines. The embedder is the fake one (vectors do not change the
memory of the other stages; the real model embeds in fixed batches). Printed: the rise of
VmHWM over the long article's ingest and the rise seen inside each stage (a stage that runs
below an earlier high-water mark shows 0).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
DATASETS = HERE.parent.parent / "shared" / "datasets"


def hwm_mb() -> int:
    from scale import status_mb

    return status_mb()["VmHWM"]


def child(mb: int, store: str, work: Path) -> dict:
    from rag import Assistant

    texts = [json.loads(line) for line in open(DATASETS / "realtimeqa-2022" / "articles.jsonl",
                                               encoding="utf-8")]
    body, n = [], 0
    for a in texts[50:]:
        body.append(a["text"])
        n += len(a["text"]) + 2
        if n >= mb * 1_000_000:
            break
    long = {"id": "long-article", "title": "A long article", "date": "2022-06-01",
            "text": "\n\n".join(body)[:mb * 1_000_000]}
    (work / "small.jsonl").write_text("".join(json.dumps(a) + "\n" for a in texts[:50]))
    (work / "long.jsonl").write_text(json.dumps(long) + "\n")
    bot = Assistant(index_dir=work / "index", embed_backend="fake", store=store)
    bot.ingest([str(work / "small.jsonl")], progress=False)

    stages: dict[str, int] = {}

    def watch(obj, attr: str, name: str) -> None:
        inner = getattr(obj, attr)

        def wrapped(*args, **kwargs):
            before = hwm_mb()
            try:
                return inner(*args, **kwargs)
            finally:
                stages[name] = stages.get(name, 0) + hwm_mb() - before
        setattr(obj, attr, wrapped)

    import rag.retrieval.tantivy_index as keyword
    import rag.stories as stories
    from rag.stores import chroma, memory

    watch(bot.chunker, "split", "chunking")
    watch(bot.embedder, "embed_texts", "embedding")
    watch(chroma.ChromaStore, "add", "store")
    watch(memory.MemoryStore, "add", "store")
    watch(keyword._Listener, "added", "keyword index")
    watch(stories.StoryIndex, "assign_article", "stories")
    start, t = hwm_mb(), time.perf_counter()
    report = bot.ingest([str(work / "long.jsonl")], progress=False)
    return {"mb": mb, "chars": len(long["text"]), "chunks": report.chunks_written,
            "seconds": round(time.perf_counter() - t, 1), "peak_rise_mb": hwm_mb() - start,
            "stages_mb": stages}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", default="1,4")
    ap.add_argument("--store", default="chroma")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(child(int(args.child[0]), args.child[1], Path(tmp))))
        return
    if not (DATASETS / "realtimeqa-2022" / "articles.jsonl").exists():
        sys.exit(f"needs {DATASETS}/realtimeqa-2022/articles.jsonl")
    print("| article | chunks | seconds | peak rise MB | by stage (MB) |")
    print("|---:|---:|---:|---:|---|")
    for mb in (int(x) for x in args.mb.split(",")):
        proc = subprocess.run([sys.executable, __file__, "--child", str(mb), args.store],
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        stages = ", ".join(f"{k} {v}" for k, v in r["stages_mb"].items())
        print(f"| {r['chars'] / 1e6:.1f} MB | {r['chunks']:,} | {r['seconds']} | "
              f"{r['peak_rise_mb']} | {stages} |", flush=True)


if __name__ == "__main__":
    main()
