"""The C heap of long runs (rag/memory.py): glibc's malloc_trim and mallopt, called for real
in fresh processes (the arena cap is process-wide and set once)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

glibc = pytest.mark.skipif(not sys.platform.startswith("linux") or
                           os.confstr("CS_GNU_LIBC_VERSION") is None, reason="glibc only")

PROBE = ("from rag.memory import cap_arenas, give_back_memory, _LIBC; give_back_memory(); "
         "print(_LIBC[0] is not None, cap_arenas(), cap_arenas())")


def _probe(**env) -> str:
    run_env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         env=run_env, check=True)
    return out.stdout.split()


@glibc
def test_the_arena_cap_is_set_once_and_the_heap_trimmed():
    # malloc_trim found; the cap set by the first call only
    assert _probe() == ["True", "True", "False"]


@glibc
def test_a_users_malloc_arena_max_is_left_alone():
    assert _probe(MALLOC_ARENA_MAX="4") == ["True", "False", "False"]
