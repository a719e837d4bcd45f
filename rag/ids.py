"""Article ids of one run, packed: an ingestion of a million articles keeps every id it saw
without a million str objects.

A ``list`` of str costs about 80 bytes an id (the object and its slot) and a ``dict`` or
``set`` of them 30-100 more; a run kept three such collections of its ids (the report, the
id-to-file map, the JSONL reader's duplicate check): about 0.14 KB an article, the part of
an ingestion's memory that grew with the corpus (benchmarks/README.md).

- ``Ids``: an append-only sequence of str (the report's lists) in one UTF-8 buffer with an end
  offset each: the id's length plus 8 bytes.
- ``IdMap``: str -> small int, and a set (``add``, ``in``): each id's 128-bit BLAKE2 digest as
  two 64-bit halves in sorted NumPy arrays, the newest few thousand in a dict until they are
  merged in: 20 bytes an id. Two distinct ids of a billion share a digest with odds of about 1
  in 10^20, so a digest stands for its id.
Python has no packed str containers; NumPy has no hash map, hence these few lines.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

_PENDING = 4096  # digests kept in a dict before a merge into the sorted arrays


class Ids(Sequence[str]):
    """An append-only list of str, packed (equal to a list or tuple of the same strings)."""

    __slots__ = ("_buf", "_ends")

    def __init__(self, ids: Iterable[str] = ()):
        self._buf = bytearray()
        self._ends = array("Q")
        self.extend(ids)

    def append(self, doc_id: str) -> None:
        self._buf += doc_id.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._buf))

    def extend(self, ids: Iterable[str]) -> None:
        for doc_id in ids:
            self.append(doc_id)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self._ends)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("Ids index out of range")
        start = self._ends[i - 1] if i else 0
        return self._buf[start:self._ends[i]].decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        buf, start = self._buf, 0
        for end in self._ends:
            yield buf[start:end].decode("utf-8", "surrogatepass")
            start = end

    def __eq__(self, other) -> bool:
        if isinstance(other, Ids | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other,
                                                                            strict=True))
        return NotImplemented

    __hash__ = None  # mutable, like a list

    def __add__(self, other) -> list[str]:
        return [*self, *other]

    def __radd__(self, other) -> list[str]:
        return [*other, *self]

    def __repr__(self) -> str:
        return repr(list(self))


def _digest(doc_id: str) -> bytes:
    return hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class IdMap:
    """str -> int (0 <= value < 2**31), packed; also a set of ids (``add``, ``in``)."""

    __slots__ = ("_hi", "_lo", "_val", "_new")

    def __init__(self):
        self._hi = np.empty(0, dtype=np.uint64)
        self._lo = np.empty(0, dtype=np.uint64)
        self._val = np.empty(0, dtype=np.int32)
        self._new: dict[bytes, int] = {}

    def _find(self, key: bytes) -> int:
        """The position of ``key`` in the sorted arrays, or -1."""
        hi, lo = int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")
        i = int(np.searchsorted(self._hi, np.uint64(hi), side="left"))
        while i < len(self._hi) and int(self._hi[i]) == hi:
            if int(self._lo[i]) == lo:
                return i
            i += 1
        return -1

    def get(self, doc_id: str, default: int | None = None) -> int | None:
        key = _digest(doc_id)
        v = self._new.get(key)
        if v is not None:
            return v
        i = self._find(key)
        return int(self._val[i]) if i >= 0 else default

    def __setitem__(self, doc_id: str, value: int) -> None:
        key = _digest(doc_id)
        if key not in self._new:
            i = self._find(key)
            if i >= 0:
                self._val[i] = value
                return
        self._new[key] = value
        if len(self._new) >= _PENDING:
            self._merge()

    def add(self, doc_id: str) -> None:
        self[doc_id] = 0

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def __len__(self) -> int:
        return len(self._hi) + len(self._new)

    def _merge(self) -> None:
        n = len(self._new)
        halves = np.frombuffer(b"".join(self._new), dtype="<u8").reshape(n, 2)
        hi, lo = halves[:, 0].astype(np.uint64), halves[:, 1].astype(np.uint64)
        val = np.fromiter(self._new.values(), dtype=np.int32, count=n)
        hi, lo = np.concatenate([self._hi, hi]), np.concatenate([self._lo, lo])
        val = np.concatenate([self._val, val])
        order = np.lexsort((lo, hi))  # by hi, then lo
        self._hi, self._lo, self._val = hi[order], lo[order], val[order]
        self._new = {}
