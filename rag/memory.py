"""Giving freed C-heap memory back to the system (glibc's malloc_trim)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_LIBC: list = []


def give_back_memory() -> None:
    """Return the freed parts of the C heap to the system (glibc only).

    Temporaries of native code (request bodies, vectors, the keyword writer's buffers, which
    free memory in other threads' arenas) leave free holes that glibc keeps: trimming after
    each ingestion group lowered its peak RSS by about 10 MB at 32k articles, and after a
    keyword shard is sealed, by the size of its writer's buffer (benchmarks/README.md). It
    takes microseconds; elsewhere than glibc it does nothing."""
    if not _LIBC:
        name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
        try:
            libc = ctypes.CDLL(name) if name else None
            _LIBC.append(libc.malloc_trim if libc is not None else None)
        except (OSError, AttributeError):  # musl and others: no malloc_trim
            _LIBC.append(None)
    if _LIBC[0] is not None:
        _LIBC[0](0)
