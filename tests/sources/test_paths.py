"""Files and folders: what cannot be read is said in one line, and costs nothing else."""

from __future__ import annotations

import os

import pytest

from rag.sources import read_paths, register_format
from rag.sources.base import _FORMATS


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 folder anyway, so "
                    "nothing is unreadable to test with")
def test_unreadable_folder_is_reported_not_skipped_silently(tmp_path):
    (tmp_path / "ok.txt").write_text("The harbour opened a new terminal.")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("Never seen.")
    locked.chmod(0)
    try:
        articles, log = read_paths([tmp_path])
    finally:
        locked.chmod(0o755)
    assert [a.id for a in articles] == ["ok.txt"]
    [failure] = log.failed
    assert failure.path == str(locked.resolve())
    assert failure.reason == "folder cannot be read (permission denied); its files were skipped"


def test_a_reader_that_breaks_costs_its_own_file_only(tmp_path):
    """A reader (a registered format) that hits something unexpected fails its file in one
    line; the files around it are read."""

    def fragile(text, doc_id, where, log):
        raise RecursionError("maximum recursion depth exceeded")

    register_format([".frag"], fragile)
    try:
        (tmp_path / "a.txt").write_text("The harbour opened a new terminal.")
        (tmp_path / "b.frag").write_text("anything")
        (tmp_path / "c.txt").write_text("The mine reopened after the strike.")
        articles, log = read_paths([tmp_path])
    finally:
        _FORMATS.pop(".frag", None)
    assert [a.id for a in articles] == ["a.txt", "c.txt"]
    [failure] = log.failed
    assert failure.path.endswith("b.frag")
    assert failure.reason == ("could not be read (RecursionError: maximum recursion depth "
                              "exceeded)")
