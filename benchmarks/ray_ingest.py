"""Ray ingestion against single-process ingestion, on one machine (issue 13).

Starts a real `chroma run` server and a local Ray cluster on loopback (a head and one worker
node, one CPU each: tests/ray_cluster.py, deploy/ray_node.sh), then ingests the same articles
three times, each into its own collection, with the `rag ingest` command: in one process, on
Ray with one embedding actor, on Ray with two. Prints chunks/s of each (the report's own
seconds, and wall time with start-up) and checks that the three hold the same chunk ids.

    .venv/bin/python benchmarks/ray_ingest.py [--articles 1000]

The articles: all 638 of realtimeqa-2022, then Reuters-21578 articles up to --articles
(realtimeqa-2022 alone has fewer than the 1,000 the issue names).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
DATA = ROOT.parent / "shared" / "datasets"

from chroma_server import chroma_server  # noqa: E402
from ray_cluster import ray_cluster  # noqa: E402


def articles(n: int, dest: Path) -> None:
    lines = (DATA / "realtimeqa-2022" / "articles.jsonl").read_text().splitlines()[:n]
    if len(lines) < n:
        lines += (DATA / "reuters21578" / "articles.jsonl").read_text().splitlines()[
            :n - len(lines)]
    dest.write_text("\n".join(lines) + "\n")


def ingest(tmp: Path, port: int, collection: str, src: Path, ray: str | None,
           workers: int = 1) -> dict:
    env = {**os.environ, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port),
           "RAG_COLLECTION": collection, "RAG_RAY_WORKERS": str(workers),
           "RAY_USAGE_STATS_ENABLED": "0"}
    cmd = [str(ROOT / ".venv" / "bin" / "rag"), "ingest", "--json", "--quiet",
           "--index-dir", str(tmp / collection), str(src)]
    if ray:
        cmd += ["--ray", ray]
    started = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - started
    report = json.loads(out)
    return {"run": collection, "articles": len(report["added"]),
            "chunks": report["chunks_written"], "seconds": report["seconds"], "wall": wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--order", default="single,ray1,ray2",
                    help="the runs, in this order (on a shared machine the load drifts)")
    args = ap.parse_args()
    if not (DATA / "realtimeqa-2022").exists():
        sys.exit(f"needs {DATA / 'realtimeqa-2022'}")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        src = tmp / "articles.jsonl"
        articles(args.articles, src)
        with chroma_server(tmp / "chroma") as port, ray_cluster(workers=1) as (address, _n):
            rows = [ingest(tmp, port, run, src, None if run == "single" else address,
                           workers=int(run[3:] or 1) if run != "single" else 1)
                    for run in args.order.split(",")]
            import chromadb

            client = chromadb.HttpClient(host="127.0.0.1", port=port)
            ids = [set(client.get_collection(r["run"]).get(include=[])["ids"]) for r in rows]
            assert all(i == ids[0] for i in ids), "the runs hold different chunk ids"
    base = next((r["seconds"] for r in rows if r["run"] == "single"), rows[0]["seconds"])
    print("| run | articles | chunks | seconds (report) | chunks/s | x single | wall s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['run']} | {r['articles']} | {r['chunks']} | {r['seconds']:.1f} | "
              f"{r['chunks'] / r['seconds']:.1f} | {base / r['seconds']:.2f} | "
              f"{r['wall']:.1f} |")
    print(f"same chunk ids in every run: {len(ids[0])}")


if __name__ == "__main__":
    main()
