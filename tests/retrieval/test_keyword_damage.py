"""A damaged keyword index (truncated file, unreadable meta.json, overwritten term dictionary)
is detected, rebuilt from the store without re-embedding, and the question is answered."""

from __future__ import annotations

import logging
import shutil

import pytest
from conftest import CORPUS, IKAROS, SEED_ID

from rag import Assistant, Settings


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    index = tmp_path_factory.mktemp("kwdamage") / "index"
    report = Assistant(Settings(index_dir=index)).ingest([CORPUS])
    assert report.added
    return index


def _truncate_store(folder):
    for f in folder.glob("**/*.store"):
        f.write_bytes(f.read_bytes()[:100])


def _bad_meta(folder):
    for f in folder.glob("*/meta.json"):
        f.write_text("{garbage")


def _zero_terms(folder):
    for f in folder.glob("**/*.term"):
        f.write_bytes(b"\xff" * f.stat().st_size)


def _empty_folder_file(folder):
    for f in folder.glob("**/*.idx"):
        f.write_bytes(b"")


@pytest.mark.parametrize("damage", [_truncate_store, _bad_meta, _zero_terms, _empty_folder_file])
def test_damaged_keyword_index_is_rebuilt_and_answers(built, tmp_path, damage, caplog):
    index = tmp_path / "index"
    shutil.copytree(built, index)
    damage(index / "tantivy-news")
    bot = Assistant(Settings(index_dir=index))
    with caplog.at_level(logging.WARNING):
        answer = bot.ask(IKAROS)
    assert "112 arrests" in answer.text and answer.citations[0].doc_id == SEED_ID
    assert any("keyword index" in r.getMessage() and "damaged" in r.getMessage()
               for r in caplog.records), [r.getMessage() for r in caplog.records]
    # the rebuilt index is whole: keyword search alone finds the article again
    searcher = bot.keyword.searcher(bot.store)
    assert searcher.size == bot.store.count_chunks()
    hits = searcher.search("Ikaros suspects arrests", None, 3)
    assert hits and hits[0][0].doc_id == SEED_ID
    # and a second process opening it finds it healthy (no second rebuild)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = Assistant(Settings(index_dir=index)).ask(IKAROS)
    assert again.citations[0].doc_id == SEED_ID
    assert not [r for r in caplog.records if "damaged" in r.getMessage()]
