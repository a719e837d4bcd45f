"""Pointing the assistant at a Chroma server instead of the embedded store (a real server on
loopback, started by the test with the `chroma` command that chromadb installs)."""

from __future__ import annotations

import pytest
from chroma_server import free_port, start_chroma, stop_chroma
from conftest import CORPUS, IKAROS, SEED_ID

from rag import Assistant, Settings


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = free_port()
    proc = start_chroma(tmp_path_factory.mktemp("chroma_server"), port)
    yield port
    stop_chroma(proc)


def test_ingest_and_ask_through_a_chroma_server(chroma_server, tmp_path):
    settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_server,
                        index_dir=tmp_path / "cache")
    bot = Assistant(settings)
    assert bot.ingest([CORPUS]).added == [SEED_ID]
    answer = bot.ask(IKAROS)
    assert "112 arrests" in answer.text and answer.citations[0].doc_id == SEED_ID
    assert bot.stats()["index"] == f"chroma://127.0.0.1:{chroma_server}"
    # A second client (another machine, in effect) sees the same index and re-embeds nothing.
    other = Assistant(Settings(chroma_host="127.0.0.1", chroma_port=chroma_server,
                               index_dir=tmp_path / "other-cache"))
    assert other.ingest([CORPUS]).skipped == [SEED_ID]
    assert "112 arrests" in other.ask(IKAROS).text


@pytest.mark.parametrize("name", ["test_add_records_search_vectors_and_delete",
                                  "test_model_check_and_reset",
                                  "test_readding_an_article_replaces_its_chunks"])
def test_the_store_contract_holds_on_a_server(chroma_server, tmp_path, name):
    """The same contract as the embedded and memory stores (tests/stores/test_stores.py)."""
    import test_stores  # noqa: I001 - tests/stores is on the path here
    from rag.stores import open_store

    store = open_store(Settings(chroma_host="127.0.0.1", chroma_port=chroma_server,
                                index_dir=tmp_path, collection=f"contract_{name[5:20]}"))
    getattr(test_stores, name)(store)
