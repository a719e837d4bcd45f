"""Dense retrieval: the store's nearest neighbours to the query vector, filtered."""

from __future__ import annotations

import numpy as np

from .base import Candidate, Query


def dense_candidates(store, query: Query, k: int) -> dict[str, Candidate]:
    return {chunk.id: Candidate(chunk, dense=cos)
            for chunk, cos in store.dense_search(query.vector, query.filters, k)}


def fill_dense(store, query: Query, cands: dict[str, Candidate]) -> None:
    """Cosine of the candidates only keyword search found (their vectors read back), so that
    fusion compares every candidate on both scores."""
    missing = [cid for cid, c in cands.items() if c.dense is None]
    if not missing:
        return
    q = np.asarray(query.vector, dtype=np.float32)
    for cid, vec in store.vectors(missing).items():
        cands[cid].dense = float(np.dot(q, vec))
