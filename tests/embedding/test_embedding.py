"""The embedding door: the fake embedder comes through the same registry as the real one."""

import numpy as np

from rag import Settings
from rag.embedding import Embedder, backends, get_embedder, register_embedder


def test_fake_is_deterministic_normalised_and_similar_for_shared_words():
    emb = get_embedder(Settings(embed_backend="fake"))
    assert isinstance(emb, Embedder) and emb.dim == 64
    a, b, c = (np.array(v) for v in emb.embed_texts(
        ["harbour pier storm", "the harbour pier", "library budget vote"]))
    assert abs(np.linalg.norm(a) - 1) < 1e-5
    assert a @ b > a @ c
    assert emb.embed_query("harbour pier storm") == emb.embed_texts(["harbour pier storm"])[0]


def test_a_backend_registered_at_run_time_is_used():
    class Constant:
        label, dim = "constant:3", 3

        def embed_texts(self, texts):
            return [[1.0, 0.0, 0.0] for _ in texts]

        def embed_query(self, text):
            return [1.0, 0.0, 0.0]

    register_embedder("constant", lambda settings: Constant())
    assert "constant" in backends()
    assert get_embedder(Settings(embed_backend="constant")).label == "constant:3"


def test_the_real_model_loads_offline():
    emb = get_embedder(Settings())
    assert emb.dim == 384 and emb.label == "bundled:all-MiniLM-L6-v2"
