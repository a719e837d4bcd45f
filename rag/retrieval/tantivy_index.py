"""BM25 on disk with tantivy: opened in milliseconds, updated article by article.

One tantivy document per chunk: its tokens (the project's tokenizer, rag.text.tokenize, so the
words are the ones bm25s indexed), the article id and content hash, the source and date as
filterable fields, and its chunk id stored. The chunk's text and metadata are not copied here:
a search reads its hits back from the store (``store.get_chunks``), one call per search. The
text made up about 80% of the index's files, and tantivy's segment merges read every page of
the segments they merge: a merge of 160k chunks mapped 112 MB of them into the ingesting
process's memory with the text, 25 MB without (benchmarks/README.md, issue 11).

Ingestion keeps the index in step through ``listener(store)`` (the StoreListener door): each
group of articles written to the store is added here too, and committed with the store's
generation when ingestion bumps it.

The generation lives in a marker document replaced in the same commit as the changes, so what
the index says it reflects is exactly as durable as the data. ``searcher(store)`` compares it
with the store's: equal, the index is used as it is; behind (a crash between the store write
and the commit, an index deleted or made by an older version, another keyword index used
meanwhile), it is brought up to date from the store's chunks under the store's write lock,
by article ids and content hashes (or rebuilt when it is empty or belongs to another store),
never re-embedding. While an ingestion runs, searches use the last commit.

Replicas (several processes, each with its own index, over one Chroma server) follow the store's
change feed instead (``store.changes(after)``, rag/stores/chroma.py): the marker also records
the feed position the index has applied, and catching up applies only the articles changed
since, checked by article id and content hash, so that re-reading some of them is harmless.
The position kept is ``FEED_MARGIN`` behind the newest one read, because two writers of one
server may finish their writes out of the order of their sequence numbers.

tantivy allows one writer per folder across processes. Every writer here holds the store's
write lock first, so writers queue on that lock, never on tantivy's.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import shutil
import threading
import time
from pathlib import Path

from ..dates import date_int
from ..text import tokenize
from ..types import Article, Chunk, Filters, RagError, StoredChunk
from .keyword import KeywordIndexDamaged

log = logging.getLogger("rag.keyword")

FORMAT = 2  # of the schema and payload below; another value in the folder means a rebuild
CONFIG = "newsrag-keyword.json"
GENERATION_ID = "__newsrag_generation__"  # the marker document's chunk_id
ANALYZER = "newsrag_tokens"
# Bytes buffered before tantivy writes a segment. Small: keyword indexing runs at about 9,000
# chunks/s against the store's 350, so more segments cost nothing visible, and every ingest
# (and every upload in `rag serve`) holds less. tantivy's floor is 15 MB a thread.
WRITER_HEAP = 32_000_000
REBUILD_SHARE = 0.5  # more than this share of articles missing or changed: rebuild instead
PAGE = 2000  # chunks per batch when reading the store back
FEED_MARGIN = 1024  # sequence numbers re-read behind the position: writes still in flight
FEED_MAX = 100_000  # further behind than this in the feed: reconcile from the manifest instead


def _schema():
    import tantivy

    sb = tantivy.SchemaBuilder()
    # exact terms, not tokenised; the chunk id is what a search returns
    sb.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    for name in ("doc_id", "doc_key", "source"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date_int", stored=False, indexed=True, fast=True)
    # Term frequencies without positions: BM25 needs no phrase queries.
    sb.add_text_field("body", stored=False, tokenizer_name=ANALYZER, index_option="freq")
    # Only the generation marker has one (what the index reflects).
    sb.add_bytes_field("payload", stored=True, indexed=False, fast=False)
    return sb.build()


def _doc_key(doc_id: str, content_hash: str) -> str:
    return f"{doc_id}\x1f{content_hash}"


def _guarded(method):
    """A damaged file shows only when a search reads it (tantivy then raises, or panics: pyo3's
    PanicException is a BaseException): report it once, as KeywordIndexDamaged."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (KeyboardInterrupt, SystemExit, GeneratorExit, KeywordIndexDamaged):
            raise
        except BaseException as exc:  # noqa: BLE001
            if self._on_damage is not None:
                self._on_damage(exc)
            raise KeywordIndexDamaged(f"the keyword index is damaged ({type(exc).__name__}: "
                                      f"{str(exc)[:200]}); it is rebuilt from the store") from exc
    return run


