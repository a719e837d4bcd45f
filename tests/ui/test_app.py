"""The browser chat (`rag serve`): one real server per module, driven by gradio_client and by a
real headless Chromium (Playwright with the Debian `chromium`).

The server is started the way the README does (the `rag serve` command) on a free loopback
port, over a temporary index that it fills from corpus/ itself, with RAG_AUTH set so that the
login is exercised too. Set RAG_UI_SCREENSHOT=PATH to also save the Ikaros screenshot there
(that is how docs/screenshot.png is made).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import IKAROS, ROOT, SEED_ID
from serving import free_port, rag_command, stop_process

AUTH = ("reader", "s3cret-pass")
START_TIMEOUT = 300  # seconds; the CPU is shared, cold imports alone take 10-20 s

# Eight made-up articles, each with one fact that only it holds: (id, source, date, text,
# question, what the answer must contain).
FACTS = [
    ("fact-heron", "Brisvale Post", "2021-04-02",
     "The Brisvale heron sanctuary counted 412 nesting pairs this spring, its wardens said. "
     "Volunteers ring the chicks every May.",
     "How many nesting pairs did the Brisvale heron sanctuary count?", "412"),
    ("fact-tram", "Quexton Herald", "2021-06-11",
     "The Draxmoor tram line will be extended by 7 kilometres to the airport, the city "
     "council decided. Construction starts next year.",
     "By how many kilometres will the Draxmoor tram line be extended?", "7 kilometres"),
    ("fact-cheese", "Brisvale Post", "2020-11-20",
     "The Kelvanor cheese fair awarded its gold medal to a smoked goat cheese from Tarrow. "
     "The fair drew record crowds.",
     "Which cheese won the gold medal at the Kelvanor cheese fair?", "smoked goat cheese"),
    ("fact-bridge", "Quexton Herald", "2019-03-15",
     "The Ostmere suspension bridge was closed for 19 days after a cable inspection found "
     "corrosion. Ferries carried commuters meanwhile.",
     "For how many days was the Ostmere suspension bridge closed?", "19 days"),
    ("fact-orchestra", "Brisvale Post", "2022-01-08",
     "The Pellworth youth orchestra chose Imke Vandersloot as its new conductor. She "
     "previously led a choir in Utrecht.",
     "Who did the Pellworth youth orchestra choose as its new conductor?", "Vandersloot"),
    ("fact-comet", "Quexton Herald", "2022-08-30",
     "Astronomers at the Halvik observatory named the newly found comet Halvik-Okafor. It "
     "will pass closest to the Sun in 2031.",
     "What name did the Halvik observatory give the new comet?", "Halvik-Okafor"),
    ("fact-harvest", "Brisvale Post", "2018-09-09",
     "The Tarrow apple harvest reached 5,300 tonnes, the highest in a decade, growers "
     "reported. Cider makers bought most of it.",
     "How many tonnes did the Tarrow apple harvest reach?", "5,300 tonnes"),
    ("fact-marathon", "Quexton Herald", "2023-05-21",
     "The Wexcombe marathon was won by Dana Iturbe in 2 hours 11 minutes. The course "
     "follows the old canal.",
     "Who won the Wexcombe marathon?", "Dana Iturbe"),
]

# Article text and titles that would run script if rendered as HTML or markdown links.
EVIL_JSONL = {
    "id": "evil-zorblat",
    "title": "<img src=x onerror=\"window.__pwned='img-title'\"> Zorblat <script>"
             "window.__pwned='script-title'</script> bridge [x](javascript:alert('md-title'))",
    "date": "2021-03-04",
    "source": "<b onmouseover=\"window.__pwned='source'\">Evil Times</b>",
    "url": "javascript:window.__pwned='url'",
    "text": "The Zorblat bridge in Quexton was painted teal in March. "
            "<img src=x onerror=\"window.__pwned='img-text'\"> The Zorblat bridge engineers "
            "said <script>window.__pwned='script-text'</script> the teal paint resists salt. "
            "Click [the Zorblat report](javascript:alert('md-text')) for more on the Zorblat "
            "bridge painted teal.\n\nA second paragraph about the weather in Quexton.",
}
EVIL_MD = ("# <img src=x onerror=\"window.__pwned='md-h1'\"> Quexton ferry\n\n"
           "The Quexton ferry <svg onload=\"window.__pwned='svg'\"></svg> now sails hourly "
           "to Ostmere [timetable](javascript:alert('md-link')) all year.\n")


# --- the server ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`rag serve` on a free loopback port over an empty temporary index (it indexes corpus/
    itself), login from RAG_AUTH; the eight FACTS articles are then uploaded through the API."""
    tmp = tmp_path_factory.mktemp("ui_server")
    port = free_port()
    log_path = tmp / "server.log"
    env = {**os.environ, "RAG_AUTH": f"{AUTH[0]}:{AUTH[1]}", "PYTHONUNBUFFERED": "1"}
    env.pop("RAG_INDEX_DIR", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*rag_command(), "serve", "--index-dir", str(tmp / "index"), "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"rag serve exited with {proc.returncode}:\n{log_path.read_text()}")
            if "Running on local URL" in log_path.read_text(errors="replace"):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"rag serve did not start in {START_TIMEOUT} s:\n{log_path.read_text()}")
        facts = tmp / "facts.jsonl"
        facts.write_text("".join(json.dumps({"id": i, "source": s, "date": d, "text": t,
                                             "title": f"{s}: {t.split(',')[0][:60]}"}) + "\n"
                                 for i, s, d, t, _q, _a in FACTS))
        rows = client(url).predict([handle_file(facts)], api_name="/add_articles")[0]
        assert rows == [{"file": "facts.jsonl", "result": "added", "articles": "8 added",
                         "details": ""}], rows
        yield {"url": url, "port": port, "log": log_path, "tmp": tmp}
    finally:
        stop_process(proc)


