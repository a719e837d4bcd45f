"""Files and folders named by the user, read by the format registered for each suffix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..types import Article, Failure
from .base import MAX_FILE_BYTES, ReadLog, decode, decoder_for, reader_for, supported_suffixes


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
                for path in sorted(_walk(root)):
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


def _walk(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel):
            continue  # hidden files and folders (.git, editor swap files)
        if path.is_file():
            yield path


def read_file(path: Path, doc_id: str, log: ReadLog) -> Iterator[Article]:
    """The articles of one file; a file that cannot be read is logged, never raised."""
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
    except (OSError, ValueError) as exc:
        log.failed.append(Failure(str(path), _reason(exc)))
        return
    for article in articles:
        article.origin = origin
        yield article
    log.complete.add(origin)


def _reason(exc: Exception) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