class TantivySearcher:
    """One committed state of the index (a tantivy searcher is a snapshot)."""

    def __init__(self, searcher, schema, generation: str, has_marker: bool,
                 feed: int | None = None, on_damage=None):
        self._on_damage = on_damage
        self._load = None  # chunk ids -> {id: StoredChunk}: the store's get_chunks
        self._s = searcher
        self._schema = schema
        self.generation = generation
        self.feed = feed  # the change-feed position applied (None: made before the feed)
        self.size = max(0, searcher.num_docs - (1 if has_marker else 0)) if searcher else 0

    def reading(self, store) -> TantivySearcher:
        """This snapshot, reading its hits' text from ``store`` (a shallow copy: the snapshot
        is shared by threads)."""
        bound = copy.copy(self)
        bound._load = store.get_chunks
        return bound

    def _words(self, terms: list[str]):
        import tantivy

        # One SHOULD clause per query token, repeats kept, as bm25s scores a repeated word.
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", t))
             for t in terms])

    def _filtered(self, query, filters: Filters | None):
        import tantivy

        if filters is None or filters.is_empty():
            return query
        parts = []
        if filters.since or filters.until:
            parts.append(tantivy.Query.range_query(
                self._schema, "date_int", tantivy.FieldType.Integer,
                lower_bound=date_int(filters.since) if filters.since else 1,  # no undated
                upper_bound=date_int(filters.until) if filters.until else None))
        if filters.sources:
            parts.append(tantivy.Query.term_set_query(self._schema, "source",
                                                      list(filters.sources)))
        # Filters score 0 and the words sit in their own clause: a flat MUST + SHOULD query
        # would return chunks matching the filter only.
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(p, 0.0)) for p in parts])

    def search(self, query: str, filters: Filters | None,
               k: int) -> list[tuple[StoredChunk, float]]:
        if self._load is None:  # a programming error, not damage: outside the guard
            raise RagError("a keyword searcher reads its hits' text from the store: get it "
                           "with searcher(store), or current().reading(store)")
        scored = self._search(query, filters, k)
        if not scored:
            return []
        # Outside the guard: a store that fails is not a damaged index. A chunk deleted since
        # this snapshot was taken is no longer an answer.
        chunks = self._load([cid for cid, _s in scored])
        return [(chunks[cid], score) for cid, score in scored if cid in chunks]

    @_guarded
    def _search(self, query: str, filters: Filters | None, k: int) -> list[tuple[str, float]]:
        terms = tokenize([query])[0]
        if not terms or k <= 0 or not self.size:
            return []
        hits = self._s.search(self._filtered(self._words(terms), filters), k, count=False).hits
        return [(self._s.doc(addr).get_first("chunk_id"), float(score))
                for score, addr in hits if score > 0]

    @_guarded
    def scores_for(self, query: str, chunk_ids: list[str]) -> dict[str, float]:
        import tantivy

        ids = [c for c in dict.fromkeys(chunk_ids) if c != GENERATION_ID]
        terms = tokenize([query])[0]
        out = dict.fromkeys(ids, 0.0)
        if not terms or not ids or not self.size:
            return out
        only = tantivy.Query.const_score_query(
            tantivy.Query.term_set_query(self._schema, "chunk_id", ids), 0.0)
        q = tantivy.Query.boolean_query([(tantivy.Occur.Must, self._words(terms)),
                                         (tantivy.Occur.Must, only)])
        for score, addr in self._s.search(q, len(ids), count=False).hits:
            out[self._s.doc(addr).get_first("chunk_id")] = float(score)
        return out

    @_guarded
    def idf(self, words: list[str]) -> dict[str, float]:
        """Lucene's IDF of indexed words; N counts live chunks, df also the deleted chunks
        tantivy has not merged away yet (a small drift after many updates)."""
        if not self.size:
            return {}
        n = self.size
        out = {}
        for w in words:
            df = self._s.doc_freq("body", w)
            if df > 0:
                out[w] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return out

    @_guarded
    def facets(self) -> dict:
        import tantivy

        if not self.size:
            return {"sources": [], "dates": None}
        live = tantivy.Query.all_query()
        sources = sorted(t for t, n in self._s.terms_with_prefix("source", "", filter_query=live)
                         if t and n > 0)
        dated = tantivy.Query.range_query(self._schema, "date_int", tantivy.FieldType.Integer,
                                          lower_bound=1, upper_bound=None)
        stats = self._s.aggregate(dated, {"d": {"stats": {"field": "date_int"}}})["d"]
        dates = None
        if stats.get("count"):
            dates = (_iso(int(stats["min"])), _iso(int(stats["max"])))
        return {"sources": sources, "dates": dates}

    def has(self, doc_id: str, content_hash: str) -> bool:
        """Whether this version of the article is indexed (deleted documents not counted)."""
        import tantivy

        q = tantivy.Query.term_query(self._schema, "doc_key", _doc_key(doc_id, content_hash))
        return self._s.search(q, 1, count=True).count > 0

    @_guarded
    def doc_keys(self) -> dict[str, str]:
        """Live article id -> content hash (reads the term dictionary: seconds at 10^6)."""
        import tantivy

        out = {}
        for term, n in self._s.terms_with_prefix("doc_key", "",
                                                 filter_query=tantivy.Query.all_query()):
            if n > 0:
                doc_id, _, h = term.rpartition("\x1f")
                out[doc_id] = h
        return out


