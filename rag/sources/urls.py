"""A URL a user names (`rag ingest URL`): an article page, or a feed.

One fetch decides which: a feed's content type (RSS, Atom, RDF, XML) or a body that starts
like one is read as a feed (FeedSource: every entry's page is fetched in turn); an HTML page
is one article (web.page_article: body, title, date, site and canonical URL). robots.txt is
not asked for the URL itself, since a person asked for it as a browser would; it is for the
pages a feed points to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..types import Article, Failure
from .feeds import FEED_TYPES, FeedError, FeedSource, parse_feed
from .web import HTML_TYPES, Fetched, Fetcher, FetchError, page_article

_FEED_ROOT = re.compile(rb"^(?:\s|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(rss|feed|rdf:rdf)\b",
                        re.I | re.S)
_XML_TYPES = {t for t in FEED_TYPES if "xml" in t}


def looks_like_feed(got: Fetched) -> bool:
    head = got.content[:4096].lstrip(b"\xef\xbb\xbf")
    if _FEED_ROOT.match(head):
        return True
    # Served as XML but not starting like a feed: let the feed parser say what it is.
    return got.content_type in _XML_TYPES and not head.lstrip().lower().startswith(b"<html")


class UrlSource:
    def __init__(self, url: str, fetcher: Fetcher):
        self.url = url
        self.fetcher = fetcher

    def articles(self, log) -> Iterator[Article]:
        try:
            got = self.fetcher.get(self.url, accept=HTML_TYPES + FEED_TYPES)
        except FetchError as exc:
            log.failed.append(Failure(self.url, exc.reason))
            return
        if looks_like_feed(got):
            try:
                feed = parse_feed(got.content, got.url_final)
            except FeedError as exc:
                log.failed.append(Failure(self.url, exc.reason))
                return
            yield from FeedSource(self.url, self.fetcher, feed).articles(log)
            return
        try:
            article = page_article(got)
        except FetchError as exc:
            log.failed.append(Failure(self.url, exc.reason))
            return
        yield article
