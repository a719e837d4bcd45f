"""The browser chat: `rag serve` starts this Gradio app over one index.

Layout: a Chat tab (streamed answers, [n] markers linked to a sources panel that shows each
cited sentence highlighted in its paragraph, date and source filters, example questions) and a
Corpus tab (index statistics, upload of .txt/.md/.html/.jsonl files with a per-file result).

API (for `gradio_client`):
- ``/ask``  (question, since="", until="", sources=None, as_of="") -> the dict of
  ``rag ask --json``
- ``/chat`` (question, since="", until="", sources=[], as_of="") -> the same dict plus
  ``turn``; the conversation is kept per client session, so follow-up questions keep their
  context
  (``as_of``: the date the question is asked as of, as ``rag ask --as-of``)
- ``/clear`` () -> forgets the conversation of this session
- ``/add_articles`` (files) -> one result row per file, then the index statistics

Streaming: answers come from ``ChatSession.stream`` / ``Assistant.stream`` (``str`` pieces, then
the finished ``Answer``): an LLM's tokens are shown as they come; an extractive answer, whose
pieces all come at once, is paced so that it is seen being written. The finished Answer then
replaces the preview, with its [n] links and any sentence the sources do not support marked
"unsupported". An assistant without ``stream()`` is streamed from ``ask()`` word by word.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import gradio as gr

from rag import Answer, Filters, RagError
from rag.assistant import merge_filters
from rag.chat import ChatSession, Turn
from rag.config import PROJECT_ROOT, Settings

from . import render

log = logging.getLogger("rag.ui")

EXAMPLES = [
    "What did operation Ikaros achieve?",
    "What is the global alliance meant to do?",
    "What did Cecilia Malmstrom say about the Internet?",
]
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"]
STREAM_DELAY = 0.02  # seconds at least between two updates of a streamed answer
MAX_PANELS = 10  # answers whose sources stay in the panel
CONCURRENCY = 8  # chat/ask events served at once (most of a streamed answer is waiting)
MODEL_SLOTS = 2  # of which at most this many compute at once (2 cores; RAG_UI_MODEL_SLOTS)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


class RWLock:
    """Many readers (questions) or one writer (ingestion of uploads). A waiting writer goes
    before new readers, so a steady stream of questions cannot hold an upload back forever."""

    def __init__(self):
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0

    @contextmanager
    def read(self):
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            self._waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_END = object()


def new_state() -> dict:
    """One browser session's conversation: its turns (for follow-up questions), the chat
    messages shown, the sources panel blocks, and the number of answered questions."""
    return {"turns": [], "chat": [], "panels": [], "n": 0}


class Backend:
    """What the UI needs from the Assistant, made safe to call from many sessions at once."""

    def __init__(self, assistant):
        self.assistant = assistant
        self.lock = RWLock()
        self.model_slots = threading.BoundedSemaphore(_env_int("RAG_UI_MODEL_SLOTS",
                                                               MODEL_SLOTS))
        self._info_lock = threading.Lock()
        self._info: tuple[int, dict] | None = None

    # --- corpus information, cached per index generation -------------------------------------

    def corpus_info(self) -> dict:
        store = self.assistant.store
        generation = store.generation()
        with self._info_lock:
            if self._info is not None and self._info[0] == generation:
                return self._info[1]
        records = store.article_records()
        dates = sorted(r.date for r in records.values() if r.date)
        info = {
            "stats": self.assistant.stats(),
            "dates": (dates[0], dates[-1]) if dates else None,
            "sources": sorted({r.source for r in records.values() if r.source}),
        }
        with self._info_lock:
            self._info = (generation, info)
        return info

    def stats_html(self) -> str:
        info = self.corpus_info()
        return render.stats_html(info["stats"], info["dates"], len(info["sources"]))

    # --- questions ---------------------------------------------------------------------------

    def check(self, question, since, until, sources, as_of=""
              ) -> tuple[str, Filters | None, str | None]:
        """The cleaned question, filters and as_of date; raises RagError with a message for the
        user (a bad as_of is refused by Assistant.stream)."""
        question = self.assistant.check_question(question)
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",") if s.strip()]
        filters = merge_filters(None, (since or "").strip() or None,
                                (until or "").strip() or None, list(sources or []) or None)
        return question, filters, (as_of or "").strip() or None

    def answer_stream(self, turns: list, question: str, filters: Filters | None,
                      paced: bool = True, as_of: str | None = None
                      ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (answer text so far, None) while the answer is written, then (text, Answer).

        ``turns`` is the session's history; the answered turn is appended to it. The model is
        held only while the next piece is made, so a slow reader or the pacing below never
        blocks other sessions. ``paced``: at most one update per STREAM_DELAY, so that an
        extractive answer (whose pieces all come at once) is seen being written; an LLM's
        tokens, slower than that on a CPU, pass through as they come.
        """
        items = self._items(turns, question, filters, as_of)
        text, final, last = "", None, 0.0
        while True:
            with self.lock.read(), self.model_slots:
                item = next(items, _END)
            if item is _END:
                break
            if isinstance(item, str):
                text += item
                if paced:
                    wait = STREAM_DELAY - (time.monotonic() - last)
                    if wait > 0:
                        time.sleep(wait)
                    last = time.monotonic()
                    yield text, None
            elif hasattr(item, "citations"):
                final = item
        if final is None:
            raise RagError("the answer stream ended without an answer")
        yield final.text, final

    def _items(self, turns: list, question: str, filters: Filters | None,
               as_of: str | None = None):
        """``str`` pieces of the answer, then the Answer (the protocol of Assistant.stream)."""
        bot = self.assistant
        session = ChatSession(bot, history=turns)
        recent = turns[-session.context_turns:] if session.context_turns else []
        context = [t.question for t in recent]
        boost = {c.doc_id for t in recent for c in t.answer.citations}
        if hasattr(bot, "stream") and hasattr(session, "stream"):
            return session.stream(question, filters, as_of=as_of)

        def compat():  # an assistant without stream(): its whole answer, word by word
            if hasattr(bot, "stream"):
                final = None
                for item in bot.stream(question, filters, context=context, boost_docs=boost):
                    final = item if not isinstance(item, str) else final
                    yield item
            else:
                final = bot.ask(question, filters, context=context, boost_docs=boost)
                yield from re.findall(r"\S+\s*", final.text)
                yield final
            if final is not None:
                turns.append(Turn(final.question, final))

        return compat()

    def ask(self, question, since="", until="", sources=None, as_of="") -> Answer:
        question, filters, as_of = self.check(question, since, until, sources, as_of)
        with self.lock.read(), self.model_slots:
            return self.assistant.ask(question, filters, as_of=as_of)

    def articles_for(self, answer: Answer) -> dict:
        out = {}
        for c in answer.citations:
            if c.doc_id not in out:
                try:
                    out[c.doc_id] = self.assistant.article(c.doc_id)
                except Exception:  # noqa: BLE001 - the panel then shows the quote alone
                    log.exception("cannot read article %s", c.doc_id)
                    out[c.doc_id] = None
        return out

    # --- uploads -----------------------------------------------------------------------------

    @property
    def upload_dir(self) -> Path:
        return Path(self.assistant.settings.index_dir) / "uploads"

    def add_files(self, paths: list, progress=None) -> list[dict]:
        """Index uploaded files one at a time; one result row per file."""
        rows = []
        paths = [p for p in (paths or []) if p]
        with self.lock.write():
            for i, raw in enumerate(paths):
                src = Path(getattr(raw, "name", raw) if not isinstance(raw, (str, Path))
                           else raw)
                name = safe_filename(src.name)
                if progress is not None:
                    progress((i, len(paths)), desc=f"Indexing {name} ({i + 1}/{len(paths)})")
                rows.append(self._add_one(src, name))
        return rows

    def _add_one(self, src: Path, name: str) -> dict:
        row = {"file": name, "result": "failed", "articles": "", "details": ""}
        if Path(name).suffix.lower() not in UPLOAD_TYPES:
            row["details"] = (f"unsupported file type {Path(name).suffix or '(none)'!r}; "
                              f"use one of {', '.join(UPLOAD_TYPES)}")
            return row
        try:
            self.upload_dir.mkdir(parents=True, exist_ok=True)
            dest = self.upload_dir / name
            shutil.copyfile(src, dest)
            report = self.assistant.ingest([dest], progress=True)
        except RagError as exc:
            row["details"] = str(exc)
            return row
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            log.exception("ingesting %s failed", name)
            row["details"] = f"{type(exc).__name__}: {exc}"
            return row
        return report_row(name, report, str(dest))


