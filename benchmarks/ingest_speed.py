"""Ingestion speed: chunks/s of `Assistant.ingest` against a baseline measured in the same run.

The baseline embeds the same chunk texts with llama-index's HuggingFaceEmbedding at its default
batch size (10) and writes nothing; the ratio shows what batching, grouping and the Chroma
writes cost or gain.

    .venv/bin/python benchmarks/ingest_speed.py [--articles N] [--jsonl PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402 - sets the offline variables first
from rag.chunks import Chunker, embed_text  # noqa: E402
from rag.sources import read_paths  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "datasets" / "reuters21578" / "articles.jsonl"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jsonl", type=Path, default=DEFAULT)
    ap.add_argument("--articles", type=int, default=400, help="0 = all")
    args = ap.parse_args()
    if not args.jsonl.exists():
        sys.exit(f"needs {args.jsonl}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sample.jsonl"
        lines = args.jsonl.read_text().splitlines()
        if args.articles:
            lines = lines[: args.articles]
        src.write_text("\n".join(lines) + "\n")

        settings = rag.Settings(index_dir=Path(tmp) / "index")
        bot = rag.Assistant(settings)
        _ = bot.embedder  # load the model outside the timings
        t = time.perf_counter()
        report = bot.ingest([src], progress=True)
        ours = time.perf_counter() - t
        n = report.chunks_written

        t = time.perf_counter()
        again = bot.ingest([src])
        reingest = time.perf_counter() - t

        chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
        texts = [embed_text(a, c) for a in read_paths([src])[0] for c in chunker.split(a)]
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        base_model = HuggingFaceEmbedding(model_name=settings.model_name, device="cpu")
        t = time.perf_counter()
        base_model.get_text_embedding_batch(texts)
        base = time.perf_counter() - t

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "articles": len(report.added), "chunks": n,
        "ingest_s": round(ours, 1), "ingest_chunks_per_s": round(n / ours, 1),
        "baseline_embed_only_batch10_s": round(base, 1),
        "baseline_chunks_per_s": round(len(texts) / base, 1),
        "ratio_ours_to_baseline": round((n / ours) / (len(texts) / base), 2),
        "reingest_unchanged_s": round(reingest, 2), "reingest_skipped": len(again.skipped),
        "peak_rss_mb": round(rss),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
