"""The keyword writer's memory alone: peak RSS of `TantivyIndex` fed the chunks of 2k, 8k, 32k
and 128k articles, each size in a fresh process (issue 11: what is left of the ingest's growth).

    .venv/bin/python benchmarks/keyword_memory.py [--sizes 2000,8000,32000,128000]
        [--heap 32000000] [--commit-every 78000] [--work /tmp/newsrag-ingest-mem]

Articles: the JSONL files of benchmarks/ingest_memory.py (built there if absent, the same way).
Chunks: the project's chunker; tokens: the project's tokenizer (as ingestion gives them to the
index). A commit with a generation marker every `--commit-every` chunks stands for the
ingestion's 300 s checkpoint (78,000 chunks at the 260 chunks/s of a 128k run through a Chroma
server). RSS is sampled every 20 ms; private (RssAnon) and file-backed (RssFile) peaks are
reported apart: a tantivy merge reads its segments through memory maps, which count as
file-backed pages.
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


def child(jsonl: str, heap: int, commit_every: int) -> None:
    from scale import MemoryPeaks

    from rag.chunks import Chunker
    from rag.memory import give_back_memory as _give_back_memory
    from rag.retrieval.tantivy_index import TantivyIndex, _stored
    from rag.types import Article

    chunker = Chunker()
    with tempfile.TemporaryDirectory(prefix="newsrag-kwmem-") as tmp:
        index = TantivyIndex(Path(tmp) / "keyword", writer_heap=heap)
        with MemoryPeaks(every=0.02) as mem:
            t0 = time.perf_counter()
            rows, chunks, since, commits = [], 0, 0, 0
            with open(jsonl, encoding="utf-8") as fh:
                for line in fh:
                    a = json.loads(line)
                    art = Article(id=a["id"], text=a["text"], title=a.get("title", ""),
                                  date=a.get("date", ""), source=a.get("source", ""))
                    rows += [(_stored(art, c), "h") for c in chunker.split(art)]
                    if len(rows) >= 256:
                        index._add(rows)
                        chunks, since, rows = chunks + len(rows), since + len(rows), []
                        _give_back_memory()
                        if since >= commit_every:
                            commits += 1
                            index._commit(f"bench:{commits}")
                            since = 0
            if rows:
                index._add(rows)
                chunks += len(rows)
            index._commit("bench:end")
            index._release()  # waits for the merges, as the end of an ingestion does
            secs = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (Path(tmp) / "keyword").iterdir())
    print(json.dumps({"chunks": chunks, "seconds": round(secs, 1),
                      "peak_rss_mb": mem.peaks["VmHWM"], "peak_anon_mb": mem.peaks["RssAnon"],
                      "peak_file_mb": mem.peaks["RssFile"], "index_mb": round(size / 1e6, 1)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,8000,32000,128000")
    ap.add_argument("--heap", type=int, default=None, help="the writer's buffer in bytes")
    ap.add_argument("--commit-every", type=int, default=78_000)
    ap.add_argument("--work", default="/tmp/newsrag-ingest-mem")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), int(args.child[2]))
        return
    from scale import jsonl_corpus

    from rag.retrieval.tantivy_index import WRITER_HEAP

    heap = args.heap or WRITER_HEAP
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        src = jsonl_corpus(work / f"articles-{n}.jsonl", n)
        proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(heap),
                               str(args.commit_every)], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        row = {"articles": n, **json.loads(proc.stdout.strip().splitlines()[-1])}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\nwriter buffer {heap / 1e6:.0f} MB, a commit every {args.commit_every:,} chunks\n")
    print("| articles | chunks | seconds | index MB | peak RSS MB | peak private MB | "
          "peak file-backed MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['articles']:,} | {r['chunks']:,} | {r['seconds']} | {r['index_mb']} | "
              f"{r['peak_rss_mb']} | {r['peak_anon_mb']} | {r['peak_file_mb']} |")


if __name__ == "__main__":
    main()
