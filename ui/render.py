"""HTML for the browser chat: answers with citation markers, the sources panel, the corpus panel.

Everything that comes from an article (text, title, source, url, ids) or from a user (questions,
file names) is escaped here with ``html.escape``: gradio's Chatbot renders markdown and
``gr.HTML`` renders HTML, so unescaped article text could run script in a reader's browser.
Chat messages are wrapped in one ``<div>`` with no blank line inside: markdown treats that as a
raw HTML block and leaves it alone, so ``[x](javascript:...)`` in an article stays plain text.
"""

from __future__ import annotations

import re
from html import escape
from urllib.parse import urlparse

_MARKER = re.compile(r"\[(\d{1,3})\]")
_TRAILING_MARKERS = re.compile(r"(\s*\[\d{1,3}\])+\s*$")
PARAGRAPH_LIMIT = 900  # characters of context shown around a quote


def esc(value) -> str:
    """Escape text for HTML; whitespace runs (newlines too) become one space so that a chat
    message never holds a blank line (which would end the raw HTML block in markdown)."""
    return escape(" ".join(str(value or "").split()), quote=True)


def anchor(turn: int, n: int) -> str:
    return f"rag-src-{turn}-{n}"


def cite_link(turn: int, n: int, title: str = "") -> str:
    tip = f"Source {n}: {title}" if title else f"Source {n}"
    return (f'<a class="rag-cite" href="#{anchor(turn, n)}" data-n="{n}" '
            f'title="{esc(tip)}">[{n}]</a>')


def _link_markers(escaped: str, turn: int, titles: dict[int, str]) -> str:
    return _MARKER.sub(lambda m: cite_link(turn, int(m.group(1)), titles.get(int(m.group(1)),
                                                                            "")), escaped)


