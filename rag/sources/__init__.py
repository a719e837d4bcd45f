"""The sources door: anything that yields ``Article``s.

    log = ReadLog()
    for article in open_source(["corpus/", "feed.jsonl"]).articles(log): ...

``Source`` is the Protocol: ``articles(log)`` yields articles and records what it could not
read (``log.failed``, ``log.warnings``) and which origins it read whole (``log.complete``, so
that ingestion may prune what they no longer hold). Ingestion takes any iterable of articles,
so a new kind of source (feeds, web pages) is a new file here and never touches ingestion.

File formats are readers registered by suffix (``register_format``): ``files.py`` has .txt,
.md and .html, ``jsonl.py`` has .jsonl.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from ..types import Article
from .base import ReadLog, register_format, supported_suffixes

__all__ = ["ReadLog", "Source", "open_source", "read_paths", "register_format",
           "supported_suffixes"]


@runtime_checkable
class Source(Protocol):
    def articles(self, log: ReadLog) -> Iterator[Article]: ...


def open_source(specs) -> Source:
    """The source for what a user names: files and folders (and, as they are added, feeds and
    web pages)."""
    from .paths import PathSource

    if isinstance(specs, (str, bytes)) or hasattr(specs, "__fspath__"):
        specs = [specs]
    return PathSource(list(specs))


def read_paths(paths) -> tuple[list[Article], ReadLog]:
    """Every article under ``paths`` at once, with the log (for tests and small corpora)."""
    log = ReadLog()
    articles = list(open_source(paths).articles(log))
    return articles, log
