"""Read articles from files: .txt, .md, .html/.htm, .jsonl, and folders of them."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .types import Article, Failure

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024
_KNOWN_KEYS = {"id", "text", "title", "date", "source", "url"}


@dataclass
class ReadResult:
    articles: list[Article] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Files read whole (every article they hold is in `articles`): only these may be pruned.
    complete_origins: set[str] = field(default_factory=set)
    ignored: int = 0


def read_paths(paths: list[str | Path]) -> ReadResult:
    """Read every article under ``paths``; one bad file or line never stops the others."""
    result = ReadResult()
    for raw in paths:
        root = Path(raw).expanduser()
        if not root.exists():
            result.failed.append(Failure(str(raw), "no such file or folder"))
            continue
        if root.is_dir():
            files = sorted(_walk(root))
            for path in files:
                if path.suffix.lower() in SUPPORTED:
                    _read_file(path, path.relative_to(root).as_posix(), result)
                else:
                    result.ignored += 1
        else:
            if root.suffix.lower() not in SUPPORTED:
                result.failed.append(
                    Failure(str(root), f"unsupported file type {root.suffix or '(none)'!r}; "
                            f"supported: {', '.join(sorted(SUPPORTED))}")
                )
                continue
            _read_file(root, root.name, result)
    return result


def _walk(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel):
            continue  # hidden files and folders (.git, editor swap files)
        if path.is_file():
            yield path


def _read_file(path: Path, rel_id: str, result: ReadResult) -> None:
    origin = str(path.resolve())
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file is too large ({size // 1_000_000} MB; limit "
                             f"{MAX_FILE_BYTES // 1_000_000} MB)")
        data = path.read_bytes()
        text, note = decode(data)
        if note:
            result.warnings.append(f"{path}: {note}")
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            _read_jsonl(text, path, origin, result)
        else:
            if suffix in HTML_SUFFIXES:
                article = parse_html(text, rel_id)
            elif suffix in {".md", ".markdown"}:
                article = parse_markdown(text, rel_id)
            else:
                article = parse_text(text, rel_id)
            article.origin = origin
            if not article.text.strip():
                raise ValueError("no article text found")
            result.articles.append(article)
    except (OSError, ValueError) as exc:
        result.failed.append(Failure(str(path), _reason(exc)))
        return
    result.complete_origins.add(origin)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def decode(data: bytes) -> tuple[str, str]:
    """Decode file bytes as text; returns (text, note). Raises ValueError for binary data."""
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes), not a text article")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        bad = exc.start
    # Old newswire files are often Latin-1/cp1252: decode them rather than lose the article,
    # and say so, since a wrong guess would garble accented letters.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise ValueError(f"not valid UTF-8 (bad byte at offset {bad}) and no text encoding fits; "
                         "convert it to UTF-8")
    text = str(best)
    if _looks_binary(text):
        raise ValueError("binary file, not a text article")
    return text, f"not valid UTF-8 (bad byte at offset {bad}); read as {best.encoding}"


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    return control / len(sample) > 0.05


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


def derive_title(text: str, limit: int = 100) -> str:
    """A title for an article that has none: its first sentence, cut at a word boundary."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    # Skip a wire dateline on a line of its own, such as "New York CNN \u2014".
    while len(lines) > 1 and re.fullmatch(r".{0,40}[\u2013\u2014-]", lines[0]):
        lines.pop(0)
    first = lines[0] if lines else ""
    # ...or at the start of the first line, such as "LONDON (Reuters) - ".
    lead = re.match(r"^[^.!?]{0,40}?\s[\u2013\u2014-]{1,2}\s+", first)
    if lead and len(first) > lead.end() + 20:
        first = first[lead.end():]
    m = re.search(r"(?<=[a-z0-9\"\u201d')])[.!?](?=\s|$)", first)
    if m:
        first = first[: m.start()]
    first = " ".join(first.split())
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0] + "\u2026"
    return first


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
        if key not in _KNOWN_KEYS:
            article.extra[key] = _jsonable(value)
    return article


# --- HTML ------------------------------------------------------------------------------------


def parse_html(html: str, doc_id: str) -> Article:
    # trafilatura finds the article body and drops scripts, navigation, ads and comments.
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_recall=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta else "") or ""
    date = normalise_date(meta.date if meta else "")
    source = (meta.sitename if meta else "") or ""
    url = (meta.url if meta else "") or ""
    if title and text.startswith(title):
        text = text[len(title):].lstrip()
    return Article(id=doc_id, text=text.strip(), title=title or derive_title(text), date=date,
                   source=source, url=url)


# --- JSONL -----------------------------------------------------------------------------------


def _read_jsonl(text: str, path: Path, origin: str, result: ReadResult) -> None:
    seen: set[str] = set()
    bad = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            result.failed.append(Failure(where, f"malformed JSON: {exc.msg} (column {exc.colno})"))
            bad += 1
            continue
        try:
            article = article_from_record(record)
        except ValueError as exc:
            result.failed.append(Failure(where, str(exc)))
            bad += 1
            continue
        if article.id in seen:
            result.failed.append(Failure(where, f"duplicate id {article.id!r} in this file"))
            bad += 1
            continue
        seen.add(article.id)
        article.origin = origin
        result.articles.append(article)
    if bad:
        result.warnings.append(f"{path}: {bad} line(s) could not be read; the others were")


def article_from_record(record) -> Article:
    """An Article from one JSON object in the datasets' schema."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    doc_id = record.get("id")
    if doc_id is None or str(doc_id).strip() == "":
        doc_id = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    extra = {k: _jsonable(v) for k, v in record.items() if k not in _KNOWN_KEYS}
    title = str(record.get("title") or "") or derive_title(text)
    return Article(
        id=str(doc_id),
        text=text.strip(),
        title=title,
        date=normalise_date(record.get("date")),
        source=str(record.get("source") or ""),
        url=str(record.get("url") or ""),
        extra=extra,
    )


def normalise_date(value) -> str:
    """The YYYY-MM-DD part of a date or date-time; '' when there is none."""
    if value is None:
        return ""
    s = str(value).strip()
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", s)
    if m:
        return m.group(0)
    m = re.match(r"(\d{4})/(\d{2})/(\d{2})", s)
    if m:
        return "-".join(m.groups())
    return ""


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def content_hash(article: Article, salt: str = "") -> str:
    payload = json.dumps(
        [article.text, article.title, article.date, article.source, article.url, article.extra,
         salt],
        sort_keys=True, ensure_ascii=False,
    )
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()
