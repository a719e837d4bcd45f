"""The browser chat's parts without a server: rendering, the backend, the lock."""

from __future__ import annotations

import threading
import time

import pytest


def test_render_escapes_and_marks():
    from rag import Answer, AnswerSentence, Citation
    from ui import render

    cite = Citation(1, "d<1>", "<b>T</b>", "2020-01-01", "S", "javascript:x", "q <i>", 5, 12)
    ans = Answer("q", "x", [cite], False, sentences=[
        AnswerSentence("A <script>x</script> [y](javascript:z)", [1]),
        AnswerSentence("Made up.", [], supported=False)])
    html = render.answer_html(ans, 3)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="#rag-src-3-1"' in html and "unsupported" in html
    assert "\n\n" not in html
    abst = render.answer_html(Answer("q", "No.", [], True), 1)
    assert "rag-abstain" in abst and "No answer" in abst
    assert render.safe_url("javascript:alert(1)") == "" and render.safe_url("data:x") == ""
    assert render.safe_url("https://example.org/a") == "https://example.org/a"
    text = "Para one.\n\nBefore it. The quote here. After it.\n\nPara three."
    start = text.index("The quote")
    before, quote, after = render.paragraph_around(text, start, start + len("The quote here."))
    assert (before, quote, after) == ("Para one.\n\nBefore it. ", "The quote here.",
                                      " After it.\n\nPara three.")
    assert render.paragraph_around(text, start, start + 15, limit=40)[0] == "Before it. "
    assert "rag-pbreak" in render.esc_paragraphs("a <b>\n\nc")
    long = "word " * 400 + "KEY." + " word" * 400
    b, q, a = render.paragraph_around(long, long.index("KEY"), long.index("KEY") + 4)
    assert q == "KEY." and b.startswith("\u2026") and a.endswith("\u2026")
    assert len(b) + len(a) < 1000


def test_parse_auth():
    from rag import RagError
    from ui.app import is_loopback, parse_auth
    from ui.backend import safe_filename

    assert parse_auth("u:p:q") == ("u", "p:q")
    assert parse_auth(None) is None and parse_auth("") is None
    for bad in ("user", ":p", "u:"):
        with pytest.raises(RagError):
            parse_auth(bad)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")
    assert safe_filename("../../etc/<x>.md") == "_x_.md"


def test_streaming_goes_through_the_one_ask_path():
    """Backend streams a session's answer from ``Assistant.stream(request)``: the request
    carries the conversation so far, the pieces arrive as they come (paced), the answered turn
    joins the session, and unsupported sentences are marked."""
    from rag import Answer, AnswerRequest, AnswerSentence, Citation, Settings
    from rag.chat import Turn
    from ui import render
    from ui.backend import Backend

    cite = Citation(1, "d1", "T", "2020-01-01", "S", "", "A fact.", 0, 7)
    final = Answer("q", "A fact. [1] A guess.", [cite], False, sentences=[
        AnswerSentence("A fact.", [1]), AnswerSentence("A guess.", [], supported=False)])
    seen: list[AnswerRequest] = []

    class Scripted:
        settings = Settings()

        def stream(self, request):
            seen.append(request)
            yield from ("A fa", "ct. [1]", " A guess.")
            yield final

    turns = [Turn("earlier question", final)]
    steps = list(Backend(Scripted()).answer_stream(turns, "q", None, as_of="2020-01-02"))
    assert [t for t, _a in steps] == ["A fa", "A fact. [1]", "A fact. [1] A guess.", final.text]
    assert steps[-1][1] is final and len(turns) == 2
    assert [t.question for t in seen[0].history] == ["earlier question"]
    assert seen[0].as_of == "2020-01-02"
    html = render.answer_html(final, 1)
    assert html.count("rag-cite") == 1 and "rag-unsupported" in html


def test_backend_over_a_memory_index_answers_and_keeps_sessions_apart(tmp_path):
    """The whole backend with the fake embedder and the memory store: fast, no model."""
    from rag import Assistant
    from ui.backend import Backend

    bot = Assistant(index_dir=tmp_path, store="memory", embed_backend="fake")
    (tmp_path / "a.txt").write_text("date 2021-04-02 The Brisvale heron sanctuary counted 412 "
                                    "nesting pairs this spring, its wardens said.")
    (tmp_path / "b.txt").write_text("date 2021-06-11 The Draxmoor tram line will be extended "
                                    "by 7 kilometres to the airport, the council decided.")
    backend = Backend(bot)
    rows = backend.add_files([tmp_path / "a.txt", tmp_path / "b.txt"])
    assert [r["result"] for r in rows] == ["added", "added"]
    one, two = [], []
    *_, (_t, first) = backend.answer_stream(one, "How many nesting pairs did the heron "
                                                 "sanctuary count?", None, paced=False)
    *_, (_t, other) = backend.answer_stream(two, "How far will the Draxmoor tram line be "
                                                 "extended?", None, paced=False)
    assert "412" in first.text and "7 kilometres" in other.text
    assert len(one) == 1 and len(two) == 1
    info = backend.corpus_info()
    assert info["stats"]["articles"] == 2 and info["dates"] == ("2021-04-02", "2021-06-11")


