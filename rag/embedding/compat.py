"""Whether this process's embedder may add to, and search, an index another backend built.

Backends of one model (PyTorch, ONNX Runtime, OpenVINO, int8) give close but not identical
vectors. The index records the backend that wrote it (``embed_backend`` in ``index_info``);
another backend is accepted when its vectors of a few stored chunks agree with the stored ones
(mean cosine >= MIN_COSINE), and refused with one line otherwise. Indexes from before the
record was kept were written by the PyTorch backend ("huggingface").
"""

from __future__ import annotations

import threading

import numpy as np

from ..types import ModelMismatchError

PROBE_CHUNKS = 16
MIN_COSINE = 0.99
_VERIFIED: set[tuple[str, str, str, str]] = set()
_LOCK = threading.Lock()


def built_with(info: dict) -> str:
    return info.get("embed_backend") or ("huggingface" if info.get("embed_model") else "")


def agreement(store, embedder, n: int = PROBE_CHUNKS) -> float | None:
    """Mean cosine between stored vectors and this embedder's vectors of the same texts."""
    sample = store.sample(n)
    if not sample:
        return None
    stored = np.asarray([v for _t, v in sample], dtype=np.float32)
    mine = np.asarray(embedder.embed_texts([t for t, _v in sample]), dtype=np.float32)
    norms = np.linalg.norm(stored, axis=1) * np.linalg.norm(mine, axis=1)
    return float(np.mean(np.sum(stored * mine, axis=1) / np.maximum(norms, 1e-12)))


def check_vectors(store, embedder) -> None:
    """Raise ModelMismatchError when the index's vectors come from a backend whose vectors
    disagree with ``embedder``'s (the model itself is checked by ``store.check_model``)."""
    info = store.index_info()
    built = built_with(info)
    backend = getattr(embedder, "backend", "")
    if not built or not backend or built == backend:
        return
    key = (store.location, info.get("uid", ""), built, backend)
    with _LOCK:
        if key in _VERIFIED:
            return
        cos = agreement(store, embedder)
        if cos is not None and cos < MIN_COSINE:
            raise ModelMismatchError(
                f"the index at {store.location} was built with the {built!r} embedding backend "
                f"and {backend!r} gives other vectors (mean cosine {cos:.3f} on stored chunks, "
                f"below {MIN_COSINE}): set RAG_EMBED_BACKEND={built}, or rebuild with "
                "`rag ingest --rebuild`.")
        _VERIFIED.add(key)
