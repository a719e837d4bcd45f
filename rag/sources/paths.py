"""Files and folders named by the user, read by the format registered for each suffix."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

from ..types import Article, Failure
from .base import (
    MAX_FILE_BYTES,
    ReadLog,
    bom_encoding,
    decode,
    decode_line,
    decoder_for,
    is_streamed,
    reader_for,
    supported_suffixes,
)


class PathSource:
    """Files and folders (read recursively; hidden files and other suffixes passed over).

    Article ids are a JSONL line's ``id`` or the file's path relative to the folder given."""

    def __init__(self, paths: list):
        self.paths = paths

    def articles(self, log: ReadLog) -> Iterator[Article]:
        for raw in self.paths:
            root = Path(raw).expanduser()
            log.roots.append(str(root.resolve()))
            if not root.exists():
                log.failed.append(Failure(str(raw), "no such file or folder"))
                continue
            if root.is_dir():
                for path in sorted(_walk(root, log)):
                    if reader_for(path.suffix) is not None:
                        yield from read_file(path, path.relative_to(root).as_posix(), log)
                    else:
                        log.ignored += 1
            elif reader_for(root.suffix) is None:
                log.failed.append(Failure(
                    str(root), f"unsupported file type {root.suffix or '(none)'!r}; "
                    f"supported: {', '.join(supported_suffixes())}"))
            else:
                yield from read_file(root, root.name, log)


    def count(self) -> int:
        """About how many articles there are (files, and lines of streamed files such as
        JSONL, counted in bytes without decoding): for the progress bar's ETA."""
        n = 0
        for raw in self.paths:
            root = Path(raw).expanduser()
            files = sorted(_walk(root)) if root.is_dir() else [root] if root.is_file() else []
            for path in files:
                if reader_for(path.suffix) is None:
                    continue
                n += _count_lines(path) if is_streamed(path.suffix) else 1
        return n


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return 0


def _walk(root: Path, log: ReadLog | None = None) -> Iterator[Path]:
    """The files under ``root``; hidden files and folders passed over. A folder that cannot
    be read is reported in ``log`` (one line), not skipped silently."""

    def unreadable(exc: OSError) -> None:
        if log is not None:
            where = os.path.realpath(exc.filename or root)
            log.failed.append(Failure(where, f"folder cannot be read ({_reason(exc)}); "
                                      "its files were skipped"))

    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .git, editor folders
        for name in files:
            path = Path(folder, name)
            if not name.startswith(".") and path.is_file():
                yield path


def read_file(path: Path, doc_id: str, log: ReadLog) -> Iterator[Article]:
    """The articles of one file; a file that cannot be read is logged, never raised."""
    if is_streamed(path.suffix):
        yield from _read_streamed(path, doc_id, log)
        return
    origin = str(path.resolve())
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file is too large ({size // 1_000_000} MB; limit "
                             f"{MAX_FILE_BYTES // 1_000_000} MB)")
        own = decoder_for(path.suffix)
        text, note = (own(path.read_bytes()), "") if own else decode(path.read_bytes())
        if note:
            log.warnings.append(f"{path}: {note}")
        # Read the whole file before yielding: a file that fails half way yields nothing, so
        # that it never counts as read whole with articles missing.
        articles = list(reader_for(path.suffix)(text, doc_id, str(path), log))
    except Exception as exc:  # noqa: BLE001 - whatever a reader hits costs this file only
        log.failed.append(Failure(str(path), _reason(exc)))
        return
    for article in articles:
        article.origin = origin
        yield article
    log.complete.add(origin)


def _read_streamed(path: Path, doc_id: str, log: ReadLog) -> Iterator[Article]:
    """A file of many articles (JSONL), line by line: its articles are ingested as they are
    read, and it counts as read whole (so that --prune may drop what it no longer holds)
    only when it was read to the end."""
    origin = str(path.resolve())
    notes: list[str] = []

    def lines(fh) -> Iterator[str]:
        for lineno, raw in enumerate(fh, 1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            line, encoding = decode_line(raw)
            if encoding and not notes:
                notes.append(f"{path}: not valid UTF-8 (line {lineno}); read as {encoding}")
            yield line

    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
            fh.seek(0)
            bom = bom_encoding(head)
            if bom is None and b"\x00" in head:
                raise ValueError("binary file (contains NUL bytes), not a text article")
            # A UTF-16/32 file (with its byte order mark) is read as text in that encoding.
            text_lines = (io.TextIOWrapper(fh, encoding=bom, errors="strict") if bom
                          else lines(fh))
            for article in reader_for(path.suffix)(text_lines, doc_id, str(path), log):
                article.origin = origin
                yield article
    except Exception as exc:  # noqa: BLE001 - whatever a reader hits costs this file only
        log.failed.append(Failure(str(path), _reason(exc)))
        return
    finally:
        log.warnings.extend(notes)
    log.complete.add(origin)


def _reason(exc: Exception) -> str:
    """Why a file failed, in one line (a YAML error spans several)."""
    return " ".join(_why(exc).split())


def _why(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, ValueError) and str(exc):
        return str(exc)
    # Anything else is a reader's own failure on odd input: name it, in one line.
    return f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"
