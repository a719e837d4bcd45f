"""Embedding backends: throughput against fp32 PyTorch measured in the same run, and how close
their vectors are (cosine to PyTorch's) on 1,000 real chunks (issue 11).

    .venv/bin/python benchmarks/embed_speed.py [--chunks 1000] [--rounds 2]
        [--backends huggingface,onnx,onnx-int8,openvino]

Each backend runs in a fresh process per round (its load time and RSS are its own), rounds
interleave the backends (the machine is shared: load moves), and the figure per backend is the
median over rounds of its chunks/s divided by PyTorch's in the same round. The chunks are the
project's own (200-token chunks of realtimeqa-2022 and Reuters articles, with their header),
embedded in groups of 256 as ingestion does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATASETS = ROOT.parent / "shared" / "datasets"


def chunk_texts(n: int) -> list[str]:
    from rag.chunks import Chunker, embed_text
    from rag.sources import read_paths

    chunker = Chunker(200, 30)
    texts: list[str] = []
    for name, share in (("realtimeqa-2022", 0.5), ("reuters21578", 1.0)):
        articles, _log = read_paths([DATASETS / name / "articles.jsonl"])
        for a in articles[::3]:
            texts.extend(embed_text(a, c) for c in chunker.split(a))
            if len(texts) >= n * share:
                break
    return texts[:n]


def child(backend: str, texts_path: str, out_path: str) -> None:
    import numpy as np

    t0 = time.perf_counter()
    from rag import Settings
    from rag.embedding import get_embedder

    embedder = get_embedder(Settings.from_env(embed_backend=backend))
    load = time.perf_counter() - t0
    texts = json.loads(Path(texts_path).read_text())
    embedder.embed_texts(texts[:16])  # warm-up
    t = time.perf_counter()
    vecs = []
    for i in range(0, len(texts), 256):
        vecs.extend(embedder.embed_texts(texts[i:i + 256]))
    secs = time.perf_counter() - t
    np.save(out_path, np.asarray(vecs, dtype=np.float32))
    rss = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss = int(line.split()[1]) // 1024
    print(json.dumps({"load_s": round(load, 2), "chunks_per_s": round(len(texts) / secs, 1),
                      "peak_rss_mb": rss, "torch_imported": "torch" in sys.modules,
                      "load_avg": round(os.getloadavg()[0], 1)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--backends", default="huggingface,onnx,onnx-int8,openvino")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    import numpy as np

    backends = args.backends.split(",")
    base = backends[0]
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = Path(tmp) / "texts.json"
        texts = chunk_texts(args.chunks)
        texts_path.write_text(json.dumps(texts))
        runs: dict[str, list[dict]] = {b: [] for b in backends}
        for r in range(args.rounds):
            for b in backends:
                out = Path(tmp) / f"{b}-{r}.npy"
                proc = subprocess.run([sys.executable, __file__, "--child", b, str(texts_path),
                                       str(out)], capture_output=True, text=True, check=True)
                fig = json.loads(proc.stdout.strip().splitlines()[-1])
                fig["vectors"] = np.load(out)
                runs[b].append(fig)
                print(f"round {r} {b}: {fig['chunks_per_s']} chunks/s, load {fig['load_s']} s,"
                      f" peak RSS {fig['peak_rss_mb']} MB, load avg {fig['load_avg']}",
                      flush=True)
        ref = runs[base][0]["vectors"]
        result = {"chunks": len(texts), "rounds": args.rounds, "baseline": base, "backends": {}}
        for b in backends:
            v = runs[b][0]["vectors"]
            cos = np.sum(ref * v, axis=1) / (np.linalg.norm(ref, axis=1)
                                             * np.linalg.norm(v, axis=1))
            ratio = statistics.median(runs[b][r]["chunks_per_s"] / runs[base][r]["chunks_per_s"]
                                      for r in range(args.rounds))
            result["backends"][b] = {
                "chunks_per_s_median": statistics.median(x["chunks_per_s"] for x in runs[b]),
                "ratio_to_baseline_median": round(ratio, 2),
                "cosine_mean": round(float(cos.mean()), 5),
                "cosine_min": round(float(cos.min()), 5),
                "load_s_median": statistics.median(x["load_s"] for x in runs[b]),
                "peak_rss_mb_median": statistics.median(x["peak_rss_mb"] for x in runs[b]),
                "torch_imported": runs[b][0]["torch_imported"]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
