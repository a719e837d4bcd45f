"""The browser chat: `rag serve` starts this Gradio app over one index.

Layout: a Chat tab (streamed answers, [n] markers linked to a sources panel that shows each
cited sentence highlighted in its paragraph, date and source filters, example questions) and a
Corpus tab (index statistics, upload of .txt/.md/.html/.jsonl files with a per-file result).
What the page does is in backend.py (no gradio there); how it looks is in render.py and
assets/ (style.css, app.js); this module lays the page out, wires the events and serves it.

API (for `gradio_client`):
- ``/ask``  (question, since="", until="", sources=None, as_of="") -> the dict of
  ``rag ask --json``
- ``/chat`` (question, since="", until="", sources=[], as_of="") -> the same dict plus
  ``turn``; the conversation is kept per client session, so follow-up questions keep their
  context (``as_of``: the date the question is asked as of, as ``rag ask --as-of``)
- ``/clear`` () -> forgets the conversation of this session
- ``/add_articles`` (files) -> one result row per file, then the index statistics
- ``/feeds`` () -> the watched feeds with their last poll (with ``rag serve --watch``)
- ``/add_feed`` (url), ``/remove_feed`` (feed) -> a message; the feeds file is updated

Streaming: answers come from ``ChatSession.stream`` (``str`` pieces, then the finished
``Answer``): an LLM's tokens are shown as they come; an extractive answer, whose pieces all
come at once, is paced so that it is seen being written. The finished Answer then replaces the
preview, with its [n] links and any sentence the sources do not support marked "unsupported".
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path


def _own_temp_dir() -> str | None:
    """Give gradio a temporary folder of this process's own (unless GRADIO_TEMP_DIR is set),
    so that uploads can be cleaned up and nothing is left behind at exit. Gradio reads the
    variable when imported: this runs first."""
    if os.environ.get("GRADIO_TEMP_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="newsrag-gradio-")
    os.environ["GRADIO_TEMP_DIR"] = path
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


_own_temp_dir()

import gradio as gr  # noqa: E402 - after the temporary folder is chosen
from gradio.utils import NamedString  # noqa: E402

from rag import RagError  # noqa: E402
from rag.config import PROJECT_ROOT, Settings  # noqa: E402

from . import render  # noqa: E402
from .auth import Checker, LoginGuard, LoginThrottle, read_auth_file  # noqa: E402
from .backend import MB, Backend, filters_note, new_state  # noqa: E402

log = logging.getLogger("rag.ui")

EXAMPLES = [
    "What did operation Ikaros achieve?",
    "What is the global alliance meant to do?",
    "What did Cecilia Malmstrom say about the Internet?",
]
MAX_PANELS = 10  # answers whose sources stay in the panel
MAX_MESSAGES = 200  # chat messages a session keeps (100 questions and answers)
ASSETS = Path(__file__).resolve().parent / "assets"


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")




def upload_box(**kwargs) -> gr.File:
    """A gr.File whose file paths are handed over as they are: gradio 6.31's own turns each
    into one empty temporary file per file and event that it never removes. (Patched on the
    instance: a gr.File subclass makes gradio write a .pyi stub beside this module.)"""
    box = gr.File(**kwargs)
    plain = box._process_single_file

    def keep_path(f):
        if box.type == "filepath" and not box.file_types:
            return NamedString(f.path)
        return plain(f)

    box._process_single_file = keep_path
    return box


def theme():
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate")


def launch_options() -> dict:
    """Look and behaviour given to ``launch()`` (gradio 6 takes theme/css/js there)."""
    return {"theme": theme(), "css": asset("style.css"), "js": asset("app.js"),
            "footer_links": ["api", "settings"], "show_error": False}


def build_app(assistant, backend: Backend | None = None) -> gr.Blocks:
    backend = backend or Backend(assistant)
    ui = assistant.settings.ui
    concurrency = max(1, ui.concurrency)

    def user_msg(question):
        return {"role": "user", "content": render.question_html(question)}

    def bot_msg(html):
        return {"role": "assistant", "content": html}

    def ui_chat(message, state, since, until, sources, as_of=""):
        state = state or new_state()
        msgs = state["chat"]
        try:
            question, filters, as_of = backend.check(message, since, until, sources, as_of)
        except RagError as exc:
            msgs += [user_msg(message or ""), bot_msg(render.error_html(backend.public(
                str(exc))))]
            yield msgs, gr.skip(), state, gr.skip()
            return
        turn = state["n"] + 1
        msgs += [user_msg(question), bot_msg(render.pending_html())]
        yield msgs, gr.skip(), state, ""
        answer = None
        try:
            for text, answer in backend.answer_stream(state["turns"], question, filters,
                                                      as_of=as_of):
                if state.get("cleared"):
                    return  # cleared meanwhile: showing more would bring the conversation back
                if answer is None:
                    msgs[-1] = bot_msg(render.pending_html(text, turn))
                    yield msgs, gr.skip(), state, gr.skip()
        except RagError as exc:
            msgs[-1] = bot_msg(render.error_html(backend.public(str(exc))))
            yield msgs, gr.skip(), state, gr.skip()
            return
        except Exception:  # noqa: BLE001 - the reader gets a message, the log the traceback
            log.exception("answering %r failed", question)
            msgs[-1] = bot_msg(render.error_html(
                "something went wrong while answering; the server log has the details"))
            yield msgs, gr.skip(), state, gr.skip()
            return
        if state.get("cleared"):
            return
        state["n"] = turn
        del msgs[:-MAX_MESSAGES]
        msgs[-1] = bot_msg(render.answer_html(answer, turn) + filters_note(filters, as_of))
        state["panels"].append(render.turn_panel(answer, backend.articles_for(answer), turn,
                                                 question))
        del state["panels"][:-MAX_PANELS]
        yield msgs, render.sources_panel(state["panels"]), state, gr.skip()

    def ui_clear(state=None):
        # The old conversation is marked, not emptied: an answer still being written to it
        # (gradio's cancel stops a generator only at its next step) sees the mark and stops.
        if state:
            state["cleared"] = True
        return [], render.sources_panel([]), new_state(), ""

    def api_chat(question, since, until, sources, as_of, state):
        state = state or new_state()
        try:
            question, filters, as_of = backend.check(question, since, until, sources, as_of)
            answer = None
            for _text, item in backend.answer_stream(state["turns"], question, filters,
                                                     paced=False, as_of=as_of):
                answer = item
        except RagError as exc:
            raise gr.Error(backend.public(str(exc))) from exc
        state["n"] += 1
        state["chat"] += [user_msg(question),
                          bot_msg(render.answer_html(answer, state["n"]))]
        del state["chat"][:-MAX_MESSAGES]
        state["panels"].append(render.turn_panel(answer, backend.articles_for(answer),
                                                 state["n"], question))
        del state["panels"][:-MAX_PANELS]
        return {**answer.to_dict(), "turn": state["n"]}, state

    def api_clear(_state):
        return new_state()

    def ask(question: str, since: str = "", until: str = "",
            sources: list[str] | None = None, as_of: str = "") -> dict:
        """Answer one question from the articles, with citations (the JSON of `rag ask
        --json`). Optional filters: since/until as YYYY-MM-DD, sources as a list of names;
        as_of: the date YYYY-MM-DD the question is asked as of (`rag ask --as-of`)."""
        try:
            return backend.ask(question, since, until, sources, as_of).to_dict()
        except RagError as exc:
            raise gr.Error(backend.public(str(exc))) from exc

    def add(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - gradio's idiom
        if not files:
            return [], "<p>Choose one or more files first.</p>", backend.stats_html(), \
                gr.skip(), gr.skip()
        try:
            rows = backend.add_files(files, progress)
        except RagError as exc:  # over the upload's limits: nothing was written
            return ([], render.error_html(backend.public(str(exc)), "Upload refused"),
                    backend.stats_html(),
                    gr.skip(), None)
        info = backend.corpus_info()
        # The box is emptied: its files were removed from the server once indexed.
        return (rows, render.ingest_table(rows), render.stats_html(
            info["stats"], info["dates"], len(info["sources"])),
            gr.update(choices=info["sources"]), None)

    def feeds_view():
        return render.feeds_table(backend.feeds_status(), backend.watching)

    def feed_choices():
        return gr.update(choices=[r["feed"] for r in backend.feeds_status()], value=None)

    def ui_add_feed(url):
        try:
            msg = f'<p class="rag-feed-ok">{render.esc(backend.add_feed(url))}</p>'
        except RagError as exc:
            msg = render.error_html(backend.public(str(exc)))
        return msg, feeds_view(), feed_choices(), ""

    def ui_remove_feed(feed):
        try:
            msg = f'<p class="rag-feed-ok">{render.esc(backend.remove_feed(feed or ""))}</p>'
        except RagError as exc:
            msg = render.error_html(backend.public(str(exc)))
        return msg, feeds_view(), feed_choices()

    def ui_tick():
        return feeds_view(), backend.stats_html()

    def api_feeds() -> list[dict]:
        """The watched feeds (`rag serve --watch`), each with its last poll: polled_at,
        status, new, updated, unchanged, failed, error, and the entries known."""
        return backend.feeds_status()

    def api_add_feed(url: str) -> str:
        try:
            return backend.add_feed(url)
        except RagError as exc:
            raise gr.Error(backend.public(str(exc))) from exc

    def api_remove_feed(feed: str) -> str:
        try:
            return backend.remove_feed(feed)
        except RagError as exc:
            raise gr.Error(backend.public(str(exc))) from exc

    def on_load():
        info = backend.corpus_info()
        dates = info["dates"]
        hint = f"articles span {dates[0]} to {dates[1]}" if dates else "YYYY-MM-DD"
        return (render.stats_html(info["stats"], dates, len(info["sources"])),
                gr.update(choices=info["sources"]),
                gr.update(info=hint), gr.update(info=hint), feeds_view(), feed_choices())

    first = backend.corpus_info()
    with gr.Blocks(title="newsrag: ask the news") as demo:
        state = gr.State(None, time_to_live=ui.session_ttl)
        gr.HTML('<div id="rag-header"><h1>Ask the news</h1><p>Answers come only from the '
                'indexed articles. Each <b>[n]</b> links to its source, with the sentence '
                'highlighted; when the articles do not say, the assistant says so.</p></div>')
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="rag-chat", height=500, show_label=False,
                            latex_delimiters=[], buttons=["copy"], feedback_options=None,
                            sanitize_html=True, render_markdown=True, layout="bubble",
                            placeholder="Ask a question about the articles, or pick an example "
                                        "below.")
                        with gr.Row():
                            box = gr.Textbox(placeholder="Ask about the articles\u2026",
                                             show_label=False, scale=6, max_lines=6,
                                             elem_id="rag-question", autofocus=True,
                                             submit_btn=False)
                            send = gr.Button("Ask", variant="primary", scale=0, min_width=100,
                                             elem_id="rag-send")
                            clear_btn = gr.Button("Clear chat", variant="secondary", scale=0,
                                                  min_width=130, elem_id="rag-clear")
                        gr.Examples(EXAMPLES, inputs=[box], label="Example questions",
                                    examples_per_page=len(EXAMPLES))
                    with gr.Column(scale=2, min_width=340):
                        with gr.Accordion("Filters", open=False, elem_id="rag-filters"):
                            with gr.Row():
                                since = gr.Textbox("", label="From (YYYY-MM-DD)",
                                                   placeholder="YYYY-MM-DD", elem_id="rag-since")
                                until = gr.Textbox("", label="Until (YYYY-MM-DD)",
                                                   placeholder="YYYY-MM-DD", elem_id="rag-until")
                            sources = gr.Dropdown(label="Sources", choices=first["sources"],
                                                  value=[], multiselect=True,
                                                  allow_custom_value=True,
                                                  elem_id="rag-sources-filter",
                                                  info="none chosen: all sources")
                            as_of = gr.Textbox("", label="Asked as of (YYYY-MM-DD)",
                                               placeholder="YYYY-MM-DD", elem_id="rag-as-of",
                                               info="that week's articles first; questions "
                                               "about \"this week\" answered from them only")
                        gr.Markdown("### Sources")
                        panel = gr.HTML(render.sources_panel([]), elem_id="rag-sources",
                                        padding=True)
            with gr.Tab("Corpus", id="corpus"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=320):
                        gr.Markdown("### What the index holds")
                        stats = gr.HTML(backend.stats_html(), elem_id="rag-stats",
                                        padding=True)
                    with gr.Column(scale=2, min_width=420):
                        gr.Markdown("### Add articles\nFiles: .txt, .md, .html, .jsonl (one "
                                    "JSON object per line with `text` and optionally `title`, "
                                    "`date`, `source`, `url`, `id`). The same file uploaded "
                                    "again changes nothing; another file under a name "
                                    "already used is added beside it, its name followed by "
                                    "a short hash of its content. At most "
                                    f"{ui.max_upload_files} files and {ui.max_upload_mb:g} MB "
                                    "per upload.")
                        # No file_types: gradio would refuse the whole upload for one odd
                        # file; here each file gets its own result (and reason) instead.
                        files = upload_box(file_count="multiple", type="filepath",
                                           label="Article files (.txt .md .html .jsonl)",
                                           elem_id="rag-upload")
                        add_btn = gr.Button("Add to the index", variant="primary",
                                            elem_id="rag-add")
                        results = gr.HTML(elem_id="rag-ingest-results")
                        with gr.Accordion("Result as JSON", open=False):
                            rows_json = gr.JSON(label="per-file results")
                gr.Markdown("### Feeds\nWatched feeds are polled on a schedule; new and "
                            "updated articles are added to the index while you ask.")
                feeds_html = gr.HTML(feeds_view(), elem_id="rag-feeds", padding=True)
                with gr.Row(visible=backend.watching):
                    feed_url = gr.Textbox(label="Add a feed", placeholder="https://example.org/"
                                          "rss.xml", elem_id="rag-feed-url", scale=4)
                    add_feed_btn = gr.Button("Add feed", elem_id="rag-add-feed", scale=1)
                with gr.Row(visible=backend.watching):
                    feed_pick = gr.Dropdown(label="Stop watching a feed (its articles stay)",
                                            choices=[r["feed"] for r in backend.feeds_status()],
                                            value=None, elem_id="rag-feed-pick", scale=4)
                    remove_feed_btn = gr.Button("Remove feed", variant="stop",
                                                elem_id="rag-remove-feed", scale=1)
                feed_msg = gr.HTML(elem_id="rag-feed-msg")
        # hidden: the inputs of the /chat API (the browser uses the box and filters above)
        api_btn = gr.Button(visible=False)
        api_out = gr.JSON(visible=False)

        # always_last: a question sent while an answer is still being written waits for it,
        # instead of being dropped (gradio's default for a click is to ignore it meanwhile)
        chat_io = {"inputs": [box, state, since, until, sources, as_of],
                   "trigger_mode": "always_last",
                   "outputs": [chatbot, panel, state, box],
                   "concurrency_limit": concurrency, "concurrency_id": "answer",
                   "api_visibility": "private", "show_progress": "hidden"}
        asking = [box.submit(ui_chat, api_name="ui_chat_submit", **chat_io),
                  send.click(ui_chat, api_name="ui_chat_click", **chat_io)]
        # Clearing stops an answer still being written: otherwise its next update would bring
        # back the conversation just cleared, and the send button would wait for it.
        clear_btn.click(ui_clear, inputs=[state], outputs=[chatbot, panel, state, box],
                        api_name="ui_clear", api_visibility="private", queue=False,
                        cancels=asking)
        chatbot.clear(ui_clear, inputs=[state], outputs=[chatbot, panel, state, box],
                      api_name="ui_clear_icon", api_visibility="private", queue=False,
                      cancels=asking)
        api_btn.click(api_chat, inputs=[box, since, until, sources, as_of, state],
                      outputs=[api_out, state], api_name="chat", concurrency_limit=concurrency,
                      concurrency_id="answer")
        api_btn.click(api_clear, inputs=[state], outputs=[state], api_name="clear",
                      queue=False)
        gr.api(ask, api_name="ask", concurrency_limit=concurrency, concurrency_id="answer")
        add_btn.click(add, inputs=[files], outputs=[rows_json, results, stats, sources, files],
                      api_name="add_articles", concurrency_limit=1, concurrency_id="ingest")
        demo.load(on_load, outputs=[stats, sources, since, until, feeds_html, feed_pick],
                  api_name="ui_load", api_visibility="private", queue=False)
        add_feed_btn.click(ui_add_feed, inputs=[feed_url], api_name="ui_add_feed",
                           outputs=[feed_msg, feeds_html, feed_pick, feed_url],
                           api_visibility="private", concurrency_id="feeds")
        remove_feed_btn.click(ui_remove_feed, inputs=[feed_pick], api_name="ui_remove_feed",
                              outputs=[feed_msg, feeds_html, feed_pick],
                              api_visibility="private", concurrency_id="feeds")
        gr.api(api_feeds, api_name="feeds", queue=False)
        gr.api(api_add_feed, api_name="add_feed", concurrency_id="feeds")
        gr.api(api_remove_feed, api_name="remove_feed", concurrency_id="feeds")
        if backend.watching:  # the feeds' last polls and the index grow while the page is open
            gr.Timer(5.0).tick(ui_tick, outputs=[feeds_html, stats], api_visibility="private",
                               queue=False, show_progress="hidden")
    demo.queue(default_concurrency_limit=concurrency)
    return demo


# --- `rag serve` -----------------------------------------------------------------------------


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'USER:PASS' -> (user, pass); None or '' -> None."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise RagError("--auth / RAG_AUTH must be USER:PASS (both non-empty)")
    return user, password


def login_checker(settings: Settings, auth: str | None = None,
                  auth_file: str | Path | None = None) -> Checker | None:
    """The login check for ``launch(auth=...)``, or None for no login. The command line
    (``auth``, ``auth_file``) goes before the environment (RAG_AUTH, RAG_AUTH_FILE); a
    password given twice at one level is refused."""
    if auth is None and auth_file is None:
        auth, auth_file = settings.ui.auth or None, settings.ui.auth_file or None
    if auth and auth_file:
        raise RagError("give either --auth USER:PASS or --auth-file PATH (or RAG_AUTH or "
                       "RAG_AUTH_FILE), not both")
    ui = settings.ui
    guard = LoginGuard(ui.login_tries, ui.login_lockout, ui.login_lockout_max)
    if auth_file:
        return Checker(read_auth_file(auth_file), guard)
    credentials = parse_auth(auth)
    if credentials is None:
        return None
    return Checker({credentials[0]: credentials[1]}, guard, plain=True)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def login_throttle(checker: Checker | None) -> dict:
    """``app_kwargs`` for ``launch()``: the back-off on failed logins around gradio's /login
    route (gradio's auth callable is not told the client's address; the middleware is)."""
    if checker is None:
        return {}
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(LoginThrottle, guard=checker.guard)]}


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860,
          auth: str | None = None, ensure_corpus: bool = True, watch: dict | None = None,
          auth_file: str | Path | None = None) -> int:
    """Start the browser chat and serve until interrupted (indexing corpus/ first when the index
    is empty and ``ensure_corpus``). ``watch``: {"feeds_file", "every" (seconds),
    "allow_private"} to keep the index fresh from feeds while serving."""
    from rag import Assistant

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    logging.getLogger("rag.keyword").setLevel(logging.INFO)  # say when it repairs itself
    bot = Assistant(settings)
    checker = login_checker(bot.settings, auth, auth_file)
    if ensure_corpus and bot.is_empty():
        corpus = PROJECT_ROOT / "corpus"
        if corpus.is_dir():
            print(f"The index at {bot.store.location} is empty: indexing {corpus} first.",
                  flush=True)
            report = bot.ingest([corpus], progress=True)
            print(report.summary(), flush=True)
    if bot.is_empty():
        print("warning: the index is empty; add articles in the Corpus tab or with "
              "`rag ingest PATH`", flush=True)
    bot.warm_up()  # the model, the indexes, the chunker: now, not on the first question/upload
    if not is_loopback(host) and checker is None:
        print(f"warning: serving on {host} without a login; anyone who can reach it can use "
              "it. Make a login with `rag passwd USER --auth-file FILE` and serve with "
              "--auth-file FILE.", flush=True)
    backend = Backend(bot)
    if watch:
        backend.start_watch(watch["feeds_file"], watch["every"], watch.get("allow_private"))
        print(f"Watching {len(backend.watcher.feeds)} feed(s) from {watch['feeds_file']} every "
              f"{watch['every']:g} s.", flush=True)
    demo = build_app(bot, backend)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a service manager's stop) ends the server as Ctrl-C does, so that the
        # temporary folder and the watcher are cleaned up too.
        signal.signal(signal.SIGTERM, _interrupt)
    # Replicas over one Chroma server: follow what the others write (docs/deploy.md).
    syncing = bot.keep_in_sync() if bot.settings.chroma_host else None
    try:
        demo.launch(server_name=host, server_port=port, auth=checker and checker.login,
                    auth_message="Log in to ask about the articles." if checker else None,
                    max_file_size=int(bot.settings.ui.max_upload_mb * MB),
                    app_kwargs=login_throttle(checker),
                    state_session_capacity=max(1, bot.settings.ui.session_capacity),
                    **launch_options())
    except OSError as exc:
        raise RagError(f"cannot serve on {host}:{port}: {exc}") from exc
    finally:
        backend.stop_watch()
        if syncing is not None:
            syncing.set()
    return 0