def test_rwlock_lets_a_waiting_writer_go_first():
    from ui.backend import RWLock

    lock, order = RWLock(), []
    with lock.read():

        def write():
            with lock.write():
                order.append("write")

        def read():
            with lock.read():
                order.append("read")

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.2)  # the writer now waits for the first reader
        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.2)
        assert order == []  # the new reader waits behind the writer
    writer.join(5)
    reader.join(5)
    assert order == ["write", "read"]


def test_feeds_table_and_also_in_are_escaped():
    from rag import Citation
    from ui import render

    rows = [{"feed": "https://x.example/rss?a=<b>", "title": "<img src=x onerror=alert(1)>",
             "entries": 3, "polled_at": "2026-11-29T10:00:00+00:00", "status": "failed",
             "new": 0, "updated": 0, "unchanged": 0, "failed": 1,
             "error": "HTTP 500 <script>x</script>"},
            {"feed": "https://y.example/atom", "entries": 0}]
    html = render.feeds_table(rows)
    assert "<img" not in html and "<script>" not in html and "&lt;img" in html
    assert "rag-result-bad" in html and "2026-11-29 10:00:00 UTC" in html
    assert "waiting for the first poll" in html
    assert "rag serve --watch" in render.feeds_table([], watching=False)
    cite = Citation(1, "d", "t", "", "", "", "q", 0, 1, also_in=[
        {"doc_id": "e", "title": "<b>Copy</b>", "source": "Post", "date": "2022-01-02",
         "url": "javascript:x"}])
    also = render.also_in_html(cite)
    assert "Also reported by 1 other article" in also and "&lt;b&gt;Copy" in also
    assert "javascript" not in also and render.also_in_html(Citation(1, "d", "t", "", "", "",
                                                                     "q", 0, 1)) == ""


def test_add_feed_refuses_private_and_non_http(tmp_path):
    from rag import Assistant, RagError
    from ui.backend import Backend

    backend = Backend(Assistant(index_dir=tmp_path / "index"))
    with pytest.raises(RagError, match="not watching feeds"):
        backend.add_feed("https://example.org/rss.xml")
    backend.start_watch(tmp_path / "FEEDS.txt", every=3600, allow_private=False)
    try:
        with pytest.raises(RagError, match="loopback address 127.0.0.1"):
            backend.add_feed("http://127.0.0.1:9/feed.xml")
        with pytest.raises(RagError, match="a feed is added by its http"):
            backend.add_feed("file:///etc/passwd.xml")
        with pytest.raises(RagError, match="is not watched"):
            backend.remove_feed("https://example.org/rss.xml")
        assert backend.feeds_status() == [] and not (tmp_path / "FEEDS.txt").exists()
    finally:
        backend.stop_watch()
    assert not backend.watching


def test_safe_filename_keeps_letters_and_its_suffix():
    from ui.backend import MAX_NAME_BYTES, safe_filename

    assert safe_filename("新闻.txt") == "新闻.txt" and safe_filename("报告.txt") == "报告.txt"
    assert safe_filename("Cafe\u0301.md") == "Caf\u00e9.md"  # NFC
    assert safe_filename("C:\\Users\\x\\..\\notes.md") == "notes.md"
    assert safe_filename("...hidden.txt") == "hidden.txt"
    assert safe_filename("a\u202eevil\x00.txt") == "a_evil_.txt"  # control, bidi override
    for long in ("a" * 300 + ".txt", "日" * 300 + ".jsonl", "é" * 299 + ".html"):
        name = safe_filename(long)
        assert name.endswith(long[long.rindex("."):]), name
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES < 255
        assert name.encode("utf-8").decode("utf-8") == name  # cut on a character
    assert safe_filename("") == "upload" and safe_filename("..") == "upload"


