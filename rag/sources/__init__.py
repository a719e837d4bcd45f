"""The sources door: anything that yields ``Article``s.

    log = ReadLog()
    for article in open_source(["corpus/", "feed.jsonl"]).articles(log): ...

``Source`` is the Protocol: ``articles(log)`` yields articles and records what it could not
read (``log.failed``, ``log.warnings``) and which origins it read whole (``log.complete``, so
that ingestion may prune what they no longer hold). Ingestion takes any iterable of articles,
so a new kind of source (feeds, web pages) is a new file here and never touches ingestion.

File formats are readers registered by suffix (``register_format``): ``files.py`` has .txt,
.md and .html, ``jsonl.py`` has .jsonl, ``sgml.py`` has Reuters-21578's .sgm.

What ``open_source`` recognises in what a user names:

- an ``http(s)://`` URL: a page or a feed, decided by what the server sends (``urls.py``);
- a ``.xml``/``.rss``/``.atom``/``.rdf`` file: a feed (``feeds.py``), whose entries' pages
  are fetched;
- anything else: files and folders (``paths.py``).

Nothing is fetched unless a URL or a feed is named; private, loopback and link-local
addresses are refused unless ``FetchOptions.allow_private`` (``--allow-private``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..types import Article
from .base import ReadLog, register_format, supported_suffixes

__all__ = ["ReadLog", "Source", "Sources", "is_url", "open_source", "read_paths",
           "register_format", "supported_suffixes"]

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


@runtime_checkable
class Source(Protocol):
    def articles(self, log: ReadLog) -> Iterator[Article]: ...


def is_url(spec) -> bool:
    """Whether a spec names a URL (any scheme: only http(s) is fetched, others are refused
    with a reason) rather than a file or folder."""
    return isinstance(spec, str) and bool(_SCHEME.match(spec))


class Sources:
    """Several sources read one after the other, in the order named."""

    def __init__(self, sources: list):
        self.sources = sources

    def articles(self, log: ReadLog) -> Iterator[Article]:
        for source in self.sources:
            yield from source.articles(log)


def open_source(specs, fetch=None) -> Source:
    """The source for what a user names: URLs (pages, feeds), feed files, files and folders.

    ``fetch``: the ``web.FetchOptions`` for URLs and feeds (default: safe defaults, private
    addresses refused)."""
    from .paths import PathSource

    if isinstance(specs, (str, bytes)) or hasattr(specs, "__fspath__"):
        specs = [specs]
    sources: list = []
    paths: list = []
    fetcher = None

    def get_fetcher():
        nonlocal fetcher
        if fetcher is None:
            from .web import Fetcher

            fetcher = Fetcher(fetch)
        return fetcher

    for spec in specs:
        text = os.fspath(spec) if not isinstance(spec, str) else spec
        text = text.decode() if isinstance(text, bytes) else text
        is_feed_file = (Path(text).suffix.lower() in FEED_SUFFIXES
                        and not Path(text).expanduser().is_dir())
        if is_url(text) or is_feed_file:
            if paths:
                sources.append(PathSource(paths))
                paths = []
            if is_url(text):
                from .urls import UrlSource

                sources.append(UrlSource(text, get_fetcher()))
            else:
                from .feeds import FeedSource

                sources.append(FeedSource(text, get_fetcher()))
        else:
            paths.append(spec)
    if paths or not sources:
        sources.append(PathSource(paths))
    return sources[0] if len(sources) == 1 else Sources(sources)


def read_paths(paths) -> tuple[list[Article], ReadLog]:
    """Every article under ``paths`` at once, with the log (for tests and small corpora)."""
    log = ReadLog()
    articles = list(open_source(paths).articles(log))
    return articles, log