def safe_url(url: str) -> str:
    """The url if it is an absolute http(s) link, else '' (no javascript:, data:, ...)."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return ""
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
        return url
    return ""


# --- chat messages -----------------------------------------------------------------------------


def question_html(question: str) -> str:
    return f'<div class="rag-q">{esc(question)}</div>'


def pending_html(text: str = "", turn: int = 0, titles: dict[int, str] | None = None,
                 status: str = "") -> str:
    """A partly streamed answer (or, with no text yet, a 'searching' line)."""
    if not text:
        status = esc(status or "Searching the articles")
        return f'<div class="rag-answer rag-pending">{status}\u2026</div>'
    body = _link_markers(esc(text), turn, titles or {})
    caret = '<span class="rag-caret">\u258d</span>'
    return f'<div class="rag-answer rag-streaming">{body}{caret}</div>'


def answer_html(answer, turn: int) -> str:
    """The finished answer: each sentence with its [n] markers linked to the sources panel."""
    notice = (f'<div class="rag-notice">{esc(answer.notice)}</div>'
              if getattr(answer, "notice", "") else "")
    if getattr(answer, "status", "") == "related":
        return related_html(answer, turn, notice)
    if answer.abstained:
        return (f'<div class="rag-answer rag-abstain">{notice}'
                '<span class="rag-badge rag-badge-abstain">No answer in the articles</span> '
                f'{esc(answer.text)}</div>')
    titles = {c.n: c.title for c in answer.citations}
    sentences = getattr(answer, "sentences", None) or []
    if sentences:
        parts = []
        for s in sentences:
            marks = " ".join(cite_link(turn, n, titles.get(n, "")) for n in s.citations)
            raw = s.text
            tail = _TRAILING_MARKERS.search(raw)
            if tail and set(map(int, _MARKER.findall(tail.group(0)))) <= set(s.citations):
                raw = raw[:tail.start()]  # the sentence already ends with its markers
            # Markers are linked only from s.citations: a "[3]" inside an article's own
            # sentence stays text.
            text = esc(raw) if s.citations else _link_markers(esc(raw), turn, titles)
            piece = f'<span class="rag-sent">{text}{" " + marks if marks else ""}'
            if not s.supported:
                piece += (' <span class="rag-unsupported" title="No cited passage supports this '
                          'sentence: check it against the sources">unsupported</span>')
            parts.append(piece + "</span>")
        body = " ".join(parts)
    else:
        body = _link_markers(esc(answer.text), turn, titles)
    return f'<div class="rag-answer">{notice}{body}</div>'


def related_html(answer, turn: int, notice: str = "") -> str:
    """The articles speak of it but do not say it: the closest sentences, cited, set apart
    from an answer."""
    titles = {c.n: c.title for c in answer.citations}
    lead, _, rest = answer.text.partition("; closest: ")
    close = []
    for sent in answer.sentences:
        links = " ".join(cite_link(turn, n, titles.get(n, "")) for n in sent.citations)
        close.append(f"<li>{esc(sent.text)} {links}</li>")
    return (f'<div class="rag-answer rag-related">{notice}'
            '<span class="rag-badge rag-badge-related">Not said in the articles</span> '
            f'{esc(lead)}; closest:<ul class="rag-closest">{"".join(close)}</ul></div>')


def error_html(message: str, title: str = "Cannot ask that") -> str:
    return (f'<div class="rag-answer rag-error"><span class="rag-badge rag-badge-error">'
            f'{esc(title)}</span> {esc(message)}</div>')


# --- the sources panel -------------------------------------------------------------------------


def paragraph_around(text: str, start: int, end: int,
                     limit: int = PARAGRAPH_LIMIT) -> tuple[str, str, str]:
    """(before, quote, after): the paragraph of ``text`` holding text[start:end], cut to about
    ``limit`` characters around the quote with an ellipsis where it was cut. News paragraphs are
    often one sentence: then the paragraphs before and after are added while they fit, so that
    the reader sees the quote in context (paragraph breaks stay as blank lines)."""
    a = text.rfind("\n\n", 0, start)
    a = 0 if a < 0 else a + 2
    b = text.find("\n\n", end)
    b = len(text) if b < 0 else b
    for _ in range(2):  # widen by whole paragraphs while short
        if b - a >= limit // 2:
            break
        prev = text.rfind("\n\n", 0, max(0, a - 2))
        prev = 0 if prev < 0 else prev + 2
        if a > 0 and b - prev <= limit:
            a = prev
        nxt = text.find("\n\n", b + 2)
        nxt = len(text) if nxt < 0 else nxt
        if b < len(text) and nxt - a <= limit:
            b = nxt
    before, quote, after = text[a:start], text[start:end], text[end:b]
    room = max(0, limit - len(quote)) // 2
    if len(before) > room:
        cut = before[len(before) - room:]
        before = "\u2026" + cut[cut.find(" ") + 1:] if " " in cut else "\u2026" + cut
    if len(after) > room:
        cut = after[:room]
        after = (cut[:cut.rfind(" ")] if " " in cut else cut) + "\u2026"
    return before, quote, after


def esc_paragraphs(text: str) -> str:
    """Escaped text whose blank lines become paragraph breaks (for gr.HTML, not chat)."""
    parts = re.split(r"\n\s*\n", text)
    return '<span class="rag-pbreak"></span>'.join(esc(p) for p in parts)


def source_card(citation, article, turn: int) -> str:
    c = citation
    meta = [f'<span class="rag-date">{esc(c.date)}</span>' if c.date else "",
            f'<span class="rag-source">{esc(c.source)}</span>' if c.source else ""]
    url = safe_url(c.url)
    if url:
        meta.append(f'<a class="rag-url" href="{escape(url, quote=True)}" target="_blank" '
                    f'rel="noopener noreferrer nofollow">open the article \u2197</a>')
    meta_html = " \u00b7 ".join(m for m in meta if m) or '<span class="rag-date">undated</span>'
    if article is not None and article.text[c.start:c.end] == c.quote:
        before, quote, after = paragraph_around(article.text, c.start, c.end)
    else:  # the article changed since the answer: show the quote alone
        before, quote, after = "", c.quote, ""
    body = (f'{esc_paragraphs(before)} <mark class="rag-quote">{quote_html(c, quote)}</mark> '
            f'{esc_paragraphs(after)}').strip()
    return (f'<div class="rag-src" id="{anchor(turn, c.n)}">'
            f'<div class="rag-src-head"><span class="rag-n">{c.n}</span>'
            f'<span class="rag-title">{esc(c.title) or esc(c.doc_id)}</span></div>'
            f'<div class="rag-meta">{meta_html}</div>'
            f'<blockquote class="rag-para">{body}</blockquote>{also_in_html(c)}'
            f'<div class="rag-docid">id: {esc(c.doc_id)} \u00b7 characters {c.start}\u2013{c.end}'
            f'</div></div>')


def also_in_html(citation) -> str:
    """"Also reported by N other articles", the copies listed inside (escaped, no links)."""
    others = getattr(citation, "also_in", None) or []
    if not others:
        return ""
    n = len(others)
    items = "".join(
        f'<li>{esc(o.get("title") or o.get("doc_id"))}'
        + (f' ({esc(", ".join(x for x in (o.get("source"), o.get("date")) if x))})'
           if o.get("source") or o.get("date") else "") + "</li>"
        for o in others)
    return (f'<details class="rag-also"><summary>Also reported by {n} other '
            f'article{"s" if n != 1 else ""}</summary><ul>{items}</ul></details>')


def quote_html(c, quote: str) -> str:
    """The quote, escaped, with its answer phrase (focus_start/end) in bold."""
    fs, fe = getattr(c, "focus_start", None), getattr(c, "focus_end", None)
    if fs is None or fe is None or quote != c.quote or not (c.start <= fs < fe <= c.end):
        return esc(quote)
    a, b = fs - c.start, fe - c.start

    def keep(text: str) -> str:  # escaped, whitespace runs as one space, ends kept
        return escape(re.sub(r"\s+", " ", text), quote=True)

    # <strong>, never <b>: an article's own markup shows as text, and tests look for tags
    return (f'{keep(quote[:a])}<strong class="rag-focus">{keep(quote[a:b])}</strong>'
            f'{keep(quote[b:])}').strip()


def turn_panel(answer, articles: dict, turn: int, question: str) -> str:
    """The sources of one answer (one <details> block in the panel)."""
    head = (f'<summary><span class="rag-turn">Q{turn}</span> {esc(question)}</summary>')
    if answer is None:
        return f'<details class="rag-turn-block" open>{head}<p class="rag-none">' \
               'No sources.</p></details>'
    if getattr(answer, "status", "") == "related" and answer.citations:
        cards = "".join(source_card(c, articles.get(c.doc_id), turn) for c in answer.citations)
        return (f'<details class="rag-turn-block" open>{head}<p class="rag-related-head">'
                'Closest sentences (they do not answer the question as asked):</p>'
                f'{cards}</details>')
    if answer.abstained:
        near = []
        seen = set()
        for p in answer.passages:
            if p.doc_id in seen:
                continue
            seen.add(p.doc_id)
            near.append(f'<li>{esc(p.title) or esc(p.doc_id)}'
                        f'{" (" + esc(p.date) + ")" if p.date else ""}</li>')
            if len(near) == 3:
                break
        closest = (f'<p class="rag-near-head">Closest articles searched (none says it):</p>'
                   f'<ul class="rag-near">{"".join(near)}</ul>') if near else ""
        return (f'<details class="rag-turn-block" open>{head}<div class="rag-abstain-panel">'
                '<span class="rag-badge rag-badge-abstain">No answer in the articles</span>'
                '<p>No article sentence answers this question well enough, so the assistant '
                f'does not guess.</p>{closest}</div></details>')
    cards = "".join(source_card(c, articles.get(c.doc_id), turn) for c in answer.citations)
    return f'<details class="rag-turn-block" open>{head}{cards}</details>'


EMPTY_PANEL = ('<div class="rag-panel-empty">Sources appear here: each <b>[n]</b> in an answer '
               'is an article listed with the sentence it comes from highlighted.</div>')


def sources_panel(blocks: list[str]) -> str:
    """The panel: the newest answer's sources first and open, older ones folded."""
    if not blocks:
        return f'<div class="rag-panel">{EMPTY_PANEL}</div>'
    newest, older = blocks[-1], list(reversed(blocks[:-1]))
    older = [b.replace("<details class=\"rag-turn-block\" open>",
                       "<details class=\"rag-turn-block\">", 1) for b in older]
    return f'<div class="rag-panel">{newest}{"".join(older)}</div>'


