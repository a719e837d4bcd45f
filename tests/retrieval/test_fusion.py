"""Score fusion: pure functions, checked by hand in milliseconds."""

import numpy as np
import pytest

from rag.config import Fusion, RetrievalMode
from rag.retrieval.fusion import fuse, mode_weights, normalise


def test_relative_keeps_distances_and_handles_ties():
    assert normalise([1.0, 3.0, 2.0]).tolist() == [0.0, 1.0, 0.5]
    assert normalise([2.0, 2.0]).tolist() == [1.0, 1.0]
    assert normalise([]).tolist() == []


def test_zscore_and_rrf():
    z = normalise([1.0, 2.0, 3.0], Fusion.ZSCORE)
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    assert normalise([5.0, 5.0], "zscore").tolist() == [0.0, 0.0]
    r = normalise([0.1, 0.9, 0.5], Fusion.RRF, rrf_k=60)
    assert r.tolist() == pytest.approx([1 / 63, 1 / 61, 1 / 62])


def test_fuse_weights_columns_and_ignores_zero_weights():
    cols = {"dense": np.array([0.9, 0.1, 0.5]), "keyword": np.array([0.0, 10.0, 5.0])}
    out = fuse(cols, {"dense": 0.7, "keyword": 0.3})
    assert out.tolist() == pytest.approx([0.7, 0.3, 0.7 * 0.5 + 0.3 * 0.5])
    assert fuse(cols, {"dense": 1.0, "keyword": 0.0}).tolist() == pytest.approx([1.0, 0.0, 0.5])
    assert mode_weights(RetrievalMode.BM25, 0.7) == {"dense": 0.0, "keyword": 1.0}
    assert mode_weights("hybrid", 0.7) == {"dense": 0.7, "keyword": pytest.approx(0.3)}
