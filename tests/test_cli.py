"""The `rag` command as a user runs it: a real process, real index, real output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, IKAROS, SEED_ID

RAG = [sys.executable, "-m", "rag.cli"]


def run(*args, index_dir: Path, stdin: str | None = None, timeout: int = 180):
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir)}
    return subprocess.run([*RAG, *args], capture_output=True, text=True, env=env, input=stdin,
                          timeout=timeout)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_index")
    proc = run("ingest", str(CORPUS), index_dir=d)
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout
    # the progress bar: articles and chunks with their rates (and an ETA: the total is known)
    assert "Ingesting" in proc.stderr and "article/s" in proc.stderr and "chunks/s" in proc.stderr
    return d


def test_ask_json_contract(index_dir):
    proc = run("ask", "--json", IKAROS, index_dir=index_dir)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["abstained"] is False
    assert "269 suspects" in data["answer"] and "112 arrests" in data["answer"]
    text = (CORPUS / SEED_ID).read_text()
    for c in data["citations"]:
        assert set(c) == {"n", "doc_id", "title", "date", "source", "url", "quote", "start",
                          "end", "also_in", "focus_start", "focus_end"}
        assert c["doc_id"] == SEED_ID and c["also_in"] == []  # no other copy of the story
        assert c["quote"] in text  # the article text is the file's body, after its header
        assert f"[{c['n']}]" in data["answer"]


def test_ask_plain_filters_stats_and_reingest(index_dir):
    proc = run("ask", IKAROS, "--since", "2013-01-01", index_dir=index_dir)
    assert proc.returncode == 0 and "do not contain" in proc.stdout
    proc = run("ingest", str(CORPUS), "--quiet", index_dir=index_dir)
    assert "0 added, 0 updated, 1 unchanged" in proc.stdout
    proc = run("stats", "--json", index_dir=index_dir)
    stats = json.loads(proc.stdout)
    assert stats["articles"] == 1 and stats["embed_model"] == "bundled:all-MiniLM-L6-v2"
    assert stats["stories"] == 1 and stats["stories_with_copies"] == 0


def test_chat_keeps_history(index_dir):
    proc = run("chat", index_dir=index_dir, stdin=f"{IKAROS}\nHow many arrests were made?\n\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("112 arrests") >= 2


@pytest.mark.parametrize("question, message", [
    ("   ", "error: the question is empty"),
    ("y" * 100_000, "error: the question is too long (100,000 characters"),
])
def test_bad_question_gives_a_message_not_a_traceback(index_dir, question, message):
    proc = run("ask", question, index_dir=index_dir)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ask_on_an_empty_index_says_what_to_do(tmp_path):
    proc = run("ask", IKAROS, index_dir=tmp_path / "empty")
    assert proc.returncode == 2
    assert "is empty: run `rag ingest PATH` first" in proc.stderr


def test_ingest_bad_inputs_reports_each_and_keeps_the_rest(index_dir, tmp_path):
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)))
    (tmp_path / "bad.jsonl").write_text('{"id": "ok1", "text": "Tea prices rose in Kenya."}\n'
                                        "{oops\n")
    proc = run("ingest", str(tmp_path / "bin.txt"), str(tmp_path / "bad.jsonl"),
               str(tmp_path / "missing"), "--quiet", index_dir=index_dir)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "bin.txt: binary file" in proc.stderr
    assert "bad.jsonl:2: malformed JSON" in proc.stderr
    assert "missing: no such file or folder" in proc.stderr
    assert "1 added" in proc.stdout
    assert json.loads(run("stats", "--json", index_dir=index_dir).stdout)["articles"] == 2


def test_as_of_keeps_old_answers_for_timeless_questions_not_for_this_weeks_news(index_dir):
    # A clear timeless question: the vague IKAROS one scored 0.5003 against the 0.5 threshold
    # as of 2026 with PyTorch's vectors, so that any other backend's rounding could tip it.
    timeless = "How many suspects did operation Ikaros identify?"
    proc = run("ask", "--json", "--as-of", "2026-11-28", timeless, index_dir=index_dir)
    assert proc.returncode == 0, proc.stderr
    assert "269 suspects" in json.loads(proc.stdout)["answer"]
    recent = "Which police operation identified 269 suspects this week?"
    proc = run("ask", recent, "--as-of", "2026-11-28", index_dir=index_dir)
    assert proc.returncode == 0, proc.stderr
    assert "do not contain" in proc.stdout and "7 days before 2026-11-28" in proc.stdout
    proc = run("ask", recent, "--as-of", "2012-06-22", index_dir=index_dir)
    assert "269 suspects" in proc.stdout
    proc = run("ask", recent, "--as-of", "next week", index_dir=index_dir)
    assert proc.returncode == 2 and "as_of must be a date" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--as-of", "2022-13-45"], "error: as_of must be a date as YYYY-MM-DD: '2022-13-45' is "
                                "not a real date (month must be in 1..12)"),
    (["--since", "2012-13-45"], "error: since must be a date as YYYY-MM-DD: '2012-13-45' is "
                                "not a real date (month must be in 1..12)"),
    (["--until", "2021-02-29"], "error: until must be a date as YYYY-MM-DD: '2021-02-29' is "
                                "not a real date (day is out of range for month)"),
])
def test_unreal_dates_are_refused_in_one_line(index_dir, args, message):
    proc = run("ask", IKAROS, *args, index_dir=index_dir)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message


def test_a_question_with_an_invalid_utf8_byte_is_answered(index_dir):
    """`rag ask "$(printf 'caf\xe9')"`: the byte reaches Python as a lone surrogate; it is
    read as cp1252 (é), never a traceback."""
    question = b"What did operation Ikaros achieve, caf\xe9 owners asked?"
    env = {**os.environ, "RAG_INDEX_DIR": str(index_dir)}
    proc = subprocess.run([*[os.fsencode(a) for a in RAG], b"ask", b"--json", question],
                          capture_output=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["status"] in ("answered", "related", "none")
    chat = subprocess.run([*RAG, "chat"], capture_output=True, env=env, timeout=180,
                          input=b"What did operation Ikaros achieve, caf\xe9?\n\n")
    assert chat.returncode == 0 and b"Traceback" not in chat.stderr
    assert b"error" not in chat.stdout + chat.stderr
    from rag.cli import _arg_text

    assert _arg_text(question.decode("utf-8", "surrogateescape")) == \
        "What did operation Ikaros achieve, café owners asked?"


def test_ingest_of_a_missing_path_exits_2(tmp_path):
    proc = run("ingest", str(tmp_path / "nowhere"), "--quiet", index_dir=tmp_path / "idx")
    assert proc.returncode == 2
    assert f"failed: {tmp_path / 'nowhere'}: no such file or folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_watch_and_ingest_refuse_bad_input_in_one_line(tmp_path, capsys):
    from rag.cli import main

    idx = ["--index-dir", str(tmp_path / "index")]
    assert main(["watch", str(tmp_path / "missing.txt"), *idx]) == 2
    assert capsys.readouterr().err.strip() == \
        f"error: {tmp_path / 'missing.txt'}: No such file or directory"
    empty = tmp_path / "FEEDS.txt"
    empty.write_text("# nothing yet\n")
    assert main(["watch", str(empty), *idx]) == 2
    assert "lists no feeds" in capsys.readouterr().err
    empty.write_text("https://feeds.example.org/rss.xml\n")
    assert main(["watch", str(empty), "--every", "soon", *idx]) == 2
    assert "cannot read the interval 'soon'" in capsys.readouterr().err
