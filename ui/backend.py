"""What the browser chat needs from the Assistant, with no gradio import (unit-testable).

``Backend`` checks questions, streams answers for one browser session's conversation through
``ChatSession`` (the one ask path), indexes uploads one file at a time, and keeps it all safe
with many sessions at once: questions share the index (a readers-writer lock lets an upload
finish before new questions start) and at most ``settings.ui.model_slots`` of them compute at
once (2 cores).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rag import Answer, Filters, RagError
from rag.assistant import merge_filters
from rag.chat import ChatSession

from . import render

log = logging.getLogger("rag.ui")

UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"]
STREAM_DELAY = 0.02  # seconds at least between two updates of a streamed answer


class RWLock:
    """Many readers (questions) or one writer (ingestion of uploads). A waiting writer goes
    before new readers, so a steady stream of questions cannot hold an upload back forever."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self):
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            self._waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()



_END = object()


def new_state() -> dict:
    """One browser session's conversation: its turns (for follow-up questions), the chat
    messages shown, the sources panel blocks, and the number of answered questions."""
    return {"turns": [], "chat": [], "panels": [], "n": 0}


class Backend:
    """What the UI needs from the Assistant, made safe to call from many sessions at once."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.lock = RWLock()
        self.model_slots = threading.BoundedSemaphore(
            max(1, assistant.settings.ui.model_slots))
        self._info_lock = threading.Lock()
        self._info: tuple[int, dict] | None = None

    # --- corpus information, cached per index generation -------------------------------------

    def corpus_info(self) -> dict:
        store = self.assistant.store
        generation = store.generation()
        with self._info_lock:
            if self._info is not None and self._info[0] == generation:
                return self._info[1]
        facets = self.assistant.facets()  # not store.records(): that reads every article
        info = {"stats": self.assistant.stats(), "dates": facets["dates"],
                "sources": facets["sources"]}
        with self._info_lock:
            self._info = (generation, info)
        return info

    def stats_html(self) -> str:
        info = self.corpus_info()
        return render.stats_html(info["stats"], info["dates"], len(info["sources"]))

    # --- questions ---------------------------------------------------------------------------

    def check(self, question, since, until, sources, as_of=""
              ) -> tuple[str, Filters | None, str | None]:
        """The cleaned question, filters and as_of date; raises RagError with a message for the
        user (a bad as_of is refused by Assistant.stream)."""
        question = self.assistant.check_question(question)
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        filters = merge_filters(None, (since or "").strip() or None,
                                (until or "").strip() or None, list(sources or []) or None)
        return question, filters, (as_of or "").strip() or None

    def answer_stream(self, turns: list, question: str, filters: Filters | None,
                      paced: bool = True, as_of: str | None = None
                      ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (answer text so far, None) while the answer is written, then (text, Answer).

        ``turns`` is the session's history; the answered turn is appended to it. The model is
        held only while the next piece is made, so a slow reader or the pacing below never
        blocks other sessions. ``paced``: at most one update per STREAM_DELAY, so that an
        extractive answer (whose pieces all come at once) is seen being written; an LLM's
        tokens, slower than that on a CPU, pass through as they come.
        """
        items = self._items(turns, question, filters, as_of)
        text, final, last = "", None, 0.0
        while True:
            with self.lock.read(), self.model_slots:
                item = next(items, _END)
            if item is _END:
                break
            if isinstance(item, str):
                text += item
                if paced:
                    wait = STREAM_DELAY - (time.monotonic() - last)
                    if wait > 0:
                        time.sleep(wait)
                    last = time.monotonic()
                    yield text, None
            elif isinstance(item, Answer):
                final = item
        if final is None:
            raise RagError("the answer stream ended without an answer")
        yield final.text, final

    def _items(self, turns: list, question: str, filters: Filters | None,
               as_of: str | None = None):
        """``str`` pieces of the answer, then the Answer; the turn joins ``turns``."""
        return ChatSession(self.assistant, history=turns).stream(question, filters, as_of=as_of)

    def ask(self, question, since="", until="", sources=None, as_of="") -> Answer:
        question, filters, as_of = self.check(question, since, until, sources, as_of)
        with self.lock.read(), self.model_slots:
            return self.assistant.ask(question, filters, as_of=as_of)

    def articles_for(self, answer: Answer) -> dict:
        out = {}
        for c in answer.citations:
            if c.doc_id not in out:
                try:
                    out[c.doc_id] = self.assistant.article(c.doc_id)
                except Exception:  # noqa: BLE001 - the panel then shows the quote alone
                    log.exception("cannot read article %s", c.doc_id)
                    out[c.doc_id] = None
        return out

    # --- uploads -----------------------------------------------------------------------------

    @property
    def upload_dir(self) -> Path:
        return Path(self.assistant.settings.index_dir) / "uploads"

    def add_files(self, paths: list, progress=None) -> list[dict]:
        """Index uploaded files one at a time; one result row per file."""
        rows = []
        paths = [p for p in (paths or []) if p]
        with self.lock.write():
            for i, raw in enumerate(paths):
                src = Path(getattr(raw, "name", raw) if not isinstance(raw, (str, Path))
                           else raw)
                name = safe_filename(src.name)
                if progress is not None:
                    progress((i, len(paths)), desc=f"Indexing {name} ({i + 1}/{len(paths)})")
                rows.append(self._add_one(src, name))
        return rows

    def _add_one(self, src: Path, name: str) -> dict:
        row = {"file": name, "result": "failed", "articles": "", "details": ""}
        if Path(name).suffix.lower() not in UPLOAD_TYPES:
            row["details"] = (f"unsupported file type {Path(name).suffix or '(none)'!r}; "
                              f"use one of {', '.join(UPLOAD_TYPES)}")
            return row
        try:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            dest = self.upload_dir / name
            shutil.copyfile(src, dest)
            report = self.assistant.ingest([dest], progress=True)
        except RagError as exc:
            row["details"] = str(exc)
            return row
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            log.exception("ingesting %s failed", name)
            row["details"] = f"{type(exc).__name__}: {exc}"
            return row
        return report_row(name, report, str(dest))

    # --- feeds (`rag serve --watch FEEDS.txt`) -------------------------------------------------

    def start_watch(self, feeds_file, every: float, allow_private: bool | None = None) -> None:
        """Poll the feeds of ``feeds_file`` every ``every`` seconds in a background thread.
        Pages are fetched outside the write lock; each batch is ingested under it, so
        questions keep being answered while feeds are read and wait only while a batch is
        written."""
        from rag.sources.watch import read_feeds_file

        self.feeds_file = Path(feeds_file).expanduser()
        feeds = read_feeds_file(self.feeds_file) if self.feeds_file.exists() else []
        self.allow_private = (self.assistant.settings.fetch.allow_private
                              if allow_private is None else allow_private)
        self.watcher = self.assistant.watcher(feeds, allow_private=self.allow_private,
                                              log=log.info, around_ingest=self.lock.write)
        self._watch_stop = threading.Event()
        self._feeds_lock = threading.Lock()
        self._watch_thread = threading.Thread(
            target=self.watcher.run, args=(every, self._watch_stop, log.info),
            name="rag-watch", daemon=True)
        self._watch_thread.start()

    @property
    def watching(self) -> bool:
        return getattr(self, "watcher", None) is not None

    def stop_watch(self, timeout: float = 30.0) -> None:
        if not self.watching:
            return
        self._watch_stop.set()
        self.watcher.poll_now()  # wake it from its wait
        self._watch_thread.join(timeout)
        self.watcher.close()
        self.watcher = None

    def feeds_status(self) -> list[dict]:
        return self.watcher.feed_status() if self.watching else []

    def add_feed(self, url: str) -> str:
        """Watch one more feed (an http(s) URL) from now on; a message for the user. Raises
        RagError with the reason when it cannot be added."""
        from urllib.parse import urlsplit

        from rag.sources.watch import edit_feeds_file
        from rag.sources.web import check_host

        if not self.watching:
            raise RagError("not watching feeds: start with `rag serve --watch FEEDS.txt`")
        url = (url or "").strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise RagError(f"{url or '(empty)'}: a feed is added by its http(s) URL")
        try:
            check_host(parts.hostname,
                       parts.port or (443 if parts.scheme.lower() == "https" else 80),
                       self.allow_private,
                       timeout=self.assistant.settings.fetch.timeout)
        except Exception as exc:  # noqa: BLE001 - web._Refused: the reason, in one line
            raise RagError(f"{url}: {exc}") from None
        with self._feeds_lock:
            if not self.watcher.add_feed(url):
                return f"{url} is already watched"
            edit_feeds_file(self.feeds_file, add=url)
        self.watcher.poll_now()
        return f"added {url}; it is being read now"

    def remove_feed(self, feed: str) -> str:
        """Stop watching a feed; its articles stay in the index."""
        from rag.sources.watch import edit_feeds_file

        if not self.watching:
            raise RagError("not watching feeds: start with `rag serve --watch FEEDS.txt`")
        with self._feeds_lock:
            if not self.watcher.remove_feed(feed):
                raise RagError(f"{feed} is not watched")
            edit_feeds_file(self.feeds_file, remove=feed)
        return f"removed {feed}; its articles stay in the index"


