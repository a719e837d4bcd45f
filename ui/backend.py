"""What the browser chat needs from the Assistant, with no gradio import (unit-testable).

``Backend`` checks questions, streams answers for one browser session's conversation through
``ChatSession`` (the one ask path), indexes uploads one file at a time, and keeps it all safe
with many sessions at once: questions share the index (a readers-writer lock lets an upload
finish before new questions start) and at most ``settings.ui.model_slots`` of them compute at
once (2 cores).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
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
    """Many readers or one writer; a waiting writer goes before new readers. Writers (uploads,
    feed batches) take it to go one at a time; questions do not take it (they read the last
    committed state while a writer works)."""

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
        stats = self.assistant.stats()
        # Every visitor sees these: the index folder's name, not where the server keeps it.
        stats["index"] = Path(str(stats.get("index", ""))).name
        info = {"stats": stats, "dates": facets["dates"],
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
            # No read lock: a question runs against the last committed state while an upload
            # is written (the keyword index answers from its last commit, Chroma serves reads
            # beside its writer), so an upload never holds questions back.
            with self.model_slots:
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
        with self.model_slots:
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

    def upload_refusal(self, paths: list) -> str | None:
        """Why a whole upload is refused (too many files, too many MB), or None."""
        ui = self.assistant.settings.ui
        if len(paths) > ui.max_upload_files:
            return (f"{len(paths)} files in one upload: the limit is {ui.max_upload_files} "
                    "files (RAG_UI_MAX_UPLOAD_FILES); nothing was added")
        total = sum(p.stat().st_size for p in paths if p.is_file())
        if total > ui.max_upload_mb * MB:
            return (f"the files come to {total / MB:.3g} MB: the limit is "
                    f"{ui.max_upload_mb:g} MB per upload (RAG_UI_MAX_UPLOAD_MB); nothing was "
                    "added")
        return None

    def add_files(self, paths: list, progress=None) -> list[dict]:
        """Index uploaded files one at a time; one result row per file. RagError (nothing
        written) when the upload is over its limits. The uploaded copies are removed after,
        in every case (they are gradio's temporary files)."""
        srcs = [Path(getattr(raw, "name", raw) if not isinstance(raw, (str, Path)) else raw)
                for raw in (paths or []) if raw]
        rows = []
        try:
            refusal = self.upload_refusal(srcs)
            if refusal:
                raise RagError(refusal)
            with self.lock.write():
                for i, src in enumerate(srcs):
                    name = safe_filename(src.name)
                    if progress is not None:
                        progress((i, len(srcs)), desc=f"Indexing {name} ({i + 1}/{len(srcs)})")
                    rows.append(self._add_one(src, name))
        finally:
            remove_uploads(srcs)
        return rows

    def _add_one(self, src: Path, name: str) -> dict:
        row = {"file": name, "result": "failed", "articles": "", "details": ""}
        if Path(name).suffix.lower() not in UPLOAD_TYPES:
            row["details"] = (f"unsupported file type {Path(name).suffix or '(none)'!r}; "
                              f"use one of {', '.join(UPLOAD_TYPES)}")
            return row
        if not src.is_file():
            row["details"] = "the uploaded file is gone (already added?); upload it again"
            return row
        dest = None
        try:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            dest, note = store_upload(src, self.upload_dir, name)
            report = self.assistant.ingest([dest], progress=True)
        except RagError as exc:
            row["details"] = self.public(str(exc), dest, name)
            return row
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            log.exception("ingesting %s failed", name)
            row["details"] = self.public(f"{type(exc).__name__}: {exc}", dest, name)
            return row
        row = report_row(name, report, str(dest))
        if note:
            row["details"] = "; ".join(x for x in (note, row["details"]) if x)
        return row

    def public(self, text: str, dest: Path | None = None, name: str = "") -> str:
        """``text`` with the server's paths replaced by names: a visitor learns no folder of
        the server (the index's, the uploads', the temporary files')."""
        if dest is not None:
            text = text.replace(str(dest), name or dest.name)
        index = Path(self.assistant.settings.index_dir)
        for folder, shown in ((self.upload_dir, "uploads"), (index.resolve(), index.name),
                              (index, index.name),
                              (Path(tempfile.gettempdir()), "tmp")):
            text = text.replace(str(folder), shown)
        return text

    # --- feeds (`rag serve --watch FEEDS.txt`) -------------------------------------------------

    def start_watch(self, feeds_file, every: float, allow_private: bool | None = None) -> None:
        """Poll the feeds of ``feeds_file`` every ``every`` seconds in a background thread.
        Pages are fetched outside the write lock; each batch is ingested under it (one writer
        at a time); questions never wait for it."""
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


MB = 1024 * 1024
MAX_NAME_BYTES = 200  # of a stored upload's name in UTF-8: under the usual 255, with room
HASH_CHARS = 10  # of the content hash that tells two different files of one name apart
# Dropped from names: path separators, control and format characters (categories C*), and
# the characters that some file systems or shells refuse.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def _fits(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    return text.encode("utf-8")[:max(0, limit)].decode("utf-8", "ignore")


def safe_filename(name: str) -> str:
    """An uploaded file's name as stored: its last path part, NFC-normalised, Unicode letters
    kept, separators and control characters replaced, no leading dot, at most
    MAX_NAME_BYTES in UTF-8 with its suffix kept."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(ch).startswith("C") else ch for ch in name)
    name = _UNSAFE.sub("_", name).strip(" .") or "upload"
    stem, suffix = os.path.splitext(name)
    if len(suffix.encode("utf-8")) > 16 or not stem:  # not a real suffix: part of the name
        stem, suffix = name, ""
    return (_fits(stem, MAX_NAME_BYTES - len(suffix.encode("utf-8"))).rstrip(" .")
            or "upload") + suffix


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def store_upload(src: Path, folder: Path, name: str) -> tuple[Path, str]:
    """Copy an upload into ``folder`` under ``name``, unless a different file already has
    that name: then under ``name`` with a short hash of its content added, so that nobody's
    upload replaces another's. The same content again is the same file (and article).
    Returns (where it is, a note for the user or ""). The copy is written aside and renamed,
    so that a failure leaves no partial file."""
    dest = folder / name
    digest = file_hash(src)
    if dest.exists() and file_hash(dest) != digest:
        stem, suffix = os.path.splitext(name)
        tail = f"-{digest[:HASH_CHARS]}{suffix}"
        dest = folder / (_fits(stem, MAX_NAME_BYTES - len(tail.encode("utf-8"))) + tail)
        note = (f"another file named {name} is indexed with other content: this one was "
                f"added as {dest.name}")
    else:
        note = ""
    if dest.exists() and file_hash(dest) == digest:
        return dest, note
    part = folder / f".{digest[:16]}.{os.getpid()}.{threading.get_ident()}.part"
    try:
        shutil.copyfile(src, part)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest, note


def remove_uploads(paths: list[Path]) -> None:
    """Remove gradio's temporary copies of uploaded files (and their folder, when empty);
    only files under gradio's temporary folder are touched."""
    root = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
    root = root.resolve()
    for path in paths:
        try:
            path = path.resolve()
            if root not in path.parents:
                continue
            path.unlink(missing_ok=True)
            if path.parent != root:
                path.parent.rmdir()  # the per-upload folder; fails (kept) when not empty
        except OSError:
            pass


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

