"""The tantivy keyword index: kept in step by ingestion (add, change, delete, filters) without
rebuilding, and repaired from the store when it is missing or behind. Real Chroma, real files;
the fake embedder, since vectors play no part here."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from rag import Article, Assistant, Filters
from rag.chunks import Chunker
from rag.retrieval.tantivy_index import FORMAT, TantivyIndex

ARTICLES = [
    {"id": "pier", "date": "2022-06-10", "source": "Post", "title": "Pier reopens",
     "text": "The harbour authority reopened the north pier after storm repairs. Ferries "
             "resumed on Monday."},
    {"id": "pier-old", "date": "2021-01-10", "source": "Wire", "title": "Pier closed",
     "text": "The harbour authority closed the north pier after a storm damaged it."},
    {"id": "budget", "date": "2022-06-12", "source": "Wire", "title": "Library budget",
     "text": "The city council approved a budget that raises library funding by ten percent."},
]


def write(path, articles):
    path.write_text("".join(json.dumps(a) + "\n" for a in articles))


def ids(hits):
    return [c.doc_id for c, _s in hits]


@pytest.fixture
def setup(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write(feed, ARTICLES)
    bot = Assistant(index_dir=tmp_path / "idx", embed_backend="fake", keyword_index="tantivy")
    assert len(bot.ingest([feed]).added) == 3
    return bot, feed


@pytest.fixture
def no_rebuild(monkeypatch):
    def fail(self, store):
        raise AssertionError("the keyword index was rebuilt")

    monkeypatch.setattr(TantivyIndex, "_rebuild", fail)


def test_ingestion_adds_changes_and_deletes_in_step(setup, no_rebuild):
    bot, feed = setup
    kw = bot.keyword.searcher(bot.store)
    assert kw.generation == bot.store.generation() and kw.size == 3
    hits = kw.search("north pier harbour", None, 10)
    assert set(ids(hits)) == {"pier", "pier-old"} and all(s > 0 for _c, s in hits)
    assert ids(kw.search("library funding", None, 10)) == ["budget"]
    assert kw.search("zeppelin", None, 10) == []

    # a change: the old words are gone, the new ones found; nothing rebuilt
    changed = [dict(ARTICLES[0], text="The harbour authority opened a zeppelin terminal.")]
    write(feed, changed + ARTICLES[1:])
    report = bot.ingest([feed])
    assert report.updated == ["pier"] and not report.added
    kw = bot.keyword.searcher(bot.store)
    assert ids(kw.search("zeppelin", None, 10)) == ["pier"]
    assert ids(kw.search("ferries resumed", None, 10)) == []
    assert kw.generation == bot.store.generation() and kw.size == 3

    # an addition and a deletion (prune)
    write(feed, changed + [ARTICLES[2], {"id": "tram", "text": "A new tram line opened.",
                                        "date": "2023-03-01", "source": "Post"}])
    report = bot.ingest([feed], prune=True)
    assert report.added == ["tram"] and report.removed == ["pier-old"]
    kw = bot.keyword.searcher(bot.store)
    assert ids(kw.search("tram line", None, 10)) == ["tram"]
    assert ids(kw.search("closed storm damaged", None, 10)) == []  # pier-old is gone
    assert kw.size == 3 and kw.generation == bot.store.generation()


def test_filters_are_applied_inside_the_index(setup):
    bot, _feed = setup
    kw = bot.keyword.searcher(bot.store)
    query = "harbour pier library budget"
    assert set(ids(kw.search(query, Filters(since="2022-01-01"), 10))) == {"pier", "budget"}
    assert ids(kw.search(query, Filters(until="2021-12-31"), 10)) == ["pier-old"]
    assert set(ids(kw.search(query, Filters(sources=["Wire"]), 10))) == {"pier-old", "budget"}
    assert ids(kw.search(query, Filters("2022-06-11", "2022-06-30", ["Wire"]), 10)) == ["budget"]
    # a filter scores nothing by itself: the scores are the unfiltered ones
    plain = {c.id: s for c, s in kw.search(query, None, 10)}
    for c, s in kw.search(query, Filters(sources=["Wire"]), 10):
        assert s == pytest.approx(plain[c.id])
    # scores of given chunks equal their search scores; unknown ids score 0
    wanted = list(plain)[:2] + ["nope"]
    got = kw.scores_for(query, wanted)
    assert got["nope"] == 0 and all(got[c] == pytest.approx(plain[c]) for c in wanted[:2])
    assert kw.idf(["harbour", "librari", "zzz"]).keys() == {"harbour", "librari"}
    assert kw.facets() == {"sources": ["Post", "Wire"], "dates": ("2021-01-10", "2022-06-12")}


def test_a_missing_index_is_rebuilt_from_the_store_without_embedding(setup, monkeypatch):
    bot, _feed = setup
    folder = bot.keyword.folder
    bot.keyword.close()
    shutil.rmtree(folder)
    fresh = Assistant(bot.settings)
    fresh._parts["store"] = bot.store
    monkeypatch.setattr(type(fresh.embedder), "embed_texts",
                        lambda *a: pytest.fail("re-embedded"))
    hits = fresh.search("library funding", mode="bm25")
    assert hits[0].doc_id == "budget"
    assert fresh.keyword.searcher(bot.store).generation == bot.store.generation()


def test_an_index_behind_the_store_catches_up_by_article(setup, no_rebuild, caplog):
    """Writes the keyword index never heard of (a crash before its commit, or another
    keyword index in use meanwhile): the next search finds it behind and repairs it."""
    bot, _feed = setup
    store = bot.store
    new = Article(id="canal", text="Barges returned to the canal after the drought.",
                  title="Canal", date="2022-08-01", source="Post")
    chunks = Chunker(200, 30).split(new)
    with store.write_lock():
        store.bump("fake:hashed-words-64", 64, "sentence-splitter/200/30")
        store.add([(new, "h-canal", chunks, bot.embedder.embed_texts([c.text for c in chunks]))])
        store.delete(["pier-old"])
        store.bump("fake:hashed-words-64", 64, "sentence-splitter/200/30")
    with caplog.at_level(logging.INFO, logger="rag.keyword"):
        kw = bot.keyword.searcher(store)
    # Through the store's change feed: only what changed since the index's position.
    assert "followed the change feed" in caplog.text
    assert "1 articles removed, 1 (re)added" in caplog.text
    assert kw.generation == store.generation()
    assert ids(kw.search("barges canal drought", None, 10)) == ["canal"]
    assert "pier-old" not in ids(kw.search("harbour pier closed", None, 10))


def test_an_interrupted_ingest_leaves_the_index_consistent(setup, monkeypatch, no_rebuild):
    import rag.ingest as ingest_mod

    bot, feed = setup
    more = [{"id": f"s{i}", "text": f"Story {i} about the river ferry number {i}. " * 30,
             "date": "2022-07-01", "source": "Post"} for i in range(6)]
    write(feed, ARTICLES + more)
    monkeypatch.setattr(ingest_mod, "GROUP_CHUNKS", 2)
    real, calls = ingest_mod._Run.flush, {"n": 0}

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(ingest_mod._Run, "flush", flaky)
    with pytest.raises(KeyboardInterrupt):
        bot.ingest([feed])
    kw = bot.keyword.searcher(bot.store)
    stored = set(bot.store.records())
    assert kw.generation == bot.store.generation()
    assert set(ids(kw.search("river story", None, 50))) == stored - {
        "pier", "pier-old", "budget"}


def test_searches_use_the_last_commit_while_an_ingest_runs(setup):
    bot, _feed = setup
    store = bot.store
    before = bot.keyword.searcher(store)
    with store.write_lock():  # an ingestion in progress (here: this thread)
        store.bump("fake:hashed-words-64", 64, "sentence-splitter/200/30")
        kw = bot.keyword.searcher(store)  # does not wait for the lock, nor repair
        assert kw.generation == before.generation and kw.size == 3


def test_a_second_index_follows_the_change_feed_without_reading_the_manifest(setup, tmp_path,
                                                                            monkeypatch):
    """A replica: another keyword index over the same store (its own folder), which another
    Assistant writes to. It applies only the changes since its feed position: no rebuild, no
    read of the whole manifest, no embedding."""
    bot, feed = setup
    replica = Assistant(index_dir=tmp_path / "replica", embed_backend="fake",
                        keyword_index="tantivy")
    replica._parts["store"] = bot.store
    assert replica.keyword.searcher(bot.store).size == 3  # built once, from the store
    assert replica.keyword.current().feed is not None

    changed = dict(ARTICLES[0], text="The harbour authority opened a zeppelin terminal.")
    write(feed, [changed, ARTICLES[2], {"id": "tram", "text": "A new tram line opened.",
                                        "date": "2023-03-01", "source": "Post"}])
    report = bot.ingest([feed], prune=True)
    assert report.updated == ["pier"] and report.added == ["tram"]
    assert report.removed == ["pier-old"]

    real = type(bot.store).records

    def whole_manifest(self, doc_ids=None):
        assert doc_ids is not None, "read the whole manifest"
        return real(self, doc_ids)

    monkeypatch.setattr(type(bot.store), "records", whole_manifest)
    monkeypatch.setattr(TantivyIndex, "_rebuild", lambda *a: pytest.fail("rebuilt"))
    monkeypatch.setattr(type(replica.embedder), "embed_texts", lambda *a: pytest.fail("embed"))
    kw = replica.keyword.searcher(bot.store)
    assert kw.generation == bot.store.generation()
    assert ids(kw.search("zeppelin terminal", None, 10)) == ["pier"]
    assert ids(kw.search("tram line", None, 10)) == ["tram"]
    assert ids(kw.search("storm damaged", None, 10)) == []  # pier-old is gone
    assert ids(kw.search("ferries resumed", None, 10)) == []  # pier's old text too
    assert kw.size == 3
    # Reading the same changes again (the feed's margin) changes nothing.
    bot.store.bump("fake:hashed-words-64", 64, "sentence-splitter/200/30")
    again = replica.keyword.searcher(bot.store)
    assert again.size == 3 and ids(again.search("tram line", None, 10)) == ["tram"]


def test_hits_are_read_from_the_store_and_the_text_is_not_copied(setup):
    """The index holds tokens and ids; a hit's text and metadata come from the store."""
    bot, _feed = setup
    folder = bot.keyword.folder
    blob = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
    assert b"raises library funding" not in blob and b"Library budget" not in blob
    hit, _score = bot.keyword.searcher(bot.store).search("library funding", None, 10)[0]
    stored = bot.store.chunks_of(["budget"])[0]
    assert hit == stored and hit.text.startswith("The city council approved")
    assert (hit.title, hit.date, hit.source) == ("Library budget", "2022-06-12", "Wire")


