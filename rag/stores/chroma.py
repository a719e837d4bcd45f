"""Chroma: chunk vectors through llama-index's ChromaVectorStore, and the article manifest.

The manifest lives in Chroma too (a second collection), so that a Chroma server holds the whole
index: one record per article (content hash, metadata, full text) and one ``__index__`` record
with the model that built the index and a generation counter bumped on every change.
Embedded (a folder under ``index_dir``) or a server (``chroma_host``): the only difference is
the client, made in ``_client``.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import uuid
from collections.abc import Iterable, Iterator

import numpy as np

from .. import offline  # noqa: F401
from ..chunks import header
from ..dates import date_int
from ..types import Article, Chunk, Filters, RagError, StoredChunk
from .base import INDEX_RECORD, SCHEMA_VERSION, ArticleRecord, model_mismatch

_DUMMY = [0.0]  # the manifest needs no vectors; Chroma needs one per record
# Stored with each chunk but not embedded (the header keys are: see rag/chunks.header).
_NOT_EMBEDDED = ["doc_id", "date_int", "url", "start", "end", "chunk_index"]


class ChromaStore:
    def __init__(self, settings):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings
        self.server = bool(settings.chroma_host)
        self.client, self.location = self._client(settings)
        # Cosine space: the default L2 makes scores meaningless as thresholds.
        self.chunks = self.client.get_or_create_collection(
            settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        self.articles = self.client.get_or_create_collection(
            f"{settings.collection}_articles", embedding_function=None)
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        # The llama-index adapter assumes a larger batch than Chroma allows: write in slices.
        self.max_batch = max(1, min(self.client.get_max_batch_size(), 5000))
        self._thread_lock = threading.Lock()

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
        got = self.articles.get(ids=[INDEX_RECORD], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def generation(self) -> str:
        """A token that changes whenever the index does (also across --rebuild), so that what
        is derived from it (the keyword index) is never reused for another state."""
        info = self.index_info()
        return f"{info.get('uid', '')}:{info.get('generation', 0)}"

    def check_model(self, label: str, dim: int) -> None:
        """Refuse to mix vectors from two models in one index."""
        err = model_mismatch(self.index_info(), self.location, label, dim)
        if err:
            raise err

    def bump(self, label: str, dim: int, chunker: str) -> int:
        info = self.index_info()
        gen = int(info.get("generation", 0)) + 1
        uid = info.get("uid") or uuid.uuid4().hex
        self.articles.upsert(ids=[INDEX_RECORD], embeddings=[_DUMMY], metadatas=[{
            "embed_model": label, "dim": dim, "chunker": chunker, "generation": gen,
            "uid": uid, "schema": SCHEMA_VERSION}], documents=[""])
        return gen

    # --- articles ------------------------------------------------------------------------------

    def records(self, doc_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        out: dict[str, ArticleRecord] = {}
        if doc_ids is not None:
            ids = [d for d in dict.fromkeys(doc_ids) if d != INDEX_RECORD]
            for i in range(0, len(ids), self.max_batch):
                got = self.articles.get(ids=ids[i:i + self.max_batch], include=["metadatas"])
                for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                    out[doc_id] = ArticleRecord.from_meta(doc_id, meta)
            return out
        for ids, metas, _docs in self._pages(self.articles, ["metadatas"]):
            for doc_id, meta in zip(ids, metas, strict=True):
                if doc_id != INDEX_RECORD:
                    out[doc_id] = ArticleRecord.from_meta(doc_id, meta)
        return out

    def get_article(self, doc_id: str) -> Article | None:
        if doc_id == INDEX_RECORD:
            return None
        got = self.articles.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        rec = ArticleRecord.from_meta(doc_id, got["metadatas"][0])
        return Article(id=doc_id, text=got["documents"][0] or "", title=rec.title, date=rec.date,
                       source=rec.source, url=rec.url, origin=rec.origin, extra=rec.extra)

    def put_records(self, items: list[tuple[Article, str, int]]) -> None:
        """Write manifest records, one Chroma call per batch (a call per article is slow)."""
        for i in range(0, len(items), self.max_batch):
            part = items[i:i + self.max_batch]
            self.articles.upsert(
                ids=[a.id for a, _h, _n in part],
                embeddings=[_DUMMY] * len(part),
                metadatas=[{"hash": h, "title": a.title, "date": a.date,
                            "date_int": date_int(a.date), "source": a.source, "url": a.url,
                            "origin": a.origin, "n_chunks": n,
                            "extra": json.dumps(a.extra, ensure_ascii=False)}
                           for a, h, n in part],
                documents=[a.text for a, _h, _n in part])

    def add(self, items: list[tuple[Article, str, list[Chunk], list[list[float]]]]) -> None:
        # Delete first: a previous, interrupted run may have left chunks of these articles.
        self._delete_chunks([a.id for a, *_ in items])
        nodes = [_node(a, c, v) for a, _h, chunks, vecs in items
                 for c, v in zip(chunks, vecs, strict=True)]
        for i in range(0, len(nodes), self.max_batch):
            self.vector_store.add(nodes[i:i + self.max_batch])
        self.put_records([(a, h, len(chunks)) for a, h, chunks, _v in items])

    def delete(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            self.chunks.delete(where={"document_id": {"$in": part}})
            self.articles.delete(ids=part)

    def _delete_chunks(self, doc_ids: list[str]) -> None:
        for i in range(0, len(doc_ids), 500):
            self.chunks.delete(where={"document_id": {"$in": doc_ids[i:i + 500]}})

    # --- chunks --------------------------------------------------------------------------------

    def dense_search(self, qvec, filters: Filters | None,
                     k: int) -> list[tuple[StoredChunk, float]]:
        from llama_index.core.vector_stores import VectorStoreQuery

        if self.count_chunks() == 0:
            return []
        query = VectorStoreQuery(query_embedding=[float(x) for x in qvec], similarity_top_k=k,
                                 filters=_metadata_filters(filters))
        result = self.vector_store.query(query)
        out = []
        for node, sim in zip(result.nodes, result.similarities, strict=True):
            # The adapter reports exp(-distance); with cosine space, cos = 1 - distance.
            cos = 1.0 + math.log(max(sim, 1e-12))
            out.append((_stored(node.node_id, node.get_content(), node.metadata), cos))
        return out

    def vectors(self, chunk_ids: list[str]) -> dict:
        if not chunk_ids:
            return {}
        got = self.chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {cid: np.asarray(emb, dtype=np.float32)
                for cid, emb in zip(got["ids"], got["embeddings"], strict=True)}

    def iter_chunks(self) -> Iterator[StoredChunk]:
        """Every stored chunk, page by page."""
        for ids, metas, docs in self._pages(self.chunks, ["metadatas", "documents"]):
            for cid, doc, meta in zip(ids, docs, metas, strict=True):
                yield _stored(cid, doc or "", meta or {})

    def chunks_of(self, doc_ids: list[str]) -> list[StoredChunk]:
        if not doc_ids:
            return []
        got = self.chunks.get(where={"document_id": {"$in": list(doc_ids)}},
                              include=["metadatas", "documents"])
        return [_stored(cid, doc or "", meta or {})
                for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"],
                                          strict=True)]

    def count_chunks(self) -> int:
        return self.chunks.count()

    def count_articles(self) -> int:
        n = self.articles.count()
        return n - 1 if self.index_info() else n

    def _pages(self, collection, include: list[str], size: int = 2000):
        offset = 0
        while True:
            got = collection.get(include=include, limit=size, offset=offset)
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
        for name in (self.chunks.name, self.articles.name):
            with contextlib.suppress(Exception):  # already gone
                self.client.delete_collection(name)
        self.__init__(self.settings)

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


def _node(article: Article, chunk: Chunk, vector):
    """A llama-index TextNode for a chunk; its embedded text is rag.chunks.embed_text."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    meta: dict = dict(header(article))
    meta.update({"doc_id": article.id, "date_int": date_int(article.date), "url": article.url,
                 "start": chunk.start, "end": chunk.end, "chunk_index": chunk.index})
    return TextNode(
        id_=chunk.id, text=chunk.text, metadata=meta, embedding=list(vector),
        excluded_embed_metadata_keys=list(_NOT_EMBEDDED),
        excluded_llm_metadata_keys=list(_NOT_EMBEDDED),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
        start_char_idx=chunk.start, end_char_idx=chunk.end,
    )


def _stored(cid: str, text: str, meta: dict) -> StoredChunk:
    return StoredChunk(id=cid, doc_id=str(meta.get("doc_id", "")), text=text,
                       start=int(meta.get("start") or 0), end=int(meta.get("end") or 0),
                       title=meta.get("title") or "", date=meta.get("date") or "",
                       source=meta.get("source") or "", url=meta.get("url") or "")


def _metadata_filters(filters: Filters | None):
    from llama_index.core.vector_stores import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    if filters is None or filters.is_empty():
        return None
    parts = []
    if filters.since:
        parts.append(MetadataFilter(key="date_int", value=date_int(filters.since),
                                    operator=FilterOperator.GTE))
    if filters.until:
        parts.append(MetadataFilter(key="date_int", value=date_int(filters.until),
                                    operator=FilterOperator.LTE))
        parts.append(MetadataFilter(key="date_int", value=0, operator=FilterOperator.GT))
    if filters.sources:
        parts.append(MetadataFilter(key="source", value=list(filters.sources),
                                    operator=FilterOperator.IN))
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)
