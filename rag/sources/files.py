"""One article per file: plain text (.txt), Markdown with front matter (.md), HTML (.html)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..dates import normalise_date
from ..types import Article
from .base import KNOWN_KEYS, ReadLog, derive_title, jsonable, register_format

# --- plain text ------------------------------------------------------------------------------

_DATE_HEADER = re.compile(r"^\s*date[:\s]\s*(\d{4}-\d{2}-\d{2})\b\s*", re.IGNORECASE)
# A wire dateline: upper-case place name(s), optionally "(Reuters) -", before the first sentence.
_DATELINE = re.compile(
    r"^([A-Z][A-Z.'\-]+(?:[ ,]+[A-Z][A-Z.'\-]+)*)(?:,\s*[A-Z][a-z]+\.?\s*\d{0,2})?"
    r"(?:\s*\((?:Reuters|AP|AFP|UPI)\))?\s*(?:[-\u2013\u2014]+\s*)?(?=[A-Z\"\u201c][a-z\"\u201c ])"
)


def parse_text(text: str, doc_id: str) -> Article:
    date = ""
    extra: dict = {}
    m = _DATE_HEADER.match(text)
    if m:
        date = m.group(1)
        text = text[m.end():]
    text = text.strip()
    d = _DATELINE.match(text)
    if d and len(d.group(1)) <= 40:
        extra["dateline"] = d.group(1).strip(" ,")
        text = text[d.end():].lstrip()
    return Article(id=doc_id, text=text, title=derive_title(text), date=date, extra=extra)


# --- markdown --------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def parse_markdown(text: str, doc_id: str) -> Article:
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
    article = parse_text(text, doc_id) if not meta else Article(id=doc_id, text=text.strip())
    heading = re.match(r"^\s*#\s+(.+?)\s*#*\s*$", article.text.split("\n", 1)[0])
    title = str(meta.get("title") or (heading.group(1) if heading else "") or article.title)
    if heading:
        article.text = article.text.split("\n", 1)[1].strip() if "\n" in article.text else ""
    article.title = title or derive_title(article.text)
    article.date = normalise_date(meta.get("date")) or article.date
    article.source = str(meta.get("source") or "")
    article.url = str(meta.get("url") or "")
    for key, value in meta.items():
        if key not in KNOWN_KEYS:
            article.extra[key] = jsonable(value)
    return article


# --- HTML ------------------------------------------------------------------------------------


def parse_html(html: str, doc_id: str) -> Article:
    # trafilatura finds the article body and drops scripts, navigation, ads and comments.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_recall=True) or ""
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


def _one(parse):
    def reader(text: str, doc_id: str, where: str, log: ReadLog) -> Iterator[Article]:
        article = parse(text, doc_id)
        if not article.text.strip():
            raise ValueError("no article text found")
        yield article

    return reader


register_format([".txt"], _one(parse_text))
register_format([".md", ".markdown"], _one(parse_markdown))
register_format([".html", ".htm"], _one(parse_html))