# --- the corpus panel --------------------------------------------------------------------------


def stats_html(stats: dict, dates: tuple[str, str] | None, n_sources: int) -> str:
    size = stats.get("size_bytes") or 0
    rows = [
        ("Articles", f"{stats.get('articles', 0):,}"),
        ("Stories", f"{stats.get('stories', 0):,} ({stats.get('stories_with_copies', 0):,} "
                    "with copies from several articles)"),
        ("Passages (chunks)", f"{stats.get('chunks', 0):,}"),
        ("Dates", f"{dates[0]} to {dates[1]}" if dates else "none known"),
        ("Sources", f"{n_sources:,}"),
        ("Embedding model", f"{stats.get('embed_model', '')} ({stats.get('dim') or '?'} dims"
                            + (f", {stats['embed_backend']}" if stats.get("embed_backend") else "")
                            + ")"),
        ("Index", str(stats.get("index", ""))),
        ("Size on disk", f"{size / 1e6:.1f} MB" if size else "\u2013"),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="rag-stats">{body}</table>'


RESULT_CLASSES = {"added": "ok", "updated": "ok", "skipped": "same", "failed": "bad"}


def ingest_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    out = []
    for r in rows:
        cls = RESULT_CLASSES.get(r["result"], "mixed")
        out.append(f'<tr><td class="rag-file">{esc(r["file"])}</td>'
                   f'<td><span class="rag-result rag-result-{cls}">{esc(r["result"])}</span></td>'
                   f'<td>{esc(r["articles"])}</td><td>{esc(r["details"])}</td></tr>')
    return ('<table class="rag-ingest"><thead><tr><th>File</th><th>Result</th><th>Articles</th>'
            f'<th>Details</th></tr></thead><tbody>{"".join(out)}</tbody></table>')


# --- feeds (rag serve --watch) -----------------------------------------------------------------

FEED_STATUS_CLASSES = {"ok": "ok", "not modified": "same", "failed": "bad"}


def feeds_table(rows: list[dict], watching: bool = True) -> str:
    """The watched feeds: each with its last poll's time, result and counts (feed titles,
    URLs and errors come from the web: escaped, and URLs shown as text, not links)."""
    if not watching:
        return ('<p class="rag-none">Not watching feeds. Start with <code>rag serve --watch '
                'FEEDS.txt</code> (one feed URL per line) to keep the index fresh from them.</p>')
    if not rows:
        return '<p class="rag-none">No feeds yet: add one by its URL below.</p>'
    out = []
    for r in rows:
        status = r.get("status", "")
        cls = FEED_STATUS_CLASSES.get(status, "mixed")
        badge = (f'<span class="rag-result rag-result-{cls}">{esc(status)}</span>' if status
                 else '<span class="rag-none">waiting for the first poll</span>')
        when = esc((r.get("polled_at") or "").replace("T", " ").replace("+00:00", " UTC"))
        counts = (f'{r.get("new", 0)} new, {r.get("updated", 0)} updated, '
                  f'{r.get("unchanged", 0)} unchanged, {r.get("failed", 0)} failed'
                  if status else "")
        title = f'<div class="rag-feed-title">{esc(r["title"])}</div>' if r.get("title") else ""
        out.append(f'<tr><td class="rag-file">{title}<div class="rag-feed-url">{esc(r["feed"])}'
                   f'</div></td><td>{badge}</td><td>{when}</td><td>{esc(counts)}</td>'
                   f'<td>{r.get("entries", 0):,}</td><td>{esc(r.get("error", ""))}</td></tr>')
    return ('<table class="rag-ingest rag-feeds"><thead><tr><th>Feed</th><th>Last poll</th>'
            '<th>When</th><th>Entries (last poll)</th><th>Known</th><th>Problem</th></tr></thead>'
            f'<tbody>{"".join(out)}</tbody></table>')