def test_store_upload_never_replaces_another_file(tmp_path):
    from ui.backend import MAX_NAME_BYTES, store_upload

    folder, a, b = tmp_path / "uploads", tmp_path / "a", tmp_path / "b"
    folder.mkdir()
    a.mkdir()
    b.mkdir()
    (a / "x.txt").write_text("first")
    (b / "x.txt").write_text("second")
    first, note = store_upload(a / "x.txt", folder, "新闻.txt")
    assert first == folder / "新闻.txt" and note == ""
    second, note = store_upload(b / "x.txt", folder, "新闻.txt")
    assert second != first and second.name.startswith("新闻-") and second.suffix == ".txt"
    assert "added as " + second.name in note
    assert first.read_text() == "first" and second.read_text() == "second"
    assert store_upload(b / "x.txt", folder, "新闻.txt")[0] == second  # same content: same file
    assert store_upload(a / "x.txt", folder, "新闻.txt") == (first, "")
    long = "長" * 66 + ".txt"  # 202 bytes: the hash must still fit
    store_upload(a / "x.txt", folder, long)
    other, _ = store_upload(b / "x.txt", folder, long)
    assert other.suffix == ".txt" and len(other.name.encode()) <= MAX_NAME_BYTES
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_upload_limits_refuse_the_whole_upload_and_write_nothing(tmp_path, monkeypatch):
    from rag import Assistant, RagError
    from ui.backend import Backend

    gradio_tmp = tmp_path / "gradio"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(gradio_tmp))
    bot = Assistant(index_dir=tmp_path / "index", store="memory", embed_backend="fake",
                    ui_max_upload_files=2, ui_max_upload_mb=0.01)
    backend = Backend(bot)
    files = []
    for i in range(3):  # as gradio keeps uploads: a folder per file under its temp folder
        (gradio_tmp / f"h{i}").mkdir(parents=True)
        files.append(gradio_tmp / f"h{i}" / f"f{i}.txt")
        files[-1].write_text(f"The Tarrow apple harvest reached {i} tonnes.")
    with pytest.raises(RagError, match=r"3 files in one upload: the limit is 2 files"):
        backend.add_files(files)
    assert not backend.upload_dir.exists() and bot.stats()["articles"] == 0
    assert list(gradio_tmp.iterdir()) == []  # gradio's copies removed all the same
    big = gradio_tmp / "h9" / "big.txt"
    big.parent.mkdir()
    big.write_text("word " * 4000)
    with pytest.raises(RagError, match=r"come to 0\.0191 MB: the limit is 0\.01 MB per upload"):
        backend.add_files([big])
    assert not backend.upload_dir.exists() and not big.exists()
    ok = gradio_tmp / "h8" / "ok.txt"
    ok.parent.mkdir()
    ok.write_text("The Tarrow apple harvest reached 5,300 tonnes.")
    assert backend.add_files([ok])[0]["result"] == "added"
    assert list(gradio_tmp.iterdir()) == [] and (backend.upload_dir / "ok.txt").exists()
    again = backend.add_files([ok])  # the box still names it: a message, not a traceback
    assert again[0]["result"] == "failed" and "upload it again" in again[0]["details"]


def test_no_server_path_in_what_visitors_see(tmp_path):
    from rag import Assistant
    from ui.backend import Backend

    index = tmp_path / "secret-place" / "my-index"
    bot = Assistant(index_dir=index, embed_backend="fake")  # Chroma: its location is a path
    backend = Backend(bot)
    (tmp_path / "a.txt").write_text("The Tarrow apple harvest reached 5,300 tonnes.")
    backend.add_files([tmp_path / "a.txt"])
    shown = backend.stats_html()
    assert str(index) in bot.stats()["index"]  # `rag stats` (the server's owner) sees it all
    assert "secret-place" not in shown and "<td>my-index</td>" in shown
    msg = backend.public(f"cannot open {index}/uploads/a.txt or {index}/chroma.sqlite3")
    assert msg == "cannot open uploads/a.txt or my-index/chroma.sqlite3"


def test_clear_stops_an_answer_being_written(tmp_path):
    """Clear while an answer streams: the answer stops at its next step and never brings the
    cleared conversation back (the browser would otherwise show it again)."""
    from rag import Assistant
    from ui.app import build_app
    from ui.backend import Backend

    bot = Assistant(index_dir=tmp_path, store="memory", embed_backend="fake")
    (tmp_path / "a.txt").write_text("date 2021-04-02 The Brisvale heron sanctuary counted 412 "
                                    "nesting pairs this spring, its wardens said.")
    backend = Backend(bot)
    backend.add_files([tmp_path / "a.txt"])
    fns = {f.api_name: f.fn for f in build_app(bot, backend).fns.values()}
    chat, clear = fns["ui_chat_click"], fns["ui_clear"]

    question = "How many nesting pairs did the heron sanctuary count?"
    whole = list(chat(question, None, "", "", [], ""))
    assert "412" in whole[-1][0][-1]["content"]  # unhindered, it answers

    state = None
    steps = chat(question, state, "", "", [], "")
    msgs, _panel, state, _box = next(steps)  # the question shown, its answer pending
    assert "rag-pending" in msgs[-1]["content"]
    emptied = clear(state)
    assert emptied[0] == [] and emptied[2]["chat"] == []
    assert list(steps) == []  # nothing more is shown once cleared
