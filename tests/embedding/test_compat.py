"""An index built with one embedding backend is used with another only when their vectors
agree (mean cosine >= 0.99 on stored chunks); otherwise one line says so."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CORPUS

from rag import Assistant, ModelMismatchError
from rag.embedding import _BACKENDS, register_embedder
from rag.embedding.fake import FakeEmbedder


class Shifted(FakeEmbedder):
    """The fake model's vectors, moved by ``noise``: another backend of the same model."""

    def __init__(self, backend: str, noise: float):
        self.backend, self.noise = backend, noise

    def embed_texts(self, texts):
        out = []
        for t in texts:
            v = np.asarray(self._vec(t))
            rng = np.random.default_rng(len(t))
            v = v + self.noise * rng.standard_normal(v.shape)
            out.append((v / np.linalg.norm(v)).tolist())
        return out

    def embed_query(self, text):
        return self.embed_texts([text])[0]


@pytest.fixture
def index(tmp_path):
    register_embedder("fake-close", lambda s: Shifted("fake-close", 0.01))
    register_embedder("fake-far", lambda s: Shifted("fake-far", 1.0))
    bot = Assistant(index_dir=tmp_path / "idx", embed_backend="fake")
    bot.ingest([CORPUS])
    assert bot.store.index_info()["embed_backend"] == "fake"
    yield tmp_path / "idx"
    for name in ("fake-close", "fake-far"):
        _BACKENDS.pop(name)


def test_a_backend_whose_vectors_agree_is_accepted(index):
    bot = Assistant(index_dir=index, embed_backend="fake-close")
    assert bot.search("operation Ikaros arrests")
    assert bot.ingest([CORPUS]).skipped  # and may add to the index


def test_a_backend_whose_vectors_differ_is_refused_in_one_line(index):
    bot = Assistant(index_dir=index, embed_backend="fake-far")
    with pytest.raises(ModelMismatchError) as err:
        bot.ask("What did operation Ikaros achieve?")
    msg = str(err.value)
    assert "\n" not in msg and "'fake' embedding backend" in msg and "'fake-far'" in msg
    assert "RAG_EMBED_BACKEND=fake" in msg
    with pytest.raises(ModelMismatchError):
        bot.ingest([CORPUS])


def test_indexes_from_before_the_record_count_as_pytorch_built():
    from rag.embedding.compat import built_with

    assert built_with({"embed_model": "bundled:all-MiniLM-L6-v2"}) == "huggingface"
    assert built_with({}) == ""
    assert built_with({"embed_model": "x", "embed_backend": "onnx-int8"}) == "onnx-int8"
