"""The Store Protocol, run against each implementation: memory, and Chroma embedded (real).
The Chroma server implementation runs the same contract in test_chroma_server.py."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Article, Filters, ModelMismatchError, Settings
from rag.chunks import Chunker
from rag.stores import Store, open_store

DIM = 8


def _vec(i: int) -> list[float]:
    v = np.zeros(DIM, dtype=np.float32)
    v[i % DIM] = 1.0
    v[(i + 1) % DIM] = 0.5
    return (v / np.linalg.norm(v)).tolist()


ARTICLES = [
    Article(id="a", text="Alpha story. It has two sentences.", title="Alpha", date="2020-01-05",
            source="Wire", url="https://example.org/a", origin="/x/a.txt"),
    Article(id="b", text="Beta story about boats.", title="Beta", date="2021-07-01",
            source="Post"),
    Article(id="c", text="Gamma story with no date.", title="Gamma", source="Wire"),
]


@pytest.fixture(params=["memory", "chroma"])
def store(request, tmp_path) -> Store:
    return open_store(Settings(index_dir=tmp_path / "idx", store=request.param))


def fill(store):
    chunker = Chunker(200, 30)
    items = []
    for i, a in enumerate(ARTICLES):
        chunks = chunker.split(a)
        items.append((a, f"hash-{a.id}", chunks, [_vec(i)] * len(chunks)))
    with store.write_lock():
        store.add(items)
        store.bump("test-model", DIM, "sentence-splitter/200/30")


def test_add_records_search_vectors_and_delete(store):
    assert isinstance(store, Store)
    fill(store)
    assert store.count_articles() == 3 and store.count_chunks() == 3
    recs = store.records()
    assert set(recs) == {"a", "b", "c"} and recs["a"].hash == "hash-a"
    assert recs["a"].n_chunks == 1 and recs["a"].origin == "/x/a.txt"
    assert set(store.records(["b", "zzz"])) == {"b"}
    art = store.get_article("a")
    assert art.text == ARTICLES[0].text and art.url == "https://example.org/a"
    assert store.get_article("nope") is None

    hits = store.dense_search(_vec(1), None, 3)
    assert hits[0][0].doc_id == "b" and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    chunk = hits[0][0]
    assert chunk.text == "Beta story about boats." and (chunk.start, chunk.end) == (0, 23)
    assert chunk.title == "Beta" and chunk.date == "2021-07-01" and chunk.source == "Post"
    vecs = store.vectors([chunk.id])
    assert np.allclose(vecs[chunk.id], _vec(1), atol=1e-5)
    assert {c.doc_id for c in store.iter_chunks()} == {"a", "b", "c"}
    got = store.get_chunks([chunk.id, "no-such-chunk", chunk.id])
    assert list(got) == [chunk.id] and got[chunk.id] == chunk  # text, offsets, metadata

    # filters: dates (an undated article never passes an "until"), sources
    def docs(f):
        return {c.doc_id for c, _s in store.dense_search(_vec(0), f, 10)}

    assert docs(Filters(since="2021-01-01")) == {"b"}
    assert docs(Filters(until="2020-12-31")) == {"a"}
    assert docs(Filters(sources=["Wire"])) == {"a", "c"}

    generation = store.generation()
    with store.write_lock():
        store.delete(["a"])
        store.bump("test-model", DIM, "sentence-splitter/200/30")
    assert store.generation() != generation
    assert set(store.records()) == {"b", "c"} and store.count_chunks() == 2


def test_model_check_and_reset(store):
    fill(store)
    store.check_model("test-model", DIM)
    with pytest.raises(ModelMismatchError, match="other-model"):
        store.check_model("other-model", DIM)
    with pytest.raises(ModelMismatchError):
        store.check_model("test-model", DIM + 1)
    store.reset()
    assert store.count_chunks() == 0 and store.count_articles() == 0
    store.check_model("other-model", DIM)  # an empty index takes any model


def test_readding_an_article_replaces_its_chunks(store):
    fill(store)
    a = ARTICLES[0]
    changed = Article(id="a", text="Alpha story, rewritten entirely.", title="Alpha")
    chunks = Chunker(200, 30).split(changed)
    store.add([(changed, "hash-a2", chunks, [_vec(5)] * len(chunks))])
    texts = [c.text for c in store.iter_chunks() if c.doc_id == "a"]
    assert texts == ["Alpha story, rewritten entirely."] and a.text not in texts
    assert store.records(["a"])["a"].hash == "hash-a2"


def test_chroma_filtered_search_widens_then_falls_back(tmp_path, monkeypatch):
    """With a filter, Chroma is first asked without it for more neighbours (fast on a large
    collection), and with it only when too few of those pass."""
    store = open_store(Settings(index_dir=tmp_path / "idx").replace(filter_overfetch=2,
                                filter_min_dense=2))
    chunker = Chunker(200, 30)
    items = []
    for i in range(12):
        a = Article(id=f"d{i}", text=f"Story {i}.", date="2022-05-01" if i < 2 else "2020-05-01")
        chunks = chunker.split(a)
        items.append((a, f"h{i}", chunks, [_vec(0 if i < 2 else 4)] * len(chunks)))
    with store.write_lock():
        store.add(items)
        store.bump("test-model", DIM, "sentence-splitter/200/30")
    asked = []
    real = store._query
    monkeypatch.setattr(store, "_query", lambda q, k, where: asked.append(where) or real(q, k,
                                                                                        where))
    # the 2022 chunks lie far from the query: the wide unfiltered answer has none of them
    hits = store.dense_search(_vec(4), Filters(since="2022-01-01"), 2)
    assert {c.doc_id for c, _s in hits} == {"d0", "d1"} and asked[0] is None and asked[1]
    asked.clear()
    hits = store.dense_search(_vec(4), Filters(until="2021-01-01"), 3)  # enough pass at once
    assert len(hits) == 3 and all(c.date == "2020-05-01" for c, _s in hits)
    assert asked == [None]
