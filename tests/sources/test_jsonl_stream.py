"""JSONL is streamed: a file of any size is read line by line, a bad line costs only itself, and
the file counts as read whole (prunable) only once it was read to the end."""

from __future__ import annotations

import itertools
import json
import tracemalloc

from rag.sources import ReadLog, open_source
from rag.sources.base import MAX_FILE_BYTES


def test_bad_lines_are_reported_and_the_others_read(tmp_path):
    path = tmp_path / "feed.jsonl"
    lines = [json.dumps({"id": "a", "text": "First story."}),
             "{not json",
             json.dumps({"id": "b", "text": "Second story."}),
             json.dumps({"id": "a", "text": "A duplicate id."}),
             json.dumps({"id": "c", "text": ""}),
             json.dumps({"id": "d", "text": "Caf\u00e9 story."}, ensure_ascii=False)]
    data = ("\n".join(lines[:-1]) + "\n").encode() + lines[-1].encode("latin-1") + b"\n"
    path.write_bytes(b"\xef\xbb\xbf" + data)  # a BOM before the first line
    log = ReadLog()
    got = list(open_source([path]).articles(log))
    assert [a.id for a in got] == ["a", "b", "d"]
    assert got[2].text == "Caf\u00e9 story."
    reasons = {f.path.rsplit(":", 1)[1]: f.reason for f in log.failed}
    assert reasons["2"].startswith("malformed JSON")
    assert reasons["4"] == "duplicate id 'a' in this file"
    assert reasons["5"] == "missing or empty 'text'"
    assert any("not valid UTF-8 (line 6)" in w for w in log.warnings)
    assert any("3 line(s) could not be read" in w for w in log.warnings)
    assert str(path.resolve()) in log.complete
    assert open_source([path]).count() == 6


def test_a_huge_file_is_read_lazily_and_counts_as_whole_only_when_finished(tmp_path):
    path = tmp_path / "archive.jsonl"
    line = {"text": "The harbour reopened after the storm. " * 60, "source": "Wire"}
    n = MAX_FILE_BYTES // 2000 + 2000  # beyond the size limit of single-article files
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(json.dumps({**line, "id": f"n{i}"}) + "\n")
    assert path.stat().st_size > MAX_FILE_BYTES

    log = ReadLog()
    tracemalloc.start()
    first = list(itertools.islice(open_source([path]).articles(log), 3))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [a.id for a in first] == ["n0", "n1", "n2"]
    assert peak < 2_000_000  # a few lines in memory, not the file's 50+ MB
    assert str(path.resolve()) not in log.complete  # stopped early: never pruned from

    log = ReadLog()
    assert sum(1 for _ in open_source([path]).articles(log)) == n
    assert str(path.resolve()) in log.complete and not log.failed


def test_a_binary_file_fails_whole(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"id": "x", "text": "y"}\n' + bytes(range(256)))
    log = ReadLog()
    assert list(open_source([path]).articles(log)) == []
    assert log.failed[0].reason.startswith("binary file")
    assert not log.complete
