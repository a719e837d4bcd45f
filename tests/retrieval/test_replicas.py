"""Stateless replicas: two real `rag serve` processes over one real Chroma server, each with
its own keyword index kept in step through the store's change feed (no rebuild, no
re-embedding). An article uploaded through replica A is found by B's keyword index within
the sync delay, before any question reaches B, and B answers with it cited."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from chroma_server import chroma_server, free_port
from conftest import ROOT
from serving import stop_process

from rag import Settings
from rag.retrieval.keyword import keyword_folder
from rag.retrieval.tantivy_index import TantivyIndex
from rag.stores import open_store

SYNC_SECONDS = 2.0
BOUND = 10.0  # the delay the docs promise with the default 5 s sync
START_TIMEOUT = 300
NEW = {"id": "fact-lighthouse", "source": "Quexton Herald", "date": "2023-02-14",
       "title": "Varnholm lighthouse relit",
       "text": "The Varnholm lighthouse was relit after 37 years of darkness, the harbour "
               "board said. Its new lamp can be seen from 24 nautical miles."}
QUESTION = "After how many years was the Varnholm lighthouse relit?"


def _start(name: str, tmp, port: int, chroma_port: int):
    log_path = tmp / f"{name}.log"
    env = {**os.environ, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port),
           "RAG_REPLICA_SYNC_SECONDS": str(SYNC_SECONDS), "PYTHONUNBUFFERED": "1"}
    for key in ("RAG_INDEX_DIR", "RAG_AUTH"):
        env.pop(key, None)
    exe = ROOT / ".venv" / "bin" / "rag"
    cmd = [str(exe)] if exe.exists() else ["rag"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*cmd, "serve", "--index-dir", str(tmp / name), "--port",
                                 str(port)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    return proc, log_path


def _wait_ready(proc, log_path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"rag serve exited with {proc.returncode}:\n{log_path.read_text()}")
        if "Running on local URL" in log_path.read_text(errors="replace"):
            return
        time.sleep(0.5)
    pytest.fail(f"rag serve did not start in {START_TIMEOUT} s:\n{log_path.read_text()}")


def test_an_article_uploaded_to_one_replica_is_answered_by_the_other(tmp_path):
    from gradio_client import Client, handle_file

    with chroma_server(tmp_path / "chroma") as chroma_port:
        procs = []
        try:
            a_port, b_port = free_port(), free_port()
            a = _start("a", tmp_path, a_port, chroma_port)  # indexes corpus/ (empty store)
            procs.append(a[0])
            _wait_ready(*a)
            b = _start("b", tmp_path, b_port, chroma_port)
            procs.append(b[0])
            _wait_ready(*b)

            # B's keyword index, read from this process as it is on disk.
            b_settings = Settings(index_dir=tmp_path / "b", chroma_host="127.0.0.1",
                                  chroma_port=chroma_port)
            b_index = TantivyIndex(keyword_folder(b_settings))
            store = open_store(b_settings)  # where its hits' text is read

            def b_search(text):
                return b_index.current().reading(store).search(text, None, 5)

            assert not b_search("Varnholm lighthouse")

            upload = tmp_path / "new.jsonl"
            upload.write_text(json.dumps(NEW) + "\n")
            rows = Client(f"http://127.0.0.1:{a_port}/", verbose=False).predict(
                [handle_file(str(upload))], api_name="/add_articles")[0]
            assert rows[0]["result"] == "added", rows
            uploaded = time.monotonic()

            # No question reaches B meanwhile: its sync thread must do it.
            while True:
                hits = b_search("Varnholm lighthouse relit")
                if hits:
                    break
                assert time.monotonic() - uploaded < BOUND, "B's keyword index did not follow"
                time.sleep(0.2)
            delay = time.monotonic() - uploaded
            assert hits[0][0].doc_id == NEW["id"]
            print(f"replica catch-up delay: {delay:.1f} s")

            out = Client(f"http://127.0.0.1:{b_port}/", verbose=False).predict(
                QUESTION, api_name="/ask")
            assert not out["abstained"], out
            assert "37 years" in out["answer"]
            assert out["citations"][0]["doc_id"] == NEW["id"]
            # The dense side is the shared store: any process finds the article there too.
            from rag import Assistant

            probe = Assistant(Settings(index_dir=tmp_path / "probe", chroma_host="127.0.0.1",
                                       chroma_port=chroma_port))
            dense = probe.search(QUESTION, mode="dense", top_k=3)
            assert dense[0].doc_id == NEW["id"]
            # B followed the feed rather than rebuilding: its log says so.
            assert "followed the change feed" in b[1].read_text(errors="replace")
        finally:
            for p in procs:
                stop_process(p)
