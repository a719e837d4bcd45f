"""RSS 0.9x/1.0/2.0 and Atom feeds (via feedparser), and the articles they point to.

    FeedSource("https://example.org/rss.xml", Fetcher(options)).articles(log)

Each entry's link is fetched for the full article (web.Fetcher: robots.txt, per-host delay);
when that fails, the entry's own content (else summary) is the text, marked with
``extra["fulltext"] = False`` and the reason. feedparser is only ever given bytes: given a
str it would open URLs and files by itself, outside our fetch rules.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from ..types import Article, Failure, RagError
from .web import Fetcher, FetchError

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml",
              "application/xml", "text/xml", "application/x-rss+xml", "text/rss+xml",
              "application/feed+xml", "text/plain", "application/octet-stream")
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf"}


class FeedError(RagError):
    """A feed could not be read or parsed. ``str()`` is one line: '<where>: <reason>'."""

    def __init__(self, where: str, reason: str):
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


@dataclass
class Entry:
    id: str  # the entry's id/guid, else its link
    link: str
    title: str = ""
    published: str = ""  # YYYY-MM-DD or ""
    updated: str = ""  # YYYY-MM-DD or "" (only when the feed says so; never copied from published)
    author: str = ""
    content: str = ""  # full content, HTML stripped to text
    summary: str = ""  # summary/description, HTML stripped to text
    updated_key: str = ""  # changes when the publisher updates the entry


@dataclass
class Feed:
    title: str
    link: str
    entries: list[Entry] = field(default_factory=list)
    version: str = ""  # feedparser's name for the format: rss20, atom10, rss10, ...
    warning: str = ""  # a non-fatal parse problem (feedparser's bozo on a readable feed)


# --- HTML to text ---------------------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
          "blockquote", "pre", "section", "article", "figure", "figcaption", "table", "hr"}
_SKIP = {"script", "style", "noscript", "template"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(value: str) -> str:
    """Strip tags: paragraphs become blank-line separated, runs of spaces collapse."""
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return " ".join(value.split())
    parser = _Text()
    parser.feed(value)
    parser.close()
    raw = "".join(parser.parts)
    paras = [" ".join(p.split()) for p in raw.split("\n")]
    out: list[str] = []
    for p in paras:
        if p:
            out.append(p)
    return "\n\n".join(out)


# --- parsing --------------------------------------------------------------------------------


def _ymd(parsed) -> str:
    if not parsed:
        return ""
    try:
        return time.strftime("%Y-%m-%d", parsed)
    except (TypeError, ValueError):
        return ""


def _own(entry, key: str):
    """entry[key] without feedparser's deprecated updated -> published fallback."""
    return dict.get(entry, key)