def report_row(name: str, report, dest: str) -> dict:
    counts = {"added": len(report.added), "updated": len(report.updated),
              "skipped": len(report.skipped)}
    failed = len(report.failed)
    done = sum(counts.values())
    kinds = [k for k, v in counts.items() if v] + (["failed"] if failed else [])
    result = kinds[0] if len(kinds) == 1 else ("failed" if not kinds else "mixed")
    parts = [f"{v} {k}" for k, v in counts.items() if v]
    if failed:
        parts.append(f"{failed} failed")
    reasons = []
    for f in report.failed:
        where = f.path.replace(dest, name) if dest else f.path
        if where == name:
            reasons.append(f.reason)
        elif where.startswith(name + ":"):  # a JSONL line: "name:LINE"
            reasons.append(f"line {where[len(name) + 1:]}: {f.reason}")
        else:
            reasons.append(f"{Path(where).name}: {f.reason}")
    notes = [w.replace(dest, name) for w in report.warnings]
    if result == "skipped":
        notes.insert(0, "unchanged: already in the index")
    return {"file": name, "result": result,
            "articles": ", ".join(parts) if (done + failed) > 1 or result == "mixed" else
            str(done) if done else "0",
            "details": "; ".join(reasons + notes)}


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str) -> str:
    name = _UNSAFE.sub("_", Path(str(name)).name).strip(" .") or "upload"
    return name[:150]


def filters_note(filters: Filters | None, as_of: str | None = None) -> str:
    if not filters and not as_of:
        return ""
    filters = filters or Filters()
    bits = [f"as of {as_of}"] if as_of else []
    if filters.since:
        bits.append(f"from {filters.since}")
    if filters.until:
        bits.append(f"until {filters.until}")
    if filters.sources:
        bits.append("source: " + ", ".join(filters.sources))
    return f'<div class="rag-filters">Filtered: {render.esc("; ".join(bits))}</div>'

