"""`rag backup DEST` / `rag restore SRC` (and Assistant.backup/restore) on a real embedded index
and a real `chroma run` server: the copy is consistent and checked, a restore brings back
exactly the backed-up state, bad targets and sources get one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from chroma_server import free_port, start_chroma, stop_chroma
from conftest import ROOT

from rag import Article, Assistant, RagError, Settings

RAG = [sys.executable, "-m", "rag.cli"]


def _articles(prefix: str, n: int) -> list[Article]:
    return [Article(id=f"{prefix.lower()}-{i}", date=f"2024-06-{1 + i % 28:02d}",
                    source="Backup Wire", title=f"{prefix}{i} bridge opens",
                    text=(f"The new bridge of {prefix}{i} opened on Friday. It is {300 + i} "
                          f"metres long and carries {i + 2} lanes, the council said.\n\n"
                          f"Residents of {prefix}{i} had waited nine years for it."))
            for i in range(n)]


def test_backup_and_restore_an_embedded_index(tmp_path):
    index = tmp_path / "index"
    bot = Assistant(Settings(index_dir=index))
    bot.ingest_articles(_articles("Karsby", 10))
    made = bot.backup(tmp_path / "bk")
    assert made["articles"] == 10 and made["chunks"] == bot.store.count_chunks()
    assert json.loads((tmp_path / "bk" / "backup.json").read_text())["articles"] == 10
    # the backup is an index of its own, consistent and answering
    copy = Assistant(Settings(index_dir=tmp_path / "bk"))
    assert copy.check(full=True).ok
    assert copy.ask("How long is the bridge of Karsby4?").citations[0].doc_id == "karsby-4"
    copy.close()

    bot.ingest_articles(_articles("Lunden", 5))  # changes after the backup
    assert bot.stats()["articles"] == 15
    bot.restore(tmp_path / "bk")
    assert bot.stats()["articles"] == 10
    assert bot.check(full=True).ok
    assert bot.ask("How long is the bridge of Karsby7?").citations[0].doc_id == "karsby-7"
    assert "lunden-1" not in bot.store.records()
    # and ingestion goes on from the restored state
    assert len(bot.ingest_articles(_articles("Lunden", 5)).added) == 5


def test_backup_waits_for_a_running_ingest_and_copies_a_whole_state(tmp_path):
    index = tmp_path / "index"
    bot = Assistant(Settings(index_dir=index))
    bot.ingest_articles(_articles("Karsby", 4))
    writer = Assistant(Settings(index_dir=index))
    started = threading.Event()

    def slow_articles():
        for a in _articles("Morvik", 30):
            started.set()
            yield a

    t = threading.Thread(target=lambda: writer.ingest_articles(slow_articles()))
    t.start()
    started.wait(60)
    made = bot.backup(tmp_path / "bk")  # blocks on the writer lock until the ingest is done
    t.join(120)
    assert made["articles"] == 34  # the lock was held by the ingest, so the copy came after


def test_bad_destinations_and_sources_are_one_line(tmp_path):
    index = tmp_path / "index"
    Assistant(Settings(index_dir=index)).ingest_articles(_articles("Karsby", 2))
    full = tmp_path / "full"
    full.mkdir()
    (full / "x.txt").write_text("keep me")
    env = {**os.environ}
    out = subprocess.run([*RAG, "backup", str(full), "--index-dir", str(index)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 2 and "not empty" in out.stderr and "Traceback" not in out.stderr
    assert (full / "x.txt").read_text() == "keep me"
    out = subprocess.run([*RAG, "restore", str(full), "--index-dir", str(index)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 2 and "not a backup" in out.stderr
    assert Assistant(Settings(index_dir=index)).stats()["articles"] == 2  # untouched
    with pytest.raises(RagError, match="empty"):
        Assistant(Settings(index_dir=tmp_path / "none")).backup(tmp_path / "bk2")
    out = subprocess.run([*RAG, "backup", str(tmp_path / "bk3"), "--index-dir", str(index)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0 and "written to" in out.stdout and "checked" in out.stdout


def test_backup_from_and_restore_to_a_chroma_server(tmp_path):
    port = free_port()
    proc = start_chroma(tmp_path / "server", port)
    try:
        settings = Settings(chroma_host="127.0.0.1", chroma_port=port,
                            index_dir=tmp_path / "local", collection="bk_news")
        bot = Assistant(settings)
        bot.ingest_articles(_articles("Karsby", 8))
        made = bot.backup(tmp_path / "bk")
        assert made["articles"] == 8
        bot.store.delete(["karsby-1", "karsby-2"])  # a mistake after the backup
        assert bot.store.count_articles() == 6
        bot.restore(tmp_path / "bk")
        assert bot.store.count_articles() == 8
        assert bot.check(full=True).ok
        assert bot.ask("How long is the bridge of Karsby2?").citations[0].doc_id == "karsby-2"
    finally:
        stop_chroma(proc)


def test_a_chroma_server_that_goes_away_gives_one_line_and_recovers(tmp_path):
    port = free_port()
    data = tmp_path / "server"
    proc = start_chroma(data, port)
    try:
        bot = Assistant(Settings(chroma_host="127.0.0.1", chroma_port=port,
                                 index_dir=tmp_path / "local", collection="gone_news"))
        bot.ingest_articles(_articles("Karsby", 4))
        assert bot.ask("How long is the bridge of Karsby3?").citations[0].doc_id == "karsby-3"
        stop_chroma(proc)
        with pytest.raises(RagError, match="did not answer") as err:
            bot.ask("How long is the bridge of Karsby3?")
        assert "\n" not in str(err.value)
        cli = subprocess.run([*RAG, "ask", "How long is the bridge of Karsby3?"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300,
                             env={**os.environ, "RAG_CHROMA_HOST": "127.0.0.1",
                                  "RAG_CHROMA_PORT": str(port), "RAG_COLLECTION": "gone_news",
                                  "RAG_INDEX_DIR": str(tmp_path / "local")})
        assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
        assert cli.stderr.startswith("error: ") and len(cli.stderr.strip().splitlines()) == 1
        proc = start_chroma(data, port)  # back: the same Assistant answers again, no restart
        assert bot.ask("How long is the bridge of Karsby3?").citations[0].doc_id == "karsby-3"
    finally:
        stop_chroma(proc)
