"""Replica catch-up delay (issue 13): how long after an article is written through one process
its keyword search finds it on a `rag serve` replica, with no question asked meanwhile.

Starts a real `chroma run` server and one `rag serve` replica over it (RAG_REPLICA_SYNC_SECONDS,
default 5), then, from this process (another Assistant on the same server, as replica A or an
ingest would be), writes one new article at a time at random moments and polls the replica's
keyword index on disk until the article is there.

    .venv/bin/python benchmarks/replica_delay.py [--trials 10] [--sync 5]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from chroma_server import chroma_server, free_port  # noqa: E402

from rag import Article, Assistant, Settings  # noqa: E402
from rag.retrieval.keyword import keyword_folder  # noqa: E402
from rag.retrieval.tantivy_index import TantivyIndex  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--sync", type=float, default=5.0)
    args = ap.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as t, chroma_server(Path(t) / "chroma") as port:
        tmp = Path(t)
        writer = Assistant(Settings(chroma_host="127.0.0.1", chroma_port=port,
                                    index_dir=tmp / "writer"))
        writer.ingest([ROOT / "corpus"])
        env = {**os.environ, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port),
               "RAG_REPLICA_SYNC_SECONDS": str(args.sync), "PYTHONUNBUFFERED": "1"}
        log = tmp / "replica.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "rag"), "serve", "--port",
                                     str(free_port()), "--index-dir", str(tmp / "replica")],
                                    env=env, stdout=fh, stderr=subprocess.STDOUT)
        try:
            while "Running on local URL" not in log.read_text(errors="replace"):
                assert proc.poll() is None, log.read_text()
                time.sleep(0.5)
            index = TantivyIndex(keyword_folder(Settings(index_dir=tmp / "replica",
                                                         chroma_host="127.0.0.1",
                                                         chroma_port=port)))
            delays = []
            for i in range(args.trials):
                time.sleep(rng.uniform(0, args.sync))
                word = f"zumbrella{i}x"
                writer.ingest_articles([Article(
                    id=f"bench-{i}", title=f"The {word} festival",
                    text=f"The {word} festival opened in Quexton on Monday. " * 3,
                    date="2024-01-01", source="Bench")])
                written = time.monotonic()
                while not index.current().reading(writer.store).search(word, None, 1):
                    time.sleep(0.05)
                delays.append(time.monotonic() - written)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        costs = [float(s) for s in re.findall(r"followed the change feed.*? in ([0-9.]+) s",
                                              log.read_text(errors="replace"))]
    print(f"sync every {args.sync:g} s, {args.trials} articles: delay p50 "
          f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s, "
          f"mean {statistics.mean(delays):.2f} s")
    if costs:
        print(f"each catch-up through the feed: p50 {statistics.median(costs):.2f} s, "
              f"max {max(costs):.2f} s ({len(costs)} catch-ups)")


if __name__ == "__main__":
    main()
