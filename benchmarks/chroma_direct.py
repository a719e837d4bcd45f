"""Chroma written directly (rag/stores/chroma.py) vs through llama-index's ChromaVectorStore:
write rate, top-150 query time, disk, peak RSS, on real chunks with random vectors.

    .venv/bin/python benchmarks/chroma_direct.py direct 20000
    .venv/bin/python benchmarks/chroma_direct.py llama-index 20000
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402,F401 - the offline variables first
from rag.chunks import Chunker  # noqa: E402
from rag.stores.chroma import _chunk_meta  # noqa: E402
from rag.types import Article  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"


def chunks(n: int):
    chunker, rows = Chunker(200, 30), []
    for name in ("reuters21578", "realtimeqa-2022-2024"):
        with (DATASETS / name / "articles.jsonl").open(encoding="utf-8") as f:
            for line in f:
                a = json.loads(line)
                art = Article(id=a["id"], text=a["text"], title=a.get("title", ""),
                              date=a.get("date", ""), source=a.get("source", ""))
                rows.extend((art, c) for c in chunker.split(art))
                if len(rows) >= n:
                    return rows[:n]
    return rows


def main(mode: str, n: int) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    rows = chunks(n)
    n = len(rows)
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    folder = Path(tempfile.mkdtemp())
    client = chromadb.PersistentClient(path=str(folder),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    col = client.get_or_create_collection("news", metadata={"hnsw:space": "cosine"},
                                          embedding_function=None)
    batch = 5000
    t = time.perf_counter()
    if mode == "direct":
        for i in range(0, n, batch):
            part = rows[i:i + batch]
            col.add(ids=[c.id for _a, c in part], embeddings=vecs[i:i + batch],
                    documents=[c.text for _a, c in part],
                    metadatas=[_chunk_meta(a, c) for a, c in part])
    else:
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
        from llama_index.vector_stores.chroma import ChromaVectorStore

        vs = ChromaVectorStore(chroma_collection=col)
        for i in range(0, n, batch):
            vs.add([TextNode(id_=c.id, text=c.text, metadata=_chunk_meta(a, c),
                             embedding=vecs[i + j].tolist(),
                             relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=a.id)})
                    for j, (a, c) in enumerate(rows[i:i + batch])])
    write = time.perf_counter() - t
    queries = vecs[:50] + 0.01
    t = time.perf_counter()
    for q in queries:
        if mode == "direct":
            col.query(query_embeddings=[q.tolist()], n_results=150,
                      include=["metadatas", "documents", "distances"])
        else:
            from llama_index.core.vector_stores import VectorStoreQuery

            vs.query(VectorStoreQuery(query_embedding=q.tolist(), similarity_top_k=150))
    query = (time.perf_counter() - t) / len(queries)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(json.dumps({"mode": mode, "chunks": n, "write_s": round(write, 1),
                      "chunks_per_s": round(n / write), "query_top150_ms": round(query * 1e3, 1),
                      "disk_mb": round(size / 1e6, 1),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
    shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
