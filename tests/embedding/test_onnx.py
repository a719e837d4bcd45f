"""The ONNX Runtime backends: exported locally from the bundled model, cached, and giving the
PyTorch vectors (fp32) or close ones (int8); an index built with PyTorch works with them."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, IKAROS

from rag import Assistant, Settings
from rag.embedding import get_embedder
from rag.embedding.onnx import MANIFEST, ONNX_FILE, _valid, ensure_export

TEXTS = ["What did operation Ikaros achieve?",
         "title: Squid Game returns\n\nNetflix said the show will have a second season. " * 4,
         "x"]


def vectors(backend: str) -> np.ndarray:
    return np.asarray(get_embedder(Settings(embed_backend=backend)).embed_texts(TEXTS))


def test_onnx_vectors_match_pytorch_and_int8_stays_close():
    torch_vecs = vectors("huggingface")
    fp32 = np.sum(torch_vecs * vectors("onnx"), axis=1)
    assert fp32.min() > 0.9999
    int8 = np.sum(torch_vecs * vectors("onnx-int8"), axis=1)
    assert int8.min() > 0.97 and int8.mean() > 0.98
    emb = get_embedder(Settings(embed_backend="onnx-int8"))
    assert (emb.label, emb.dim, emb.backend) == ("bundled:all-MiniLM-L6-v2", 384, "onnx-int8")
    assert emb.embed_query(TEXTS[0]) == pytest.approx(emb.embed_texts(TEXTS[:1])[0], abs=1e-6)


def test_the_export_is_cached_and_a_damaged_one_is_not_used(tmp_path):
    settings = Settings()
    model = settings.model_name
    folder = ensure_export(Path(model), settings.embed_cache_dir, False)
    assert _valid(folder) and (folder / MANIFEST).exists()
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    assert _valid(copy)
    with open(copy / ONNX_FILE, "r+b") as fh:  # a file cut short (a full disk, a kill)
        fh.truncate(1000)
    assert not _valid(copy)


def test_an_index_built_with_pytorch_answers_with_onnx(tmp_path):
    built = Assistant(index_dir=tmp_path / "idx", embed_backend="huggingface")
    built.ingest([CORPUS])
    bot = Assistant(index_dir=tmp_path / "idx", embed_backend="onnx-int8")
    answer = bot.ask(IKAROS)
    assert "269 suspects" in answer.text and not answer.abstained


def test_openvino_the_default_runs_the_same_export():
    assert Settings().embed_backend == "openvino"
    ov = np.asarray(get_embedder(Settings(embed_backend="openvino")).embed_texts(TEXTS))
    assert np.sum(ov * vectors("onnx"), axis=1).min() > 0.999
