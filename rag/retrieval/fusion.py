"""Score fusion as pure functions over arrays: how dense and keyword scores become one.

Each retriever's scores over the candidates are normalised (``normalise``), weighted and
summed (``fuse``). Missing scores count as 0.
"""

from __future__ import annotations

import numpy as np

from ..config import Fusion


def normalise(values, method: Fusion | str = Fusion.RELATIVE, rrf_k: int = 60) -> np.ndarray:
    """Scores of one retriever over the candidates, made comparable with another's:

    - relative: min-max to 0..1 ("relative score fusion"); unlike reciprocal rank fusion it
      keeps how far apart the candidates are; all equal -> all 1;
    - zscore: mean 0, sd 1 (robust to one outlying score, which squeezes min-max); all
      equal -> all 0;
    - rrf: 1 / (rrf_k + rank), rank 1 for the best (ties in input order).
    """
    vals = np.asarray(values, dtype=np.float64)
    method = Fusion(method)
    n = len(vals)
    if n == 0:
        return vals
    if method is Fusion.RRF:
        order = np.argsort(-vals, kind="stable")
        out = np.empty(n)
        out[order] = 1.0 / (rrf_k + 1 + np.arange(n))
        return out
    if method is Fusion.ZSCORE:
        sd = vals.std()
        return (vals - vals.mean()) / sd if sd > 1e-9 else np.zeros(n)
    lo, span = vals.min(), vals.max() - vals.min()
    return (vals - lo) / span if span > 1e-9 else np.ones(n)


def fuse(columns: dict[str, np.ndarray], weights: dict[str, float],
         method: Fusion | str = Fusion.RELATIVE, rrf_k: int = 60) -> np.ndarray:
    """The weighted sum of each column's normalised scores (columns of equal length)."""
    n = len(next(iter(columns.values()))) if columns else 0
    out = np.zeros(n)
    for name, weight in weights.items():
        if weight == 0 or name not in columns:
            continue
        out += weight * normalise(columns[name], method, rrf_k)
    return out


def mode_weights(mode, dense_weight: float) -> dict[str, float]:
    """Weights of the dense and keyword columns for a retrieval mode."""
    mode = getattr(mode, "value", mode)
    if mode == "dense":
        return {"dense": 1.0, "keyword": 0.0}
    if mode == "bm25":
        return {"dense": 0.0, "keyword": 1.0}
    return {"dense": dense_weight, "keyword": 1.0 - dense_weight}
