"""kill -9 of `rag ingest` at random moments, N trials: does the next run resume to exactly the
state of an uninterrupted run, with `rag check --full` clean?

    .venv/bin/python benchmarks/kill_ingest.py [--trials 10] [--articles 300] [--seed 1]

Reads the first ARTICLES articles of ../shared/datasets/realtimeqa-2022 (or of corpus/ when the
datasets are absent). One clean run gives the reference (manifest records with their content
hashes, chunk count) and its duration T; each trial starts a fresh index, kills the ingest after
the run has taken the index's writer lock (imports and model loading done) plus a uniformly
random share (0-80%) of the time the clean run wrote for, runs `rag check` (what the kill
left), runs the ingest again to the end, and compares. Prints one line per trial and a summary.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022" / "articles.jsonl"
RAG = [sys.executable, "-m", "rag.cli"]


def state(index: Path) -> tuple[dict, int]:
    sys.path.insert(0, str(ROOT))
    from rag import Assistant, Settings

    bot = Assistant(Settings(index_dir=index))
    try:
        return ({d: (r.hash, r.n_chunks) for d, r in bot.store.records().items()},
                bot.store.count_chunks())
    finally:
        bot.close()


def proc_started(proc) -> float:
    return proc.started


def ingest(index: Path, src: Path) -> subprocess.Popen:
    proc = _popen(index, src)
    proc.started = time.monotonic()
    return proc


def _popen(index: Path, src: Path) -> subprocess.Popen:
    return subprocess.Popen([*RAG, "ingest", str(src), "--quiet"], cwd=ROOT,
                            env={**os.environ, "RAG_INDEX_DIR": str(index)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_lock(index: Path, proc, timeout: float = 600) -> float:
    """Seconds until the ingest holds the index's writer lock (it is writing)."""
    import fcntl

    started = time.monotonic()
    while time.monotonic() - started < timeout and proc.poll() is None:
        lock = index / ".ingest.lock"
        if lock.exists():
            with open(lock) as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    fcntl.flock(fh, fcntl.LOCK_UN)
                except BlockingIOError:
                    return time.monotonic() - started
        time.sleep(0.05)
    return time.monotonic() - started


def check(index: Path) -> tuple[int, list[str]]:
    done = subprocess.run([*RAG, "check", "--full", "--index-dir", str(index)], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    return done.returncode, done.stdout.strip().splitlines()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="kill-ingest-"))
    src = work / "articles.jsonl"
    if DATA.exists():
        with open(DATA, encoding="utf-8") as fh:
            src.write_text("".join(itertools.islice(fh, args.articles)), encoding="utf-8")
        what = f"{args.articles} realtimeqa-2022 articles"
    else:
        src = ROOT / "corpus"
        what = "corpus/ (datasets absent)"
    started = time.monotonic()
    proc = ingest(work / "clean", src)
    locked_after = wait_for_lock(work / "clean", proc)
    _out, err = proc.communicate()
    if proc.returncode:
        print(err)
        return 1
    seconds = time.monotonic() - started
    writing = max(1.0, seconds - locked_after)
    want_records, want_chunks = state(work / "clean")
    print(f"{what}: clean run {seconds:.1f} s (writing after {locked_after:.1f} s), "
          f"{len(want_records)} articles, {want_chunks} chunks", flush=True)
    good = 0
    for trial in range(1, args.trials + 1):
        index = work / f"t{trial}"
        proc = ingest(index, src)
        at = wait_for_lock(index, proc) + rng.uniform(0.0, 0.8) * writing
        time.sleep(max(0.0, at - (time.monotonic() - proc_started(proc))))
        killed = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        rc_after_kill, lines = check(index)
        left = "; ".join(sorted({ln.split(":")[0] for ln in lines[:-1]})) or "clean"
        resumed = ingest(index, src)
        _o, err = resumed.communicate()
        records, chunks = state(index)
        rc, lines = check(index)
        ok = (resumed.returncode == 0 and records == want_records and chunks == want_chunks
              and rc == 0)
        good += ok
        print(f"trial {trial:2d}: kill at {at:5.1f} s ({'mid-run' if killed else 'after end'}), "
              f"check after kill: {left}; rerun: {len(records)} articles, {chunks} chunks, "
              f"check {'clean' if rc == 0 else 'PROBLEMS'} -> {'OK' if ok else 'FAIL'}",
              flush=True)
    print(json.dumps({"trials": args.trials, "consistent_and_resumed": good,
                      "clean_seconds": round(seconds, 1), "articles": len(want_records),
                      "chunks": want_chunks}))
    return 0 if good == args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
