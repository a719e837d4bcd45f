"""`rag serve` over a Chroma server that stops mid-use and comes back: the page's API gives one
clear message while it is away and answers again once it is back, without restarting serve."""

from __future__ import annotations

import pytest
from chroma_server import free_port, start_chroma, stop_chroma
from serving import running_serve

from rag import Article, Assistant, Settings


def test_chroma_server_stopped_and_started_again(tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    port = free_port()
    data = tmp_path / "chroma"
    chroma = start_chroma(data, port)
    env = {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port),
           "RAG_COLLECTION": "down_news"}
    try:
        bot = Assistant(Settings(chroma_host="127.0.0.1", chroma_port=port,
                                 index_dir=tmp_path / "local", collection="down_news"))
        bot.ingest_articles([Article(
            id="quay", title="Quay of Ormsby rebuilt", date="2025-04-04", source="Down Wire",
            text="The quay of Ormsby was rebuilt in 14 months. It now takes ferries of 180 "
                 "metres, the harbour master said.")])
        bot.close()
        question = "How long did rebuilding the quay of Ormsby take?"
        with running_serve(tmp_path / "local", tmp_path / "serve.log", "--no-corpus",
                           env=env) as srv:
            client = Client(srv["url"], verbose=False)
            assert client.predict(question, api_name="/ask")["citations"][0]["doc_id"] == "quay"
            stop_chroma(chroma)
            with pytest.raises(AppError) as err:
                client.predict(question, api_name="/ask")
            message = str(err.value)
            assert "did not answer" in message and "Traceback" not in message, message
            chroma = start_chroma(data, port)
            out = client.predict(question, api_name="/ask")
            assert out["citations"][0]["doc_id"] == "quay" and "14 months" in out["answer"]
    finally:
        stop_chroma(chroma)