def test_a_failing_store_is_not_taken_for_a_damaged_index(setup, monkeypatch):
    bot, _feed = setup
    kw = bot.keyword.searcher(bot.store)
    size = kw.size

    def down(ids):
        raise ConnectionError("store unreachable")

    monkeypatch.setattr(bot.store, "get_chunks", down)
    with pytest.raises(ConnectionError):
        bot.keyword.searcher(bot.store).search("library funding", None, 10)
    monkeypatch.undo()
    assert bot.keyword.folder.exists() and bot.keyword.current().size == size


def test_an_index_of_the_older_format_is_rebuilt(setup):
    """Format 1 copied each chunk's text into the index: such a folder is rebuilt from the
    store (no re-embedding) the first time it is opened."""
    bot, _feed = setup
    folder = bot.keyword.folder
    bot.keyword.close()
    config = folder / "newsrag-keyword.json"
    config.write_text(json.dumps(dict(json.loads(config.read_text()), format=1)))
    fresh = Assistant(bot.settings)
    fresh._parts["store"] = bot.store
    hits = fresh.search("library funding", mode="bm25")
    assert hits[0].doc_id == "budget"
    assert json.loads(config.read_text())["format"] == FORMAT


TOWNS = ["Arden", "Brill", "Corfe", "Dunmore", "Elgin", "Fenwick", "Garth", "Hexham", "Irvine",
         "Jarrow", "Kelso", "Lanark"]


