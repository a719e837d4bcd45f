"""Reuters-21578 SGML files (reut2-NNN.sgm): one Article per <REUTERS> story with a <BODY>.

The files are Latin-1-ish bytes with SGML character references for control characters
(&#2; &#3; &#5; &#22; ...) and a few raw control bytes.  Each story looks like:

  <REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
  <DATE>26-FEB-1987 15:01:01.79</DATE>
  <TOPICS><D>cocoa</D></TOPICS> <PLACES><D>el-salvador</D>...</PLACES> ...
  <TEXT>&#2;
  <TITLE>BAHIA COCOA REVIEW</TITLE>
  <DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued ...
   Reuter
  &#3;</BODY></TEXT>
  </REUTERS>

Stories whose <TEXT> has no <BODY> (TYPE="BRIEF": a headline only; TYPE="UNPROC": an
unformatted table) are skipped and counted. Registered as the reader of ``.sgm`` files, so
`rag ingest ../shared/datasets/reuters21578/sgml` reads the collection (21,578 stories:
19,043 articles and 2,535 bodiless ones).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

from ..dates import parse_reuters_date
from ..types import Article, Failure
from .base import ReadLog, register_format

# Opening tags with their attributes (bounded: a "<REUTERS" never closed by ">" costs at most
# that much, not a scan to the end of the file at each one). Stories and fields are then cut
# with str.find: a lazy "(.*?)</REUTERS>" scanned to the end of the file for every opening tag
# without a closing one (quadratic).
_STORY_OPEN = re.compile(r"<REUTERS\b([^>]{0,500})>")
_STORY_CLOSE = "</REUTERS>"
_ATTR = re.compile(r'(\w+)="([^"]*)"')
# The sign-off: on a line of its own (" Reuter", "REUTER...", " reuter"), after a run of
# spaces, or after the last sentence or figure ("... ago. REUTER", "...17 REUTER"); sometimes
# twice.  Never "... a spokesman told Reuters.".
# The look-behind pins a match to the start of a run of blanks: "[ \t]{2,}[ \t]*" tried at
# every position of a run took 14 s for 2,000 spaces (cubic).
_SIGNATURE = re.compile(r"(?:^|\n|(?<![ \t])[ \t]{2})[ \t]*Reuters?[ \t.]*$"
                        r"|(?<=[.)\d])[ \t]+(?:Reuter|(?-i:REUTERS))[ \t.]*$", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _stories(data: str) -> Iterator[tuple[str, str]]:
    """(attributes, inner text) of each <REUTERS ...>...</REUTERS> in ``data``."""
    pos = 0
    while m := _STORY_OPEN.search(data, pos):
        end = data.find(_STORY_CLOSE, m.end())
        if end < 0:
            return  # no later story can close either
        yield m.group(1), data[m.end():end]
        pos = end + len(_STORY_CLOSE)


def _field(block: str, tag: str) -> str | None:
    """The text inside the first <tag ...>...</tag> of ``block`` (linear, as _stories)."""
    m = re.search(rf"<{tag}\b[^>]{{0,500}}>", block)
    if not m:
        return None
    end = block.find(f"</{tag}>", m.end())
    return block[m.end():end] if end >= 0 else None


def _clean(value: str) -> str:
    """Unescape SGML references (&lt; &amp; &#3; ...) and drop control characters."""
    value = html.unescape(value)  # numeric references to C0 controls become ""
    return _CONTROL.sub("", value)


def _list(block: str, tag: str) -> list[str]:
    inner = _field(block, tag) or ""
    return [_clean(d).strip() for d in re.findall(r"<D>(.*?)</D>", inner, re.S)
            if _clean(d).strip()]


def body_text(raw_body: str) -> str:
    """The story text: references unescaped, control characters and the trailing
    ' Reuter' signature removed, line breaks kept."""
    text = _clean(raw_body)
    text = text.rstrip()
    while True:
        stripped = _SIGNATURE.sub("", text).rstrip()
        if stripped == text:
            break
        text = stripped
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(lines).strip()


def read_sgml(path: str | Path) -> tuple[list[Article], int, list[Failure]]:
    """Read one .sgm file: (articles, skipped stories without a body, failures)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        return [], 0, [Failure(str(p), exc.strerror or str(exc))]
    return parse_sgml(latin1(raw), str(p), str(p.resolve()))


def latin1(raw: bytes) -> str:
    # Latin-1 maps every byte, so nothing can fail here; the few non-ASCII bytes in the
    # collection are Latin-1 letters or stray control bytes (dropped by _clean).
    return raw.decode("latin-1")


def parse_sgml(data: str, where_file: str, origin: str = ""
               ) -> tuple[list[Article], int, list[Failure]]:
    """The stories of one file's text: (articles, skipped stories without a body, failures).

    id "reuters21578-<NEWID>"; title from <TITLE>; date from <DATE> (YYYY-MM-DD); source
    "Reuters"; extra: dateline, topics, places, datetime (YYYY-MM-DDTHH:MM:SS), text_type and
    the collection's split attributes (lewissplit, cgisplit, oldid).
    """
    articles: list[Article] = []
    failures: list[Failure] = []
    skipped = 0
    seen: set[str] = set()
    n_stories = 0
    for attr_text, block in _stories(data):
        n_stories += 1
        attrs = dict(_ATTR.findall(attr_text))
        newid = attrs.get("NEWID", "").strip()
        where = f"{where_file}#NEWID={newid or '?'}"
        if not newid.isdigit():
            failures.append(Failure(where, "story without a NEWID attribute"))
            continue
        doc_id = f"reuters21578-{newid}"
        if doc_id in seen:
            failures.append(Failure(where, f"duplicate NEWID {newid} in this file"))
            continue
        seen.add(doc_id)
        body = _field(block, "BODY")
        if body is None:
            skipped += 1
            continue
        text = body_text(body)
        if not text:
            skipped += 1
            continue
        text_m = re.search(r"<TEXT\b([^<>]{0,500})>", block)
        text_type = dict(_ATTR.findall(text_m.group(1))).get("TYPE", "NORM") if text_m \
            else "NORM"
        title = " ".join(_clean(_field(block, "TITLE") or "").split())
        date, when = parse_reuters_date(_clean(_field(block, "DATE") or ""))
        dateline = " ".join(_clean(_field(block, "DATELINE") or "").split())
        extra = {"dateline": dateline, "topics": _list(block, "TOPICS"),
                 "places": _list(block, "PLACES"), "datetime": when, "text_type": text_type,
                 "lewissplit": attrs.get("LEWISSPLIT", ""), "cgisplit": attrs.get("CGISPLIT", ""),
                 "oldid": attrs.get("OLDID", "")}
        articles.append(Article(id=doc_id, text=text, title=title, date=date, source="Reuters",
                                origin=origin, extra=extra))
    if n_stories == 0:
        failures.append(Failure(where_file, "no <REUTERS> stories found (not a Reuters-21578 "
                                            "file)"))
    return articles, skipped, failures


def read_sgml_dir(folder: str | Path) -> tuple[list[Article], int, list[Failure]]:
    """Every *.sgm file of a folder, in name order."""
    articles: list[Article] = []
    failures: list[Failure] = []
    skipped = 0
    for path in sorted(Path(folder).glob("*.sgm")):
        a, s, f = read_sgml(path)
        articles.extend(a)
        skipped += s
        failures.extend(f)
    return articles, skipped, failures


SKIPPED = "Reuters stories without a body skipped (headline-only briefs, unformatted tables)"


def read_sgm(text: str, doc_id: str, where: str, log: ReadLog):
    """The .sgm format reader: ids are the stories' own (reuters21578-<NEWID>)."""
    articles, skipped, failures = parse_sgml(text, where)
    if not articles and not skipped and failures:
        raise ValueError(failures[0].reason)  # not a Reuters file at all
    log.failed.extend(failures)
    if skipped:
        log.count(SKIPPED, skipped)
    yield from articles


register_format([".sgm"], read_sgm, decode=latin1)
