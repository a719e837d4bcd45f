"""The Python API: an Assistant over one index, wiring store, retrieval and answers."""

from __future__ import annotations

import threading
from pathlib import Path

from . import offline  # noqa: F401
from .config import Settings
from .types import Answer, Article, Filters, IngestReport, QuestionError


class Assistant:
    """Ask questions about a collection of news articles.

    >>> bot = Assistant()                  # the default index under index_store/
    >>> bot.ingest(["corpus/"])
    >>> bot.ask("What did operation Ikaros achieve?").text
    """

    def __init__(self, settings: Settings | None = None, *, index_dir: str | Path | None = None,
                 **overrides):
        if index_dir is not None:
            overrides["index_dir"] = Path(index_dir)
        self.settings = settings or Settings.from_env(**overrides)
        if settings is not None and overrides:
            import dataclasses

            self.settings = dataclasses.replace(settings, **overrides)
        self._lock = threading.Lock()
        self._store = None
        self._retriever = None
        self._answerer = None
        self._chunker = None

    # --- parts, made on first use (the model takes seconds to load) ---------------------------

    @property
    def store(self):
        with self._lock:
            if self._store is None:
                from .store import Store

                self._store = Store(self.settings)
            return self._store

    @property
    def embedder(self):
        from .embed import get_embedder

        return get_embedder(self.settings)

    @property
    def retriever(self):
        store, embedder = self.store, self.embedder
        with self._lock:
            if self._retriever is None:
                from .retrieve import Retriever

                store.check_model(embedder.label, embedder.dim)
                self._retriever = Retriever(store, embedder, self.settings)
            return self._retriever

    @property
    def answerer(self):
        embedder = self.embedder
        with self._lock:
            if self._answerer is None:
                from .answer import ExtractiveAnswerer

                self._answerer = ExtractiveAnswerer(embedder, self.settings)
            return self._answerer

    # --- the API -------------------------------------------------------------------------------

    def ingest(self, paths, prune: bool = False, progress: bool = False) -> IngestReport:
        """Add or update the articles under ``paths`` (files or folders)."""
        from .chunks import Chunker
        from .ingest import ingest

        if isinstance(paths, (str, Path)):
            paths = [paths]
        if self._chunker is None:
            self._chunker = Chunker(self.settings.chunk_size, self.settings.chunk_overlap)
        return ingest(self.store, self.embedder, self._chunker, list(paths), prune=prune,
                      progress=progress)

    def ask(self, question: str, filters: Filters | None = None, *, since: str | None = None,
            until: str | None = None, sources: list[str] | None = None,
            context: list[str] | None = None, boost_docs: set[str] | None = None) -> Answer:
        """Answer ``question`` from the articles, with citations; abstain when they do not say.

        ``context``: earlier questions of a conversation, used to find the right articles.
        """
        question = self.check_question(question)
        filters = merge_filters(filters, since, until, sources)
        query = " ".join([*(context or []), question])
        qvec = self.embedder.embed_query(query)
        passages = self.retriever.search(query, filters, query_vector=qvec)
        if context:
            qvec = self.embedder.embed_query(question)
        return self.answerer.answer(question, passages, qvec=qvec, boost_docs=boost_docs)

    def search(self, query: str, filters: Filters | None = None, top_k: int | None = None,
               mode: str = "hybrid"):
        return self.retriever.search(self.check_question(query), filters, top_k, mode)

    def chat(self):
        from .chat import ChatSession

        return ChatSession(self)

    def article(self, doc_id: str) -> Article | None:
        return self.store.get_article(doc_id)

    def stats(self) -> dict:
        store = self.store
        info = store.index_info()
        return {
            "index": store.location,
            "articles": store.count_articles(),
            "chunks": store.count_chunks(),
            "embed_model": info.get("embed_model", self.settings.model_label),
            "dim": info.get("dim"),
            "chunker": info.get("chunker"),
            "generation": info.get("generation", 0),
            "size_bytes": store.size_on_disk(),
        }

    def sources(self) -> list[str]:
        return sorted({r.source for r in self.store.article_records().values() if r.source})

    def check_question(self, question) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        question = question.strip()
        if not question:
            raise QuestionError("the question is empty: type a question about the articles")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"the question is too long ({len(question):,} characters; "
                                f"the limit is {limit:,}): ask something shorter")
        return question

    def rebuild(self) -> None:
        self.store.reset()
        self._retriever = None


def merge_filters(filters: Filters | None, since, until, sources) -> Filters | None:
    from .articles import normalise_date

    f = Filters(filters.since, filters.until, filters.sources) if filters else Filters()
    f.since = since or f.since
    f.until = until or f.until
    f.sources = sources or f.sources
    for name in ("since", "until"):
        value = getattr(f, name)
        if value:
            norm = normalise_date(value)
            if not norm:
                raise QuestionError(f"{name} must be a date as YYYY-MM-DD, got {value!r}")
            setattr(f, name, norm)
    return None if f.is_empty() else f