class TantivyIndex:
    """The KeywordIndex over one folder (``index_dir/tantivy-<collection>``)."""

    def __init__(self, folder: Path, writer_heap: int = WRITER_HEAP):
        self.folder = Path(folder)
        self.writer_heap = writer_heap
        self._lock = threading.RLock()  # this process: catch-up, the writer, the reader
        self._index = None
        self._writer = None
        self._meta = None  # meta.json's identity when the reader last reloaded
        self._current: TantivySearcher | None = None
        self._feed_hint: int | None = None  # a position for an index that has none yet

    # --- opening and reading -------------------------------------------------------------------

    def _open(self):
        import tantivy

        if self._index is not None:
            return self._index
        cfg_path = self.folder / CONFIG
        if self.folder.exists():
            try:
                cfg = json.loads(cfg_path.read_text())
            except (OSError, ValueError):
                cfg = {}
            if cfg.get("format") != FORMAT or not tantivy.Index.exists(str(self.folder)):
                shutil.rmtree(self.folder)  # derived data of another format: rebuilt below
        if not self.folder.exists():
            tmp = self.folder.with_name(self.folder.name + ".new")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            tantivy.Index(_schema(), path=str(tmp))
            (tmp / CONFIG).write_text(json.dumps({"format": FORMAT, "tokens": "rag.text"}))
            try:
                tmp.rename(self.folder)
            except OSError:  # another process created it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        try:
            index = tantivy.Index.open(str(self.folder))
        except (ValueError, OSError) as exc:  # truncated or overwritten files
            self._damaged(exc)
            return self._open()
        # Analyzers are not saved in the index: the tokens arrive space-joined from
        # rag.text.tokenize and are split, nothing else (no lower-casing, no length limit).
        index.register_tokenizer(
            ANALYZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        index.config_reader("manual")  # we reload when meta.json changes (no polling thread)
        self._index = index
        return index

    def _damaged(self, exc: BaseException) -> None:
        """Discard damaged files: the index is derived data, rebuilt from the store (without
        re-embedding) by the next ``searcher(store)``."""
        with self._lock:
            log.warning("keyword index %s is damaged (%s: %s): rebuilding it from the store",
                        self.folder, type(exc).__name__, str(exc)[:200])
            self._writer = None
            self._index = None
            self._current = None
            self._meta = None
            shutil.rmtree(self.folder, ignore_errors=True)

    def current(self) -> TantivySearcher:
        """The newest committed state (reloaded when another process or writer committed)."""
        import tantivy

        with self._lock:
            index = self._open()
            try:
                st = (self.folder / "meta.json").stat()
                meta = (st.st_ino, st.st_mtime_ns, st.st_size)
            except FileNotFoundError:
                meta = None
            if self._current is None or meta != self._meta:
                try:
                    index.reload()
                    s = index.searcher()
                    hits = s.search(tantivy.Query.term_query(index.schema, "chunk_id",
                                                             GENERATION_ID), 1, count=False).hits
                    generation, feed = "", None
                    if hits:
                        payload = json.loads(s.doc(hits[0][1]).get_first("payload"))
                        generation = str(payload.get("generation", ""))
                        feed = payload.get("feed")
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:  # noqa: BLE001 - damaged files (see _guarded)
                    self._damaged(exc)
                    return self.current()
                self._current = TantivySearcher(s, index.schema, generation, bool(hits), feed,
                                                self._damaged)
                self._meta = meta
            return self._current

    def searcher(self, store) -> TantivySearcher:
        return self._searcher(store).reading(store)

    def _searcher(self, store) -> TantivySearcher:
        generation = store.generation()
        with self._lock:
            snap = self.current()
            if snap.generation == generation:
                return snap
            if store.writing():
                # An ingestion is running: it keeps this index in step and commits the store's
                # generation when it is done (or at its checkpoints). Until then, the last
                # commit is the state before it began, unless the store was rebuilt.
                if _uid(snap.generation) == _uid(generation):
                    return snap
                return TantivySearcher(None, None, "", False)
            if generation.endswith(":0") and not snap.size:
                return snap  # a new, empty store: nothing to index yet
        # The store's lock first, then ours, as ingestion takes them (no deadlock).
        with store.write_lock():
            self.catch_up(store)
        return self.current()

    def listener(self, store) -> _Listener:
        return _Listener(self, store)

    # --- bringing the index up to date from the store ------------------------------------------

    def repair(self, store) -> str:
        """Bring the index to the store's articles and hashes even when its generation claims
        it is in step (`rag check --repair`); never re-embedding. Returns what it did."""
        with store.write_lock(), self._lock:
            generation = store.generation()
            snap = self.current()
            try:
                if not snap.size or _uid(snap.generation) != _uid(generation):
                    how = self._rebuild(store)
                else:
                    how = self._reconcile(store, snap)
                self._commit(generation)
            except BaseException:
                self._rollback()
                raise
            finally:
                self._release()
        return how

    def catch_up(self, store) -> None:
        """Make the index reflect the store (whose write lock the caller holds)."""
        with self._lock:
            generation = store.generation()
            snap = self.current()
            if snap.generation == generation or (generation.endswith(":0") and not snap.size):
                return  # in step, or both empty (a new store)
            started = time.perf_counter()
            # The feed position now, read before the store is: what is read next covers it.
            position = store.feed_position() if hasattr(store, "feed_position") else None
            feed = None
            try:
                if not snap.size or _uid(snap.generation) != _uid(generation):
                    how = self._rebuild(store)
                elif (position is not None and snap.feed is not None
                      and position - snap.feed <= FEED_MAX):
                    how = self._follow(store, snap)
                else:
                    how = self._reconcile(store, snap)
                if position is not None:
                    feed = max(snap.feed or 0, position - FEED_MARGIN)
                self._commit(generation, feed)
            except BaseException:
                self._rollback()
                raise
            finally:
                self._release()
            followed = how.startswith("followed")
            log.log(logging.WARNING if snap.generation and not followed else logging.INFO,
                    "keyword index %s was behind the store (%s -> %s): %s in %.1f s",
                    self.folder, snap.generation or "none", generation, how,
                    time.perf_counter() - started)

    def _rebuild(self, store) -> str:
        w = self._w()
        w.delete_all_documents()
        n, page = 0, []
        for chunk in store.iter_chunks():
            page.append(chunk)
            if len(page) >= PAGE:
                n += self._add_stored(store, page)
                page = []
        n += self._add_stored(store, page)
        return f"rebuilt from {n} stored chunks"

    def _reconcile(self, store, snap: TantivySearcher) -> str:
        have = snap.doc_keys()
        records = store.records()  # the whole manifest: this is a repair, not the usual path
        stale = [d for d, h in have.items() if d not in records or records[d].hash != h]
        missing = [d for d, r in records.items() if have.get(d) != r.hash]
        if len(missing) > REBUILD_SHARE * max(1, len(records)):
            return self._rebuild(store)
        self._delete(stale)
        for i in range(0, len(missing), 500):
            self._add_stored(store, store.chunks_of(missing[i:i + 500]), records)
        return f"{len(stale)} articles removed, {len(missing)} (re)added"

    def _follow(self, store, snap: TantivySearcher) -> str:
        """Apply the store's changes since the feed position: the articles whose version here
        differs are replaced by their stored chunks, the gone ones removed."""
        changed = store.changes(max(0, snap.feed - FEED_MARGIN))
        # Gone, or changed since the index took this version: remove it first.
        stale = [d for d, h in changed.items() if h is None or not snap.has(d, h)]
        present = [d for d in stale if changed[d] is not None]
        self._delete(stale)
        added = 0
        for i in range(0, len(present), 500):
            part = present[i:i + 500]
            added += self._add_stored(store, store.chunks_of(part), store.records(part))
        return (f"followed the change feed: {len(changed)} changes read, "
                f"{len(stale) - len(present)} articles removed, {len(present)} (re)added "
                f"({added} chunks)")

    def _add_stored(self, store, chunks: list[StoredChunk], records=None) -> int:
        if not chunks:
            return 0
        if records is None:
            records = store.records(list({c.doc_id for c in chunks}))
        # A chunk whose article has no manifest record was left by an interrupted write: the
        # article is not in the index until ingestion writes it whole.
        kept = [c for c in chunks if c.doc_id in records]
        self._add([(c, records[c.doc_id].hash) for c in kept])
        return len(kept)

    # --- writing -------------------------------------------------------------------------------

    def _w(self):
        if self._writer is None:
            index = self._open()
            deadline = time.monotonic() + 30
            while True:
                try:
                    self._writer = index.writer(heap_size=self.writer_heap, num_threads=1)
                    break
                except ValueError as exc:
                    # Writers hold the store's lock first, so this is a writer of another
                    # configuration or one finishing: wait a little, then say so.
                    if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                        raise RagError(f"the keyword index at {self.folder} is locked by "
                                       f"another writer: {exc}") from exc
                    time.sleep(0.2)
        return self._writer

    def _add(self, rows: list[tuple[StoredChunk, str]]) -> None:
        import tantivy

        w = self._w()
        bodies = tokenize([f"{c.title}\n{c.text}" for c, _h in rows])
        for (c, h), words in zip(rows, bodies, strict=True):
            w.add_document(tantivy.Document(
                chunk_id=c.id, doc_id=c.doc_id, doc_key=_doc_key(c.doc_id, h),
                source=c.source or "", date_int=date_int(c.date), body=" ".join(words)))

    def _delete(self, doc_ids: list[str]) -> None:
        import tantivy

        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return
        w = self._w()
        for i in range(0, len(ids), 1000):
            part = ids[i:i + 1000]
            if len(part) <= 8:
                for d in part:
                    w.delete_documents_by_term("doc_id", d)
            else:
                w.delete_documents_by_query(
                    tantivy.Query.term_set_query(self._open().schema, "doc_id", part))

    def _commit(self, generation: str, feed: int | None = None) -> None:
        """Commit with the store's generation and the feed position (kept as it was when not
        given: an ingestion's own writes say nothing about other writers')."""
        import tantivy

        if feed is None and self._current is not None:
            feed = self._current.feed
        if feed is None:
            feed = self._feed_hint
        w = self._w()
        w.delete_documents_by_term("chunk_id", GENERATION_ID)
        marker = {"generation": generation}
        if feed is not None:
            marker["feed"] = int(feed)
        w.add_document(tantivy.Document(chunk_id=GENERATION_ID,
                                        payload=json.dumps(marker).encode()))
        w.commit()

    def _rollback(self) -> None:
        if self._writer is not None:
            try:
                self._writer.rollback()
            except Exception:  # noqa: BLE001 - dropping the writer discards the changes too
                log.exception("rollback of %s failed", self.folder)

    def _release(self) -> None:
        """Give the writer lock back, after the merges it started (dropping a writer abandons
        them, and an index whose merges never finish piles up segments)."""
        if self._writer is not None:
            w, self._writer = self._writer, None
            w.wait_merging_threads()

    def close(self) -> None:
        with self._lock:
            self._rollback()
            self._release()


class _Listener:
    """Keeps a TantivyIndex in step with one ingestion run (see StoreListener)."""

    def __init__(self, index: TantivyIndex, store):
        self.index, self.store = index, store
        self.broken = False

    def _guard(self, what: str, fn, *args) -> None:
        # The keyword index is derived data: if it fails, ingestion goes on, nothing more is
        # committed here, and the next search finds the index behind and repairs it.
        if self.broken:
            return
        try:
            with self.index._lock:
                fn(*args)
        except Exception:  # noqa: BLE001
            self.broken = True
            log.exception("keyword index %s: %s failed; it will be repaired from the store",
                          self.index.folder, what)
            self.index._rollback()

    def begin(self) -> None:
        # Behind already (a run that crashed): repair first, or this run would skip the
        # articles that run stored and the index would never get them.
        self._guard("catching up", self.index.catch_up, self.store)
        self._guard("noting the feed position", self._note_feed)
        self._guard("opening the writer", self.index._w)

    def _note_feed(self) -> None:
        # In step now: an index with no feed position yet can start following from here.
        if self.index.current().feed is None and hasattr(self.store, "feed_position"):
            self.index._feed_hint = max(0, self.store.feed_position() - FEED_MARGIN)

    def added(self, items: list[tuple[Article, str, list[Chunk]]], replaced: list[str]) -> None:
        def run():
            self.index._delete(replaced)
            self.index._add([(_stored(a, c), h) for a, h, chunks in items for c in chunks])

        self._guard("adding", run)

    def deleted(self, doc_ids: list[str]) -> None:
        self._guard("deleting", self.index._delete, list(doc_ids))

    def committed(self, generation: str) -> None:
        self._guard("committing", self.index._commit, generation)

    def end(self) -> None:
        with self.index._lock:
            if self.broken:
                self.index._rollback()
            try:
                self.index._release()
            except Exception:  # noqa: BLE001
                log.exception("keyword index %s: releasing the writer failed", self.index.folder)


def _stored(a: Article, c: Chunk) -> StoredChunk:
    return StoredChunk(c.id, a.id, c.text, c.start, c.end, a.title, a.date, a.source, a.url)


def _uid(generation: str) -> str:
    return generation.partition(":")[0]


def _iso(d: int) -> str:
    s = f"{d:08d}"
    return f"{s[:4]}-{s[4:6]}-{s[6:]}"
