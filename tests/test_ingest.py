"""Incremental ingestion: unchanged articles cost nothing, edits replace, pruning removes."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import CORPUS, SEED_ID

from rag import Assistant, ModelMismatchError, Settings

STORIES = {
    "harbour.txt": "date 2021-05-04 OSLO The harbour authority opened a new ferry terminal on "
                   "Tuesday. It can handle four ships at once and cost 300 million crowns.",
    "mine.txt": "date 2021-06-10 SANTIAGO Workers at the copper mine ended a strike after "
                "nine days. The company agreed to raise wages by six percent.",
    "rail.md": "---\ntitle: Night trains return\ndate: 2021-07-01\nsource: Example Wire\n---\n"
               "Night trains between Vienna and Paris will run again from December, the "
               "operator said.",
}


def _chunk_ids(bot, doc_id):
    return {c.id for c in bot.store.iter_chunks() if c.doc_id == doc_id}


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "articles"
    d.mkdir()
    for name, text in STORIES.items():
        (d / name).write_text(text)
    shutil.copy(CORPUS / SEED_ID, d / SEED_ID)
    return d


def test_reingest_edit_and_prune(folder, tmp_path):
    bot = Assistant(index_dir=tmp_path / "idx")
    first = bot.ingest([folder])
    assert sorted(first.added) == sorted([*STORIES, SEED_ID]) and not first.failed
    chunks_before = {doc: _chunk_ids(bot, doc) for doc in first.added}
    gen = bot.stats()["generation"]

    again = bot.ingest([folder])
    assert again.added == [] and again.updated == [] and again.chunks_written == 0
    assert sorted(again.skipped) == sorted(first.added)
    assert bot.stats()["generation"] == gen  # nothing changed, BM25 is not rebuilt

    (folder / "mine.txt").write_text(STORIES["mine.txt"].replace("six percent", "eight percent"))
    edited = bot.ingest([folder])
    assert edited.updated == ["mine.txt"] and edited.added == []
    assert _chunk_ids(bot, "mine.txt") != chunks_before["mine.txt"]
    for doc in ("harbour.txt", "rail.md", SEED_ID):
        assert _chunk_ids(bot, doc) == chunks_before[doc]
    answer = bot.ask("By how much will the copper mine raise wages?")
    assert "eight percent" in answer.text and "six percent" not in answer.text

    (folder / "harbour.txt").unlink()
    kept = bot.ingest([folder])  # without --prune nothing is removed
    assert kept.removed == [] and _chunk_ids(bot, "harbour.txt")
    pruned = bot.ingest([folder], prune=True)
    assert pruned.removed == ["harbour.txt"]
    assert _chunk_ids(bot, "harbour.txt") == set()
    assert bot.article("harbour.txt") is None
    for doc in ("mine.txt", "rail.md", SEED_ID):
        assert _chunk_ids(bot, doc)
    assert bot.stats()["articles"] == 3
    assert bot.ask("When did the new ferry terminal open in Oslo?").citations == [] or all(
        c.doc_id != "harbour.txt" for c in bot.ask("ferry terminal Oslo").citations)


def test_jsonl_line_removed_then_pruned_and_bad_lines_reported(tmp_path):
    path = tmp_path / "news.jsonl"
    records = [{"id": f"n{i}", "text": f"Story number {i} about the {w} market moved today.",
                "date": "2020-01-0" + str(i + 1), "source": "Wire"}
               for i, w in enumerate(["coffee", "cocoa", "sugar"])]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n{broken\n")
    bot = Assistant(index_dir=tmp_path / "idx")
    report = bot.ingest([path])
    assert sorted(report.added) == ["n0", "n1", "n2"]
    assert len(report.failed) == 1 and report.failed[0].path.endswith("news.jsonl:4")
    path.write_text("\n".join(json.dumps(r) for r in records[:2]) + "\n")
    report = bot.ingest([path], prune=True)
    assert report.removed == ["n2"] and sorted(report.skipped) == ["n0", "n1"]


def test_bad_files_do_not_stop_the_others(tmp_path):
    d = tmp_path / "mixed"
    d.mkdir()
    (d / "good.txt").write_text(STORIES["harbour.txt"])
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (d / "latin1.txt").write_bytes("Caf\u00e9 prices in M\u00fcnchen rose.".encode("latin-1"))
    (d / "bad.jsonl").write_text('{"id": "j1", "text": "A fine line about tea prices."}\n[1,2\n')
    bot = Assistant(index_dir=tmp_path / "idx")
    report = bot.ingest([d, tmp_path / "nowhere"])
    assert sorted(report.added) == ["good.txt", "j1", "latin1.txt"]
    reasons = " | ".join(f"{f.path}: {f.reason}" for f in report.failed)
    assert "binary.txt: binary file" in reasons
    assert "bad.jsonl:2: malformed JSON" in reasons
    assert "nowhere: no such file or folder" in reasons
    assert bot.stats()["articles"] == 3


def test_same_name_in_two_folders_keeps_both(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "story.txt").write_text(STORIES["harbour.txt"])
    (b / "story.txt").write_text(STORIES["mine.txt"])
    bot = Assistant(index_dir=tmp_path / "idx")
    bot.ingest([a])
    second = bot.ingest([b])
    assert len(second.added) == 1 and second.added[0].startswith("story.txt~")
    assert bot.stats()["articles"] == 2
    assert bot.ingest([a, b]).added == []  # stable ids: nothing new the second time


def test_refuses_to_mix_embedding_models(tmp_path, monkeypatch):
    bot = Assistant(index_dir=tmp_path / "idx")
    bot.ingest([CORPUS])
    bot.store.bump("some/other-model", 384, "sentence-splitter/200/30")
    other = Assistant(Settings(index_dir=tmp_path / "idx"))
    with pytest.raises(ModelMismatchError, match="some/other-model"):
        other.ingest([CORPUS])
    with pytest.raises(ModelMismatchError, match="--rebuild"):
        other.ask("What did operation Ikaros achieve?")


def test_interrupted_ingest_resumes_without_duplicates(tmp_path, monkeypatch):
    import rag.ingest as ingest_mod

    d = tmp_path / "many"
    d.mkdir()
    for i in range(12):
        (d / f"s{i:02}.txt").write_text(
            f"Story {i}. " + " ".join(f"Sentence {j} of story {i} about topic {i}."
                                      for j in range(40)))
    bot = Assistant(index_dir=tmp_path / "idx")
    monkeypatch.setattr(ingest_mod, "GROUP_CHUNKS", 4)
    calls = {"n": 0}
    real = ingest_mod._Run.flush

    def flaky(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(ingest_mod._Run, "flush", flaky)
    with pytest.raises(KeyboardInterrupt):
        bot.ingest([d])
    done = bot.stats()["articles"]
    assert 0 < done < 12
    monkeypatch.setattr(ingest_mod._Run, "flush", real)
    report = bot.ingest([d])
    assert len(report.skipped) == done and len(report.added) == 12 - done
    total = sum(len(_chunk_ids(bot, f"s{i:02}.txt")) for i in range(12))
    assert total == bot.stats()["chunks"]


def test_rebuild_starts_afresh_and_never_reuses_a_stale_bm25(tmp_path, folder):
    bot = Assistant(index_dir=tmp_path / "idx")
    bot.ingest([folder])
    assert "eight" not in bot.ask("By how much will the copper mine raise wages?").text
    bot.rebuild()
    assert bot.stats()["articles"] == 0
    (folder / "mine.txt").write_text(STORIES["mine.txt"].replace("six percent", "eight percent"))
    report = bot.ingest([folder])
    # one run: the generation is bumped before its first write and at its end
    assert len(report.added) == 4 and bot.stats()["generation"] == 2
    assert "eight percent" in bot.ask("By how much will the copper mine raise wages?").text
    hits = bot.search("copper mine wages", mode="bm25")
    assert hits and "eight percent" in hits[0].text


def test_an_article_that_cannot_be_chunked_costs_only_itself(tmp_path, monkeypatch):
    """Whatever goes wrong while chunking one article (the reader and the chunker are bounded
    for huge files, tests/test_chunks.py; this guards what is not foreseen) fails it in one
    line; the articles before and after it are indexed."""
    from rag.chunks import Chunker

    d = tmp_path / "run"
    d.mkdir()
    for name in ("harbour.txt", "mine.txt", "rail.md"):
        (d / name).write_text(STORIES[name])
    real_split = Chunker.split

    def split(self, article):
        if article.id == "mine.txt":
            raise TimeoutError("regex took too long")
        return real_split(self, article)

    monkeypatch.setattr(Chunker, "split", split)
    bot = Assistant(index_dir=tmp_path / "idx")
    report = bot.ingest([d])
    assert sorted(report.added) == ["harbour.txt", "rail.md"]
    [failure] = report.failed
    assert failure.path == str((d / "mine.txt").resolve())
    assert failure.reason == "could not be chunked: TimeoutError: regex took too long"
    assert bot.stats()["articles"] == 2
    assert bot.ask("When will night trains run between Vienna and Paris?").citations


def test_a_35_mb_file_is_indexed_with_the_files_around_it(tmp_path):
    """A real 35 MB .txt (under the 52 MB limit) of what made ingestion back-track or crash --
    megabytes of spaces and blank lines, a line with no sentence end, "a. a. a." -- is
    indexed with the good files beside it; a binary one fails alone, in one line. Its text is
    mostly whitespace so that embedding stays quick (tests/test_chunks.py chunks 35 MB of
    words)."""
    d = tmp_path / "big"
    d.mkdir()
    for name in ("harbour.txt", "rail.md"):
        (d / name).write_text(STORIES[name])
    (d / "binary.txt").write_bytes(bytes(range(256)) * 4)
    words = " ".join(["ferry", "harbour", "strike", "council", "mine"] * 1_000)  # no full stop
    (d / "huge.txt").write_text(
        "date: 2021-08-02\nThe lighthouse keeper on Skerry Island retired after forty years. "
        + " " * 17_000_000 + "\n" + "\t \n" * 5_900_000 + words + "\n\n" + "a. " * 10_000
        + "\n\nShe was given a brass telescope by the island council.")
    assert 34_000_000 < (d / "huge.txt").stat().st_size < 36_000_000
    bot = Assistant(index_dir=tmp_path / "idx")
    report = bot.ingest([d])
    assert sorted(report.added) == ["harbour.txt", "huge.txt", "rail.md"]
    assert [(f.path.rsplit("/", 1)[-1], f.reason.split(" (")[0]) for f in report.failed] == \
        [("binary.txt", "binary file")]
    answer = bot.ask("What was the lighthouse keeper given by the island council?")
    assert answer.citations and answer.citations[0].doc_id == "huge.txt"
    assert "brass telescope" in answer.text


def test_each_written_group_gives_freed_memory_back(tmp_path, folder, monkeypatch):
    """The C heap is trimmed after every group (glibc): freed holes do not pile up."""
    import sys

    import rag.ingest as ingest

    calls = []
    real = ingest._give_back_memory
    monkeypatch.setattr(ingest, "_give_back_memory", lambda: calls.append(1) or real())
    monkeypatch.setattr(ingest, "GROUP_CHUNKS", 1)  # one group per article
    report = Assistant(index_dir=tmp_path / "idx").ingest([folder])
    assert len(calls) == len(report.added) == 4
    if sys.platform.startswith("linux"):
        from rag import memory

        assert memory._LIBC[0] is not None  # glibc's malloc_trim was found and called
