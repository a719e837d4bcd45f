"""The C heap of long runs: freed memory given back (malloc_trim), few arenas (mallopt)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_LIBC: list = []  # malloc_trim, or None where there is none


def _libc():
    """glibc (None elsewhere than Linux or when it is not found)."""
    name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    return ctypes.CDLL(name) if name else None


def give_back_memory() -> None:
    """Return the freed parts of the C heap to the system (glibc only).

    Temporaries of native code (request bodies, vectors, the keyword writer's buffers, which
    free memory in other threads' arenas) leave free holes that glibc keeps: trimming after
    each ingestion group lowered its peak RSS by about 10 MB at 32k articles, and after a
    keyword shard is sealed, by the size of its writer's buffer (benchmarks/README.md). It
    takes microseconds; elsewhere than glibc it does nothing."""
    if not _LIBC:
        try:
            libc = _libc()
            _LIBC.append(libc.malloc_trim if libc is not None else None)
        except (OSError, AttributeError):  # musl and others: no malloc_trim
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)


_M_ARENA_MAX = -8  # glibc's mallopt parameter
_CAPPED: list = []


def cap_arenas(n: int = 2) -> bool:
    """Let glibc make at most ``n`` malloc arenas from now on (unless MALLOC_ARENA_MAX is set,
    which glibc has applied already); True when this call set it. Each new thread may get an
    arena of its own, and a freed buffer stays in its arena: a keyword shard's new writer
    brings new threads, and 9 shards of 100,000 chunks held 110-130 MB of private memory
    against 76-79 MB with two arenas (benchmarks/README.md). Elsewhere than glibc it does
    nothing."""
    if _CAPPED or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    _CAPPED.append(True)
    try:
        libc = _libc()
        return libc is not None and libc.mallopt(_M_ARENA_MAX, n) == 1
    except (OSError, AttributeError):  # no mallopt
        return False
