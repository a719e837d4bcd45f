"""watch: polls with new/updated/unchanged/failed counts into a real index, 304s, state,
a failing ingestion, and `rag watch` itself: kill -9 mid-poll then a restart (nothing lost or
duplicated in the real index), Ctrl-C finishing the current feed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

from rag.sources import watch, web


class FakeIngest:
    """Records what it receives; idempotent by id + text (as the project's ingestion)."""

    def __init__(self, fail_for: str | None = None):
        self.calls: list[list] = []
        self.store: dict[str, str] = {}
        self.fail_for = fail_for

    def __call__(self, articles):
        if self.fail_for and any(self.fail_for in a.origin for a in articles):
            raise RuntimeError("disk full")
        self.calls.append(list(articles))
        out = {"added": [], "updated": [], "skipped": []}
        for a in articles:
            key = a.text + "\x1f" + a.title
            if self.store.get(a.id) == key:
                out["skipped"].append(a.id)
            else:
                out["updated" if a.id in self.store else "added"].append(a.id)
                self.store[a.id] = key
        return out

    @property
    def received(self):
        return [a for call in self.calls for a in call]


OPTIONS = {"allow_private": True, "host_delay": 0, "tries": 3, "backoff": 0.01, "timeout": 3}


def make(server, tmp_path, feeds, ingest, **kw):
    fetcher = web.Fetcher(web.FetchOptions(**{**OPTIONS, **kw}))
    return watch.Watcher([server.url(f) for f in feeds], tmp_path / "state", ingest, fetcher)


def test_parse_every():
    assert watch.parse_every("15m") == 900
    assert watch.parse_every("30s") == 30
    assert watch.parse_every("1h") == 3600
    assert watch.parse_every("90") == 90
    assert watch.parse_every("1h30m") == 5400
    assert watch.parse_every(2.5) == 2.5
    for bad in ("", "0", "-5", "soon", "15x", "m15"):
        with pytest.raises(ValueError):
            watch.parse_every(bad)


def test_read_feeds_file(tmp_path):
    (tmp_path / "local.xml").write_text("<rss/>")
    f = tmp_path / "feeds.txt"
    f.write_text("# my feeds\n\nhttps://a.example/rss  # world news\nlocal.xml\n"
                 "https://a.example/rss\n   \n# https://commented.example/\n"
                 "https://b.example/feed?x=1#frag\n")
    assert watch.read_feeds_file(f) == ["https://a.example/rss", str(tmp_path / "local.xml"),
                                        "https://b.example/feed?x=1#frag"]


def test_two_polls_counts_into_a_real_index(fresh_server, tmp_path):
    """RSS, Atom, a feed whose entry is updated between polls, a 500 feed and a malformed one,
    watched into a real index (real model, real Chroma)."""
    from rag import Assistant

    bot = Assistant(index_dir=tmp_path / "index", fetch_host_delay=0, fetch_tries=3)
    feeds = [fresh_server.url(f) for f in ("/feeds/rss.xml", "/feeds/atom.xml",
                                           "/feeds/updating.xml", "/feeds/500.xml",
                                           "/feeds/bad.xml")]
    rss, updating = feeds[0], feeds[2]
    with bot.watcher(feeds, allow_private=True) as w:
        r1 = w.poll_once()
        assert (r1.new, r1.updated, r1.unchanged, r1.failed) == (9, 0, 0, 2)
        line = str(r1)
        assert line.startswith("poll 1: 9 new, 0 updated, 0 unchanged, 2 failed (feed ")
        assert "500.xml: HTTP 500 after 3 tries; +1 more)" in line and "\n" not in line
        assert fresh_server.hits["/feeds/500.xml"] == 3
        bad = next(r for r in r1.per_feed if r.feed.endswith("bad.xml"))
        assert bad.status == "failed" and "malformed feed" in bad.error
        stored = bot.store.records()
        assert len(stored) == 9
        gone = bot.article(f"{rss}#rss-gone")
        assert gone.extra["fulltext"] is False  # a 404 page: the feed's own text
        assert gone.text == "The feed's own text of the gone story."
        assert bot.article("urn:loopback:atom:private").extra["fulltext"] is False  # robots
        assert bot.article(f"{updating}#u2").title == "Headline for u2"
        status = {f["feed"]: f for f in w.feed_status()}
        assert status[rss]["status"] == "ok" and status[rss]["new"] == 4
        assert status[feeds[3]]["status"] == "failed" and "HTTP 500" in status[feeds[3]]["error"]

        fresh_server.version = 1  # the entry u2 is updated on the server
        pages_before = fresh_server.count("/articles/")
        r2 = w.poll_once()
        assert (r2.new, r2.updated, r2.unchanged, r2.failed) == (0, 1, 8, 2)
        assert str(r2).startswith("poll 2: 0 new, 1 updated, 8 unchanged, 2 failed")
        # only u2's page was fetched again (and rss-gone's, still 404, is tried again)
        assert fresh_server.count("/articles/") - pages_before == 1
        assert fresh_server.hits["/missing.html"] == 2
    # The updated entry replaced its article: same id, new text, nothing else re-embedded.
    assert len(bot.store.records()) == 9
    assert bot.article(f"{updating}#u2").title == "Headline for u2 (rev 1)"
    chunks = [c for c in bot.store.iter_chunks() if c.doc_id == f"{updating}#u2"]
    assert chunks and all(c.title.endswith("(rev 1)") for c in chunks)
    assert bot.stats()["chunks"] == sum(r.n_chunks for r in bot.store.records().values())


def test_second_poll_fetches_no_page_thanks_to_304(fresh_server, tmp_path):
    ingest = FakeIngest()
    feeds = [f"/gen/feed/{i}.xml?n=5" for i in range(3)]
    with make(fresh_server, tmp_path, feeds, ingest) as w:
        r1 = w.poll_once()
        assert r1.new == 15 and r1.pages_fetched == 15
        pages = fresh_server.count("/gen/article/")
        feeds_hits = fresh_server.count("/gen/feed/")
        r2 = w.poll_once()
        assert (r2.new, r2.updated, r2.unchanged, r2.failed) == (0, 0, 15, 0)
        assert r2.pages_fetched == 0
        assert fresh_server.count("/gen/article/") == pages  # no page fetched
        assert fresh_server.count("/gen/feed/") == feeds_hits + 3  # three 304s
        assert all(r.status == "not modified" for r in r2.per_feed)
        assert len(ingest.received) == 15


def test_state_survives_restart(fresh_server, tmp_path):
    ingest = FakeIngest()
    feeds = ["/gen/feed/7.xml?n=4"]
    with make(fresh_server, tmp_path, feeds, ingest) as w:
        assert w.poll_once().new == 4
    state = json.loads((tmp_path / "state" / "watch.json").read_text())
    assert state["polls"] == 1
    with make(fresh_server, tmp_path, feeds, ingest) as w:
        r = w.poll_once()
        assert r.poll == 2 and r.unchanged == 4 and r.new == 0


def test_one_lock_per_state_dir(fresh_server, tmp_path):
    with make(fresh_server, tmp_path, [], FakeIngest()):
        with pytest.raises(watch.WatchError):
            make(fresh_server, tmp_path, [], FakeIngest())


def test_failing_ingest_marks_nothing_and_does_not_stop_others(fresh_server, tmp_path):
    feeds = ["/gen/feed/1.xml?n=3", "/gen/feed/2.xml?n=3"]
    failing = FakeIngest(fail_for="/gen/feed/1.xml")
    with make(fresh_server, tmp_path, feeds, failing) as w:
        r = w.poll_once()
        assert r.new == 3 and r.failed == 1
        assert "ingestion failed: RuntimeError: disk full" in str(r)
    ok = FakeIngest()
    with make(fresh_server, tmp_path, feeds, ok) as w:
        r = w.poll_once()  # feed 1 is read again (its ETag was not kept) and its entries sent
        assert r.new == 3 and r.unchanged == 3 and r.failed == 0
        assert sorted(a.extra["entry_id"] for a in ok.received) == ["gen-1-0", "gen-1-1",
                                                                     "gen-1-2"]


def test_local_feed_file(tmp_path):
    from test_feeds import RSS10

    path = tmp_path / "feed.rdf"
    path.write_bytes(RSS10)
    ingest = FakeIngest()
    with watch.Watcher([str(path)], tmp_path / "state", ingest,
                       fetch_page=lambda url: (_ for _ in ()).throw(OSError("offline"))) as w:
        r = w.poll_once()
        assert r.new == 1 and ingest.received[0].extra["fallback_reason"] == "offline"
        r = w.poll_once()  # unchanged file: like a 304 -- but the page is tried again first
        assert r.new == 0 and r.unchanged == 1


def test_run_stops_on_event(fresh_server, tmp_path):
    stop = threading.Event()
    lines = []
    with make(fresh_server, tmp_path, ["/gen/feed/3.xml?n=2"], FakeIngest()) as w:
        t = threading.Thread(target=w.run, args=(0.05, stop, lines.append))
        t.start()
        time.sleep(0.6)
        stop.set()
        t.join(5)
        assert not t.is_alive()
    assert lines[0].startswith("poll 1: 2 new") and len(lines) >= 2
    assert lines[1].startswith("poll 2: 0 new, 0 updated, 2 unchanged, 0 failed")


def test_feeds_added_and_removed_while_running(fresh_server, tmp_path):
    feeds_file = tmp_path / "FEEDS.txt"
    first = fresh_server.url("/gen/feed/4.xml?n=2")
    feeds_file.write_text(f"# my feeds\n{first}  # four\n")
    lines: list[str] = []
    stop = threading.Event()
    ingest = FakeIngest()
    with make(fresh_server, tmp_path, [], ingest) as w:
        for f in watch.read_feeds_file(feeds_file):
            w.add_feed(f)
        t = threading.Thread(target=w.run, args=(3600, stop, lines.append))
        t.start()
        assert _wait_for(lambda: len(lines) == 1, 30)
        second = fresh_server.url("/gen/feed/5.xml?n=3")
        assert w.add_feed(second) and not w.add_feed(second)
        watch.edit_feeds_file(feeds_file, add=second)
        w.poll_now()  # no waiting for the hour
        assert _wait_for(lambda: len(lines) == 2, 30)
        assert lines[1].startswith("poll 2: 3 new, 0 updated, 2 unchanged")
        assert w.remove_feed(first) and not w.remove_feed(first)
        watch.edit_feeds_file(feeds_file, remove=first)
        assert [f["feed"] for f in w.feed_status()] == [second]
        assert w.feed_status()[0]["new"] == 3 and w.feed_status()[0]["entries"] == 3
        stop.set()
        t.join(10)
        assert not t.is_alive()
    assert watch.read_feeds_file(feeds_file) == [second]
    assert feeds_file.read_text().startswith("# my feeds\n")  # comments kept


# --- `rag watch` in processes of its own: kill -9 and Ctrl-C ------------------------------------


def _rag_watch(feeds_file, index, *args):
    env = {**os.environ, "RAG_FETCH_HOST_DELAY": "0", "RAG_WATCH_BATCH": "3",
           "RAG_FETCH_WORKERS": "2", "PYTHONUNBUFFERED": "1"}
    script = Path(sys.executable).parent / "rag"
    return subprocess.Popen([str(script), "watch", str(feeds_file), "--index-dir", str(index),
                             "--allow-private", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _entries_done(index: Path) -> int:
    try:
        state = json.loads((index / "watch" / "watch.json").read_text())
    except (OSError, ValueError):
        return 0
    return sum(len(f.get("entries", {})) for f in state["feeds"].values())


def _wait_for(pred, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_kill_9_mid_poll_then_restart_loses_and_duplicates_nothing(fresh_server, tmp_path):
    """`rag watch` into a real index is killed with -9 in the middle of a poll; the next run
    finishes the job, and the index holds every entry exactly once (chunks, manifest, stories),
    and Ctrl-C then stops a running watch after the feed it is on."""
    from rag import Assistant
    from rag.stories import StoryLookup, stories_path

    fresh_server.page_delay = 0.15  # a poll long enough to land in
    feeds = [fresh_server.url(f"/gen/feed/{i}.xml?n=10") for i in range(3)]
    feeds_file = tmp_path / "FEEDS.txt"
    feeds_file.write_text("\n".join(feeds) + "\n")
    index = tmp_path / "index"
    expected = {f"{f}#gen-{i}-{j}" for i, f in enumerate(feeds) for j in range(10)}

    p = _rag_watch(feeds_file, index, "--once")
    try:
        assert _wait_for(lambda: 3 <= _entries_done(index) or p.poll() is not None, 240)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == -signal.SIGKILL, p.stderr.read()
    done_at_kill = _entries_done(index)
    assert 3 <= done_at_kill < 30, "the kill did not land mid-poll"

    # Restart, running: it finishes the poll, then Ctrl-C stops it cleanly.
    p = _rag_watch(feeds_file, index, "--every", "1h")
    try:
        assert _wait_for(lambda: _entries_done(index) == 30, 240), p.stderr.read()
        time.sleep(1.0)  # the poll's log line
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert "Traceback" not in err
    # the killed poll was counted (its first batches were saved): this is poll 2
    polls = [ln for ln in out.splitlines() if " poll 2: " in ln]
    assert polls and f"{30 - done_at_kill} new, 0 updated, {done_at_kill} unchanged" in polls[0]
    assert "stopping after the current feed is saved" in out

    bot = Assistant(index_dir=index)
    records = bot.store.records()
    assert set(records) == expected  # nothing lost
    chunks = list(bot.store.iter_chunks())
    assert len(chunks) == sum(r.n_chunks for r in records.values())  # nothing duplicated
    assert len({c.id for c in chunks}) == len(chunks)
    assert set(StoryLookup(stories_path(bot.settings)).story_of(expected)) == expected
    # A third run has nothing to do: every feed answers 304.
    p = _rag_watch(feeds_file, index, "--once")
    out, err = p.communicate(timeout=240)
    assert p.returncode == 0, err
    assert "poll 3: 0 new, 0 updated, 30 unchanged, 0 failed" in out
    assert not [n for n in os.listdir(index / "watch") if n.endswith(".tmp")]
