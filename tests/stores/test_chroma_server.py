"""Pointing the assistant at a Chroma server instead of the embedded store (a real server on
loopback, started by the test with the `chroma` command that chromadb installs)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS, IKAROS, SEED_ID

from rag import Assistant, Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = shutil.which("chroma")
    assert exe, "the chroma command comes with chromadb; it should be installed"
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma_server")
    proc = subprocess.Popen([str(exe), "run", "--path", str(data), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=20)


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
