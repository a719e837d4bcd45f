"""One article per file: plain text (.txt), Markdown with front matter (.md), HTML (.html)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import parse_date
from ..types import Article
from .base import KNOWN_KEYS, ReadLog, derive_title, jsonable, register_format

# --- plain text ------------------------------------------------------------------------------

_DATE_HEADER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b\s*", re.IGNORECASE)
# A wire dateline: upper-case place name(s), optionally "(Reuters) -", before the first sentence.
_DATELINE = re.compile(
    r"^([A-Z][A-Z.'\-]+(?:[ ,]+[A-Z][A-Z.'\-]+)*)(?:,\s*[A-Z][a-z]+\.?\s*\d{0,2})?"
    r"(?:\s*\((?:Reuters|AP|AFP|UPI)\))?\s*(?:[-\u2013\u2014]+\s*)?(?=[A-Z\"\u201c][a-z\"\u201c ])"
)


def parse_text(text: str, doc_id: str, notes: list[str] | None = None) -> Article:
    """``notes``: where a date that is not a real date is reported (dropped, article kept)."""
    date = ""
    extra: dict = {}
    # Both patterns look at the head of the text only (bounded: a huge file costs nothing here).
    m = _DATE_HEADER.match(text, 0, 1000)
    if m:
        date = _article_date(m.group(1), notes)
        text = text[m.end():]
    text = text.strip()
    d = _DATELINE.match(text, 0, 300)
    if d and len(d.group(1)) <= 40:
        extra["dateline"] = d.group(1).strip(" ,")
        text = text[d.end():].lstrip()
    return Article(id=doc_id, text=text, title=derive_title(text), date=date, extra=extra)


# --- markdown --------------------------------------------------------------------------------

# Blanks after the "---" lines are spaces and tabs only: with "\s*" there, "---" and a few
# thousand blank lines back-tracked quadratically (3.5 s for 20,000).
_FRONT_MATTER = re.compile(r"^---[^\S\n]*\n(.*?)\n---[^\S\n]*\n", re.DOTALL)


def parse_markdown(text: str, doc_id: str, notes: list[str] | None = None) -> Article:
    meta: dict = {}
    text = text.lstrip("\ufeff")
    m = _FRONT_MATTER.match(text)
    if m:
        import yaml

        try:
            loaded = yaml.safe_load(m.group(1))
        except yaml.YAMLError as exc:
            raise ValueError(f"front matter is not valid YAML: {exc}") from exc
        if isinstance(loaded, dict):
            meta = loaded
        text = text[m.end():]
    article = parse_text(text, doc_id, notes) if not meta else Article(id=doc_id,
                                                                      text=text.strip())
    heading = _heading(article.text.split("\n", 1)[0])
    title = str(meta.get("title") or heading or article.title)
    if heading:
        article.text = article.text.split("\n", 1)[1].strip() if "\n" in article.text else ""
    article.title = title or derive_title(article.text)
    article.date = _article_date(meta.get("date"), notes) or article.date
    article.source = str(meta.get("source") or "")
    article.url = str(meta.get("url") or "")
    for key, value in meta.items():
        if key not in KNOWN_KEYS:
            article.extra[key] = jsonable(value)
    return article


def _heading(line: str) -> str:
    """The title of a "# Title #" line, or "". Without a regex: "^\\s*#\\s+(.+?)\\s*#*\\s*$"
    took minutes on a heading line with a few thousand spaces in it (cubic back-tracking)."""
    line = line.strip()
    if len(line) < 2 or len(line) > 300 or line[0] != "#" or not line[1].isspace():
        return ""  # over 300 characters: a paragraph, not a title
    return line[1:].rstrip("#").strip() or line[1:].strip()


# --- HTML ------------------------------------------------------------------------------------


def parse_html(html: str, doc_id: str, notes: list[str] | None = None) -> Article:
    # trafilatura finds the article body and drops scripts, navigation, ads and comments.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_recall=True) or ""
    if not text.strip():
        # lxml stops at 256 levels of nesting (and trafilatura finds nothing in what is
        # left): read the page again with its wrapper tags dropped (content kept).
        text = trafilatura.extract(_flatten(html), include_comments=False,
                                   include_tables=False, favor_recall=True) or ""
    from .web import page_date

    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta else "") or ""
    date = page_date(html)  # never a 1 January made up from a copyright footer
    source = (meta.sitename if meta else "") or ""
    url = (meta.url if meta else "") or ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    return Article(id=doc_id, text=text.strip(), title=title or derive_title(text), date=date,
                   source=source, url=url)


# Tags that hold or frame the text itself; every other tag (div, span, section, font, b, a,
# table...) is a wrapper whose content is kept without it by _flatten.
_KEEP_TAGS = frozenset("html head body title meta link script style noscript template p br "
                       "h1 h2 h3 h4 h5 h6 ul ol li time article".split())
# Linear: a tag ends at the next ">" and never spans a "<" (so "<a<a<a..." with no ">" is not
# scanned to the end from every "<").
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*>")


def _flatten(html: str) -> str:
    return _TAG.sub(lambda m: m.group(0) if m.group(2).lower() in _KEEP_TAGS else " ", html)


def _article_date(value, notes: list[str] | None) -> str:
    """A valid YYYY-MM-DD or ''; a date that is not one is reported in ``notes``."""
    date, why = parse_date(value)
    if why and notes is not None:
        notes.append(f"date dropped, the article is kept without one: {why}")
    return date


def _one(parse):
    def reader(text: str, doc_id: str, where: str, log: ReadLog) -> Iterator[Article]:
        notes: list[str] = []
        article = parse(text, doc_id, notes)
        log.warnings.extend(f"{where}: {note}" for note in notes)
        if not article.text.strip():
            raise ValueError("no article text found")
        yield article

    return reader


register_format([".txt"], _one(parse_text))
register_format([".md", ".markdown"], _one(parse_markdown))
register_format([".html", ".htm"], _one(parse_html))