def client(url):
    from gradio_client import Client

    return Client(url, auth=AUTH, verbose=False)


def handle_file(path):
    from gradio_client import handle_file as hf

    return hf(str(path))


# --- login, API ------------------------------------------------------------------------------


def test_server_indexed_corpus_and_requires_login(server):
    assert "indexing" in server["log"].read_text()  # the empty index was filled from corpus/
    for path in ("config", "gradio_api/info"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server["url"] + path, timeout=30)
        assert err.value.code == 401


def test_ask_api_round_trip(server):
    c = client(server["url"])
    out = c.predict(IKAROS, api_name="/ask")
    assert set(out) >= {"answer", "abstained", "citations"}
    assert json.loads(json.dumps(out)) == out
    assert not out["abstained"]
    assert "Ikaros" in out["answer"] and "[1]" in out["answer"]
    first = out["citations"][0]
    assert first["n"] == 1 and first["doc_id"] == SEED_ID
    assert "112 arrests" in first["quote"] and first["quote"] in out["answer"]
    assert first["date"] == "2012-06-21"

    # filters after the question: a date range or a source without the article abstains
    after = c.predict(IKAROS, "2013-01-01", api_name="/ask")
    assert after["abstained"] or SEED_ID not in {x["doc_id"] for x in after["citations"]}
    same = c.predict(IKAROS, "2012-06-01", "2012-06-30", api_name="/ask")
    assert same["citations"] and same["citations"][0]["doc_id"] == SEED_ID
    other = c.predict(IKAROS, sources=["Brisvale Post"], api_name="/ask")
    assert SEED_ID not in {x["doc_id"] for x in other["citations"]}
    herons = c.predict(FACTS[0][4], sources=["Brisvale Post"], api_name="/ask")
    assert herons["citations"][0]["doc_id"] == "fact-heron"

    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="question is empty"):
        c.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="YYYY-MM-DD"):
        c.predict(IKAROS, "last week", api_name="/ask")

    # as_of: a question about recent time is answered only from that week's articles
    recent = "Which police operation identified 269 suspects this week?"
    fresh = c.predict(recent, as_of="2012-06-22", api_name="/ask")
    assert fresh["citations"] and fresh["citations"][0]["doc_id"] == SEED_ID
    stale = c.predict(recent, as_of="2026-11-28", api_name="/ask")
    assert stale["abstained"] and "2026-11-28" in stale["notice"]
    chat = c.predict(recent, as_of="2026-11-28", api_name="/chat")
    assert chat["abstained"] and "2026-11-28" in chat["notice"]
    with pytest.raises(AppError, match="as_of must be a date"):
        c.predict(IKAROS, as_of="tomorrow", api_name="/ask")


