"""The Python API: an Assistant over one index, and the one path every question takes.

    request -> prepare (check the question, dates, filters)
            -> follow-up resolved (rag/answering/followup.py)
            -> retrieval (rag/retrieval)
            -> the chosen answerer (rag/answering) -> str pieces, then the Answer

The CLI, the browser chat, ``ChatSession`` and the evaluator all call ``Assistant.stream``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from . import offline  # noqa: F401
from .config import RetrievalMode, Settings
from .dates import parse_date
from .types import (
    Answer,
    AnswerRequest,
    Article,
    ConfigError,
    Filters,
    IngestReport,
    Passage,
    QuestionError,
)


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
        if settings is None:
            self.settings = Settings.from_env(**overrides)
        else:
            self.settings = settings.replace(**overrides) if overrides else settings
        self._lock = threading.Lock()
        self._parts: dict[str, object] = {}

    # --- parts, made on first use (the model takes seconds to load) ---------------------------

    def _part(self, name: str, make):
        """Build a part once, on first use, even with several threads asking at once."""
        with self._lock:
            if name not in self._parts:
                self._parts[name] = make()
            return self._parts[name]

    def close(self) -> None:
        """Release the index's files and connections (the parts are made again on next use)."""
        with self._lock:
            parts, self._parts = self._parts, {}
        for part in parts.values():
            close = getattr(part, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    logging.getLogger(__name__).debug("closing %r failed", part, exc_info=True)

    def reopen(self) -> None:
        """Open the index again from its files (after `restore`, which replaced them)."""
        self.close()

    def backup(self, dest, log=None) -> dict:
        """A consistent copy of the index in the new folder ``dest``, checked (rag/backup.py)."""
        from .backup import backup

        return backup(self, dest, log=log or (lambda _line: None))

    def restore(self, src, log=None) -> dict:
        """Replace the index by the backup in ``src`` (checked first)."""
        from .backup import restore

        return restore(self, src, log=log or (lambda _line: None))

    @property
    def store(self):
        from .stores import open_store

        return self._part("store", lambda: open_store(self.settings))

    @property
    def embedder(self):
        from .embedding import get_embedder

        return get_embedder(self.settings)

    @property
    def keyword(self):
        """The keyword index (derived from the store, kept in step by ingestion)."""
        from .retrieval import open_keyword_index

        return self._part("keyword", lambda: open_keyword_index(self.settings))

    @property
    def retriever(self):
        from .embedding.compat import check_vectors
        from .retrieval import Retriever

        store, embedder, keyword = self.store, self.embedder, self.keyword

        def make():
            store.check_model(embedder.label, embedder.dim)
            check_vectors(store, embedder)
            return Retriever(store, embedder, keyword, self.settings.retrieval,
                             stories=self.story_lookup)

        return self._part("retriever", make)

    @property
    def stories(self):
        """The story grouping's writer (used by ingestion, under the index's write lock)."""
        from .stories import StoryIndex, stories_path

        s = self.settings.stories
        return self._part("stories", lambda: StoryIndex(
            stories_path(self.settings), threshold=s.threshold, max_days=s.window_days))

    @property
    def story_lookup(self):
        """Read-only story questions (which story an article is in, its copies)."""
        from .stories import StoryLookup, stories_path

        return StoryLookup(stories_path(self.settings))

    @property
    def answering(self):
        from .answering import build_answering

        embedder = self.embedder

        def idf(words: list[str]) -> dict[str, float]:
            return self.retriever.keyword.searcher(self.store).idf(words)

        return self._part("answering", lambda: build_answering(self.settings, embedder, idf))

    @property
    def generator(self):
        """The LLM client when ``llm_url`` is set, else None."""
        generated = self.answering.generated
        return None if generated is None else generated.generator

    @property
    def chunker(self):
        from .chunks import Chunker

        s = self.settings
        return self._part("chunker", lambda: Chunker(s.chunk_size, s.chunk_overlap))

    # --- ingestion -----------------------------------------------------------------------------

    def ingest(self, paths, prune: bool = False, progress: bool = False,
               allow_private: bool | None = None, ray: str | None = None) -> IngestReport:
        """Add or update the articles under ``paths``: files, folders, feed files (.xml .rss
        .atom .rdf) and http(s) URLs of pages or feeds. ``allow_private`` lets URLs reach
        private, loopback and link-local addresses (default: settings.fetch.allow_private).
        ``ray``: the address of a Ray cluster whose actors embed (default:
        settings.cluster.ray_address; empty: this process embeds)."""
        from .sources import ReadLog, open_source
        from .sources.web import FetchOptions

        log = ReadLog()
        options = FetchOptions.from_settings(self.settings, allow_private=allow_private)
        source = open_source(paths, options)
        # Counting first (files, JSONL lines) gives the progress bar its ETA.
        total = source.count() if progress and hasattr(source, "count") else None
        address = self.settings.cluster.ray_address if ray is None else ray
        pool = None
        if address:
            from .embedding.ray_pool import RayEmbedPool

            pool = RayEmbedPool(self.settings, address, dim=self.embedder.dim)
        try:
            return self.ingest_articles(source.articles(log), log, prune=prune,
                                        progress=progress, total=total, pool=pool)
        finally:
            if pool is not None:
                pool.close()

    def ingest_articles(self, articles, log=None, prune: bool = False,
                        progress: bool = False, total: int | None = None,
                        pool=None) -> IngestReport:
        """Add or update articles from any iterable (a source's ``articles(log)``); each
        written article joins its story of near-duplicate copies (rag/stories.py), and the
        keyword index follows each write."""
        from .ingest import ingest

        store = self.store
        follow = getattr(self.keyword, "listener", None)
        return ingest(store, self.embedder, self.chunker, articles, log, prune=prune,
                      progress=progress, stories=self.stories,
                      listener=follow(store) if follow else None, total=total, pool=pool)
    def sync(self) -> str:
        """Bring the keyword index in step with the store now (what other processes wrote:
        the change feed, rag/retrieval/tantivy_index.py); returns the generation it reflects."""
        return self.keyword.searcher(self.store).generation

    def keep_in_sync(self, every: float | None = None) -> threading.Event:
        """Call :meth:`sync` every ``every`` seconds (settings.cluster.replica_sync_seconds) in
        a background thread, so that what a replica of `rag serve` did not write itself is
        searchable within about that delay, question or not. Set the returned event to
        stop."""
        import logging

        every = self.settings.cluster.replica_sync_seconds if every is None else every
        stop = threading.Event()
        if every <= 0:
            return stop

        def loop():
            while not stop.wait(every):
                try:
                    self.sync()
                except Exception as exc:  # noqa: BLE001 - a server away: try again next time
                    logging.getLogger("rag.keyword").warning("sync with the store failed: %s",
                                                             exc)

        threading.Thread(target=loop, name="rag-sync", daemon=True).start()
        return stop

    def watcher(self, feeds: list[str], *, allow_private: bool | None = None, log=None,
                around_ingest=None):
        """A feed watcher (rag/sources/watch.py) that ingests into this index, with its state
        in ``<index_dir>/watch/``. ``around_ingest()``: a context manager held while a batch is
        ingested (the browser's write lock, so that questions never see half a batch)."""
        import contextlib

        from .sources.watch import Watcher
        from .sources.web import Fetcher, FetchOptions

        wrap = around_ingest or contextlib.nullcontext

        def ingest(articles):
            with wrap():
                report = self.ingest_articles(articles)
            return {"added": list(report.added), "updated": list(report.updated),
                    "skipped": list(report.skipped)}

        options = FetchOptions.from_settings(self.settings, allow_private=allow_private)
        return Watcher(feeds, Path(self.settings.index_dir) / "watch", ingest,
                       Fetcher(options, log=log), batch_size=self.settings.fetch.watch_batch,
                       log=log)

    # --- questions -----------------------------------------------------------------------------

    def ask(self, question: str | AnswerRequest, filters: Filters | None = None, *,
            since: str | None = None, until: str | None = None,
            sources: list[str] | None = None, context: list[str] | None = None,
            boost_docs: set[str] | None = None, as_of: str | None = None,
            mode: str | None = None) -> Answer:
        """Answer ``question`` from the articles, with citations; abstain when they do not say.

        ``context``: earlier questions of a conversation, used to find the right articles.
        ``as_of``: the date (YYYY-MM-DD) the question is asked as of ("this week" is the week
        before it); a ranking hint, not a filter (see settings.retrieval.date_weight).
        With ``llm_url`` set, the answer is generated by that LLM and each sentence is
        checked against the passages it cites (``answer.mode == "llm"``); if the LLM fails,
        the extractive answer comes back with a one-line ``answer.notice`` saying why.
        """
        final = None
        for item in self.stream(question, filters, since=since, until=until, sources=sources,
                                context=context, boost_docs=boost_docs, as_of=as_of, mode=mode):
            if not isinstance(item, str):
                final = item
        return final

    def stream(self, question: str | AnswerRequest, filters: Filters | None = None, *,
               since: str | None = None, until: str | None = None,
               sources: list[str] | None = None, context: list[str] | None = None,
               boost_docs: set[str] | None = None, as_of: str | None = None,
               use_llm: bool = True, mode: str | None = None) -> Iterator[str | Answer]:
        """Answer as :meth:`ask` does, while it is written: the one ask path.

        Takes an :class:`AnswerRequest`, or a question with the same keywords as ``ask``.
        Yields zero or more ``str`` pieces, then exactly one :class:`Answer`, always last.
        The pieces are a preview to show as they come: with an LLM they are its raw tokens;
        without one, the extractive answer's text in pieces (``"".join(pieces) ==
        answer.text``). The final ``Answer`` is what to keep and show in their place: with an
        LLM its text is the checked one (citations to no source removed, unsupported sentences
        marked ``[unsupported]``, see rag/answering/verify.py), or the extractive answer with a
        one-line ``notice`` when the LLM failed, timed out or wrote nothing its sources
        support. A bad question raises :class:`QuestionError` before the first item.
        """
        if isinstance(question, AnswerRequest):
            request = question
        else:
            request = AnswerRequest(question=question, filters=filters, as_of=as_of,
                                    use_llm=use_llm, mode=mode or "hybrid",
                                    boost_docs=set(boost_docs or ()),
                                    context=list(context or ()))
            request.filters = merge_filters(filters, since, until, sources)
        request = self.prepare(request)
        answering = self.answering
        plan = answering.followup.resolve(request)
        if plan.question != request.question:
            plan.question = self.check_question(plan.question[:self.settings.answer
                                                                .max_question_chars])
        answerer = answering.choose(plan)
        embedder = self.embedder
        qvec = embedder.embed_query(plan.query)
        plan.vector = qvec if plan.query == plan.question else embedder.embed_query(
            plan.question)
        items = None
        if plan.scope_docs:
            # A follow-up: first the articles of the previous turn; the whole index only
            # when they do not answer it.
            passages = self.retriever.search_within(self._query(plan.query, qvec, request),
                                                    plan.scope_docs)
            first = list(answerer.stream(request, plan, passages))
            if first[-1].status == "answered":
                items = iter(first)
            else:
                plan.query = plan.fallback_query
                qvec = embedder.embed_query(plan.query)
        if items is None:
            passages = self.retriever.search(self._query(plan.query, qvec, request))
            items = answerer.stream(request, plan, passages)
        for item in items:
            if isinstance(item, Answer):
                self.add_also_in(item)
                if plan.standalone:
                    item.question, item.rewritten = request.question, plan.standalone
                else:
                    item.question = request.question
                if plan.notice and not item.notice:
                    item.notice = plan.notice
            yield item

    def add_also_in(self, answer: Answer) -> None:
        """Each citation's other copies of its story ("also reported by N other articles"):
        every other article of the story still in the index, earliest first."""
        if not answer.citations:
            return
        lookup = self.story_lookup
        story = lookup.story_of(c.doc_id for c in answer.citations)
        members = lookup.members(set(story.values()))
        if not any(len(ms) > 1 for ms in members.values()):
            return
        records = self.store.records(sorted({d["doc_id"] for ms in members.values() for d in ms}))
        for c in answer.citations:
            c.also_in = [{"doc_id": r.id, "title": r.title, "source": r.source, "date": r.date,
                          "url": r.url}
                         for m in members.get(story.get(c.doc_id, ""), ())
                         if m["doc_id"] != c.doc_id and (r := records.get(m["doc_id"]))]

    def prepare(self, request: AnswerRequest) -> AnswerRequest:
        """The request checked and normalised; QuestionError with a message for the user."""
        request = dataclasses.replace(request, question=self.check_question(request.question))
        if request.as_of:
            as_of, why = parse_date(request.as_of)
            if not as_of:
                raise QuestionError(f"as_of must be a date as YYYY-MM-DD: {why}")
            request.as_of = as_of
        else:
            request.as_of = None
        request.filters = merge_filters(request.filters, None, None, None)
        try:
            request.mode = RetrievalMode(request.mode).value
        except ValueError:
            raise ConfigError(f"mode {request.mode!r} is not one of: "
                              f"{', '.join(m.value for m in RetrievalMode)}") from None
        return request

    def _query(self, text: str, vector, request: AnswerRequest, top_k: int | None = None):
        from .retrieval import Query

        return Query(text=text, vector=vector, filters=request.filters, top_k=top_k,
                     mode=RetrievalMode(request.mode), as_of=request.as_of)

    def search(self, query: str, filters: Filters | None = None, top_k: int | None = None,
               mode: str = "hybrid", as_of: str | None = None,
               query_vector=None) -> list[Passage]:
        """The passages retrieval finds for ``query`` (no answer)."""
        request = self.prepare(AnswerRequest(question=query, filters=filters, as_of=as_of,
                                             mode=mode))
        return self.retriever.search(self._query(request.question, query_vector, request,
                                                 top_k))

    def chat(self):
        from .chat import ChatSession

        return ChatSession(self)

    def article(self, doc_id: str) -> Article | None:
        return self.store.get_article(doc_id)

    def stats(self) -> dict:
        from .embedding.compat import built_with

        store = self.store
        info = store.index_info()
        grouped = self.story_lookup.counts()
        return {
            "index": store.location,
            "articles": store.count_articles(),
            "chunks": store.count_chunks(),
            # Near-duplicate copies of one story count once (rag/stories.py).
            "stories": grouped["stories"],
            "stories_with_copies": grouped["with_copies"],
            "embed_model": info.get("embed_model", self.settings.model_label),
            "embed_backend": built_with(info) or self.settings.embed_backend,
            "dim": info.get("dim"),
            "chunker": info.get("chunker"),
            "generation": info.get("generation", 0),
            "size_bytes": store.size_on_disk(),
        }

    def is_empty(self) -> bool:
        """Nothing was ever ingested (from the index record: counting the chunks of a large
        index takes seconds the first time)."""
        return not self.store.index_info().get("generation")

    def facets(self) -> dict:
        """The indexed articles' sources and date range (first, last), from the keyword index
        rather than the whole manifest."""
        return self.keyword.searcher(self.store).facets()

    def sources(self) -> list[str]:
        return self.facets()["sources"]

    def warm_up(self) -> None:
        """Load what the first question and the first upload would otherwise wait for: the
        model, the indexes (one question), the chunker (llama-index's import, about 1.6 s)
        and the story sketches' library (0.4 s). For long-running servers."""
        if not self.is_empty():
            self.ask("warm up")
        self.chunker  # noqa: B018 - built for its side effect
        import datasketch.lsh  # noqa: F401

    def check_question(self, question) -> str:
        if not isinstance(question, str):
            raise QuestionError("the question must be text")
        if _SURROGATE.search(question):  # a lone surrogate (bad JSON escapes) cannot be encoded
            raise QuestionError("the question holds an invalid character (a lone UTF-16 "
                                "surrogate): send it as valid UTF-8 text")
        question = question.strip()
        if not question:
            raise QuestionError("the question is empty: type a question about the articles")
        limit = self.settings.answer.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"the question is too long ({len(question):,} characters; "
                                f"the limit is {limit:,}): ask something shorter")
        return question

    def check(self, repair: bool = False, sample: int = 200, full: bool = False,
              log=None):
        """Is the index consistent (store, manifest, keyword index)? With ``repair``, fix what
        can be fixed (re-embedding only the articles that need it) and check again; the
        returned CheckReport's ``repaired`` says what was done."""
        from .check import check
        from .check import repair as do_repair

        report = check(self, sample=sample, full=full)
        if repair and report.problems:
            done = do_repair(self, report, log=log or (lambda _line: None))
            report = check(self, sample=sample, full=full)
            report.repaired = done
        return report

    def rebuild(self) -> None:
        self.store.reset()
        self.stories.clear()
        with self._lock:
            self._parts.pop("retriever", None)


_SURROGATE = re.compile("[\ud800-\udfff]")


def merge_filters(filters: Filters | None, since, until, sources) -> Filters | None:
    """Filters from an object and/or loose values, dates checked; None when empty."""
    f = Filters(filters.since, filters.until, filters.sources) if filters else Filters()
    f.since = since or f.since
    f.until = until or f.until
    f.sources = sources or f.sources
    for name in ("since", "until"):
        value = getattr(f, name)
        if value:
            norm, why = parse_date(value)
            if not norm:
                raise QuestionError(f"{name} must be a date as YYYY-MM-DD: {why}")
            setattr(f, name, norm)
    return None if f.is_empty() else f
