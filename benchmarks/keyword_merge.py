"""What the keyword index costs the process that writes it, merges included: the index on disk
and the peak of RSS, private memory (RssAnon) and file-backed pages (RssFile) while tantivy
indexes a JSONL file's articles (cut into 1,000-character chunks) and merges its segments, for
the index in one tantivy index (the layout before stop 26) and in shards of SHARD_CHUNKS, each
in a fresh process.

    .venv/bin/python benchmarks/keyword_merge.py
        [--articles /tmp/newsrag-ingest-mem/articles-128000.jsonl] [--commit-every 20000]
        [--shard-chunks 0,100000] [--repeat 1]

A commit every ``--commit-every`` chunks makes segments of that size, so that tantivy's merge
policy (8 segments of a size merged into one) runs inside the measured process; a merge maps
the segments it reads, so file-backed pages grow with the largest merge. ``--shard-chunks 0``
is one unbounded shard. The JSONL is the one benchmarks/ingest_memory.py writes (run it once
with --sizes 128000 to make it). No store, no embedding: the keyword index alone, through
rag.retrieval.tantivy_index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def feed(index, articles: str, commit_every: int, repeat: int = 1) -> tuple[int, int]:
    """Index the articles' text in 1,000-character chunks (the file ``repeat`` times, under new
    ids each time), committing every ``commit_every`` chunks, then wait for the merges;
    returns (chunks, commits)."""
    from rag.types import StoredChunk

    rows, chunks, commits = [], 0, 0
    for r in range(repeat):
        with open(articles, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                a = json.loads(line)
                text = a.get("text") or ""
                for j in range(0, max(1, len(text)), 1000):
                    rows.append((StoredChunk(f"{r}:{i}:{j}", f"{r}:{i}", text[j:j + 1000], j,
                                             min(len(text), j + 1000), a.get("title") or "",
                                             a.get("date") or "", a.get("source") or "", ""),
                                 "h"))
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


def child(articles: str, commit_every: int, shard_chunks: int, repeat: int) -> None:
    from scale import MemoryPeaks

    from rag.retrieval.tantivy_index import TantivyIndex

    folder = Path(tempfile.mkdtemp(prefix="newsrag-kwmerge-")) / "tantivy"
    with MemoryPeaks(every=0.05) as mem:
        t = time.perf_counter()
        index = TantivyIndex(folder, shard_chunks=shard_chunks or 10**12)
        chunks, commits = feed(index, articles, commit_every, repeat)
        secs = time.perf_counter() - t
    # keyword search over the shards: 50 questions made of article titles, top 100
    queries = []
    with open(articles, encoding="utf-8") as fh:
        for line in fh:
            title = json.loads(line).get("title") or ""
            if len(title.split()) >= 3:
                queries.append(title)
            if len(queries) >= 50:
                break
    t0 = time.perf_counter()
    index = TantivyIndex(folder, shard_chunks=shard_chunks or 10**12)
    snap = index.current()  # opened as a new process would (warm page cache)
    open_ms = (time.perf_counter() - t0) * 1000
    # one more article (3 chunks), committed, and the next keyword search, as `rag serve`
    # does for an upload: the head's writer is opened, the new state read back
    from rag.types import StoredChunk

    t0 = time.perf_counter()
    index._add([(StoredChunk(f"new:{j}", "new", f"zeppelin harbour terminal {j}", 0, 30,
                             "Zeppelin terminal", "2024-01-01", "Post", ""), "h")
                for j in range(3)])
    index._commit("bench:one")
    index._release()
    hit = index.current()._search("zeppelin terminal", None, 10)
    update_ms = (time.perf_counter() - t0) * 1000
    assert hit and hit[0][0].startswith("new:"), hit
    times = []
    for q in queries:
        t0 = time.perf_counter()
        snap._search(q, None, 100)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    shards = json.loads((folder / "shards.json").read_text())["shards"]
    segments = [seg for name in shards
                for seg in json.loads((folder / name / "meta.json").read_text())["segments"]]
    disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(json.dumps({"chunks": chunks, "commits": commits, "seconds": round(secs, 1),
                      "shards": len(shards), "segments": len(segments),
                      "largest_segment_docs": max(s["max_doc"] for s in segments),
                      "disk_mb": round(disk / 1e6, 1), "peak_rss_mb": mem.peaks["VmHWM"],
                      "peak_anon_mb": mem.peaks["RssAnon"], "peak_file_mb": mem.peaks["RssFile"],
                      "file_mb_at_start": mem.start["RssFile"],
                      "open_ms": round(open_ms, 1), "update_ms": round(update_ms, 1),
                      "search_p50_ms": round(times[len(times) // 2], 1),
                      "search_p95_ms": round(times[int(len(times) * 0.95)], 1)}))
    shutil.rmtree(folder.parent, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", default="/tmp/newsrag-ingest-mem/articles-128000.jsonl")
    ap.add_argument("--commit-every", type=int, default=20_000)
    ap.add_argument("--shard-chunks", default="0,100000",
                    help="comma-separated shard sizes to compare (0: one unbounded shard)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="index the file this many times (3: about 10^6 chunks from 128k)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]), int(args.child[3]))
        return
    if not Path(args.articles).exists():
        sys.exit(f"{args.articles} is missing: run benchmarks/ingest_memory.py --sizes 128000 "
                 "once to write it")
    rows = []
    for cap in [int(x) for x in args.shard_chunks.split(",")]:
        proc = subprocess.run([sys.executable, __file__, "--child", args.articles,
                               str(args.commit_every), str(cap), str(args.repeat)],
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        row = {"shard_chunks": cap, **json.loads(proc.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    base = rows[0]
    print("\n| shard chunks | chunks | shards | segments | largest segment (docs) | disk MB | "
          "seconds | peak RSS MB | peak private MB | peak file-backed MB (at start) | "
          "file-backed ratio | open ms | one article + search ms | search p50 / p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        grown = r["peak_file_mb"] - r["file_mb_at_start"]
        base_grown = max(1e-9, base["peak_file_mb"] - base["file_mb_at_start"])
        print(f"| {r['shard_chunks'] or 'one shard'} | {r['chunks']:,} | {r['shards']} | "
              f"{r['segments']} | {r['largest_segment_docs']:,} | {r['disk_mb']} | "
              f"{r['seconds']} | {r['peak_rss_mb']} | {r['peak_anon_mb']} | "
              f"{r['peak_file_mb']} ({r['file_mb_at_start']}) | {grown / base_grown:.2f} | "
              f"{r['open_ms']} | {r['update_ms']} | {r['search_p50_ms']} / "
              f"{r['search_p95_ms']} |")


if __name__ == "__main__":
    main()
