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

The index is split into shards of at most ``SHARD_CHUNKS`` chunks, each a tantivy index in a
subfolder, listed oldest first in ``shards.json``; new chunks go to the newest (the head).
tantivy merges segments with a log merge policy that tantivy-py gives no way to bound, and a
merge maps the segments it reads into the process: the merges of one index grow with it
(a 128k-article ingestion mapped 59 MB more than a 2k one), those of a shard stop at its size
(about 20 MB at 100,000 chunks). Each shard scores BM25 with its own statistics, as
Elasticsearch's shards do by default (query_then_fetch); an index under one shard, every
corpus the quality figures were measured on, scores exactly as before. A rebuild writes new
shards and switches ``shards.json`` to them in one rename, so readers see the old index or
the new one, never a part. The generation marker is in the head (the newest marker wins; a
sealed shard may keep the one it had).

tantivy allows one writer per folder across processes. Every writer here holds the store's
write lock first, so writers queue on that lock, never on tantivy's.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import os
import shutil
import threading
import time
from pathlib import Path

from ..dates import date_int
from ..memory import cap_arenas, give_back_memory
from ..text import tokenize
from ..types import Article, Chunk, Filters, RagError, StoredChunk
from .keyword import KeywordIndexDamaged

log = logging.getLogger("rag.keyword")

FORMAT = 3  # of the schema, payload and layout; another value in the folder means a rebuild
CONFIG = "newsrag-keyword.json"
SHARDS = "shards.json"  # the shards' subfolders, oldest first: the last is the head
SHARD_CHUNKS = 100_000  # the head is sealed and a new one started past this many chunks
GENERATION_ID = "__newsrag_generation__"  # the marker document's chunk_id
ANALYZER = "newsrag_tokens"
# Bytes buffered before tantivy writes a segment: tantivy's floor (15 MB a thread). Keyword
# indexing runs at about 9,000 chunks/s against the store's 350, so more segments cost nothing
# visible, and every ingest (and every upload in `rag serve`) holds less: 10-17 MB less at the
# peak of a 128k-article ingestion than with 32 MB (benchmarks/README.md).
WRITER_HEAP = 15_000_000
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
    """One committed state of the index: a tantivy searcher (a snapshot) per shard."""

    def __init__(self, parts: list, schema, generation: str, markers: int,
                 feed: int | None = None, on_damage=None):
        self._on_damage = on_damage
        self._load = None  # chunk ids -> {id: StoredChunk}: the store's get_chunks
        self._parts = list(parts)  # tantivy searchers, oldest shard first
        self._schema = schema
        self.generation = generation
        self.feed = feed  # the change-feed position applied (None: made before the feed)
        self.size = max(0, sum(s.num_docs for s in self._parts) - markers)

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
        q = self._filtered(self._words(terms), filters)
        hits = [(float(score), s, addr) for s in self._parts
                for score, addr in s.search(q, k, count=False).hits if score > 0]
        if len(self._parts) > 1:
            hits.sort(key=lambda h: -h[0])  # stable: one shard keeps tantivy's order
        return [(s.doc(addr).get_first("chunk_id"), score) for score, s, addr in hits[:k]]

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
        for s in self._parts:
            for score, addr in s.search(q, len(ids), count=False).hits:
                out[s.doc(addr).get_first("chunk_id")] = float(score)
        return out

    @_guarded
    def idf(self, words: list[str]) -> dict[str, float]:
        """Lucene's IDF of indexed words over all shards; N counts live chunks, df also the
        deleted chunks tantivy has not merged away yet (a small drift after many updates)."""
        if not self.size:
            return {}
        n = self.size
        out = {}
        for w in words:
            df = sum(s.doc_freq("body", w) for s in self._parts)
            if df > 0:
                out[w] = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        return out

    @_guarded
    def facets(self) -> dict:
        import tantivy

        if not self.size:
            return {"sources": [], "dates": None}
        live = tantivy.Query.all_query()
        dated = tantivy.Query.range_query(self._schema, "date_int", tantivy.FieldType.Integer,
                                          lower_bound=1, upper_bound=None)
        sources, first, last = set(), None, None
        for s in self._parts:
            sources.update(t for t, n in s.terms_with_prefix("source", "", filter_query=live)
                           if t and n > 0)
            stats = s.aggregate(dated, {"d": {"stats": {"field": "date_int"}}})["d"]
            if stats.get("count"):
                lo, hi = int(stats["min"]), int(stats["max"])
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
        dates = (_iso(first), _iso(last)) if first is not None else None
        return {"sources": sorted(sources), "dates": dates}

    def has(self, doc_id: str, content_hash: str) -> bool:
        """Whether this version of the article is indexed (deleted documents not counted)."""
        import tantivy

        q = tantivy.Query.term_query(self._schema, "doc_key", _doc_key(doc_id, content_hash))
        return any(s.search(q, 1, count=True).count > 0 for s in self._parts)

    @_guarded
    def doc_keys(self) -> dict[str, str]:
        """Live article id -> content hash (reads the term dictionaries: seconds at 10^6)."""
        import tantivy

        out = {}
        for s in self._parts:  # oldest first: a newer shard's version wins
            for term, n in s.terms_with_prefix("doc_key", "",
                                               filter_query=tantivy.Query.all_query()):
                if n > 0:
                    doc_id, _, h = term.rpartition("\x1f")
                    out[doc_id] = h
        return out


