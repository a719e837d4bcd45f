"""What every source shares: the read log, the format registry, decoding, article records."""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..dates import parse_date
from ..text import sentence_spans
from ..types import Article, Failure

KNOWN_KEYS = {"id", "text", "title", "date", "source", "url"}
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class ReadLog:
    """What reading reported besides the articles themselves."""

    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Origins read whole (every article they hold was yielded): only these may be pruned.
    complete: set[str] = field(default_factory=set)
    # Folders named by the user: articles of files gone from under them may be pruned.
    roots: list[str] = field(default_factory=list)
    ignored: int = 0  # files passed over (other extensions)
    tallies: dict[str, int] = field(default_factory=dict)  # see count()
    _tally_line: dict[str, int] = field(default_factory=dict, repr=False)

    def count(self, what: str, n: int = 1) -> None:
        """Add ``n`` to a tally shown as one warning line ("2,535 <what>"), however many files
        add to it (e.g. the Reuters stories without a body, file after file)."""
        self.tallies[what] = self.tallies.get(what, 0) + n
        line = f"{self.tallies[what]:,} {what}"
        if what in self._tally_line:
            self.warnings[self._tally_line[what]] = line
        else:
            self._tally_line[what] = len(self.warnings)
            self.warnings.append(line)


# suffix -> reader(text, doc_id, where, log) -> iterator of articles (see register_format)
Reader = Callable[[str, str, str, ReadLog], Iterator[Article]]
_FORMATS: dict[str, Reader] = {}
_DECODERS: dict[str, Callable[[bytes], str]] = {}
_STREAMED: set[str] = set()


def register_format(suffixes, reader: Reader, decode: Callable[[bytes], str] | None = None,
                    stream: bool = False) -> None:
    """Read files with these suffixes (".txt", ...) with ``reader(text, doc_id, where, log)``,
    which yields articles (their origin is set by the caller) and raises ValueError for a
    file it cannot read at all. ``decode(bytes) -> str`` replaces the default decoding (UTF-8,
    else a detected encoding with a warning) for a format whose encoding is known. With
    ``stream``, the reader gets the file's lines (an iterator of str) instead of its whole
    text, and its articles are ingested as they come: for formats holding many articles per
    file (JSON Lines), of any size."""
    for s in suffixes:
        _FORMATS[s.lower()] = reader
        if decode is not None:
            _DECODERS[s.lower()] = decode
        if stream:
            _STREAMED.add(s.lower())
        else:
            _STREAMED.discard(s.lower())


def reader_for(suffix: str) -> Reader | None:
    _load_builtin()
    return _FORMATS.get(suffix.lower())


def decoder_for(suffix: str) -> Callable[[bytes], str] | None:
    _load_builtin()
    return _DECODERS.get(suffix.lower())


def is_streamed(suffix: str) -> bool:
    _load_builtin()
    return suffix.lower() in _STREAMED


def supported_suffixes() -> list[str]:
    _load_builtin()
    return sorted(_FORMATS)


def _load_builtin() -> None:
    # Imported on first use (not at import time: they import this module); a format module
    # imported earlier by itself must not hide the others, hence the check on all three.
    import sys

    if not all(f"{__package__}.{m}" in sys.modules for m in ("files", "jsonl", "sgml")):
        from . import files, jsonl, sgml  # noqa: F401 - they register their formats


# Byte order marks of the UTF-16/32 encodings (UTF-32 first: its LE mark starts like UTF-16's).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# What a Western European text holds beyond ASCII in cp1252: the letters of French, German,
# Spanish, Portuguese, Italian, Dutch, Catalan and the Nordic languages, and typographic marks.
# A text whose other characters are all among these is read as cp1252 rather than the
# detector's guess, which takes short French for cp1250 ("à Genève" -> "ŕ Genčve").
_WESTERN = frozenset(
    "àâäáãåæçéèêëíìîïñóòôöõøœùúûüýÿßÀÂÄÁÃÅÆÇÉÈÊËÍÌÎÏÑÓÒÔÖÕØŒÙÚÛÜÝŸ"
    "’‘“”„‚–—…«»‹›°€£¥§©®™·•¡¿ªº¹²³½¼¾\u00a0"
)


