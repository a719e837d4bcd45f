"""Chroma storage: chunk vectors (through llama-index's ChromaVectorStore) and an article manifest.

The manifest lives in Chroma too (a second collection), so that a Chroma server holds the whole
index: one record per article (content hash, metadata, full text) and one `__index__` record
with the model that built the index and a generation counter bumped on every change.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import offline  # noqa: F401
from .config import Settings
from .types import Article, ModelMismatchError, RagError

INDEX_RECORD = "__index__"
SCHEMA_VERSION = 1
_DUMMY = [0.0]  # the manifest needs no vectors; Chroma needs one per record


@dataclass
class ArticleRecord:
    id: str
    hash: str
    title: str
    date: str
    source: str
    url: str
    origin: str
    n_chunks: int
    extra: dict

    @classmethod
    def from_meta(cls, doc_id: str, meta: dict) -> ArticleRecord:
        return cls(id=doc_id, hash=meta.get("hash", ""), title=meta.get("title", ""),
                   date=meta.get("date", ""), source=meta.get("source", ""),
                   url=meta.get("url", ""), origin=meta.get("origin", ""),
                   n_chunks=int(meta.get("n_chunks", 0)),
                   extra=json.loads(meta.get("extra", "{}") or "{}"))


def date_int(date: str) -> int:
    """Chroma compares numbers only: YYYY-MM-DD -> YYYYMMDD (0 when unknown)."""
    digits = date[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


class Store:
    def __init__(self, settings: Settings):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if settings.chroma_host:
                self.client = chromadb.HttpClient(host=settings.chroma_host,
                                                  port=settings.chroma_port,
                                                  settings=chroma_settings)
                self.location = f"chroma://{settings.chroma_host}:{settings.chroma_port}"
            else:
                settings.index_dir.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(settings.index_dir / "chroma"),
                                                        settings=chroma_settings)
                self.location = str(settings.index_dir)
        except Exception as exc:  # noqa: BLE001
            raise RagError(f"cannot open the index at {settings.index_dir}: {exc}") from exc
        # Cosine space: the default L2 makes scores meaningless as thresholds.
        self.chunks = self.client.get_or_create_collection(
            settings.collection, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        self.articles = self.client.get_or_create_collection(
            f"{settings.collection}_articles", embedding_function=None)
        self.vector_store = ChromaVectorStore(chroma_collection=self.chunks)
        self.max_batch = max(1, min(self.client.get_max_batch_size(), 5000))
        self._write_lock = threading.Lock()

    # --- the index record ----------------------------------------------------------------------

    def index_info(self) -> dict:
        got = self.articles.get(ids=[INDEX_RECORD], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else {}

    def generation(self) -> str:
        """A token that changes whenever the index does (also across --rebuild), so that caches
        built from it (BM25) are never reused for another state of the index."""
        info = self.index_info()
        return f"{info.get('uid', '')}:{info.get('generation', 0)}"

    def check_model(self, label: str, dim: int) -> None:
        """Refuse to mix vectors from two models in one index."""
        info = self.index_info()
        built = info.get("embed_model")
        if built and (built != label or int(info.get("dim", dim)) != dim):
            raise ModelMismatchError(
                f"the index at {self.location} was built with the embedding model {built!r} "
                f"({info.get('dim')} dims), but {label!r} ({dim} dims) is configured. Use the "
                "same model, choose another --index-dir, or rebuild with `rag ingest --rebuild`."
            )

    def bump(self, label: str, dim: int, chunker: str) -> int:
        info = self.index_info()
        gen = int(info.get("generation", 0)) + 1
        uid = info.get("uid") or uuid.uuid4().hex
        self.articles.upsert(ids=[INDEX_RECORD], embeddings=[_DUMMY], metadatas=[{
            "embed_model": label, "dim": dim, "chunker": chunker, "generation": gen,
            "uid": uid, "schema": SCHEMA_VERSION}], documents=[""])
        return gen

    # --- articles ------------------------------------------------------------------------------

    def article_records(self) -> dict[str, ArticleRecord]:
        out: dict[str, ArticleRecord] = {}
        for ids, metas, _docs in self._pages(self.articles, ["metadatas"]):
            for doc_id, meta in zip(ids, metas, strict=True):
                if doc_id != INDEX_RECORD:
                    out[doc_id] = ArticleRecord.from_meta(doc_id, meta)
        return out

    def get_article(self, doc_id: str) -> Article | None:
        got = self.articles.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"] or doc_id == INDEX_RECORD:
            return None
        rec = ArticleRecord.from_meta(doc_id, got["metadatas"][0])
        return Article(id=doc_id, text=got["documents"][0] or "", title=rec.title, date=rec.date,
                       source=rec.source, url=rec.url, origin=rec.origin, extra=rec.extra)

    def put_article(self, article: Article, hash_: str, n_chunks: int) -> None:
        self.put_articles([(article, hash_, n_chunks)])

    def put_articles(self, items: list[tuple[Article, str, int]]) -> None:
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

    def delete_articles(self, doc_ids: Iterable[str]) -> None:
        doc_ids = list(doc_ids)
        for i in range(0, len(doc_ids), 500):
            part = doc_ids[i:i + 500]
            self.chunks.delete(where={"document_id": {"$in": part}})
            self.articles.delete(ids=part)

    def delete_chunks_of(self, doc_ids: list[str]) -> None:
        for i in range(0, len(doc_ids), 500):
            self.chunks.delete(where={"document_id": {"$in": doc_ids[i:i + 500]}})

    # --- chunks --------------------------------------------------------------------------------

    def add_nodes(self, nodes: list) -> None:
        # The llama-index adapter assumes a larger batch than Chroma allows: write in slices.
        for i in range(0, len(nodes), self.max_batch):
            self.vector_store.add(nodes[i:i + self.max_batch])

    def iter_chunks(self) -> Iterator[tuple[str, str, dict]]:
        """Every stored chunk as (id, text, metadata), page by page."""
        for ids, metas, docs in self._pages(self.chunks, ["metadatas", "documents"]):
            yield from zip(ids, docs, metas, strict=True)

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
        if self.settings.chroma_host:
            return 0
        return sum(p.stat().st_size for p in self.settings.index_dir.rglob("*") if p.is_file())

    def reset(self) -> None:
        """Drop everything (used by --rebuild)."""
        for name in (self.chunks.name, self.articles.name):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.__init__(self.settings)