class TantivyIndex:
    """The KeywordIndex over one folder (``index_dir/tantivy-<collection>``): its shards."""

    def __init__(self, folder: Path, writer_heap: int = WRITER_HEAP,
                 shard_chunks: int | None = None):
        self.folder = Path(folder)
        self.writer_heap = writer_heap
        self.shard_chunks = shard_chunks or SHARD_CHUNKS
        self._lock = threading.RLock()  # this process: catch-up, the writers, the reader
        self._schema = None
        self._indexes: dict[str, object] = {}  # shard name -> opened tantivy.Index
        self._writers: dict[str, object] = {}  # shard name -> its writer, while writing
        self._head: str | None = None  # the shard new chunks go to, while writing
        self._head_docs = 0  # documents in the head (committed and added), while writing
        self._building: list[str] | None = None  # a rebuild's shards until its commit
        self._meta = None  # the shard list's and shards' identities at the last reload
        self._ready = False  # the folder was found (or made) in this format
        self._current: TantivySearcher | None = None
        self._feed_hint: int | None = None  # a position for an index that has none yet

    # --- opening and reading -------------------------------------------------------------------

    def _prepare(self) -> None:
        """The folder, in this format, with a shard list (a new index: one empty shard)."""
        if self._schema is None:
            cap_arenas()  # before tantivy starts a thread (see rag/memory.py)
            self._schema = _schema()
        if self._ready:
            return
        if self.folder.exists():
            try:
                cfg = json.loads((self.folder / CONFIG).read_text())
            except (OSError, ValueError):
                cfg = {}
            if cfg.get("format") != FORMAT:
                self._forget()
                shutil.rmtree(self.folder)  # derived data of another format: rebuilt below
        if not self.folder.exists():
            tmp = self.folder.with_name(self.folder.name + ".new")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            first = self._new_shard(tmp)
            (tmp / SHARDS).write_text(json.dumps({"shards": [first]}))
            (tmp / CONFIG).write_text(json.dumps({"format": FORMAT, "tokens": "rag.text"}))
            try:
                tmp.rename(self.folder)
            except OSError:  # another process created it meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
        self._ready = True

    def _names(self) -> list[str]:
        """The committed shards, oldest first (what readers see)."""
        names = json.loads((self.folder / SHARDS).read_text())["shards"]
        if not names or not all(isinstance(n, str) and _shard_number(n) for n in names):
            raise ValueError(f"{SHARDS} lists no shards")
        return names

    def _shard(self, name: str):
        import tantivy

        index = self._indexes.get(name)
        if index is None:
            path = self.folder / name
            if not tantivy.Index.exists(str(path)):
                raise FileNotFoundError(f"shard {name} of {self.folder} is missing")
            index = tantivy.Index.open(str(path))
            # Analyzers are not saved in the index: the tokens arrive space-joined from
            # rag.text.tokenize and are split, nothing else (no lower-casing, no length limit).
            index.register_tokenizer(
                ANALYZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
            index.config_reader("manual")  # we reload when meta.json changes (no polling)
            self._indexes[name] = index
        return index

    def _forget(self) -> None:
        self._ready = False
        self._writers.clear()
        self._indexes.clear()
        self._head, self._building = None, None
        self._current = None
        self._meta = None

    def _damaged(self, exc: BaseException) -> None:
        """Discard damaged files: the index is derived data, rebuilt from the store (without
        re-embedding) by the next ``searcher(store)``."""
        with self._lock:
            log.warning("keyword index %s is damaged (%s: %s): rebuilding it from the store",
                        self.folder, type(exc).__name__, str(exc)[:200])
            self._forget()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _identity(self, names: list[str]) -> tuple:
        out = []
        for p in [self.folder / SHARDS] + [self.folder / n / "meta.json" for n in names]:
            try:
                st = p.stat()
                out.append((st.st_ino, st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def current(self) -> TantivySearcher:
        """The newest committed state (reloaded when another process or writer committed)."""
        import tantivy

        with self._lock:
            for attempt in range(3):
                try:
                    self._prepare()
                    names = self._names()
                    meta = self._identity(names)
                    if self._current is not None and meta == self._meta:
                        return self._current
                    parts, markers, generation, feed = [], 0, "", None
                    marker = tantivy.Query.term_query(self._schema, "chunk_id", GENERATION_ID)
                    for name in names:
                        index = self._shard(name)
                        index.reload()
                        s = index.searcher()
                        found = s.search(marker, 1, count=True)
                        markers += found.count
                        if found.hits:  # the newest shard's marker wins
                            payload = json.loads(s.doc(found.hits[0][1]).get_first("payload"))
                            generation = str(payload.get("generation", ""))
                            feed = payload.get("feed")
                        parts.append(s)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except FileNotFoundError:
                    # A rebuild in another process replaced the shards between our reading
                    # the list and opening them: read the list again.
                    if attempt < 2:
                        self._ready = False  # the folder itself may be gone
                        self._indexes = {n: i for n, i in self._indexes.items()
                                         if n in self._writers}
                        continue
                    self._damaged(RagError("its shard list names missing shards"))
                    return self.current()
                except BaseException as exc:  # noqa: BLE001 - damaged files (see _guarded)
                    self._damaged(exc)
                    return self.current()
                break
            # Shards no longer listed (replaced by a rebuild): close them.
            for name in [n for n in self._indexes if n not in names and n not in self._writers
                         and n not in (self._building or ())]:
                del self._indexes[name]
            self._current = TantivySearcher(parts, self._schema, generation, markers, feed,
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
                return TantivySearcher([], None, "", 0)
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
        self._start_rebuild()
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
        """The head's writer: new chunks go to the head."""
        if self._head is None:
            self._prepare()
            self._head = self._names()[-1]
            index = self._shard(self._head)
            index.reload()
            self._head_docs = index.searcher().num_docs
        return self._writer(self._head)

    def _writer(self, name: str):
        w = self._writers.get(name)
        if w is None:
            index = self._shard(name)
            deadline = time.monotonic() + 30
            while True:
                try:
                    w = index.writer(heap_size=self.writer_heap, num_threads=1)
                    break
                except ValueError as exc:
                    # Writers hold the store's lock first, so this is a writer of another
                    # configuration or one finishing: wait a little, then say so.
                    if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                        raise RagError(f"the keyword index at {self.folder} is locked by "
                                       f"another writer: {exc}") from exc
                    time.sleep(0.2)
            self._writers[name] = w
        return w

    def _add(self, rows: list[tuple[StoredChunk, str]]) -> None:
        import tantivy

        bodies = tokenize([f"{c.title}\n{c.text}" for c, _h in rows])
        w = self._w()
        for (c, h), words in zip(rows, bodies, strict=True):
            if self._head_docs >= self.shard_chunks:
                self._seal()
                w = self._w()
            w.add_document(tantivy.Document(
                chunk_id=c.id, doc_id=c.doc_id, doc_key=_doc_key(c.doc_id, h),
                source=c.source or "", date_int=date_int(c.date), body=" ".join(words)))
            self._head_docs += 1

    def _seal(self) -> None:
        """The head is full: commit it as it is (its marker, if any, unchanged) and start a new
        one, listed at once (empty), or by the commit for a rebuild's."""
        w = self._writers.pop(self._head)
        w.commit()
        w.wait_merging_threads()
        del w
        # The old writer's buffer is freed in its threads' arenas, which glibc keeps: without
        # this, the next writer's buffer came on top of it (+34 MB at a seal).
        give_back_memory()
        name = self._new_shard()
        if self._building is not None:
            self._building.append(name)
        else:
            self._write_names(self._names() + [name])
        self._head, self._head_docs = name, 0

    def _new_shard(self, folder: Path | None = None) -> str:
        """An empty shard in ``folder`` (the index's), numbered after every shard there."""
        import tantivy

        folder = folder or self.folder
        taken = [_shard_number(p.name) for p in folder.iterdir() if p.is_dir()]
        name = f"s{max((n for n in taken if n), default=0) + 1:06d}"
        (folder / name).mkdir()
        tantivy.Index(self._schema, path=str(folder / name))
        return name

    def _write_names(self, names: list[str]) -> None:
        tmp = self.folder / f"{SHARDS}.tmp"
        tmp.write_text(json.dumps({"shards": names}))
        os.replace(tmp, self.folder / SHARDS)  # readers see the old list or the new one

    def _start_rebuild(self) -> None:
        """Write the index anew in new shards; readers keep the old ones until the commit."""
        self._release()
        self._prepare()
        listed = set(self._names())
        for p in self.folder.iterdir():  # shards of a rebuild that did not finish
            if p.is_dir() and _shard_number(p.name) and p.name not in listed:
                self._indexes.pop(p.name, None)
                shutil.rmtree(p, ignore_errors=True)
        name = self._new_shard()
        self._building = [name]
        self._head, self._head_docs = name, 0

    def _delete(self, doc_ids: list[str]) -> None:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return
        head = self._w()
        # The older shards: a writer only for those that hold one of the articles (a term
        # lookup each; deleted documents may still count, which costs a no-op delete).
        for name in (self._building if self._building is not None else self._names()):
            if name == self._head:
                continue
            s = self._shard(name).searcher()
            if any(s.doc_freq("doc_id", d) for d in ids):
                self._delete_in(self._writer(name), ids)
        self._delete_in(head, ids)

    def _delete_in(self, w, ids: list[str]) -> None:
        import tantivy

        for i in range(0, len(ids), 1000):
            part = ids[i:i + 1000]
            if len(part) <= 8:
                for d in part:
                    w.delete_documents_by_term("doc_id", d)
            else:
                w.delete_documents_by_query(
                    tantivy.Query.term_set_query(self._schema, "doc_id", part))

    def _commit(self, generation: str, feed: int | None = None) -> None:
        """Commit with the store's generation and the feed position (kept as it was when not
        given: an ingestion's own writes say nothing about other writers')."""
        import tantivy

        if feed is None and self._current is not None:
            feed = self._current.feed
        if feed is None:
            feed = self._feed_hint
        w = self._w()
        # The older shards' deletes first: a head that says it is up to date is never ahead
        # of them (a crash between leaves it behind, and it catches up).
        for name, other in list(self._writers.items()):
            if name != self._head:
                other.commit()
        w.delete_documents_by_term("chunk_id", GENERATION_ID)
        marker = {"generation": generation}
        if feed is not None:
            marker["feed"] = int(feed)
        w.add_document(tantivy.Document(chunk_id=GENERATION_ID,
                                        payload=json.dumps(marker).encode()))
        w.commit()
        if self._building is not None:
            old, new = self._names(), self._building
            self._write_names(new)
            self._building = None
            for name in old:
                if name not in new:
                    self._indexes.pop(name, None)
                    shutil.rmtree(self.folder / name, ignore_errors=True)

    def _rollback(self) -> None:
        for name, w in list(self._writers.items()):
            try:
                w.rollback()
            except Exception:  # noqa: BLE001 - dropping the writer discards the changes too
                log.exception("rollback of %s/%s failed", self.folder, name)
        if self._building is not None:  # a rebuild's shards, never listed: gone
            for name in self._building:
                self._writers.pop(name, None)
                self._indexes.pop(name, None)
                shutil.rmtree(self.folder / name, ignore_errors=True)
            self._building, self._head = None, None

    def _release(self) -> None:
        """Give the writer locks back, after the merges they started (dropping a writer
        abandons them, and an index whose merges never finish piles up segments)."""
        if self._building is not None:
            self._rollback()
        writers, self._writers, self._head = self._writers, {}, None
        for w in writers.values():
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


def _shard_number(name: str) -> int | None:
    """A shard folder's number ("s000003" -> 3), None for any other name."""
    return int(name[1:]) if name[:1] == "s" and name[1:].isdigit() else None
