"""Ingestion memory does not grow with the corpus: peak RSS of `Assistant.ingest` on JSONL files
of 2k, 32k and 128k articles, each in a fresh process, against the smallest size measured in the
same run (issue 11: flat within 20% and at most 1.5 GB).

    .venv/bin/python benchmarks/ingest_memory.py [--sizes 2000,32000,128000]
        [--embedder fake] [--store chroma] [--work /tmp/newsrag-ingest-mem] [--chroma-server]

Articles: real sentences of ../shared/datasets, built as benchmarks/scale.py builds them (pass 0
the real articles, later passes rotated and padded, about 3 chunks each). Ingestion is the real
one: the streaming JSONL reader, the chunker, Chroma (embedded, on disk) and the tantivy keyword
index. The embedder is the fake one by default (embedding 128k articles with the model would
take days on 2 cores; the model adds a constant: run `--sizes 2000 --embedder onnx-int8` for
it). Exits 1 when the target is not met.

With --chroma-server each size writes to its own `chroma run` server on loopback (as a user who
outgrows one process does, RAG_CHROMA_HOST): the vectors' HNSW index then lives in the server,
and the ingesting process's own peak is what is measured against the target; the server's peak
is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def child(jsonl: str, index: str, embedder: str, store: str) -> None:
    from scale import MemoryPeaks

    from rag import Assistant

    with MemoryPeaks(every=0.25) as mem:
        t = time.perf_counter()
        bot = Assistant(index_dir=index, embed_backend=embedder, store=store)
        report = bot.ingest([jsonl], progress=False)
        secs = time.perf_counter() - t
    print(json.dumps({"articles": len(report.added), "chunks": report.chunks_written,
                      "failed": len(report.failed), "seconds": round(secs, 1),
                      "peak_rss_mb": mem.peaks["VmHWM"], "peak_anon_mb": mem.peaks["RssAnon"],
                      "peak_file_mb": mem.peaks["RssFile"],
                      "load_avg": round(os.getloadavg()[0], 1)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,32000,128000")
    ap.add_argument("--embedder", default="fake")
    ap.add_argument("--store", default="chroma")
    ap.add_argument("--work", default="/tmp/newsrag-ingest-mem")
    ap.add_argument("--chroma-server", action="store_true",
                    help="write to a `chroma run` server on loopback (one per size)")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    from scale import jsonl_corpus, status_mb

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",")]
    rows = []
    for n in sizes:
        src = jsonl_corpus(work / f"articles-{n}.jsonl", n)
        index = work / f"index-{n}-{args.embedder}-{args.store}"
        subprocess.run(["rm", "-rf", str(index)], check=True)
        env, server = dict(os.environ), None
        if args.chroma_server:
            sys.path.insert(0, str(HERE.parent / "tests"))
            from chroma_server import free_port, start_chroma, stop_chroma

            port = free_port()
            server = start_chroma(index / "server-data", port)
            env.update(RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(port))
        try:
            proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(index),
                                   args.embedder, args.store], capture_output=True, text=True,
                                  env=env)
            server_mb = server and status_mb(server.pid)["VmHWM"]
        finally:
            if server:
                stop_chroma(server)
        if proc.returncode:
            sys.exit(proc.stderr[-3000:])
        row = {"size": n, **json.loads(proc.stdout.strip().splitlines()[-1])}
        if server_mb:
            row["server_peak_rss_mb"] = server_mb
        rows.append(row)
        print(json.dumps(row), flush=True)
        subprocess.run(["rm", "-rf", str(index)], check=True)
    base = rows[0]["peak_rss_mb"]
    top = max(r["peak_rss_mb"] for r in rows)
    anon = rows[0]["peak_anon_mb"]
    extra = " server peak RSS MB |" if args.chroma_server else ""
    print(f"\n| articles | chunks | seconds | peak RSS MB | ratio to smallest | peak private "
          f"(RssAnon) MB | ratio | peak file-backed (RssFile) MB |{extra}")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|" if extra else ""))
    for r in rows:
        print(f"| {r['size']:,} | {r['chunks']:,} | {r['seconds']} | {r['peak_rss_mb']} | "
              f"{r['peak_rss_mb'] / base:.2f} | {r['peak_anon_mb']} | "
              f"{r['peak_anon_mb'] / anon:.2f} | {r['peak_file_mb']} |"
              + (f" {r.get('server_peak_rss_mb')} |" if extra else ""))
    met = top <= 1.2 * base and top <= 1536
    print(f"\npeak RSS {base} -> {top} MB ({top / base:.2f}x the smallest); target: within "
          f"1.20x and <= 1536 MB: {'MET' if met else 'NOT MET'} (embedder {args.embedder}, "
          f"store {args.store}{', a chroma server' if args.chroma_server else ''})")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