def report_row(name: str, report, dest: str) -> dict:
    counts = {"added": len(report.added), "updated": len(report.updated),
              "skipped": len(report.skipped)}
    failed = len(report.failed)
    done = sum(counts.values())
    kinds = [k for k, v in counts.items() if v] + (["failed"] if failed else [])
    result = kinds[0] if len(kinds) == 1 else ("failed" if not kinds else "mixed")
    parts = [f"{v} {k}" for k, v in counts.items() if v]
    if failed:
        parts.append(f"{failed} failed")
    reasons = []
    for f in report.failed:
        where = f.path.replace(dest, name) if dest else f.path
        if where == name:
            reasons.append(f.reason)
        elif where.startswith(name + ":"):  # a JSONL line: "name:LINE"
            reasons.append(f"line {where[len(name) + 1:]}: {f.reason}")
        else:
            reasons.append(f"{Path(where).name}: {f.reason}")
    notes = [w.replace(dest, name) for w in report.warnings]
    if result == "skipped":
        notes.insert(0, "unchanged: already in the index")
    return {"file": name, "result": result,
            "articles": ", ".join(parts) if (done + failed) > 1 or result == "mixed" else
            str(done) if done else "0",
            "details": "; ".join(reasons + notes)}


_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_filename(name: str) -> str:
    name = _UNSAFE.sub("_", Path(str(name)).name).strip(" .") or "upload"
    return name[:150]


