"""Watch feeds: poll them, fetch the new and updated entries' pages, hand the articles to the
ingestion, remember what was done (`rag watch FEEDS.txt`, `rag serve --watch FEEDS.txt`).

Each poll asks every feed with a conditional GET (ETag / Last-Modified: a 304 costs nothing),
then fetches only the pages of new and updated entries (an entry is updated when its
<updated> date, or without one its title and text, changes). A failing feed never stops the
others; a 5xx or a time-out is retried with backoff (web.fetch).

Crash safety: the state file (state_dir/watch.json) is replaced atomically (temp file, fsync,
os.replace) after each batch of entries has been *ingested*, never before.  A kill -9 at any
point therefore loses nothing (entries not yet recorded are fetched and sent again on the next
poll) and at worst re-sends the one batch that was being ingested, which the project's
ingestion skips by article id + content hash.  A feed's ETag / Last-Modified is stored only
when all its entries were handled, so a 304 can never hide an entry that failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ..types import Article, RagError
from .feeds import FEED_TYPES, FeedError, entry_articles, is_url, page_fetcher, parse_feed
from .web import Fetcher, FetchError

STATE_VERSION = 1
PAGE_RETRIES = 3  # polls on which a page that fell back to the feed's text is tried again


@dataclass
class FeedResult:
    feed: str
    status: str = "ok"  # "ok", "not modified", "failed", "stopped"
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # entries that could not be read at all (the feed itself: status failed)
    fallbacks: int = 0  # entries ingested from the feed's own text (page not readable)
    pages_fetched: int = 0
    error: str = ""  # why the feed failed
    failures: list[str] = field(default_factory=list)  # one line per failed entry
    ingest: dict = field(default_factory=lambda: {"added": 0, "updated": 0, "skipped": 0})
    seconds: float = 0.0


@dataclass
class PollReport:
    poll: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # failed feeds + failed entries
    per_feed: list[FeedResult] = field(default_factory=list)
    pages_fetched: int = 0
    seconds: float = 0.0
    stopped: bool = False  # stopped before every feed was polled

    def problems(self) -> list[str]:
        out = []
        for r in self.per_feed:
            if r.status == "failed":
                out.append(f"feed {r.feed}: {r.error}")
            out.extend(r.failures)
        return out

    def __str__(self) -> str:
        line = (f"poll {self.poll}: {self.new} new, {self.updated} updated, "
                f"{self.unchanged} unchanged, {self.failed} failed")
        problems = self.problems()
        if problems:
            more = f"; +{len(problems) - 1} more" if len(problems) > 1 else ""
            line += f" ({problems[0]}{more})"
        if self.stopped:
            line += " [stopped early]"
        return line

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def parse_every(value: str | int | float) -> float:
    """'15m' -> 900, '30s' -> 30, '1h' -> 3600, '1h30m' -> 5400, '90' -> 90 (seconds)."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        s = str(value).strip().lower()
        if re.fullmatch(r"\d+(\.\d+)?", s):
            seconds = float(s)
        else:
            parts = re.findall(r"(\d+(?:\.\d+)?)\s*([smhd])", s)
            if not parts or re.sub(r"(\d+(?:\.\d+)?)\s*([smhd])", "", s).strip():
                raise ValueError(f"cannot read the interval {value!r}: use e.g. 90, 30s, 15m, "
                                 "1h or 1h30m")
            unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}
            seconds = sum(float(n) * unit[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"the interval must be positive, not {value!r}")
    return seconds


def feed_line(line: str, folder: Path) -> str | None:
    """The feed one line of a feeds file names (None for a blank or comment line): a URL, or
    a path taken from the file's folder. A ' #' after an entry starts a comment; a '#'
    inside a URL is its fragment."""
    line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
    if not line or line.startswith("#"):
        return None
    if not is_url(line) and "://" not in line:
        candidate = Path(line).expanduser()
        if not candidate.is_absolute():
            candidate = folder / candidate
        line = str(candidate.resolve())
    return line


def read_feeds_file(path: str | Path) -> list[str]:
    """Feed URLs or paths, one per line (see feed_line), without repeats."""
    p = Path(path).expanduser()
    out: list[str] = []
    for line in p.read_text(encoding="utf-8-sig").splitlines():
        feed = feed_line(line, p.parent)
        if feed is not None and feed not in out:
            out.append(feed)
    return out


def edit_feeds_file(path: str | Path, add: str | None = None, remove: str | None = None
                    ) -> None:
    """Append a feed to a feeds file, or drop the lines naming one (comments and the other
    lines are kept as they are); the file is replaced atomically."""
    p = Path(path).expanduser()
    lines = p.read_text(encoding="utf-8-sig").splitlines() if p.exists() else []
    if remove is not None:
        lines = [ln for ln in lines if feed_line(ln, p.parent) != remove]
    if add is not None and add not in {feed_line(ln, p.parent) for ln in lines}:
        lines.append(add)
    fd, tmp = tempfile.mkstemp(prefix=".feeds.", suffix=".tmp", dir=p.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, p)


class WatchError(RagError):
    pass


class Watcher:
    """Poll feeds and ingest what is new or updated.

    ``ingest(articles) -> {"added": [...], "updated": [...], "skipped": [...]}`` is the
    project's ingestion (idempotent by article id and content hash:
    ``Assistant.ingest_articles``). ``fetcher`` holds the fetch options, the per-host delay
    and the robots.txt cache; ``fetch_page(url) -> Article`` may replace its page reader.
    The feed list may change while it runs (``add_feed``, ``remove_feed``).
    """

    def __init__(self, feeds: list[str], state_dir: str | Path,
                 ingest: Callable[[list[Article]], dict], fetcher: Fetcher | None = None, *,
                 fetch_page: Callable[[str], Article] | None = None, batch_size: int = 20,
                 keep_days: int = 90, log: Callable[[str], None] | None = None):
        self._feeds = list(dict.fromkeys(feeds))
        self._feeds_lock = threading.Lock()
        self.state_dir = Path(state_dir).expanduser()
        self.state_path = self.state_dir / "watch.json"
        self.ingest = ingest
        self.fetcher = fetcher or Fetcher(log=log)
        self.fetch_page = fetch_page or page_fetcher(self.fetcher)
        self.batch_size = max(1, batch_size)
        self.workers = max(1, self.fetcher.options.workers)
        self.keep_days = keep_days
        self.log = log
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = self._take_lock()
        self._state_lock = threading.Lock()  # readers (the UI) see whole states only
        self._wake = threading.Event()
        self.state = self._load()

    def poll_now(self) -> None:
        """Make a running ``run`` loop poll now instead of at its next interval."""
        self._wake.set()

    @property
    def feeds(self) -> list[str]:
        with self._feeds_lock:
            return list(self._feeds)

    def add_feed(self, feed: str) -> bool:
        """Watch one more feed from the next poll on; False if it is already watched."""
        with self._feeds_lock:
            if feed in self._feeds:
                return False
            self._feeds.append(feed)
            return True

    def remove_feed(self, feed: str) -> bool:
        """Stop watching a feed (its articles stay in the index); False if not watched."""
        with self._feeds_lock:
            if feed not in self._feeds:
                return False
            self._feeds.remove(feed)
            return True

    def feed_status(self) -> list[dict]:
        """Per watched feed: its last poll (time, status, counts, error) and entries known."""
        with self._state_lock:
            feeds = self.state.get("feeds", {})
            out = []
            for feed in self.feeds:
                f = feeds.get(feed, {})
                out.append({"feed": feed, "title": f.get("title", ""),
                            "entries": len(f.get("entries", {})), **f.get("last", {})})
            return out

    # -- state ---------------------------------------------------------------------------------

    def _take_lock(self):
        import fcntl

        f = open(self.state_dir / "watch.lock", "a+")  # noqa: SIM115 - held while we live
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise WatchError(f"another watcher is using {self.state_dir}") from None
        return f

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _load(self) -> dict:
        if not self.state_path.exists():
            return {"version": STATE_VERSION, "polls": 0, "feeds": {}}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise WatchError(f"{self.state_path}: unreadable watch state ({exc}); move it away "
                             "to start afresh (already ingested articles are skipped)") from None
        if state.get("version") != STATE_VERSION:
            raise WatchError(f"{self.state_path}: state version {state.get('version')} is not "
                             f"{STATE_VERSION}")
        state.setdefault("feeds", {})
        state.setdefault("polls", 0)
        return state

    def save(self) -> None:
        """Write the state atomically: a temp file in the same folder, fsync, os.replace."""
        with self._state_lock:
            data = json.dumps(self.state, ensure_ascii=False, separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(prefix=".watch.", suffix=".tmp", dir=self.state_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            dfd = os.open(self.state_dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    # -- polling -------------------------------------------------------------------------------

    def poll_once(self, stop: threading.Event | None = None) -> PollReport:
        """Poll every feed once; a failing feed never stops the others. ``stop`` (when set)
        ends the poll between feeds."""
        started = time.perf_counter()
        self.state["polls"] = int(self.state.get("polls", 0)) + 1
        report = PollReport(poll=self.state["polls"])
        for feed in self.feeds:
            if stop is not None and stop.is_set():
                report.stopped = True
                break
            result = self._poll_feed(feed)
            self._remember(feed, result)
            report.per_feed.append(result)
            report.new += result.new
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.failed += result.failed + (1 if result.status == "failed" else 0)
            report.pages_fetched += result.pages_fetched
        self.save()  # the poll counter and last-seen dates (each feed saved itself already)
        report.seconds = time.perf_counter() - started
        return report

    def _poll_feed(self, feed_src: str) -> FeedResult:
        t0 = time.perf_counter()
        res = FeedResult(feed=feed_src)
        fstate = self.state["feeds"].setdefault(feed_src, {"entries": {}})
        seen: dict = fstate.setdefault("entries", {})
        new_validators: dict = {}
        try:
            if is_url(feed_src):
                got = self.fetcher.get(feed_src, accept=FEED_TYPES, etag=fstate.get("etag"),
                                       last_modified=fstate.get("last_modified"))
                if got.not_modified:  # 304: no parsing, no page fetch
                    res.status = "not modified"
                    res.unchanged = len(seen)
                    res.seconds = time.perf_counter() - t0
                    return res
                data = got.content
                new_validators = {"etag": got.etag, "last_modified": got.last_modified}
            else:
                data = Path(feed_src).read_bytes()
                sig = hashlib.sha1(data).hexdigest()
                if sig == fstate.get("file_sig"):
                    res.status = "not modified"
                    res.unchanged = len(seen)
                    res.seconds = time.perf_counter() - t0
                    return res
                new_validators = {"file_sig": sig}
            feed = parse_feed(data, feed_src)
            fstate["title"] = feed.title
        except (FetchError, FeedError, OSError) as exc:
            res.status = "failed"
            res.error = exc.reason if isinstance(exc, FetchError | FeedError) else \
                (exc.strerror or str(exc))
            res.seconds = time.perf_counter() - t0
            return res

        today = date.today().isoformat()
        todo = []  # (entry, "new" | "updated" | "retry")
        for entry in feed.entries:
            prev = seen.get(entry.id)
            if prev is None:
                todo.append((entry, "new"))
            elif prev.get("key") != entry.updated_key:
                todo.append((entry, "updated"))
            elif not prev.get("full", True) and prev.get("tries", 0) < PAGE_RETRIES:
                todo.append((entry, "retry"))  # ingested from the feed's text: try the page
            else:
                res.unchanged += 1
                prev["seen"] = today

        pending_retry = False
        for start in range(0, len(todo), self.batch_size):
            batch = todo[start:start + self.batch_size]
            arts: list[tuple[Article, str, object]] = []
            results = self._articles(feed, [e for e, _ in batch], feed_src, res)
            retried_again = False
            for (entry, kind), (article, reason) in zip(batch, results, strict=True):
                if kind == "retry" and not article.extra.get("fulltext", True):
                    # The page is still unreadable: the feed's text is already ingested.
                    prev = seen[entry.id]
                    prev["tries"] = prev.get("tries", 0) + 1
                    prev["seen"] = today
                    pending_retry = pending_retry or prev["tries"] < PAGE_RETRIES
                    res.unchanged += 1
                    retried_again = True
                    continue
                if not article.text.strip():
                    res.failed += 1
                    res.failures.append(f"entry {entry.id}: {reason or 'no text'}")
                    continue
                arts.append((article, kind, entry))
            if not arts:
                if retried_again:
                    self.save()
                continue
            try:
                out = self.ingest([a for a, _, _ in arts]) or {}
            except Exception as exc:  # noqa: BLE001 - a feed's failure must not stop the others
                res.status = "failed"
                res.error = f"ingestion failed: {type(exc).__name__}: {exc}"
                res.seconds = time.perf_counter() - t0
                return res
            for key in ("added", "updated", "skipped"):
                res.ingest[key] += len(out.get(key, []) or [])
            # Only now, with the batch ingested, do we record its entries as seen.
            for article, kind, entry in arts:
                full = bool(article.extra.get("fulltext", True))
                tries = 0 if full else 1
                seen[entry.id] = {"key": entry.updated_key, "full": full, "tries": tries,
                                  "seen": today}
                if not full:
                    res.fallbacks += 1
                    pending_retry = pending_retry or tries < PAGE_RETRIES
                if kind == "new":
                    res.new += 1
                else:
                    res.updated += 1  # an updated entry, or a page that is readable again
            self.save()

        # Everything handled: now a 304 may stand for this version of the feed.  With a failed
        # entry, or a page to try again, keep the old validators so the feed is read again.
        if not res.failed and not pending_retry:
            for k, v in new_validators.items():
                if v:
                    fstate[k] = v
                else:
                    fstate.pop(k, None)
        self._prune(feed_src, {e.id for e in feed.entries}, today)
        self.save()
        res.seconds = time.perf_counter() - t0
        return res

    def _articles(self, feed, entries, feed_src, res: FeedResult
                  ) -> list[tuple[Article, str | None]]:
        lock = threading.Lock()

        def counted(url: str) -> Article:
            with lock:
                res.pages_fetched += 1
            return self.fetch_page(url)

        return entry_articles(feed, entries, counted, feed_src, self.workers)

    def _remember(self, feed: str, res: FeedResult) -> None:
        """The feed's last poll, for `feed_status` (the Corpus tab)."""
        with self._state_lock:
            fstate = self.state["feeds"].setdefault(feed, {"entries": {}})
            fstate["last"] = {
                "polled_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "status": res.status, "new": res.new, "updated": res.updated,
                "unchanged": res.unchanged, "failed": res.failed + (res.status == "failed"),
                "error": res.error or (res.failures[0] if res.failures else "")}

    def _prune(self, feed_src: str, present: set[str], today: str) -> None:
        """Forget entries gone from the feed for more than keep_days (bounds the state)."""
        seen = self.state["feeds"][feed_src]["entries"]
        limit = (date.fromisoformat(today) - timedelta(days=self.keep_days)).isoformat()
        for key in [k for k, v in seen.items() if k not in present and v.get("seen", "") < limit]:
            del seen[key]

    # -- running -------------------------------------------------------------------------------

    def run(self, every_seconds: float, stop: threading.Event | None = None,
            log: Callable[[str], None] = print) -> int:
        """Poll every ``every_seconds`` until ``stop`` is set; returns the number of polls.

        In the main thread, the first Ctrl-C asks to stop after the current feed is saved; a
        second one stops at once (the state file is consistent either way).
        """
        stop = stop or threading.Event()
        polls = 0
        previous = None
        interrupts = 0

        def on_sigint(signum, frame):
            nonlocal interrupts
            interrupts += 1
            if interrupts > 1:
                raise KeyboardInterrupt
            log("stopping after the current feed is saved (Ctrl-C again to stop now)")
            stop.set()

        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, on_sigint)
        try:
            while not stop.is_set():
                try:
                    report = self.poll_once(stop=stop)
                    log(str(report))
                except (RagError, OSError) as exc:  # e.g. a full disk: try again next time
                    log(f"poll failed: {exc}")
                polls += 1
                end = time.monotonic() + every_seconds
                # Wait in slices, so that `stop` and `poll_now` are heard within a second.
                while not stop.is_set() and time.monotonic() < end:
                    if self._wake.wait(min(1.0, max(0.0, end - time.monotonic()))):
                        self._wake.clear()
                        break
        except KeyboardInterrupt:
            log("stopped")
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return polls


__all__ = ["FeedResult", "PollReport", "WatchError", "Watcher", "edit_feeds_file",
           "feed_line", "parse_every", "read_feeds_file"]