def _raw_api_call(url: str, api: str, body: bytes) -> str:
    """POST ``body`` (the JSON as a client sends it, escapes included) to a gradio API after
    logging in, and return the server-sent events of the result."""
    import http.cookiejar
    import urllib.parse

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = urllib.parse.urlencode({"username": AUTH[0], "password": AUTH[1]}).encode()
    opener.open(url + "login", login, timeout=30)
    req = urllib.request.Request(url + f"gradio_api/call/{api}", body,
                                 {"Content-Type": "application/json"})
    event_id = json.loads(opener.open(req, timeout=60).read())["event_id"]
    return opener.open(url + f"gradio_api/call/{api}/{event_id}", timeout=120).read().decode()


def test_ask_api_refuses_unreal_dates_and_lone_surrogates_with_a_message(server):
    from gradio_client.exceptions import AppError

    c = client(server["url"])
    with pytest.raises(AppError, match="as_of must be a date as YYYY-MM-DD: '2022-13-45' is "
                                       "not a real date"):
        c.predict(IKAROS, as_of="2022-13-45", api_name="/ask")
    with pytest.raises(AppError, match="since must be a date as YYYY-MM-DD: '2012-13-45' is "
                                       "not a real date"):
        c.predict(IKAROS, "2012-13-45", api_name="/ask")
    # A lone surrogate is valid JSON ("\ud800") but not text: one message, not "error": null.
    events = _raw_api_call(server["url"], "ask",
                           b'{"data": ["What did operation \\ud800 Ikaros achieve?", '
                           b'"", "", null, ""]}')
    assert "event: error" in events
    assert "invalid character (a lone UTF-16 surrogate)" in events, (
        events + server["log"].read_text()[-3000:])
    assert c.predict(IKAROS, api_name="/ask")["citations"]  # the server is unharmed


def test_chat_api_keeps_a_history_per_session(server):
    a, b = client(server["url"]), client(server["url"])
    first = a.predict(IKAROS, api_name="/chat")
    assert first["turn"] == 1 and first["citations"][0]["doc_id"] == SEED_ID
    assert a.predict("How many suspects were identified?", api_name="/chat")["turn"] == 2
    assert b.predict(FACTS[1][4], api_name="/chat")["turn"] == 1  # b has its own history
    a.predict(api_name="/clear")
    assert a.predict(IKAROS, api_name="/chat")["turn"] == 1


def test_eight_clients_at_once_each_get_their_own_answer(server):
    barrier = threading.Barrier(len(FACTS))

    def one(fact):
        doc_id, _s, _d, _t, question, expected = fact
        c = client(server["url"])
        barrier.wait(timeout=120)
        api = "/chat" if doc_id < "fact-m" else "/ask"  # both endpoints under load
        return doc_id, expected, c.predict(question, api_name=api)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(FACTS)) as pool:
        results = list(pool.map(one, FACTS))
    elapsed = time.perf_counter() - started
    for doc_id, expected, out in results:
        assert not out["abstained"], (doc_id, out)
        assert expected in out["answer"], (doc_id, out["answer"])
        assert out["citations"][0]["doc_id"] == doc_id
    assert elapsed < 180


def test_upload_reports_each_file(server, tmp_path):
    c = client(server["url"])
    good = tmp_path / "notes.md"
    good.write_text("# Harbour notes\n\nThe Quexton harbour dredging finished in July.\n")
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4 not an article")
    broken = tmp_path / "mixed.jsonl"
    broken.write_text('{"id": "ok-line", "text": "The Ostmere lighthouse got a new lamp."}\n'
                      '{"id": "bad-line", "text": \n')
    rows = c.predict([handle_file(good), handle_file(bad), handle_file(broken)],
                     api_name="/add_articles")[0]
    by_file = {r["file"]: r for r in rows}
    assert by_file["notes.md"]["result"] == "added"
    assert by_file["scan.pdf"]["result"] == "failed"
    assert "unsupported file type" in by_file["scan.pdf"]["details"]
    assert by_file["mixed.jsonl"]["result"] == "mixed"
    assert "line 2: malformed JSON" in by_file["mixed.jsonl"]["details"]
    assert by_file["mixed.jsonl"]["articles"] == "1 added, 1 failed"

    again = c.predict([handle_file(good)], api_name="/add_articles")[0]
    assert again[0]["result"] == "skipped"
    # another file under a name already used: added beside it, not in its place
    good.write_text("# Harbour notes\n\nThe Quexton harbour dredging finished in August.\n")
    changed = c.predict([handle_file(good)], api_name="/add_articles")[0]
    assert changed[0]["result"] == "added"
    assert "another file named notes.md is indexed with other content" in \
        changed[0]["details"]