def _town(i: int, words: str = "") -> dict:
    town = TOWNS[i]
    return {"id": f"town-{i}", "date": f"2022-0{1 + i % 9}-15", "source": "Post" if i % 2 else
            "Wire", "title": f"{town} news",
            "text": f"The {town} council met on Monday. {words or 'It approved a new bridge.'}"}


def _shards(folder) -> list[str]:
    return json.loads((folder / "shards.json").read_text())["shards"]


def test_a_large_index_is_split_into_shards_that_answer_as_one(tmp_path, monkeypatch,
                                                                no_rebuild):
    """Shards of at most SHARD_CHUNKS chunks (4 here): searched together, updated where the
    article lives, and read as one by a second process."""
    monkeypatch.setattr("rag.retrieval.tantivy_index.SHARD_CHUNKS", 4)
    feed = tmp_path / "feed.jsonl"
    articles = [_town(i) for i in range(len(TOWNS))]
    write(feed, articles)
    bot = Assistant(index_dir=tmp_path / "idx", embed_backend="fake", keyword_index="tantivy")
    assert len(bot.ingest([feed]).added) == len(TOWNS)
    folder = bot.keyword.folder
    names = _shards(folder)
    assert len(names) >= 3 and sorted(p.name for p in folder.iterdir() if p.is_dir()) == names
    kw = bot.keyword.searcher(bot.store)
    assert kw.size == bot.store.count_chunks() and kw.generation == bot.store.generation()
    # every shard answers; a word of one article finds that article first
    for i, town in enumerate(TOWNS):
        assert ids(kw.search(f"{town} council", None, 3))[0] == f"town-{i}"
    everywhere = ids(kw.search("council bridge", None, 50))
    assert sorted(everywhere) == sorted(a["id"] for a in articles)
    assert kw.facets() == {"sources": ["Post", "Wire"], "dates": ("2022-01-15", "2022-09-15")}
    assert set(kw.doc_keys()) == {a["id"] for a in articles}
    assert kw.idf(["council"])["council"] < kw.idf(["arden"])["arden"]  # df over all shards
    assert set(ids(kw.search("council", Filters(sources=["Wire"]), 50))) == {
        a["id"] for a in articles if a["source"] == "Wire"}

    # a change and a deletion of articles in the oldest shard: done there, nothing rebuilt
    changed = dict(_town(0, "It voted to build a zeppelin mast."))
    write(feed, [changed] + articles[2:])
    report = bot.ingest([feed], prune=True)
    assert report.updated == ["town-0"] and report.removed == ["town-1"]
    kw = bot.keyword.searcher(bot.store)
    assert ids(kw.search("zeppelin mast", None, 5)) == ["town-0"]
    assert "town-0" not in ids(kw.search("bridge", None, 50))
    assert ids(kw.search("Brill", None, 5)) == []
    assert kw.size == bot.store.count_chunks() and kw.generation == bot.store.generation()

    # another process opens the same shards and sees the same index
    other = TantivyIndex(folder).searcher(bot.store)
    assert other.size == kw.size and other.generation == kw.generation
    assert ids(other.search("zeppelin mast", None, 5)) == ["town-0"]