def filters_note(filters: Filters | None, as_of: str | None = None) -> str:
    if not filters and not as_of:
        return ""
    filters = filters or Filters()
    bits = [f"as of {as_of}"] if as_of else []
    if filters.since:
        bits.append(f"from {filters.since}")
    if filters.until:
        bits.append(f"until {filters.until}")
    if filters.sources:
        bits.append("source: " + ", ".join(filters.sources))
    return f'<div class="rag-filters">Filtered: {render.esc("; ".join(bits))}</div>'


# --- the page --------------------------------------------------------------------------------

CSS = """
.gradio-container { max-width: 1400px !important; }
#rag-header h1 { margin-bottom: 0; }
#rag-header p { margin-top: 4px; color: var(--body-text-color-subdued); }
.rag-q { white-space: pre-wrap; }
.rag-answer { line-height: 1.6; }
.rag-cite { font-weight: 700; text-decoration: none !important;
  color: var(--color-accent) !important; padding: 0 2px; border-radius: 4px; cursor: pointer;
  white-space: nowrap; }
.rag-cite:hover { background: var(--color-accent-soft); }
.rag-caret { animation: rag-blink 1s steps(2) infinite; opacity: .6; }
@keyframes rag-blink { 50% { opacity: 0; } }
.rag-pending { color: var(--body-text-color-subdued); font-style: italic; }
.rag-abstain { border-left: 4px solid #9ca3af; padding: 4px 10px; font-style: italic;
  color: var(--body-text-color-subdued); background: rgba(156,163,175,.12); border-radius: 4px; }
.rag-error { border-left: 4px solid #dc2626; padding: 4px 10px; background: rgba(220,38,38,.08);
  border-radius: 4px; }
.rag-badge { display: inline-block; font-style: normal; font-size: .75em; font-weight: 700;
  text-transform: uppercase; letter-spacing: .03em; padding: 1px 8px; border-radius: 999px;
  margin-right: 6px; vertical-align: 1px; }
.rag-badge-abstain { background: #e5e7eb; color: #374151; }
.rag-badge-error { background: #fee2e2; color: #991b1b; }
.rag-unsupported { display: inline-block; font-size: .7em; font-weight: 700; padding: 0 6px;
  border-radius: 999px; background: #ffedd5; color: #9a3412; border: 1px solid #fdba74;
  vertical-align: 1px; }
.rag-notice, .rag-filters { font-size: .85em; color: var(--body-text-color-subdued);
  margin-bottom: 4px; }
.rag-filters { margin: 6px 0 0 0; }
#rag-sources { max-height: 640px; overflow-y: auto; }
.rag-panel-empty { color: var(--body-text-color-subdued); padding: 12px; font-size: .95em; }
.rag-turn-block { margin-bottom: 10px; }
.rag-turn-block > summary { cursor: pointer; font-weight: 600; padding: 4px 0;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rag-turn { display: inline-block; font-size: .75em; background: var(--color-accent-soft);
  color: var(--color-accent); border-radius: 4px; padding: 0 6px; margin-right: 4px; }
.rag-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin: 8px 0; background: var(--background-fill-primary); transition: box-shadow .3s; }
.rag-src.rag-flash { animation: rag-flash 1.6s ease-out; }
@keyframes rag-flash { 0% { box-shadow: 0 0 0 4px var(--color-accent); }
  100% { box-shadow: 0 0 0 0 transparent; } }
.rag-src-head { display: flex; gap: 8px; align-items: baseline; }
.rag-n { flex: none; font-weight: 700; color: white; background: var(--color-accent);
  border-radius: 4px; padding: 0 7px; font-size: .85em; }
.rag-title { font-weight: 700; }
.rag-meta { font-size: .85em; color: var(--body-text-color-subdued); margin: 2px 0 6px 0; }
.rag-meta a { color: var(--color-accent); }
.rag-para { margin: 0; padding: 6px 10px; border-left: 3px solid var(--border-color-primary);
  font-size: .92em; line-height: 1.55; white-space: normal; }
.rag-pbreak { display: block; height: .6em; }
.rag-quote { background: #fde68a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
.rag-docid { font-size: .75em; color: var(--body-text-color-subdued); margin-top: 4px; }
.rag-abstain-panel { border: 1px dashed #9ca3af; border-radius: 8px; padding: 10px 12px;
  color: var(--body-text-color-subdued); }
.rag-abstain-panel p { margin: 6px 0; }
.rag-near { margin: 0 0 0 18px; }
.rag-stats, .rag-ingest { border-collapse: collapse !important; border: none !important; }
.rag-ingest { width: 100%; }
.rag-stats th, .rag-stats td, .rag-ingest th, .rag-ingest td { text-align: left;
  padding: 5px 14px 5px 0 !important; border: none !important; vertical-align: top;
  border-bottom: 1px solid var(--border-color-primary) !important; }
.rag-stats tr, .rag-ingest tr { border: none !important; }
.rag-stats th { font-weight: 600; white-space: nowrap; color: var(--body-text-color-subdued); }
.rag-stats td { overflow-wrap: anywhere; }
.rag-file { font-family: var(--font-mono); font-size: .9em; }
.rag-result { font-weight: 700; font-size: .8em; padding: 1px 8px; border-radius: 999px; }
.rag-result-ok { background: #dcfce7; color: #166534; }
.rag-result-same { background: #e5e7eb; color: #374151; }
.rag-result-bad { background: #fee2e2; color: #991b1b; }
.rag-result-mixed { background: #fef3c7; color: #92400e; }
"""