# --- the real browser ------------------------------------------------------------------------


def chromium_path() -> str:
    """The Debian chromium; installed here (as .ci/run would) when it is missing."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(found).exists():
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run("apt-get update && apt-get install -y chromium", shell=True, check=True,
                       timeout=1200, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if Path("/usr/bin/chromium").exists():
            return "/usr/bin/chromium"
    pytest.skip("Chromium is missing and cannot be installed here (needs root and apt-get): "
                "apt-get install -y chromium")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A logged-in page; records dialogs and any request that leaves loopback."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    pg.dialogs, pg.outside = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1",
                                                 "data:", "blob:"))
          or pg.outside.append(r.url))
    pg.goto(server["url"])
    pg.get_by_label("username").fill(AUTH[0])
    pg.get_by_label("password").fill(AUTH[1])
    pg.get_by_role("button", name="Login").click()
    pg.wait_for_selector("#rag-question textarea")  # the app, after the login's reload
    pg.wait_for_load_state("load")
    yield pg
    context.close()


WATCH_STREAM = """() => {
  window.__ragSeen = [];
  const chat = document.querySelector('#rag-chat');
  new MutationObserver(() => {
    const all = chat.querySelectorAll('.rag-answer');
    if (!all.length) return;
    const last = all[all.length - 1];
    const snap = last.className + '|' + last.innerText;
    const seen = window.__ragSeen;
    if (seen[seen.length - 1] !== snap) seen.push(snap);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def fill_field(pg, selector: str, value: str) -> None:
    """Fill a field of a section just opened. Filled at once, the value is sometimes wiped
    when gradio finishes mounting the section (seen in CI): fill until it holds."""
    field = pg.locator(selector).first
    for _ in range(10):
        field.fill(value)
        pg.wait_for_timeout(300)
        if field.input_value() == value:
            return
    raise AssertionError(f"{selector} does not keep {value!r}")


def ask_in_browser(pg, question: str) -> None:
    pg.fill("#rag-question textarea", question)
    pg.click("#rag-send")
    # taken: the app empties the box when it starts on a question
    pg.wait_for_function("() => document.querySelector('#rag-question textarea').value === ''",
                         timeout=30_000)


def test_browser_answers_ikaros_with_its_source(page, tmp_path):
    pg = page
    # an example question (the examples render a moment after the question box: wait)
    pg.get_by_role("button", name=IKAROS).first.wait_for(state="visible")
    pg.evaluate(WATCH_STREAM)
    ask_in_browser(pg, IKAROS)
    pg.wait_for_selector("#rag-sources .rag-src mark.rag-quote")
    pg.wait_for_function("() => !document.querySelector('#rag-chat .rag-streaming, "
                         "#rag-chat .rag-pending')")
    answer = pg.locator("#rag-chat .rag-answer").last
    assert "Ikaros" in answer.inner_text() and "[1]" in answer.inner_text()
    # streamed: partial answers were shown before the finished one
    seen = pg.evaluate("window.__ragSeen")
    assert any("rag-streaming" in s for s in seen), seen
    assert "rag-streaming" not in seen[-1]

    card = pg.locator("#rag-src-1-1")
    assert "112 arrests" in card.locator("mark.rag-quote").inner_text()
    assert "2012-06-21" in card.inner_text()
    assert "global alliance" in card.locator(".rag-title").inner_text()

    # the [1] marker leads to its source, in this page
    answer.locator("a.rag-cite").first.click()
    pg.wait_for_selector("#rag-src-1-1.rag-flash")
    assert len(pg.context.pages) == 1

    pg.wait_for_timeout(1800)  # let the highlight fade for the picture
    pg.screenshot(path=str(tmp_path / "ikaros.png"))
    if os.environ.get("RAG_UI_SCREENSHOT"):
        pg.screenshot(path=os.environ["RAG_UI_SCREENSHOT"])
    assert (tmp_path / "ikaros.png").stat().st_size > 10_000

    # a follow-up keeps the conversation; the clear button forgets it
    ask_in_browser(pg, "How many countries were involved?")
    pg.wait_for_selector("#rag-sources summary:has-text('Q2')")
    pg.wait_for_function("() => !document.querySelector('#rag-chat .rag-streaming, "
                         "#rag-chat .rag-pending')")
    assert pg.locator("#rag-chat .rag-answer").count() == 2
    pg.click("#rag-clear")
    pg.wait_for_function("() => !document.querySelector('#rag-chat .rag-answer')")
    assert pg.locator("#rag-sources .rag-src").count() == 0

    # a question sent while the last one is still being answered waits its turn, not dropped
    ask_in_browser(pg, IKAROS)
    ask_in_browser(pg, "How many countries were involved?")
    pg.wait_for_selector("#rag-sources summary:has-text('Q2')")
    assert pg.locator("#rag-chat .rag-answer").count() == 2
    assert "22 countries" in pg.locator("#rag-chat .rag-answer").last.inner_text()
    pg.click("#rag-clear")
    pg.wait_for_function("() => !document.querySelector('#rag-chat .rag-answer')")

    # "Asked as of" a date years later: a question about this week's news finds no article
    # of that week and says so
    pg.click("#rag-filters button")
    fill_field(pg, "#rag-as-of textarea, #rag-as-of input", "2026-11-28")
    ask_in_browser(pg, "Which police operation identified 269 suspects this week?")
    pg.wait_for_function("() => document.querySelector('#rag-chat .rag-answer') && "
                         "!document.querySelector('#rag-chat .rag-streaming, "
                         "#rag-chat .rag-pending')")
    shown = pg.inner_text("#rag-chat")
    assert pg.locator("#rag-chat .rag-abstain").count() == 1, shown
    assert "7 days before 2026-11-28" in shown and "as of 2026-11-28" in shown
    assert pg.outside == [] and pg.dialogs == []


def test_browser_keeps_malicious_articles_inert(page, tmp_path):
    pg = page
    evil_jsonl = tmp_path / "evil.jsonl"
    evil_jsonl.write_text(json.dumps(EVIL_JSONL) + "\n")
    evil_md = tmp_path / "ferry.md"
    evil_md.write_text(EVIL_MD)

    # added through the Corpus tab, with a result per file
    pg.get_by_role("tab", name="Corpus").click()
    pg.set_input_files("#rag-upload input[type=file]", [str(evil_jsonl), str(evil_md)])
    pg.wait_for_function("() => /ferry/.test(document.querySelector('#rag-upload').innerText)"
                         " && /evil/.test(document.querySelector('#rag-upload').innerText)")
    pg.click("#rag-add")
    pg.wait_for_selector("#rag-ingest-results table")
    results = pg.inner_text("#rag-ingest-results")
    assert "evil.jsonl" in results and "ferry.md" in results and "added" in results

    pg.get_by_role("tab", name="Chat").click()
    ask_in_browser(pg, "What color was the Zorblat bridge painted?")
    pg.wait_for_selector("#rag-sources .rag-src mark.rag-quote")
    ask_in_browser(pg, "How often does the Quexton ferry sail?")
    pg.wait_for_selector("#rag-src-2-1")
    ask_in_browser(pg, "Who won the 1987 chess olympiad in Moscow?")  # not in any article
    pg.wait_for_selector("#rag-chat .rag-abstain")
    pg.wait_for_selector("#rag-sources .rag-abstain-panel")
    pg.evaluate("() => document.querySelectorAll('#rag-sources details')"
                ".forEach(d => d.open = true)")
    pg.wait_for_timeout(1000)  # time for any injected handler to fire
    pg.screenshot(path=str(tmp_path / "malicious.png"))

    assert pg.evaluate("window.__pwned") is None
    assert pg.dialogs == []
    shown = pg.inner_text("#rag-sources") + pg.inner_text("#rag-chat")
    assert "<script>" in shown and "onerror" in shown  # visible as text
    assert "javascript:" in shown
    assert pg.evaluate("""() => document.querySelectorAll(
        '#rag-chat .rag-answer :is(img, script, svg, b, [onerror], [onload], [onmouseover]),'
        + '#rag-sources .rag-panel :is(img, script, svg, b, [onerror], [onload], [onmouseover])'
        ).length""") == 0
    assert pg.evaluate("""() => [...document.querySelectorAll('a')].filter(
        a => (a.getAttribute('href') || '').trim().toLowerCase().startsWith('javascript')
    ).length""") == 0
    assert "teal" in pg.inner_text("#rag-chat")
    assert pg.outside == []
