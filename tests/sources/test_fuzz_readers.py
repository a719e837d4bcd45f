"""Property-based: arbitrary bytes through every file reader never raise, never cost the good
article beside them, and every failure is one line. benchmarks/fuzz.py runs the same checks
on thousands of inputs; the suite runs a few dozen per reader."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.chunks import Chunker
from rag.dates import parse_date
from rag.sources import read_paths

GOOD = "The harbour board approved a second ferry for the Ostmere route on Tuesday."
SUFFIXES = (".txt", ".md", ".html", ".jsonl", ".sgm")
SETTINGS = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

_chunker = None


def chunker() -> Chunker:
    global _chunker
    if _chunker is None:
        _chunker = Chunker()
    return _chunker


def check_read(suffix: str, data: bytes) -> str:
    """The property: ``data`` as a file of ``suffix`` beside a good file; "read" or
    "failed" (in the log, with its reason)."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "good.txt").write_text(GOOD)
        (d / f"fuzz{suffix}").write_bytes(data)
        articles, log = read_paths([d])  # must not raise
        assert [a.text for a in articles if a.id == "good.txt"] == [GOOD]
        for f in log.failed:
            assert f.reason and "\n" not in f.reason and "Traceback" not in f.reason
        for w in log.warnings:
            assert "Traceback" not in w
        outcome = "failed" if log.failed else "read"
        for a in articles:
            assert a.text.strip()
            assert a.date == "" or parse_date(a.date) == (a.date, "")
            for c in chunker().split(a):
                assert a.text[c.start:c.end] == c.text
        return outcome


# Bytes that look like each format: markup, front matter, JSON, dates, odd encodings.
def _shaped(suffix: str):
    text = st.text(max_size=300)
    if suffix == ".md":
        body = st.builds(lambda meta, t: f"---\n{meta}\n---\n{t}", text, text)
    elif suffix == ".html":
        tag = st.sampled_from(["div", "p", "span", "article", "time", "meta", "script", "b"])
        body = st.builds(lambda tags, t, depth: "".join(f"<{g}>" for g in tags) * depth + t,
                         st.lists(tag, max_size=5), text, st.integers(0, 60))
    elif suffix == ".jsonl":
        value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | text,
                             lambda inner: st.lists(inner, max_size=3)
                             | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                             max_leaves=8)
        record = st.fixed_dictionaries({}, optional={
            "id": value, "text": text | value, "title": value, "date": text | value,
            "source": value, "url": value, "extra": value})
        body = st.lists(st.one_of(record.map(json.dumps), text), max_size=4).map("\n".join)
    elif suffix == ".sgm":
        tag = st.sampled_from(["<REUTERS", '<REUTERS NEWID="1">', "</REUTERS>", "<BODY>",
                               "</BODY>", "<TITLE>", "</TITLE>", "<DATE>", "</DATE>",
                               " 26-FEB-1987 15:01:01.79", "31-FEB-1987", "  Reuter\n", ">",
                               "&#3;", "&lt;"])
        body = st.lists(tag | text, max_size=12).map("".join)
    else:
        body = st.builds(lambda d, t: f"date: {d}\n{t}", text, text) | text
    encoding = st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1250", "utf-32"])
    return st.builds(lambda b, e: b.encode(e, errors="replace"), body, encoding)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_arbitrary_bytes_never_raise_nor_cost_the_good_file(suffix):
    @SETTINGS
    @given(st.binary(max_size=3000) | _shaped(suffix))
    def prop(data):
        check_read(suffix, data)

    prop()