def parse_feed(data: bytes, url: str) -> Feed:
    """Parse RSS/Atom bytes. Raises FeedError for a document with no readable entries that
    feedparser flags as malformed, or that is no feed at all."""
    import feedparser

    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_feed takes the feed's bytes (a str would make feedparser fetch)")
    parsed = feedparser.parse(bytes(data), resolve_relative_uris=False, sanitize_html=True)
    bozo = parsed.get("bozo")
    exc = parsed.get("bozo_exception")
    meta = parsed.feed
    base = url if urlsplit(url).scheme in ("http", "https") else (meta.get("link") or "")
    feed = Feed(title=html_to_text(meta.get("title", "")), link=meta.get("link", ""),
                version=parsed.get("version", ""),
                warning=f"feed parsed with a problem ({_reason(exc)})" if bozo else "")
    seen: set[str] = set()
    for e in parsed.entries:
        link = (e.get("link") or "").strip()
        if link and base:
            link = urljoin(base, link)
        entry_id = (e.get("id") or "").strip() or link
        if not entry_id:
            continue  # nothing to identify it by
        if entry_id in seen:
            continue  # a feed that lists one entry twice
        seen.add(entry_id)
        title = html_to_text(e.get("title", ""))
        content = ""
        if e.get("content"):
            content = "\n\n".join(html_to_text(c.get("value", "")) for c in e["content"]
                                  if c.get("value"))
        summary = html_to_text(e.get("summary", ""))
        if summary and content and summary == content:
            summary = ""
        updated_raw = _own(e, "updated") or ""
        updated_parsed = _own(e, "updated_parsed")
        if updated_parsed:
            key = "u:" + time.strftime("%Y-%m-%dT%H:%M:%SZ", updated_parsed)
        elif updated_raw:
            key = "u:" + updated_raw.strip()
        else:
            digest = hashlib.sha1("\x1f".join([title, content or summary]).encode("utf-8"))
            key = "h:" + digest.hexdigest()[:16]
        feed.entries.append(Entry(
            id=entry_id, link=link, title=title,
            published=_ymd(_own(e, "published_parsed")), updated=_ymd(updated_parsed),
            author=html_to_text(e.get("author", "")), content=content, summary=summary,
            updated_key=key))
    if not feed.entries:
        # feedparser recovers what it can from a broken document ("bozo"); with no usable
        # entry left (none with an id or a link) the feed is reported as malformed.
        if bozo:
            raise FeedError(url, f"malformed feed ({_reason(exc)})")
        if not parsed.get("version"):
            raise FeedError(url, "not an RSS or Atom feed")
    return feed


def _reason(exc) -> str:
    if exc is None:
        return "unknown problem"
    get_message = getattr(exc, "getMessage", None)  # xml.sax.SAXParseException
    if callable(get_message):
        try:
            return f"{get_message()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
        except Exception:  # noqa: BLE001
            pass
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --- feed -> articles -----------------------------------------------------------------------


def article_id(feed_url: str, entry_id: str) -> str:
    """The article id of a feed entry: its id when that is a URI (a link, ``urn:``, ``tag:``:
    unique by design, so one article listed in two feeds is one article), else the id under
    the feed's URL, so that two feeds numbering their entries "1", "2"... never collide."""
    scheme = urlsplit(entry_id).scheme
    if scheme and len(scheme) > 1 and ":" in entry_id:  # not a Windows drive letter
        return entry_id
    return f"{feed_url}#{entry_id}"


def entry_article(feed: Feed, entry: Entry, fetch_page: Callable[[str], Article],
                  feed_url: str) -> tuple[Article, str | None]:
    """One entry's article and why its page could not be read (None when it was).

    The page's text, title and site; else the entry's content (else summary), with
    extra["fulltext"] = False and extra["fallback_reason"]; when the entry has no text of its
    own either, the text is "" and the caller counts it as failed. The date is the entry's
    published/updated date, else the page's; extra holds the page's (fetched_url,
    fetched_at) plus feed_title, feed_url, author, entry_id, fulltext.
    """
    page: Article | None = None
    reason: str | None = None
    if not entry.link:
        reason = "entry has no link"
    elif urlsplit(entry.link).scheme.lower() not in ("http", "https"):
        reason = f"entry link is not http(s): {entry.link}"
    else:
        try:
            page = fetch_page(entry.link)
        except Exception as exc:  # noqa: BLE001 - one page must never stop the feed
            reason = str(exc) if isinstance(exc, RagError | OSError | ValueError) \
                else f"{type(exc).__name__}: {exc}"
    extra = {"feed_title": feed.title, "feed_url": feed_url, "author": entry.author,
             "entry_id": entry.id}
    doc_id = article_id(feed_url, entry.id)
    if page is not None and page.text.strip():
        extra = {**page.extra, **extra, "fulltext": True}
        return Article(id=doc_id, text=page.text, title=page.title or entry.title,
                       date=entry.published or entry.updated or page.date,
                       source=page.source or feed.title, url=page.url or entry.link,
                       origin=feed_url, extra=extra), None
    if page is not None and reason is None:
        reason = "no article text found on the page"
    extra.update({"fulltext": False, "fallback_reason": reason})
    return Article(id=doc_id, text=entry.content or entry.summary, title=entry.title,
                   date=entry.published or entry.updated, source=feed.title, url=entry.link,
                   origin=feed_url, extra=extra), reason


