"""Packed ids (rag/ids.py): the report's lists and the run's id maps behave as a list and a
dict would, across the merges of the map, in a fraction of their memory."""

from __future__ import annotations

import json
import tracemalloc

from rag import ids as packed
from rag.ids import IdMap, Ids
from rag.sources.base import ReadLog
from rag.sources.jsonl import read_jsonl
from rag.types import IngestReport


def _ids(n: int) -> list[str]:
    return [f"realtimeqa-{i:09d}" for i in range(n)]


def test_ids_is_a_list_of_str():
    want = ["a", "", "Zürich 🌍", "bad \udcff byte", "x" * 300]
    got = Ids(want)
    assert got == want and got == tuple(want) and list(got) == want and len(got) == 5
    assert got[0] == "a" and got[-1] == "x" * 300 and got[2] == "Zürich 🌍"
    assert got[1:4] == want[1:4] and got[::-2] == want[::-2]
    assert "bad \udcff byte" in got and "b" not in got
    assert got + ["y"] == [*want, "y"] and ["y"] + got == ["y", *want]
    assert sorted(got) == sorted(want) and repr(got) == repr(want)
    got.append("z")
    got.extend(["w"])
    assert got[-2:] == ["z", "w"] and got != want and Ids() == [] and not Ids()
    try:
        got[7]
    except IndexError:
        pass
    else:
        raise AssertionError("no IndexError past the end")


def test_id_map_is_a_dict_across_merges():
    keys = _ids(3 * packed._PENDING + 17)  # three merges into the sorted arrays and a rest
    m = IdMap()
    for i, k in enumerate(keys):
        m[k] = i % 5
    assert len(m) == len(keys)
    assert all(m.get(k) == i % 5 for i, k in enumerate(keys))
    assert m.get("realtimeqa-x", -1) == -1 and "realtimeqa-x" not in m and 3 not in m
    m[keys[10]] = 4  # already merged: changed in place, not added twice
    m[keys[-1]] = 4  # still pending
    assert m.get(keys[10]) == 4 and m.get(keys[-1]) == 4 and len(m) == len(keys)
    s = IdMap()
    s.add("a")
    assert "a" in s and "b" not in s


def test_packed_ids_take_a_fraction_of_a_list_and_a_dict():
    keys = _ids(100_000)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        report = IngestReport()
        owner = IdMap()
        for k in keys:
            report.added.append(k)
            owner[k] = 0
        packed_bytes = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    # A list of these str and a dict of them: about 140 bytes an id (measured, stop 21).
    assert packed_bytes / len(keys) < 60, packed_bytes / len(keys)
    assert report.to_dict()["added"] == keys
    json.dumps(report.to_dict())  # what `rag ingest --json` prints


def test_jsonl_duplicates_found_after_many_lines():
    lines = [json.dumps({"id": k, "text": f"text {k}"}) for k in _ids(2 * packed._PENDING)]
    lines.append(json.dumps({"id": "realtimeqa-000000007", "text": "again"}))
    log = ReadLog()
    got = list(read_jsonl(lines, "doc", "f.jsonl", log))
    assert len(got) == 2 * packed._PENDING
    assert [f.reason for f in log.failed] == ["duplicate id 'realtimeqa-000000007' in this file"]
    assert log.failed[0].path == f"f.jsonl:{len(lines)}"
