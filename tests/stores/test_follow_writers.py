"""A running `rag serve` keeps answering while another process (`rag ingest`) writes into its
embedded index, and answers from the new articles once that ingest is done (no restart).

Before the fix, Chroma's in-memory vector index of the serving process went stale under the
other writer and questions failed with "Error finding id" during and after the ingest."""

from __future__ import annotations

import json
import os
import subprocess
import time

from serving import rag_command, running_serve

from rag import Article, Assistant, Settings


def _articles(prefix: str, n: int, start: int = 0) -> list[dict]:
    out = []
    for i in range(start, start + n):
        town = f"{prefix}{i}"
        out.append({
            "id": f"{prefix.lower()}-{i}", "date": f"2024-03-0{1 + i % 9}",
            "source": "Follow Test Wire", "title": f"{town} opens a library",
            "text": (f"The town of {town} opened a public library on Monday. "
                     f"It holds {1000 + i} books and {i % 40 + 3} reading rooms, the mayor said. "
                     f"Builders from {town} finished the work two months early.\n\n"
                     f"The library of {town} will open every day from 8 am. Local schools "
                     f"plan weekly visits, and a cafe on the ground floor serves {town} tea.\n\n"
                     f"Funding came from a regional grant of {i + 2} million euros."),
        })
    return out


def test_serve_answers_during_and_after_an_ingest_by_another_process(tmp_path):
    index = tmp_path / "index"
    first = _articles("Velmora", 40)
    Assistant(Settings(index_dir=index)).ingest_articles(
        [Article(id=a["id"], text=a["text"], title=a["title"], date=a["date"],
                                   source=a["source"]) for a in first])
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps(a) + "\n" for a in _articles("Quindar", 160)))

    from gradio_client import Client

    with running_serve(index, tmp_path / "serve.log") as srv:
        client = Client(srv["url"], verbose=False)
        warm = client.predict("How many books does the library of Velmora7 hold?", api_name="/ask")
        assert "1007" in warm["answer"], warm
        env = {**os.environ, "RAG_INDEX_DIR": str(index)}
        ingest = subprocess.Popen([*rag_command(), "ingest", str(more)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        errors, answered = [], 0
        stop = time.monotonic() + 600
        while ingest.poll() is None and time.monotonic() < stop:
            try:
                out = client.predict("How many books does the library of Velmora7 hold?",
                                     api_name="/ask")
                assert "1007" in out["answer"], out
                answered += 1
            except Exception as exc:  # noqa: BLE001 - counted and shown
                errors.append(repr(exc)[:300])
        log = ingest.stdout.read().decode(errors="replace")
        assert ingest.wait(timeout=60) == 0, log
        assert "160 added" in log, log
        assert answered >= 3, (answered, log)  # the questions did overlap the ingest
        # after it: old and new articles, from the same server process, without a restart
        for _ in range(3):
            try:
                new = client.predict("How many books does the library of Quindar123 hold?",
                                     api_name="/ask")
                assert "1123" in new["answer"], new
                assert new["citations"][0]["doc_id"] == "quindar-123"
                old = client.predict("How many books does the library of Velmora7 hold?",
                                     api_name="/ask")
                assert "1007" in old["answer"]
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc)[:300])
        assert not errors, errors[:5]
        assert "Traceback" not in srv["log"].read_text(errors="replace")


def test_reader_in_this_process_follows_a_writer_in_another(tmp_path):
    """The Python API: an Assistant opened before another process's ingest sees its articles."""
    index = tmp_path / "index"
    bot = Assistant(Settings(index_dir=index))
    bot.ingest_articles([Article(id=a["id"], text=a["text"], title=a["title"],
                                                   date=a["date"], source=a["source"])
                         for a in _articles("Velmora", 5)])
    assert bot.stats()["articles"] == 5
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps(a) + "\n" for a in _articles("Quindar", 20)))
    done = subprocess.run([*rag_command(), "ingest", str(more)], capture_output=True, text=True,
                          env={**os.environ, "RAG_INDEX_DIR": str(index)}, timeout=600)
    assert done.returncode == 0, done.stderr
    out = bot.ask("How many books does the library of Quindar12 hold?")
    assert "1012" in out.text and out.citations[0].doc_id == "quindar-12"
    assert bot.stats()["articles"] == 25
