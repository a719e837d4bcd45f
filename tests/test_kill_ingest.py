"""kill -9 of `rag ingest` at three moments of a run (and of `rag serve` while it indexes an
upload): the next run resumes to exactly the articles and chunks of an uninterrupted run, with
`rag check --full` clean and nothing duplicated. benchmarks/kill_ingest.py runs more trials."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT
from serving import running_serve

from rag import Assistant, Settings

RAG = [sys.executable, "-m", "rag.cli"]


def _articles(n: int) -> str:
    return "".join(json.dumps({
        "id": f"mill-{i}", "date": f"2023-0{1 + i % 9}-1{i % 10}", "source": "Kill Wire",
        "title": f"Mill of Tarnow{i} restored",
        "text": "\n\n".join(f"The old mill of Tarnow{i} turned again on day {d} of the "
                            f"festival, grinding {d * 10 + i} kilos of rye for the bakers of "
                            "the valley, who sold the bread at the market square."
                            for d in range(6))}) + "\n" for i in range(n))


def _state(index) -> tuple[dict, int]:
    bot = Assistant(Settings(index_dir=index))
    try:
        records = {d: (r.hash, r.n_chunks) for d, r in bot.store.records().items()}
        return records, bot.store.count_chunks()
    finally:
        bot.close()


def _ingest(index, src, **kw):
    return subprocess.Popen([*RAG, "ingest", str(src), "--quiet"], cwd=ROOT,
                            env={**os.environ, "RAG_INDEX_DIR": str(index)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kill")
    src = tmp / "mills.jsonl"
    src.write_text(_articles(150))
    started = time.monotonic()
    proc = _ingest(tmp / "clean", src)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    return src, _state(tmp / "clean"), time.monotonic() - started


@pytest.mark.parametrize("share", [0.35, 0.6, 0.85])
def test_kill_9_mid_ingest_then_rerun_is_whole(reference, tmp_path, share):
    src, (want_records, want_chunks), seconds = reference
    index = tmp_path / "index"
    proc = _ingest(index, src)
    time.sleep(seconds * share)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    again = _ingest(index, src)
    out, err = again.communicate(timeout=900)
    assert again.returncode == 0, err
    records, chunks = _state(index)
    assert records == want_records and chunks == want_chunks
    check = subprocess.run([*RAG, "check", "--full", "--index-dir", str(index)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr


def test_kill_9_of_serve_while_it_indexes_an_upload(reference, tmp_path):
    from gradio_client import Client, handle_file

    src, (want_records, want_chunks), seconds = reference
    index = tmp_path / "index"
    with running_serve(index, tmp_path / "serve.log", "--no-corpus") as srv:
        client = Client(srv["url"], verbose=False)
        t = threading.Thread(target=lambda: _swallow(
            lambda: client.predict([handle_file(str(src))], api_name="/add_articles")))
        t.start()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # until the upload is being written
            if (index / ".ingest.lock").exists() and _locked(index):
                break
            time.sleep(0.2)
        time.sleep(seconds * 0.3)
        srv["proc"].send_signal(signal.SIGKILL)
        srv["proc"].wait(timeout=30)
        t.join(60)
    check = subprocess.run([*RAG, "check", "--full", "--index-dir", str(index)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert "Traceback" not in check.stderr
    if check.returncode != 0:  # what an interrupted write leaves is repairable
        fixed = subprocess.run([*RAG, "check", "--repair", "--index-dir", str(index)],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    with running_serve(index, tmp_path / "serve2.log", "--no-corpus") as srv:
        rows = Client(srv["url"], verbose=False).predict([handle_file(str(src))],
                                                          api_name="/add_articles")[0]
        assert rows[0]["result"] in ("added", "mixed", "updated", "skipped"), rows
    records, chunks = _state(index)
    assert set(records) == set(want_records) and chunks == want_chunks


def _swallow(call):
    try:
        call()
    except Exception:  # noqa: BLE001 - the server was killed under it
        pass


def _locked(index) -> bool:
    import fcntl

    with open(index / ".ingest.lock") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False