def test_a_rebuild_replaces_all_shards_at_once(tmp_path, monkeypatch):
    """A rebuild writes new shards and lists them in one step: one that fails leaves the old
    index listed and whole, and no shard of its own behind."""
    monkeypatch.setattr("rag.retrieval.tantivy_index.SHARD_CHUNKS", 4)
    feed = tmp_path / "feed.jsonl"
    write(feed, [_town(i) for i in range(len(TOWNS))])
    bot = Assistant(index_dir=tmp_path / "idx", embed_backend="fake", keyword_index="tantivy")
    bot.ingest([feed])
    index, store = bot.keyword, bot.store
    before = _shards(index.folder)
    size = index.searcher(store).size

    calls = []
    real = TantivyIndex._add_stored

    def failing(self, store_, chunks, records=None):
        calls.append(len(chunks))
        if len(calls) > 1:
            raise OSError("disk gone")
        return real(self, store_, chunks, records)

    monkeypatch.setattr("rag.retrieval.tantivy_index.PAGE", 5)
    monkeypatch.setattr(TantivyIndex, "_add_stored", failing)
    with pytest.raises(OSError, match="disk gone"):
        index.repair.__func__(index, _ForceRebuild(store))
    assert _shards(index.folder) == before
    assert sorted(p.name for p in index.folder.iterdir() if p.is_dir()) == before
    assert index.searcher(store).size == size

    monkeypatch.setattr(TantivyIndex, "_add_stored", real)
    reader = TantivyIndex(index.folder)  # another process, reading the old shards
    assert reader.current().size == size
    assert index.repair(_ForceRebuild(store)).startswith("rebuilt")
    after = _shards(index.folder)
    assert len(after) >= 3 and not set(after) & set(before)
    assert sorted(p.name for p in index.folder.iterdir() if p.is_dir()) == after
    kw = index.searcher(store)
    assert kw.size == size and ids(kw.search("Lanark", None, 3)) == ["town-11"]
    # the other process finds the new list and reads the new shards
    snap = reader.current().reading(store)
    assert snap.size == size and ids(snap.search("Lanark", None, 3)) == ["town-11"]


class _ForceRebuild:
    """The store, under a new identity: the index belongs to another store and is rebuilt."""

    def __init__(self, store):
        self._store = store

    def generation(self):
        return "other:" + self._store.generation().partition(":")[2]

    def __getattr__(self, name):
        return getattr(self._store, name)
