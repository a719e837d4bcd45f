"""`rag serve --watch FEEDS.txt`: the browser's index kept fresh from feeds (a real server,
a loopback feed server in this process, gradio_client and a real Chromium).

Two outlets' copies of one story come through a feed: the answer cites one and says it was
also reported by the other; the Corpus tab lists the feed (its title escaped) with its last
poll, and adds and removes feeds; a question is answered while a slow feed is being read.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from conftest import ROOT
from loopback import Loopback
from serving import stop_process
from test_app import (
    CHROMIUM_ARGS,
    START_TIMEOUT,
    chromium_path,
    fill_field,
    free_port,
    rag_command,
)

STORY = ("The Quexton harbour board said on Friday that the ferry to Ostmere will sail every "
         "40 minutes from next Monday, up from once an hour, after a second boat was bought "
         "from a shipyard in Tarrow for 3.2 million crowns.\n\n"
         "The board expects 900 more passengers a day during the summer season and will hire "
         "six new crew members. Tickets will keep their current price until the end of the "
         "year, the board chairwoman Imke Vandersloot told reporters at the harbour.\n\n"
         "Commuters have long complained about queues at the Ostmere pier in the mornings.")
QUESTION = "How often will the ferry to Ostmere sail from next Monday?"
EVIL_TITLE = '<b onmouseover="window.__pwned=1">Quexton</b> wire <script>window.__pwned=2</script>'


def get_json(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


@pytest.fixture(scope="module")
def feeds():
    with Loopback() as lb:
        lb.news_title = EVIL_TITLE
        lb.news["ferry-herald"] = {"title": "Ostmere ferry to sail every 40 minutes",
                                   "date": "2022-06-10", "site": "Quexton Herald",
                                   "text": STORY}
        lb.news["ferry-post"] = {"title": "Ferry to Ostmere will sail every 40 minutes",
                                 "date": "2022-06-11", "site": "Brisvale Post",
                                 "text": STORY + " Reporting by the Brisvale desk."}
        yield lb


@pytest.fixture(scope="module")
def server(feeds, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("watch_ui")
    feeds_file = tmp / "FEEDS.txt"
    feeds_file.write_text(f"# the wire\n{feeds.url('/feeds/news.xml')}\n")
    port = free_port()
    log_path = tmp / "server.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAG_FETCH_HOST_DELAY": "0",
           "RAG_FETCH_WORKERS": "1", "RAG_WATCH_BATCH": "2"}
    for key in ("RAG_INDEX_DIR", "RAG_AUTH"):
        env.pop(key, None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*rag_command(), "serve", "--index-dir", str(tmp / "index"), "--port", str(port),
             "--no-corpus", "--watch", str(feeds_file), "--every", "1h", "--allow-private"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "Running on local URL" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"rag serve did not start:\n{log_path.read_text()}")
            time.sleep(0.5)
        c = get_json(url)
        while not [f for f in c.predict(api_name="/feeds") if f.get("status") == "ok"]:
            if time.monotonic() > deadline:
                pytest.fail(f"the first poll did not end:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield {"url": url, "feeds_file": feeds_file, "log": log_path}
    finally:
        stop_process(proc, timeout=30)


def test_feed_articles_answer_with_their_other_copies(server, feeds):
    c = get_json(server["url"])
    (feed,) = c.predict(api_name="/feeds")
    # the feed's title is text: its markup and script are dropped when the feed is read
    assert feed["feed"] == feeds.url("/feeds/news.xml") and feed["title"] == "Quexton wire"
    assert (feed["status"], feed["new"], feed["failed"], feed["entries"]) == ("ok", 2, 0, 2)
    out = c.predict(QUESTION, api_name="/ask")
    assert not out["abstained"] and "40 minutes" in out["answer"]
    cite = out["citations"][0]
    # the earlier copy answers; the later one is named, not cited again
    assert cite["doc_id"] == feeds.url("/news/ferry-herald.html")
    assert cite["source"] == "Quexton Herald"
    assert [o["doc_id"] for o in cite["also_in"]] == [feeds.url("/news/ferry-post.html")]
    assert cite["also_in"][0]["source"] == "Brisvale Post"
    assert {c["doc_id"] for c in out["citations"]} == {cite["doc_id"]}


def test_questions_answered_while_a_slow_feed_is_read(server, feeds):
    c = get_json(server["url"])
    slow = feeds.url("/gen/feed/9.xml?n=6")
    feeds.page_delay = 2.0  # six pages, one at a time: at least 12 s of reading
    try:
        with pytest.raises(Exception, match="a feed is added by its http"):
            c.predict("file:///etc/passwd.xml", api_name="/add_feed")
        assert "being read now" in c.predict(slow, api_name="/add_feed")
        assert "already watched" in c.predict(slow, api_name="/add_feed")
        time.sleep(1.0)
        out = c.predict(QUESTION, api_name="/ask")
        status = {f["feed"]: f for f in c.predict(api_name="/feeds")}
        assert not out["abstained"] and "40 minutes" in out["answer"]
        assert status[slow].get("status") is None, "the slow feed was already read"
        deadline = time.monotonic() + 180
        while status[slow].get("status") != "ok" and time.monotonic() < deadline:
            time.sleep(0.5)
            status = {f["feed"]: f for f in c.predict(api_name="/feeds")}
        assert status[slow]["new"] == 6
    finally:
        feeds.page_delay = 0.0
    assert slow in server["feeds_file"].read_text()
    assert "removed" in c.predict(slow, api_name="/remove_feed")
    assert slow not in server["feeds_file"].read_text()
    assert server["feeds_file"].read_text().startswith("# the wire\n")
    assert [f["feed"] for f in c.predict(api_name="/feeds")] == [feeds.url("/feeds/news.xml")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_browser_shows_also_reported_and_the_feeds(browser, server, feeds):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    outside: list[str] = []
    pg.on("request", lambda r: r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1",
                                                 "data:", "blob:")) or outside.append(r.url))
    pg.goto(server["url"])
    pg.wait_for_selector("#rag-question textarea")
    pg.fill("#rag-question textarea", QUESTION)
    pg.click("#rag-send")
    pg.wait_for_selector("#rag-sources .rag-src .rag-also")
    also = pg.locator("#rag-src-1-1 .rag-also")
    assert also.locator("summary").inner_text().strip() == "Also reported by 1 other article"
    also.locator("summary").click()
    assert "Brisvale Post" in also.inner_text() and "Ferry to Ostmere" in also.inner_text()

    pg.get_by_role("tab", name="Corpus").click()
    pg.wait_for_selector("#rag-feeds table.rag-feeds")
    table = pg.inner_text("#rag-feeds")
    assert feeds.url("/feeds/news.xml") in table and "Quexton wire" in table
    # its last poll: the first ("ok", 2 new) or, after the other test's poll, a 304
    assert ("2 new, 0 updated, 0 unchanged, 0 failed" in table
            or "not modified" in table and "0 new, 0 updated, 2 unchanged, 0 failed" in table)
    added = feeds.url("/feeds/atom.xml")
    fill_field(pg, "#rag-feed-url textarea, #rag-feed-url input", added)
    pg.click("#rag-add-feed")
    pg.wait_for_function("() => /being read now/.test("
                         "document.querySelector('#rag-feed-msg').innerText)")
    pg.wait_for_function(f"() => document.querySelector('#rag-feeds').innerText"
                         f".includes({added!r})")
    pick = pg.locator("#rag-feed-pick input").first
    pick.click()
    pick.fill(added)
    pg.get_by_role("option", name=added).click()
    pg.click("#rag-remove-feed")
    pg.wait_for_function("() => /removed/.test("
                         "document.querySelector('#rag-feed-msg').innerText)")
    assert added not in pg.inner_text("#rag-feeds")
    assert pg.evaluate("window.__pwned") is None
    assert outside == []
    context.close()