# --- reading a feed from a file or a URL ------------------------------------------------------


def is_url(path_or_url: str) -> bool:
    return urlsplit(str(path_or_url)).scheme.lower() in ("http", "https")


def read_feed_source(path_or_url: str | Path, fetcher: Fetcher) -> Feed:
    """A feed from a .xml/.rss/.atom/.rdf file or an http(s) URL (fetched with the fetcher's
    rules). Raises FeedError or FetchError."""
    src = str(path_or_url)
    if is_url(src):
        got = fetcher.get(src, accept=FEED_TYPES)
        return parse_feed(got.content, got.url_final)
    if "://" in src:
        raise FeedError(src, "only http(s) URLs and local files can be read as feeds")
    path = Path(src).expanduser()
    if path.suffix.lower() not in FEED_SUFFIXES:
        raise FeedError(src, f"not a feed file (expected {', '.join(sorted(FEED_SUFFIXES))})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedError(src, exc.strerror or str(exc)) from None
    return parse_feed(data, str(path))


def entry_articles(feed: Feed, entries: list[Entry], fetch_page: Callable[[str], Article],
                   feed_url: str, workers: int = 4) -> list[tuple[Article, str | None]]:
    """``entry_article`` for each entry, pages fetched ``workers`` at a time (a per-host
    throttle inside ``fetch_page`` still spaces the requests to one host)."""
    if workers <= 1 or len(entries) <= 1:
        return [entry_article(feed, e, fetch_page, feed_url) for e in entries]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda e: entry_article(feed, e, fetch_page, feed_url), entries))


def page_fetcher(fetcher: Fetcher) -> Callable[[str], Article]:
    """What reads an entry's page: the fetcher, or (fetch_pages off) nothing at all."""
    if fetcher.options.fetch_pages:
        return fetcher.page

    def no_fetch(url: str) -> Article:
        raise FetchError(url, "page not fetched (RAG_FETCH_PAGES=0)")

    return no_fetch


class FeedSource:
    """A feed named by the user: one article per entry (see the module docstring).

    Origins are the feed's URL (or file): never "read whole", since a feed lists only its
    latest entries, so ``--prune`` never removes an article because it left the feed."""

    def __init__(self, spec: str, fetcher: Fetcher, feed: Feed | None = None):
        self.spec = str(spec)
        self.fetcher = fetcher
        self.feed = feed  # already fetched and parsed (UrlSource sniffed it)

    def articles(self, log) -> Iterator[Article]:
        try:
            feed = self.feed or read_feed_source(self.spec, self.fetcher)
        except (FeedError, FetchError) as exc:
            log.failed.append(Failure(self.spec, exc.reason))
            return
        if feed.warning:
            log.warnings.append(f"{self.spec}: {feed.warning}")
        origin = self.spec if is_url(self.spec) else str(Path(self.spec).expanduser().resolve())
        fallbacks: list[str] = []
        results = entry_articles(feed, feed.entries, page_fetcher(self.fetcher), origin,
                                 self.fetcher.options.workers)
        for entry, (article, reason) in zip(feed.entries, results, strict=True):
            if not article.text.strip():
                log.failed.append(Failure(f"{self.spec} entry {entry.id}",
                                          f"no text: the page failed ({reason}) and the entry "
                                          "has no content or summary"))
                continue
            if reason is not None:
                fallbacks.append(reason)
            yield article
        if fallbacks and self.fetcher.options.fetch_pages:
            more = f"; +{len(fallbacks) - 1} more" if len(fallbacks) > 1 else ""
            log.warnings.append(f"{self.spec}: {len(fallbacks)} entr"
                                f"{'y' if len(fallbacks) == 1 else 'ies'} read from the feed's "
                                f"own text, the page could not be ({fallbacks[0]}{more})")
