"""Ingestion: articles from any source -> skip the unchanged -> chunk, embed, write to the store.

Incremental by content hash (as simonw/llm does): an unchanged article costs nothing, a changed
one has its chunks replaced, and ``prune`` removes the articles whose files or lines are gone.
Articles stream through in batches: the manifest is asked about one batch at a time, and
chunks are embedded and written group by group, each article's manifest record after its
chunks, so an interrupted run leaves a consistent index and the next run redoes only the rest.

Memory does not grow with the corpus, but for one entry per article of this run, packed
(rag/ids.py: about 50 bytes for an id of 21 characters): its id in the report's list and its
digest in the id-to-file map (to catch two files giving the same id and, with ``prune``, to
know which stored articles are gone).

Derived indexes (the keyword index) follow through a ``StoreListener``: told about each write
after the store has it, and committed with the store's generation. The generation is bumped
before the first write of a run too, so that a run killed half way leaves the store's
generation ahead of the derived index, which then repairs itself.

With a ``pool`` (rag/embedding/ray_pool.py: actors of a Ray cluster), everything above stays
as it is but the embedding: groups are handed to the pool a window at a time and written
as their vectors come back, so ids, hashes and groups (hence vectors) are the same as here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from .chunks import embed_text
from .ids import IdMap
from .memory import cap_arenas
from .memory import give_back_memory as _give_back_memory
from .sources import ReadLog, is_url
from .types import Article, DiskFullError, Failure, IngestReport

GROUP_CHUNKS = 256  # chunks embedded and written together: bounds memory and lost work
# Disk an embedded index takes per chunk, all included (Chroma's SQLite with its text index
# and log, the vector index, tantivy): 85 MB for 5,440 realtimeqa chunks.
BYTES_PER_CHUNK = 16_000
BATCH_ARTICLES = 256  # articles checked against the manifest at once
# Extra fields that change on every fetch of an unchanged page: not part of its content.
VOLATILE_EXTRA = ("fetched_at", "fetched_url")
CHECKPOINT_SECONDS = 300  # a long run commits the derived indexes this often


def content_hash(article: Article, salt: str = "") -> str:
    extra = {k: v for k, v in article.extra.items() if k not in VOLATILE_EXTRA}
    payload = json.dumps(
        [article.text, article.title, article.date, article.source, article.url, extra,
         salt],
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()


def ingest(store, embedder, chunker, articles: Iterable[Article], log: ReadLog | None = None,
           prune: bool = False, progress: bool = True, stories=None, listener=None,
           total: int | None = None, pool=None) -> IngestReport:
    """Add or update ``articles`` in ``store``; ``log`` is the source's read log (its failures
    and warnings go into the report; with ``prune``, the origins it read whole and the folders
    it walked say which stored articles are gone). ``stories`` (a rag.stories.StoryIndex) is
    kept in step: written articles join their story, removed ones leave it. ``listener``: a
    StoreListener told about each write (the keyword index); ``total``: the number of articles
    expected, for the progress bar's ETA; ``pool``: embeds groups elsewhere (Ray actors)."""
    from tqdm import tqdm

    from .embedding.compat import check_vectors

    started = time.perf_counter()
    cap_arenas()  # threads started from here on share arenas (rag/memory.py)
    log = log or ReadLog()
    report = IngestReport()
    store.check_model(embedder.label, embedder.dim)
    check_vectors(store, embedder)
    run = _Run(store, embedder, chunker, report, listener or _NoListener(),
               salt=f"{chunker.signature}|{embedder.label}", stories=stories, pool=pool)
    run.bar = tqdm(total=total, unit="article", desc="Ingesting", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True, smoothing=0.05)
    try:
        with store.write_lock():
            if stories is not None:
                stories.prepare(store)  # what other processes saved; group older articles
            run.listener.begin()
            try:
                batch: list[Article] = []
                for article in articles:
                    batch.append(article)
                    if len(batch) >= BATCH_ARTICLES:
                        run.batch(batch)
                        batch = []
                if batch:
                    run.batch(batch)
                run.flush()
                run.drain()
                if prune:
                    gone = _prunable(store.iter_records(), run.owner, log)
                    if gone:
                        run.dirty()
                        store.delete(gone)
                        run.listener.deleted(gone)
                        report.removed.extend(gone)
                        if stories is not None:
                            stories.remove(gone)
            finally:
                try:
                    run.checkpoint()
                finally:
                    run.listener.end()
                    if stories is not None:
                        stories.save()
    finally:
        run.bar.close()
        report.failed.extend(log.failed)
        report.warnings.extend(log.warnings)
        report.seconds = time.perf_counter() - started
    return report


