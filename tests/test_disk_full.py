"""A full disk under an embedded index (a real, small tmpfs; needs root with CAP_SYS_ADMIN):
ingestion stops before it with one line, the index stays readable and consistent, and the next
ingest finishes once space is freed. A write that still meets a full disk (another program
filled it) is one line too, and `rag check --repair` puts the index right afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

RAG = [sys.executable, "-m", "rag.cli"]


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=14m", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): "
                    f"{done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _articles(n: int) -> str:
    return "".join(json.dumps({
        "id": f"dam-{i}", "date": "2024-02-02", "source": "Disk Wire",
        "title": f"Dam of Vessby{i} inspected",
        "text": " ".join(f"Inspectors visited the dam of Vessby{i} on day {d} and found "
                         f"{d + i} cracks that engineers will repair before the spring floods."
                         for d in range(12))}) + "\n" for i in range(n))


def _rag(index, *args, env=None, timeout=600):
    return subprocess.run([*RAG, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "RAG_INDEX_DIR": str(index),
                                                "RAG_MIN_FREE_MB": "1", **(env or {})})


def test_ingest_stops_before_the_disk_is_full_and_finishes_after(small_disk, tmp_path):
    src = tmp_path / "dams.jsonl"
    src.write_text(_articles(400))
    index = small_disk / "index"
    out = _rag(index, "ingest", str(src), "--quiet", env={"RAG_MIN_FREE_MB": "3"})
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith("error: disk full: ") and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    # readable and consistent with what was written
    stats = _rag(index, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    written = json.loads(stats.stdout)["articles"]
    assert 0 < written < 400
    ask = _rag(index, "ask", "How many cracks did inspectors find at the dam of Vessby3?")
    assert ask.returncode == 0 and "id=dam-3" in ask.stdout, ask.stdout + ask.stderr
    assert _rag(index, "check").returncode == 0
    # space freed: the same command finishes the job, skipping what was written
    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    out = _rag(index, "ingest", str(src), "--quiet", env={"RAG_MIN_FREE_MB": "3"})
    assert out.returncode == 0, out.stderr
    assert f"{400 - written} added" in out.stdout and f"{written} unchanged" in out.stdout
    check = _rag(index, "check", "--full")
    assert check.returncode == 0 and "400 articles" in check.stdout, check.stdout


WRITE_ON_FULL_DISK = """
import sys
from rag import Article, Assistant, RagError, Settings
bot = Assistant(Settings(index_dir=sys.argv[1], min_free_mb=1))
free = bot.store.free_bytes()
with open(sys.argv[2], "wb") as fh:
    fh.write(b"\\0" * max(0, free - 200_000))
big = [Article(id=f"big-{i}", text="flood " * 200_000, title=f"Big {i}") for i in range(4)]
try:
    bot.store.put_records([(a, "h", 1) for a in big])
except RagError as exc:
    print(f"error: {exc}")
    sys.exit(2)
print("written")
"""


def test_a_write_on_a_full_disk_is_one_line_and_check_repairs_after(small_disk, tmp_path):
    src = tmp_path / "dams.jsonl"
    src.write_text(_articles(20))
    index = small_disk / "index"
    assert _rag(index, "ingest", str(src), "--quiet").returncode == 0
    filler = small_disk / "filler"
    out = subprocess.run([sys.executable, "-c", WRITE_ON_FULL_DISK, str(index), str(filler)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 2 and "disk full at" in out.stdout, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    # while it is full: one line or an answer, never a traceback or a hang
    stats = _rag(index, "stats", timeout=120)
    assert "Traceback" not in stats.stderr, stats.stderr
    filler.unlink()
    fixed = _rag(index, "check", "--repair")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "20 articles" in fixed.stdout or "24 articles" in fixed.stdout
    assert _rag(index, "ingest", str(src), "--quiet").returncode == 0
