"""What the keyword index costs the process that writes it, merges included: the index on disk
and the peak of RSS, private memory (RssAnon) and file-backed pages (RssFile) while tantivy
indexes a JSONL file's articles (cut into 1,000-character chunks) and merges its segments.

    .venv/bin/python benchmarks/keyword_merge.py
        [--articles /tmp/newsrag-ingest-mem/articles-128000.jsonl] [--commit-every 20000]

A commit every ``--commit-every`` chunks makes segments of that size, so that tantivy's merge
policy (8 segments of a size merged into one) runs inside the measured process. The JSONL is
the one benchmarks/ingest_memory.py writes (run it once with --sizes 128000 to make it). No
store, no embedding: the keyword index alone, through rag.retrieval.tantivy_index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def feed(index, articles: str, commit_every: int) -> tuple[int, int]:
    """Index the articles' text in 1,000-character chunks, committing every ``commit_every``
    chunks, then wait for the merges; returns (chunks, commits)."""
    from rag.types import StoredChunk

    rows, chunks, commits = [], 0, 0
    with open(articles, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            a = json.loads(line)
            text = a.get("text") or ""
            for j in range(0, max(1, len(text)), 1000):
                rows.append((StoredChunk(f"{i}:{j}", str(i), text[j:j + 1000], j,
                                         min(len(text), j + 1000), a.get("title") or "",
                                         a.get("date") or "", a.get("source") or "", ""), "h"))
            if len(rows) >= 512:
                index._add(rows)
                chunks += len(rows)
                rows = []
                if chunks // commit_every > commits:
                    commits += 1
                    index._commit(f"bench:{commits}")
    if rows:
        index._add(rows)
        chunks += len(rows)
    index._commit("bench:end")
    index._release()  # waits for the merges it started
    return chunks, commits + 1


def main() -> None:
    from scale import MemoryPeaks

    from rag.retrieval.tantivy_index import TantivyIndex

    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", default="/tmp/newsrag-ingest-mem/articles-128000.jsonl")
    ap.add_argument("--commit-every", type=int, default=20_000)
    args = ap.parse_args()
    if not Path(args.articles).exists():
        sys.exit(f"{args.articles} is missing: run benchmarks/ingest_memory.py --sizes 128000 "
                 "once to write it")
    folder = Path(tempfile.mkdtemp(prefix="newsrag-kwmerge-")) / "tantivy"
    with MemoryPeaks(every=0.05) as mem:
        t = time.perf_counter()
        chunks, commits = feed(TantivyIndex(folder), args.articles, args.commit_every)
        secs = time.perf_counter() - t
    meta = json.loads((folder / "meta.json").read_text())
    disk = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    out = {"chunks": chunks, "commits": commits, "seconds": round(secs, 1),
           "segments": len(meta["segments"]),
           "largest_segment_docs": max(s["max_doc"] for s in meta["segments"]),
           "disk_mb": round(disk / 1e6, 1), "peak_rss_mb": mem.peaks["VmHWM"],
           "peak_anon_mb": mem.peaks["RssAnon"], "peak_file_mb": mem.peaks["RssFile"],
           "file_mb_at_start": mem.start["RssFile"]}
    print(json.dumps(out, indent=1))
    shutil.rmtree(folder.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