class _NoListener:
    def begin(self) -> None: ...

    def added(self, items, replaced) -> None: ...

    def deleted(self, doc_ids) -> None: ...

    def committed(self, generation: str) -> None: ...

    def end(self) -> None: ...


class _Run:
    def __init__(self, store, embedder, chunker, report: IngestReport, listener, salt: str,
                 stories=None, pool=None):
        self.store, self.embedder, self.chunker, self.report = store, embedder, chunker, report
        self.listener = listener
        self.salt = salt
        self.stories = stories
        # id -> index of its origin in self.origins, for every article of this run
        self.owner = IdMap()
        self.origins: dict[str, int] = {}
        self.group: list = []
        self.group_chunks = 0
        self.uncommitted = False  # written since the last generation bump
        self.last_commit = time.monotonic()
        self.started = time.monotonic()
        self.bar = None
        self.pool = pool
        self.pending: list[list] = []  # groups waiting for the pool

    def _origin(self, origin: str) -> int:
        return self.origins.setdefault(origin, len(self.origins))

    def batch(self, articles: list[Article]) -> None:
        records = self.store.records([a.id for a in articles])
        moved = []
        done = 0
        for article in articles:
            rec = records.get(article.id)
            here = self._origin(article.origin)
            taken_here = self.owner.get(article.id, here) != here
            taken_before = (rec is not None and rec.origin and rec.origin != article.origin
                            and Path(rec.origin).exists())
            # A URL's id is the article's (a canonical URL, a feed entry's id): the same id
            # from two feeds is one article, never two.
            if (taken_here or taken_before) and not is_url(article.origin):
                # Two files give the same id: keep both, the later under a suffixed id.
                suffix = hashlib.sha1(article.origin.encode()).hexdigest()[:6]
                article.id = f"{article.id}~{suffix}"
                rec = self.store.records([article.id]).get(article.id)
            self.owner[article.id] = here
            h = content_hash(article, self.salt)
            if rec is not None and rec.hash == h:
                self.report.skipped.append(article.id)
                if self.stories is not None and article.id not in self.stories:
                    # Stored but never grouped (an index from before stories, or a run
                    # stopped between the store write and the story save).
                    self.stories.assign_article(article)
                done += 1
                if rec.origin != article.origin:  # the file moved: remember where it is now
                    moved.append((article, h, rec.n_chunks))
                continue
            try:
                chunks = self.chunker.split(article)
            except Exception as exc:  # one bad article is reported, never costs the others
                self.report.failed.append(Failure(article.origin or article.id,
                                                  f"could not be chunked: {_why(exc)}"))
                done += 1
                continue
            self.group.append((article, h, "updated" if rec is not None else "added", chunks))
            self.group_chunks += len(chunks)
            if self.group_chunks >= GROUP_CHUNKS:
                self.flush()
        if moved:
            self.store.put_records(moved)
        self._progress(done)

    def dirty(self) -> None:
        """Bump the generation before the first write since the last bump: a run killed before
        its end then leaves the store ahead of what derived indexes recorded."""
        if not self.uncommitted:
            self.store.bump(self.embedder.label, self.embedder.dim, self.chunker.signature,
                            getattr(self.embedder, "backend", ""))
            self.uncommitted = True

    def checkpoint(self) -> None:
        """Bump the generation and commit the derived indexes with it."""
        if self.uncommitted:
            self.store.bump(self.embedder.label, self.embedder.dim, self.chunker.signature,
                            getattr(self.embedder, "backend", ""))
            self.uncommitted = False
            self.listener.committed(self.store.generation())
        self.last_commit = time.monotonic()

    def flush(self) -> None:
        if not self.group:
            return
        self._room(self.group_chunks)
        group, self.group, self.group_chunks = self.group, [], 0
        if self.pool is not None:
            self.pending.append(group)
            if len(self.pending) >= self.pool.window:
                self.drain()
            return
        self.write(group, self.embedder.embed_texts(_texts(group)))

    def drain(self) -> None:
        """Embed the pending groups on the pool and write each as its vectors arrive."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        for i, vectors in self.pool.embed_groups([_texts(g) for g in pending]):
            self.write(pending[i], vectors)

    def write(self, group: list, vectors) -> None:
        items, i = [], 0
        for article, h, _s, chunks in group:
            items.append((article, h, chunks, vectors[i:i + len(chunks)]))
            i += len(chunks)
        self.dirty()
        self.store.add(items)
        self.listener.added([(a, h, chunks) for a, h, chunks, _v in items],
                            [a.id for a, _h, status, _c in group if status == "updated"])
        if self.stories is not None:
            for article, *_rest in group:
                self.stories.assign_article(article)
            self.stories.save()
        for article, _h, status, _chunks in group:
            (self.report.added if status == "added" else self.report.updated).append(article.id)
        self.report.chunks_written += len(vectors)
        _give_back_memory()
        self._progress(len(group))
        if time.monotonic() - self.last_commit > CHECKPOINT_SECONDS:
            self.checkpoint()

    def _room(self, chunks: int) -> None:
        """Stop before the disk is full: an embedded Chroma on a full disk fails its reads too,
        and an interrupted write leaves chunks without their article record."""
        free_bytes = getattr(self.store, "free_bytes", None)
        free = free_bytes() if free_bytes else None
        if free is None:
            return
        min_free_mb = getattr(getattr(self.store, "settings", None), "min_free_mb", 100)
        keep = min_free_mb * 1e6
        need = chunks * BYTES_PER_CHUNK * 2 + keep
        if free < need:
            raise DiskFullError(
                f"disk full: {free / 1e6:.0f} MB free at {self.store.location}, about "
                f"{need / 1e6:.0f} MB needed to go on (RAG_MIN_FREE_MB={min_free_mb} is "
                "kept free); what was written is kept: free space and run the same command "
                "again")

    def _progress(self, articles: int) -> None:
        if self.bar is None or self.bar.disable:
            return
        elapsed = max(1e-6, time.monotonic() - self.started)
        self.bar.set_postfix_str(f"{self.report.chunks_written} chunks, "
                                 f"{self.report.chunks_written / elapsed:.1f} chunks/s",
                                 refresh=False)
        self.bar.update(articles)


def _why(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _texts(group: list) -> list[str]:
    return [embed_text(a, c) for a, _h, _s, chunks in group for c in chunks]


def _prunable(records, seen_ids, log: ReadLog) -> list[str]:
    """Articles to remove: from an origin read whole that no longer has them, or whose file is
    gone from under one of the folders read. Files that failed to read keep their articles."""
    gone = []
    # Under a folder that could not be read, files look gone but are not.
    unread = tuple(f.path.rstrip(os.sep) + os.sep for f in log.failed if os.path.isabs(f.path))
    for doc_id, rec in records:  # (doc_id, record) pairs, page by page
        if doc_id in seen_ids or not rec.origin or is_url(rec.origin):
            continue  # a page or a feed's entry is never "gone" because a file is
        if rec.origin.startswith(unread):
            continue
        if rec.origin in log.complete:
            gone.append(doc_id)
        elif not Path(rec.origin).exists() and any(
                rec.origin == r or rec.origin.startswith(r.rstrip(os.sep) + os.sep)
                for r in log.roots):
            gone.append(doc_id)
    return gone
