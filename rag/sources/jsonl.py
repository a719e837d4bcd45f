"""JSON Lines: one article per line in the datasets' schema; a bad line never costs the rest.

Streamed: the reader gets the file line by line (rag/sources/paths.py), so a file of any size
is read with the memory of one line, plus the ids seen in it (to report duplicates; packed,
20 bytes an id: rag/ids.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from ..ids import IdMap
from ..types import Article, Failure
from .base import ReadLog, article_from_record, register_format


def read_jsonl(lines: Iterable[str] | str, doc_id: str, where: str,
               log: ReadLog) -> Iterator[Article]:
    """The articles of JSONL ``lines`` (an iterable of lines, or the whole text)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    seen = IdMap()
    bad = 0
    dates: list[str] = []  # dates dropped (not real dates): reported once for the file
    first_date = ""  # where the first was
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        at = f"{where}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            log.failed.append(Failure(at, f"malformed JSON: {exc.msg} (column {exc.colno})"))
            bad += 1
            continue
        try:
            article = article_from_record(record, dates)
            if dates and not first_date:
                first_date = f"line {lineno}: {dates[0]}"
        except ValueError as exc:
            log.failed.append(Failure(at, str(exc)))
            bad += 1
            continue
        if article.id in seen:
            log.failed.append(Failure(at, f"duplicate id {article.id!r} in this file"))
            bad += 1
            continue
        seen.add(article.id)
        yield article
    if dates:
        log.warnings.append(f"{where}: {len(dates)} date(s) dropped, their articles kept "
                            f"without one (first: {first_date})")
    if bad:
        log.warnings.append(f"{where}: {bad} line(s) could not be read; the others were")


register_format([".jsonl"], read_jsonl, stream=True)
