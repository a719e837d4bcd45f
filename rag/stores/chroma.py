"""Chroma: chunk vectors with their text and metadata, and the article manifest.

Chunks are written and queried with Chroma's own client, in the layout of llama-index's
ChromaVectorStore (the same ids, documents and metadata keys, without its serialised node copy
``_node_content``), so llama-index opens and queries these indexes as its own
(tests/stores/test_llamaindex_layout.py). Why not through the adapter: measured on 9,694 real
chunks (random vectors, 2 runs each: benchmarks/chroma_direct.py), writing is as fast either
way (390-400 vs 410-490 chunks/s), but the node copy makes the index 27% larger (78.5 vs
100.0 MB, so about 2 GB more at 10^6 chunks), a top-150 query takes 23-24 ms instead of
33-36 ms (the adapter rebuilds a node from each hit's JSON) and the process peaks at 390-400 MB
instead of 550 MB.

The manifest lives in Chroma too (a second collection), so that a Chroma server holds the whole
index: one record per article (content hash, metadata, full text) and one ``__index__`` record
with the model that built the index and a generation counter bumped on every change.
Embedded (a folder under ``index_dir``) or a server (``chroma_host``): the only difference is
the client, made in ``_client``.

The change feed (for keyword indexes of other processes, e.g. replicas of `rag serve` on one
server): every manifest write carries a sequence number ``seq`` taken from a counter in the
``__index__`` record, and every deletion leaves a tombstone with its own in a third collection
(``<collection>_deleted``, one row per article, so it never grows past the articles ever seen).
``changes(after)`` lists the articles changed since a position, as their current hash or None.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterable, Iterator

import numpy as np

from .. import offline  # noqa: F401
from ..chunks import embed_text_from, header
from ..dates import date_int
from ..types import Article, Chunk, Filters, RagError, StoredChunk
from .base import INDEX_RECORD, SCHEMA_VERSION, ArticleRecord, model_mismatch, passes

WRITE_BATCH = 512  # chunks written to Chroma in one call at most (see add)
_DUMMY = [0.0]  # the manifest needs no vectors; Chroma needs one per record


class ChromaStore:
    def __init__(self, settings):
        self.settings = settings
        self.server = bool(settings.chroma_host)
        self._thread_lock = threading.Lock()
        self._reopen_lock = threading.Lock()
        self._seen = None  # the generation this process last saw or wrote
        self._open()

    def _open(self) -> None:
        settings = self.settings
        self.client, self.location = self._client(settings)
        # Cosine space: the default L2 makes scores meaningless as thresholds.
        self.chunks = self.client.get_or_create_collection(
            settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        self.articles = self.client.get_or_create_collection(
            f"{settings.collection}_articles", embedding_function=None)
        self.deleted = self.client.get_or_create_collection(
            f"{settings.collection}_deleted", embedding_function=None)
        # Chroma refuses batches above its maximum (5461 here): write in slices.
        self.max_batch = max(1, min(self.client.get_max_batch_size(), 5000))
        self._opened = object()  # which opening a failed read used

    # --- following other writers ---------------------------------------------------------------
    # An embedded Chroma keeps its vector index in the memory of each process that opened it;
    # another process's writes (a `rag ingest` beside a running `rag serve`) leave it stale,
    # and Chroma then fails queries ("Error finding id") until a restart. So a reader reopens
    # its client when the generation moved under it (another writer finished or checkpointed)
    # and, once, when a read fails while another process writes. A server needs none of this.

    def _reopen(self, seen_when_failed=None) -> None:
        with self._reopen_lock:
            if seen_when_failed is not None and self._opened is not seen_when_failed:
                return  # another thread reopened meanwhile
            from chromadb.api.shared_system_client import SharedSystemClient

            # The client cache is per path: drop ours so that the next client loads the files
            # again. The old system is not stopped: a question running in another thread still
            # uses it, and it is freed with its last collection.
            ident = getattr(self.client, "_identifier", None)
            SharedSystemClient._identifier_to_system.pop(ident, None)
            SharedSystemClient._identifier_to_refcount.pop(ident, None)
            self._open()

    def close(self) -> None:
        """Release this client (its system stops when no other client of the path uses it)."""
        close = getattr(self.client, "close", None)
        if callable(close):
            close()

    def free_bytes(self) -> int | None:
        """Free space on the index's disk (None for a server: its disk is not ours to see)."""
        if self.server:
            return None
        import shutil

        return shutil.disk_usage(self.settings.index_dir).free

    def _disk_full(self) -> str | None:
        """Whether a failed call is best explained by a full disk (Chroma's own message does
        not say): less free than a quarter of min_free_mb, or than 2% of the disk (20 MB at
        most)."""
        if self.server:
            return None
        import shutil

        usage = shutil.disk_usage(self.settings.index_dir)
        floor = max(self.settings.min_free_mb * 1e6 / 4, min(20e6, usage.total * 0.02))
        return f"{usage.free / 1e6:.1f} MB free" if usage.free < floor else None

    def _write(self, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds
            full = self._disk_full() or ("No space left" in str(exc) and "no space left")
            if full:
                from ..types import DiskFullError

                raise DiskFullError(
                    f"disk full at {self.location} ({full}): the write stopped; free space, then "
                    "run `rag check --repair` and the same command again") from exc
            raise

    def _read(self, call):
        """Run a read; an embedded index reopens once when it fails (another process wrote),
        a server's failure becomes one line."""
        opened = self._opened
        try:
            return call()
        except RagError:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb raises many kinds
            if self.server:
                raise RagError(f"the index server {self.location} did not answer "
                               f"({type(exc).__name__}: {str(exc)[:200]}); try again when it "
                               "is back") from exc
            if not self._thread_lock.locked():  # not while this process writes: just retry
                self._reopen(opened)
        try:
            return call()
        except Exception as exc:  # noqa: BLE001
            full = self._disk_full()
            if full:
                raise RagError(f"cannot read the index at {self.location}: its disk is full "
                               f"({full}); Chroma needs some free space even to read. Free "
                               "space and try again") from exc
            raise RagError(f"cannot read the index at {self.location}: "
                           f"{type(exc).__name__}: {str(exc)[:200]}") from exc

    @staticmethod
    def _client(settings):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_host:
                client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                             settings=chroma_settings)
                return client, f"chroma://{settings.chroma_host}:{settings.chroma_port}"
            settings.index_dir.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(settings.index_dir / "chroma"),
                                               settings=chroma_settings)
            return client, str(settings.index_dir)
        except Exception as exc:  # noqa: BLE001
            where = (f"chroma://{settings.chroma_host}:{settings.chroma_port}"
                     if settings.chroma_host else settings.index_dir)
            raise RagError(f"cannot open the index at {where}: {exc}") from exc

    # --- the index record ----------------------------------------------------------------------

    def index_info(self) -> dict:
        got = self._read(lambda: self.articles.get(ids=[INDEX_RECORD], include=["metadatas"]))
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def generation(self) -> str:
        """A token that changes whenever the index does (also across --rebuild), so that what
        is derived from it (the keyword index) is never reused for another state. Asked once
        per question: when another process moved it, this process's client is reopened."""
        info = self.index_info()
        token = f"{info.get('uid', '')}:{info.get('generation', 0)}"
        if token != self._seen:
            if self._seen is not None and not self.server and not self._thread_lock.locked():
                self._reopen()
            self._seen = token
        return token

    def check_model(self, label: str, dim: int) -> None:
        """Refuse to mix vectors from two models in one index."""
        err = model_mismatch(self.index_info(), self.location, label, dim)
        if err:
            raise err

    def bump(self, label: str, dim: int, chunker: str, backend: str = "") -> int:
        info = self.index_info()
        gen = int(info.get("generation", 0)) + 1
        uid = info.get("uid") or uuid.uuid4().hex
        record = {"embed_model": label, "dim": dim, "chunker": chunker, "generation": gen,
                  "uid": uid, "schema": SCHEMA_VERSION, "seq": int(info.get("seq", 0))}
        if backend or info.get("embed_backend"):
            record["embed_backend"] = backend or info["embed_backend"]
        self._write(lambda: self.articles.upsert(ids=[INDEX_RECORD], embeddings=[_DUMMY],
                                                 metadatas=[record], documents=[""]))
        self._seen = f"{uid}:{gen}"  # our own write: nothing to follow
        return gen

    # --- the change feed ------------------------------------------------------------------------

    def _take_seq(self, n: int) -> int:
        """Reserve n sequence numbers; returns the first. A read then a write: two writers of
        one server at once may take the same numbers, which readers tolerate (they re-read
        a margin behind their position and apply changes idempotently)."""
        info = self.index_info()
        first = int(info.get("seq", 0)) + 1
        info["seq"] = first + n - 1
        self._write(lambda: self.articles.upsert(ids=[INDEX_RECORD], embeddings=[_DUMMY],
                                                 metadatas=[info], documents=[""]))
        return first

    def feed_position(self) -> int:
        """The last sequence number handed out."""
        return int(self.index_info().get("seq", 0))

    def changes(self, after: int) -> dict[str, str | None]:
        """Articles changed with a sequence number above ``after``: id -> its content hash now,
        or None when it is gone."""
        out: dict[str, tuple[int, str | None]] = {}
        for coll, gone in ((self.articles, False), (self.deleted, True)):
            offset = 0
            while True:
                got = self._read(lambda coll=coll, offset=offset: coll.get(
                    where={"seq": {"$gt": int(after)}}, include=["metadatas"],
                    limit=self.max_batch, offset=offset))
                for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                    if doc_id == INDEX_RECORD:
                        continue
                    seq = int(meta.get("seq", 0))
                    if doc_id not in out or out[doc_id][0] < seq:
                        out[doc_id] = (seq, None if gone else meta.get("hash", ""))
                if len(got["ids"]) < self.max_batch:
                    break
                offset += self.max_batch
        return {d: h for d, (_s, h) in out.items()}

    # --- articles ------------------------------------------------------------------------------

    def records(self, doc_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        out: dict[str, ArticleRecord] = {}
        if doc_ids is not None:
            ids = [d for d in dict.fromkeys(doc_ids) if d != INDEX_RECORD]
            for i in range(0, len(ids), self.max_batch):
                part = ids[i:i + self.max_batch]
                got = self._read(lambda part=part: self.articles.get(ids=part,
                                                                     include=["metadatas"]))
                for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                    out[doc_id] = ArticleRecord.from_meta(doc_id, meta)
            return out
        return dict(self.iter_records())

    def iter_records(self):
        for ids, metas, _docs in self._pages("articles", ["metadatas"]):
            for doc_id, meta in zip(ids, metas, strict=True):
                if doc_id != INDEX_RECORD:
                    yield doc_id, ArticleRecord.from_meta(doc_id, meta)

    def get_article(self, doc_id: str) -> Article | None:
        if doc_id == INDEX_RECORD:
            return None
        got = self._read(lambda: self.articles.get(ids=[doc_id],
                                                   include=["metadatas", "documents"]))
        if not got["ids"]:
            return None
        rec = ArticleRecord.from_meta(doc_id, got["metadatas"][0])
        return Article(id=doc_id, text=got["documents"][0] or "", title=rec.title, date=rec.date,
                       source=rec.source, url=rec.url, origin=rec.origin, extra=rec.extra)

    def put_records(self, items: list[tuple[Article, str, int]]) -> None:
        """Write manifest records, one Chroma call per batch (a call per article is slow)."""
        for i in range(0, len(items), self.max_batch):
            part = items[i:i + self.max_batch]
            seq = self._take_seq(len(part))
            self._write(lambda part=part, seq=seq: self.articles.upsert(
                ids=[a.id for a, _h, _n in part],
                embeddings=[_DUMMY] * len(part),
                metadatas=[{"hash": h, "title": a.title, "date": a.date,
                            "date_int": date_int(a.date), "source": a.source, "url": a.url,
                            "origin": a.origin, "n_chunks": n, "seq": seq + k,
                            "extra": json.dumps(a.extra, ensure_ascii=False)}
                           for k, (a, h, n) in enumerate(part)],
                documents=[a.text for a, _h, _n in part]))

    def add(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> None:
        # Delete first: a previous, interrupted run may have left chunks of these articles.
        self._delete_chunks([a.id for a, *_ in items])
        rows = [(c, v, _chunk_meta(a, c)) for a, _h, chunks, vecs in items
                for c, v in zip(chunks, vecs, strict=True)]
        # At most WRITE_BATCH chunks a call: Chroma's memory for a call grows with it (a 5 MB
        # article's 6,382 chunks in one call raised the peak by 154 MB).
        step = min(self.max_batch, WRITE_BATCH)
        for i in range(0, len(rows), step):
            part = rows[i:i + step]
            self._write(lambda part=part: self.chunks.add(
                ids=[c.id for c, _v, _m in part],
                embeddings=np.asarray([v for _c, v, _m in part], dtype=np.float32),
                documents=[c.text for c, _v, _m in part], metadatas=[m for _c, _v, m in part]))
        self.put_records([(a, h, len(chunks)) for a, h, chunks, _v in items])

    def delete(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            self._write(lambda part=part: self.chunks.delete(where={"document_id": {"$in": part}}))
            self._write(lambda part=part: self.articles.delete(ids=part))
            seq = self._take_seq(len(part))  # a tombstone each, for the change feed
            self._write(lambda part=part, seq=seq: self.deleted.upsert(
                ids=part, embeddings=[_DUMMY] * len(part),
                metadatas=[{"seq": seq + k} for k in range(len(part))]))

    def _delete_chunks(self, doc_ids: list[str]) -> None:
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            self._write(lambda part=part: self.chunks.delete(where={"document_id": {"$in": part}}))

    # --- chunks --------------------------------------------------------------------------------

    def dense_search(self, qvec, filters: Filters | None,
                     k: int) -> list[tuple[StoredChunk, float]]:
        qvec = [float(x) for x in qvec]
        if filters is None or filters.is_empty():
            return self._query(qvec, k, None)
        # Chroma's filtered HNSW search takes seconds on a large collection (p50 8.5 s at 10^6
        # chunks with a one-year filter), its unfiltered one milliseconds: ask for more
        # neighbours without the filter and keep those that pass. When k pass, they are the k
        # best that pass; when fewer but at least filter_min_dense, they are the best ones
        # and keyword search (filtered inside its index) brings the other candidates; fewer
        # still (a narrow filter), Chroma is asked with the filter.
        r = self.settings.retrieval
        wide_k = k * max(1, r.filter_overfetch)
        wide = self._query(qvec, wide_k, None)
        kept = [(c, cos) for c, cos in wide if passes(c, filters)]
        if len(kept) >= min(k, r.filter_min_dense) or len(wide) < wide_k:
            return kept[:k]  # enough, or the whole collection was seen
        return self._query(qvec, k, _where(filters))

    def _query(self, qvec: list[float], k: int, where) -> list[tuple[StoredChunk, float]]:
        got = self._read(lambda: self.chunks.query(
            query_embeddings=[qvec], n_results=k, where=where,
            include=["metadatas", "documents", "distances"]))
        return [(_stored(cid, doc or "", meta or {}), 1.0 - dist)  # cosine space
                for cid, doc, meta, dist in zip(got["ids"][0], got["documents"][0],
                                                got["metadatas"][0], got["distances"][0],
                                                strict=True)]

    def vectors(self, chunk_ids: list[str]) -> dict:
        if not chunk_ids:
            return {}
        got = self._read(lambda: self.chunks.get(ids=list(chunk_ids), include=["embeddings"]))
        return {cid: np.asarray(emb, dtype=np.float32)
                for cid, emb in zip(got["ids"], got["embeddings"], strict=True)}

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every stored chunk, page by page."""
        for ids, metas, docs in self._pages("chunks", ["metadatas", "documents"]):
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                yield _stored(cid, doc or "", meta or {})

    def _get_stored(self, **which) -> list[StoredChunk]:
        got = self._read(lambda: self.chunks.get(include=["metadatas", "documents"], **which))
        return [_stored(cid, doc or "", meta or {}) for cid, doc, meta in
                zip(got["ids"], got["documents"], got["metadatas"], strict=True)]

    def get_chunks(self, chunk_ids: list[str]) -> dict[str, StoredChunk]:
        ids = list(dict.fromkeys(chunk_ids))
        # In batches: Chroma takes bounded lists of ids, as of $in values.
        return {c.id: c for i in range(0, len(ids), 500)
                for c in self._get_stored(ids=ids[i:i + 500])}

    def chunks_of(self, doc_ids: list[str]) -> list[StoredChunk]:
        doc_ids = list(dict.fromkeys(doc_ids))
        return [c for i in range(0, len(doc_ids), 500)
                for c in self._get_stored(where={"document_id": {"$in": doc_ids[i:i + 500]}})]

    def sample(self, n: int) -> list[tuple[str, list[float]]]:
        got = self._read(lambda: self.chunks.get(
            limit=n, include=["metadatas", "documents", "embeddings"]))
        return [(embed_text_from(meta or {}, doc or ""), list(map(float, emb)))
                for doc, meta, emb in zip(got["documents"], got["metadatas"],
                                          got["embeddings"], strict=True)]

    def count_chunks(self) -> int:
        return self._read(lambda: self.chunks.count())

    def count_articles(self) -> int:
        n = self._read(lambda: self.articles.count())
        return n - 1 if self.index_info() else n

    def _pages(self, which: str, include: list[str], size: int = 2000):
        offset = 0
        while True:
            # by name: a reopen replaces the collection objects
            got = self._read(lambda offset=offset: getattr(self, which).get(
                include=include, limit=size, offset=offset))
            ids = got["ids"]
            if not ids:
                return
            metas = got.get("metadatas") or [None] * len(ids)
            docs = got.get("documents") or [None] * len(ids)
            yield ids, metas, docs
            if len(ids) < size:
                return
            offset += size

    def size_on_disk(self) -> int:
        if self.server:
            return 0
        return sum(p.stat().st_size for p in self.settings.index_dir.rglob("*") if p.is_file())

    def reset(self) -> None:
        """Drop everything (used by --rebuild)."""
        for name in (self.chunks.name, self.articles.name, self.deleted.name):
            with contextlib.suppress(Exception):  # already gone
                self.client.delete_collection(name)
        self._open()
        self._seen = None

    @contextlib.contextmanager
    def write_lock(self):
        """One writer at a time: across processes for an embedded index (a file lock in its
        folder; another writer waits), across threads for a server."""
        with self._thread_lock:
            if self.server:
                yield
                return
            import fcntl

            path = self.settings.index_dir / ".ingest.lock"
            with open(path, "w") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def writing(self) -> bool:
        if self._thread_lock.locked():
            return True
        if self.server:
            return False
        import fcntl

        path = self.settings.index_dir / ".ingest.lock"
        if not path.exists():
            return False
        with open(path) as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False


def _chunk_meta(article: Article, chunk: Chunk) -> dict:
    """A chunk's metadata: its article's header (title, date, source, place: embedded with it)
    and what filters and citations need. ``document_id`` is the key llama-index used for the
    article id, kept so that indexes of both layouts delete alike."""
    meta: dict = dict(header(article))
    meta.update({"doc_id": article.id, "document_id": article.id,
                 "date_int": date_int(article.date), "url": article.url, "start": chunk.start,
                 "end": chunk.end, "chunk_index": chunk.index})
    return meta


def _stored(cid: str, text: str, meta: dict) -> StoredChunk:
    return StoredChunk(id=cid, doc_id=str(meta.get("doc_id", "")), text=text,
                       start=int(meta.get("start") or 0), end=int(meta.get("end") or 0),
                       title=meta.get("title") or "", date=meta.get("date") or "",
                       source=meta.get("source") or "", url=meta.get("url") or "")


def _where(filters: Filters):
    """Chroma's ``where`` for the filters (an undated article never passes an ``until``)."""
    parts: list[dict] = []
    if filters.since or filters.until:
        # since implies a known date; "until" alone needs date_int >= 1 to drop undated ones
        parts.append({"date_int": {"$gte": date_int(filters.since) if filters.since else 1}})
    if filters.until:
        parts.append({"date_int": {"$lte": date_int(filters.until)}})
    if filters.sources:
        parts.append({"source": {"$in": list(filters.sources)}})
    return parts[0] if len(parts) == 1 else {"$and": parts}