def bom_encoding(data: bytes) -> str | None:
    """"utf-16" or "utf-32" when ``data`` starts with that encoding's byte order mark."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes as text; returns (text, note). Raises ValueError for binary data.

    UTF-8 first, then a UTF-16/32 byte order mark, then (binary refused) cp1252 when the text
    is plausible Western European, else charset-normalizer's best guess, with a note."""
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        bad = exc.start
    if (bom := bom_encoding(data)) is not None:
        try:
            text = data.decode(bom)
        except UnicodeDecodeError as exc:
            raise ValueError(f"starts with a {bom.upper()} byte order mark but is not "
                             f"{bom.upper()} (bad bytes at offset {exc.start})") from None
        if _looks_binary(text):
            raise ValueError("binary file, not a text article")
        return text, ""
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes), not a text article")
    text, encoding = _fallback(data)
    if text is None:
        raise ValueError(f"not valid UTF-8 (bad byte at offset {bad}) and no text encoding fits; "
                         "convert it to UTF-8")
    if _looks_binary(text):
        raise ValueError("binary file, not a text article")
    return text, f"not valid UTF-8 (bad byte at offset {bad}); read as {encoding}"


def _western(data: bytes) -> str | None:
    """``data`` as cp1252 when that reads as Western European text, else None."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if all(ch < "\x80" or ch in _WESTERN for ch in text):
        return text
    return None


def _fallback(data: bytes) -> tuple[str | None, str]:
    """(text, encoding) of bytes that are not UTF-8: cp1252 when plausible, else the
    detector's best guess; (None, "") when nothing fits."""
    text = _western(data)
    if text is not None:
        return text, "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None, ""
    return str(best), best.encoding


def decode_line(data: bytes) -> tuple[str, str]:
    """One line of a streamed file as text; returns (text, encoding used when not UTF-8)."""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    text, encoding = _fallback(data)
    if text is None:
        return data.decode("cp1252", errors="replace"), "cp1252"
    return text, encoding


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return control / len(sample) > 0.05


def derive_title(text: str, limit: int = 100) -> str:
    """A title for an article that has none: its first sentence, cut at a word boundary."""
    # The title comes from the first lines: look at a bounded head of the text (a 35 MB file
    # on one line would otherwise be split and scanned whole).
    lines = [ln.strip() for ln in text.lstrip()[:20 * limit + 1000].splitlines() if ln.strip()]
    # Skip a wire dateline on a line of its own, such as "New York CNN \u2014".
    while len(lines) > 1 and re.fullmatch(r".{0,40}[\u2013\u2014-]", lines[0]):
        lines.pop(0)
    first = lines[0] if lines else ""
    # ...or at the start of the first line, such as "LONDON (Reuters) - ".
    lead = re.match(r"^[^.!?]{0,40}?\s[\u2013\u2014-]{1,2}\s+", first)
    if lead and len(first) > lead.end() + 20:
        first = first[lead.end():]
    # Its first sentence by the segmenter that cuts the chunks and answers: a full stop after
    # a lower-case letter is not always an end ("First lady Dr. Jill Biden ...", "Texas Gov.
    # Greg Abbott ..." were titled "First lady Dr" and "Texas Gov").
    spans = sentence_spans(first)
    if spans:
        first = first[spans[0][0]:spans[0][1]]
    # without its end mark, but not an abbreviation's ("... in the U.S.")
    first = re.sub(r"(?<=[a-z0-9\"\u201d')])[.!?]$", "", first)
    first = " ".join(first.split())
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + "\u2026"
    return first


def jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def _record_date(value, notes: list[str] | None) -> str:
    date, why = parse_date(value)
    if why and notes is not None:
        notes.append(why)
    return date


def article_from_record(record, notes: list[str] | None = None) -> Article:
    """An Article from one JSON object in the datasets' schema. A date that is not a real
    date is dropped (the article kept) and reported in ``notes``."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    doc_id = record.get("id")
    if doc_id is None or str(doc_id).strip() == "":
        doc_id = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    extra = {k: jsonable(v) for k, v in record.items() if k not in KNOWN_KEYS}
    title = str(record.get("title") or "") or derive_title(text)
    return Article(
        id=str(doc_id),
        text=text.strip(),
        title=title,
        date=_record_date(record.get("date"), notes),
        source=str(record.get("source") or ""),
        url=str(record.get("url") or ""),
        extra=extra,
    )
