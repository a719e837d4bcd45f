"""`rag check [--repair]` on real indexes damaged the ways interrupted or failed writes damage
them: each problem is found (one line, exit 1) and repaired (exit 0), re-embedding only what
needs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from rag import Assistant, Settings

RAG = [sys.executable, "-m", "rag.cli"]


def _articles(n: int) -> list[dict]:
    return [{"id": f"town-{i}", "date": f"2024-05-{1 + i % 28:02d}", "source": "Check Wire",
             "title": f"Harbour of Ostrel{i} reopens",
             "text": (f"The harbour of Ostrel{i} reopened on Tuesday after {i + 3} months of "
                      f"repairs. It can now take ships of {200 + i} metres, the port said.\n\n"
                      f"Fishermen of Ostrel{i} welcomed the news. The works cost {i + 10} "
                      "million euros and were paid by the region.")}
            for i in range(n)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check")
    src = tmp / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in _articles(12)))
    index = tmp / "index"
    report = Assistant(Settings(index_dir=index)).ingest([src])
    assert len(report.added) == 12
    return index, src


def _copy(built, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(built[0], index)
    return Assistant(Settings(index_dir=index)), index


def _cli(index, *args):
    return subprocess.run([*RAG, "check", "--index-dir", str(index), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_clean_index_is_consistent(built):
    done = _cli(built[0])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 articles" in done.stdout and "consistent" in done.stdout


def test_chunks_without_a_record_are_removed_and_come_back_on_the_next_ingest(built, tmp_path):
    bot, index = _copy(built, tmp_path)
    bot.store.articles.delete(ids=["town-1", "town-2"])  # what a failed write leaves
    report = bot.check()
    assert sorted(p.doc_id for p in report.problems if p.kind == "orphan-chunks") == [
        "town-1", "town-2"]
    done = _cli(index)
    assert done.returncode == 1
    assert sum(line.startswith("orphan-chunks: ") for line in done.stdout.splitlines()) == 2
    fixed = _cli(index, "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "repaired: removed the chunks of 2 articles" in fixed.stdout
    bot = Assistant(Settings(index_dir=index))
    assert bot.check().ok
    again = bot.ingest([built[1]])
    assert sorted(again.added) == ["town-1", "town-2"] and len(again.skipped) == 10
    assert bot.ask("How long were the repairs of the harbour of Ostrel2?").citations[0].doc_id \
        == "town-2"


def test_missing_chunks_and_bad_offsets_are_re_embedded_alone(built, tmp_path):
    bot, index = _copy(built, tmp_path)
    store = bot.store
    store.chunks.delete(where={"document_id": "town-3"})
    first = store.chunks.get(where={"document_id": "town-4"}, include=["metadatas"])
    meta = dict(first["metadatas"][0])
    meta["start"], meta["end"] = meta["start"] + 5, meta["end"] + 5
    store.chunks.update(ids=[first["ids"][0]], metadatas=[meta])
    report = bot.check(full=True)
    kinds = {(p.kind, p.doc_id) for p in report.problems}
    assert ("missing-chunks", "town-3") in kinds and ("offsets", "town-4") in kinds, kinds
    fixed = bot.check(repair=True, full=True)
    assert fixed.ok, [p.line() for p in fixed.problems]
    assert any("re-embedded 2 articles" in line for line in fixed.repaired), fixed.repaired
    answer = bot.ask("How many metres can ships in the harbour of Ostrel3 be?")
    assert answer.citations[0].doc_id == "town-3" and "203" in answer.text
    # the other articles were not touched: one ingest of the source finds all unchanged
    assert len(bot.ingest([built[1]]).skipped) == 12


def test_keyword_index_behind_is_found_and_repaired(built, tmp_path):
    bot, index = _copy(built, tmp_path)
    kw = bot.keyword
    snap = kw.current()
    w = kw._w()  # remove one article from the keyword index only, keeping its generation
    w.delete_documents_by_term("doc_id", "town-5")
    kw._commit(snap.generation)
    kw._release()
    report = bot.check()
    assert [p.kind for p in report.problems] == ["keyword-behind"]
    assert "1 articles" in report.problems[0].detail
    fixed = bot.check(repair=True)
    assert fixed.ok and any("keyword index" in line for line in fixed.repaired)
    hits = kw.searcher(bot.store).search("Ostrel5 harbour", None, 3)
    assert hits[0][0].doc_id == "town-5"


def test_model_mismatch_is_reported_not_repaired(built, tmp_path):
    _bot, index = _copy(built, tmp_path)
    done = subprocess.run([*RAG, "check", "--index-dir", str(index), "--repair"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "RAG_EMBED_BACKEND": "fake"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("model: ") and "still: model: " in done.stdout
    assert "Traceback" not in done.stderr