# A click on an [n] marker scrolls the sources panel to that source and flashes it (capture
# phase, so the chatbot's own link handling never opens a new tab for it).
JS = """
() => {
  if (window.__ragCites) return;
  window.__ragCites = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.rag-cite') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById((link.getAttribute('href') || '').slice(1));
    if (!target) return;
    const details = target.closest('details');
    if (details) details.open = true;
    target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    target.classList.remove('rag-flash');
    void target.offsetWidth;
    target.classList.add('rag-flash');
  }, true);
}
"""


def theme():
    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate")


def launch_options() -> dict:
    """Look and behaviour given to ``launch()`` (gradio 6 takes theme/css/js there)."""
    return {"theme": theme(), "css": CSS, "js": JS, "footer_links": ["api", "settings"],
            "show_error": False, "max_file_size": "50mb"}


def build_app(assistant) -> gr.Blocks:
    backend = Backend(assistant)

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
            msgs += [user_msg(message or ""), bot_msg(render.error_html(str(exc)))]
            yield msgs, gr.skip(), state, gr.skip()
            return
        turn = state["n"] + 1
        msgs += [user_msg(question), bot_msg(render.pending_html())]
        yield msgs, gr.skip(), state, ""
        answer = None
        try:
            for text, answer in backend.answer_stream(state["turns"], question, filters,
                                                      as_of=as_of):
                if answer is None:
                    msgs[-1] = bot_msg(render.pending_html(text, turn))
                    yield msgs, gr.skip(), state, gr.skip()
        except RagError as exc:
            msgs[-1] = bot_msg(render.error_html(str(exc)))
            yield msgs, gr.skip(), state, gr.skip()
            return
        except Exception:  # noqa: BLE001 - the reader gets a message, the log the traceback
            log.exception("answering %r failed", question)
            msgs[-1] = bot_msg(render.error_html(
                "something went wrong while answering; the server log has the details"))
            yield msgs, gr.skip(), state, gr.skip()
            return
        state["n"] = turn
        msgs[-1] = bot_msg(render.answer_html(answer, turn) + filters_note(filters, as_of))
        state["panels"].append(render.turn_panel(answer, backend.articles_for(answer), turn,
                                                 question))
        del state["panels"][:-MAX_PANELS]
        yield msgs, render.sources_panel(state["panels"]), state, gr.skip()

    def ui_clear(_state=None):
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
            raise gr.Error(str(exc)) from exc
        state["n"] += 1
        state["chat"] += [user_msg(question),
                          bot_msg(render.answer_html(answer, state["n"]))]
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
            raise gr.Error(str(exc)) from exc

    def add(files, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 - gradio's idiom
        if not files:
            return [], "<p>Choose one or more files first.</p>", backend.stats_html(), \
                gr.skip()
        rows = backend.add_files(files, progress)
        info = backend.corpus_info()
        return (rows, render.ingest_table(rows), render.stats_html(
            info["stats"], info["dates"], len(info["sources"])),
            gr.update(choices=info["sources"]))

    def on_load():
        info = backend.corpus_info()
        dates = info["dates"]
        hint = f"articles span {dates[0]} to {dates[1]}" if dates else "YYYY-MM-DD"
        return (render.stats_html(info["stats"], dates, len(info["sources"])),
                gr.update(choices=info["sources"]),
                gr.update(info=hint), gr.update(info=hint))

    first = backend.corpus_info()
    with gr.Blocks(title="newsrag: ask the news") as demo:
        state = gr.State(None)
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
                                    "`date`, `source`, `url`, `id`). A file uploaded again "
                                    "under the same name replaces its articles.")
                        # No file_types: gradio would refuse the whole upload for one odd
                        # file; here each file gets its own result (and reason) instead.
                        files = gr.File(file_count="multiple", type="filepath",
                                        label="Article files (.txt .md .html .jsonl)",
                                        elem_id="rag-upload")
                        add_btn = gr.Button("Add to the index", variant="primary",
                                            elem_id="rag-add")
                        results = gr.HTML(elem_id="rag-ingest-results")
                        with gr.Accordion("Result as JSON", open=False):
                            rows_json = gr.JSON(label="per-file results")
        # hidden: the inputs of the /chat API (the browser uses the box and filters above)
        api_btn = gr.Button(visible=False)
        api_out = gr.JSON(visible=False)

        chat_io = {"inputs": [box, state, since, until, sources, as_of],
                   "outputs": [chatbot, panel, state, box],
                   "concurrency_limit": CONCURRENCY, "concurrency_id": "answer",
                   "api_visibility": "private", "show_progress": "hidden"}
        box.submit(ui_chat, api_name="ui_chat_submit", **chat_io)
        send.click(ui_chat, api_name="ui_chat_click", **chat_io)
        clear_btn.click(ui_clear, inputs=[state], outputs=[chatbot, panel, state, box],
                        api_name="ui_clear", api_visibility="private", queue=False)
        chatbot.clear(ui_clear, inputs=[state], outputs=[chatbot, panel, state, box],
                      api_name="ui_clear_icon", api_visibility="private", queue=False)
        api_btn.click(api_chat, inputs=[box, since, until, sources, as_of, state],
                      outputs=[api_out, state], api_name="chat", concurrency_limit=CONCURRENCY,
                      concurrency_id="answer")
        api_btn.click(api_clear, inputs=[state], outputs=[state], api_name="clear",
                      queue=False)
        gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="answer")
        add_btn.click(add, inputs=[files], outputs=[rows_json, results, stats, sources],
                      api_name="add_articles", concurrency_limit=1, concurrency_id="ingest")
        demo.load(on_load, outputs=[stats, sources, since, until], api_name="ui_load",
                  api_visibility="private", queue=False)
    demo.queue(default_concurrency_limit=CONCURRENCY)
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


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860,
          auth: str | None = None, ensure_corpus: bool = True) -> int:
    """Start the browser chat and serve until interrupted (indexing corpus/ first when the index
    is empty and ``ensure_corpus``)."""
    from rag import Assistant

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    credentials = parse_auth(auth if auth is not None else os.environ.get("RAG_AUTH"))
    bot = Assistant(settings)
    if ensure_corpus and bot.store.count_chunks() == 0:
        corpus = PROJECT_ROOT / "corpus"
        if corpus.is_dir():
            print(f"The index at {bot.store.location} is empty: indexing {corpus} first.",
                  flush=True)
            report = bot.ingest([corpus], progress=True)
            print(report.summary(), flush=True)
    if bot.store.count_chunks() == 0:
        print("warning: the index is empty; add articles in the Corpus tab or with "
              "`rag ingest PATH`", flush=True)
    else:
        bot.ask("warm up")  # load the model and the BM25 index now, not on the first question
    if not is_loopback(host) and credentials is None:
        print(f"warning: serving on {host} without a login; anyone who can reach it can use "
              "it. Set --auth USER:PASS or RAG_AUTH.", flush=True)
    demo = build_app(bot)
    try:
        demo.launch(server_name=host, server_port=port, auth=credentials,
                    auth_message="Log in to ask about the articles." if credentials else None,
                    **launch_options())
    except OSError as exc:
        raise RagError(f"cannot serve on {host}:{port}: {exc}") from exc
    return 0
