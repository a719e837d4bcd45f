"""The `rag` command: thin over the Python API. Heavy libraries load only when a command needs
them, so `rag --help` and bad arguments answer at once."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from . import offline  # noqa: F401


def _settings(args):
    from .config import Settings

    return Settings.from_env(index_dir=getattr(args, "index_dir", None), **_llm_overrides(args))


_LLM_ARGS = ("llm_url", "llm_model", "llm_api_key", "llm_timeout")


def _llm_overrides(args) -> dict:
    return {k: getattr(args, k) for k in _LLM_ARGS if getattr(args, k, None) is not None}


def _assistant(args):
    from .assistant import Assistant

    return Assistant(_settings(args))


def cmd_ingest(args) -> int:
    bot = _assistant(args)
    if args.rebuild:
        bot.rebuild()
    # stdout holds the report only: Ray prints its workers' errors (a restarted actor) there.
    with contextlib.redirect_stdout(sys.stderr):
        report = bot.ingest(args.paths, prune=args.prune, progress=not args.quiet,
                            allow_private=args.allow_private or None, ray=args.ray)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
        for f in report.failed:
            print(f"failed: {f.path}: {f.reason}", file=sys.stderr)
        print(report.summary())
        if report.chunks_written >= 50 and report.seconds > 0:
            print(f"rate: {report.chunks_written / report.seconds:.1f} chunks/s")
    ok = report.added or report.updated or report.skipped or report.removed
    # Nothing read and something failed (a missing path, only unreadable files): an error.
    return 0 if (ok or not report.failed) else 2


def _filters(args):
    from .assistant import merge_filters

    return merge_filters(None, args.since, args.until, args.source or None)


def _arg_text(text: str) -> str:
    """A command-line argument (or a line typed to `rag chat`) as text: bytes that were not
    UTF-8 reach Python as lone surrogates (surrogateescape), which nothing downstream can
    encode; read them as cp1252 (a Latin-1 terminal's "caf\xe9" is "café") instead."""
    return "".join(bytes([ord(ch) - 0xDC00]).decode("cp1252", errors="replace")
                   if "\udc80" <= ch <= "\udcff" else ch for ch in text)


def cmd_ask(args) -> int:
    args.question = _arg_text(args.question)
    bot = _assistant(args)
    _require_index(bot)
    if args.json or bot.generator is None:
        answer = bot.ask(args.question, _filters(args), as_of=args.as_of)
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json
              else format_answer(answer))
        return 0
    show_stream(bot.stream(args.question, _filters(args), as_of=args.as_of))
    return 0


def show_stream(items):
    """Print an answer's tokens as they come, then what the citation check made of them."""
    pieces: list[str] = []
    answer = None
    for item in items:
        if isinstance(item, str):
            pieces.append(item)
            sys.stdout.write(item)
            sys.stdout.flush()
        else:
            answer = item
    if not pieces:
        print(format_answer(answer))
        return answer
    print()
    same = " ".join("".join(pieces).split()) == " ".join(answer.text.split())
    if same and answer.mode == "llm":
        print("\n".join(format_answer(answer).split("\n")[1:]))  # the citations only
    else:
        print("\n" + ("Checked against the sources:" if answer.mode == "llm" else "Instead:"))
        print(format_answer(answer))
    return answer


def format_answer(answer, bold: bool | None = None) -> str:
    """An answer with its sources; each quote with its answer phrase in bold (ANSI, when the
    output is a terminal)."""
    if bold is None:
        bold = sys.stdout.isatty()
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, c.date) if x)
            lines.append(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "")
                         + f"  id={c.doc_id}" + (f"  {c.url}" if c.url else ""))
            lines.append(f"    \u201c{_quote(c, bold)}\u201d  [chars {c.start}-{c.end}]")
            if c.also_in:
                lines.append(f"    {also_reported(c.also_in)}")
    return "\n".join(lines)


def also_reported(others: list[dict], show: int = 3) -> str:
    """'also reported by 2 other articles: Title (source, date); ...'"""
    n = len(others)
    names = []
    for o in others[:show]:
        meta = ", ".join(x for x in (o.get("source"), o.get("date")) if x)
        names.append((o.get("title") or o["doc_id"]) + (f" ({meta})" if meta else ""))
    more = f"; +{n - show} more" if n > show else ""
    return (f"also reported by {n} other article{'s' if n != 1 else ''}: "
            + "; ".join(names) + more)


def _quote(c, bold: bool) -> str:
    quote = c.quote
    if bold and c.focus_start is not None and c.focus_end is not None:
        a, b = c.focus_start - c.start, c.focus_end - c.start
        quote = f"{quote[:a]}\033[1m{quote[a:b]}\033[0m{quote[b:]}"
    return " ".join(quote.split())


def cmd_chat(args) -> int:
    from .types import RagError

    bot = _assistant(args)
    _require_index(bot)
    session = bot.chat()
    filters = _filters(args)
    print("Ask about the articles. Empty line or Ctrl-D to quit; /clear forgets the conversation.")
    while True:
        try:
            question = _arg_text(input("\n> "))
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question.strip():
            return 0
        if question.strip() == "/clear":
            session.clear()
            print("(conversation cleared)")
            continue
        try:
            if bot.generator is None:
                print(format_answer(session.ask(question, filters)))
            else:
                show_stream(session.stream(question, filters))
                if session.history and session.history[-1].standalone:
                    print(f"(follow-up read as: {session.history[-1].standalone})")
        except RagError as exc:
            print(f"error: {exc}")


def cmd_stats(args) -> int:
    bot = _assistant(args)
    stats = bot.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        for key, value in stats.items():
            if key == "size_bytes":
                key, value = "size on disk", f"{value / 1e6:.1f} MB"
            print(f"{key:>12}: {value}")
    return 0


def cmd_check(args) -> int:
    bot = _assistant(args)
    report = bot.check(sample=args.sample, full=args.full)
    for p in report.problems:
        print(p.line())
    if args.repair and report.problems:
        done = bot.check(repair=True, sample=args.sample, full=args.full,
                         log=lambda line: print(f"repaired: {line}"))
        for p in done.problems:
            print(f"still: {p.line()}")
        report = done
    print(report.summary())
    return 0 if report.ok else 1


def cmd_backup(args) -> int:
    _assistant(args).backup(args.dest, log=print)
    return 0


def cmd_restore(args) -> int:
    _assistant(args).restore(args.src, log=print)
    return 0


def cmd_serve(args) -> int:
    from ui.app import serve

    watch = None
    if args.watch:
        watch = {"feeds_file": args.watch, "every": _every(args),
                 "allow_private": args.allow_private or None}
    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth,
                 auth_file=args.auth_file, ensure_corpus=not args.no_corpus,
                 watch=watch) or 0


def cmd_passwd(args) -> int:
    """A ``user:hash`` line for `rag serve --auth-file`: printed, or written into the file."""
    import getpass

    from ui.auth import hash_password, set_user

    from .types import RagError

    user = args.user.strip()
    if not user or ":" in user or any(ch.isspace() for ch in user):
        raise RagError("the user name must be non-empty, without ':' or spaces")
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {user}: ")
        if getpass.getpass("again: ") != password:
            raise RagError("the two passwords differ")
    else:  # piped: the first line
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        raise RagError("the password is too short (at least 8 characters)")
    line = f"{user}:{hash_password(password)}"
    if args.auth_file:
        set_user(args.auth_file, user, line.partition(":")[2])
        print(f"{user} can log in with `rag serve --auth-file {args.auth_file}`",
              file=sys.stderr)
    else:
        print(line)
    return 0


def _every(args) -> float:
    from .sources.watch import parse_every
    from .types import RagError

    value = args.every or _settings(args).fetch.watch_every
    try:
        return parse_every(value)
    except ValueError as exc:
        raise RagError(f"--every / RAG_WATCH_EVERY: {exc}") from None


def _feeds(path: Path) -> list[str]:
    from .sources.watch import read_feeds_file
    from .types import RagError

    try:
        feeds = read_feeds_file(path)
    except OSError as exc:
        raise RagError(f"{path}: {exc.strerror or exc}") from None
    if not feeds:
        raise RagError(f"{path} lists no feeds: write one feed URL or file per line")
    return feeds


def cmd_watch(args) -> int:
    import time

    every = _every(args)
    feeds = _feeds(args.feeds)
    bot = _assistant(args)

    def log(line: str) -> None:
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}", flush=True)

    with bot.watcher(feeds, allow_private=args.allow_private or None, log=log) as watcher:
        log(f"watching {len(feeds)} feed(s) into {bot.store.location}"
            + ("" if args.once else f", every {args.every or bot.settings.fetch.watch_every}"
               "; Ctrl-C stops after the current feed"))
        if args.once:
            log(str(watcher.poll_once()))
        else:
            watcher.run(every, log=log)
    return 0


def cmd_eval(args) -> int:
    from .eval import COMPARE, evaluate, summary_rows, text_table
    from .eval.report import failing
    from .types import RagError

    bounds = []
    for flag, op, specs in (("--fail-under", ">=", args.fail_under),
                            ("--fail-over", "<=", args.fail_over)):
        for spec in specs or []:
            path, eq, value = spec.partition("=")
            try:
                bounds.append((path.strip(), float(value), op))
            except ValueError:
                eq = ""
            if not eq or "." not in path:
                raise RagError(f"{flag} {spec!r}: expected METRIC=NUMBER, e.g. "
                               "answer.contains_answer_in_gold=0.85")

    configs = None
    if args.config:
        # "default,dense" is two presets; "x:chunk_size=150,chunk_overlap=20" is one spec.
        configs = [c for spec in args.config
                   for c in ([spec] if ":" in spec else [x for x in spec.split(",") if x])]
        if args.compare:
            configs = [*COMPARE, *[c for c in configs if c not in COMPARE]]
    report = evaluate(args.articles, args.questions, unanswerable=args.unanswerable,
                      configs=configs, compare=args.compare, out=args.out,
                      index_dir=args.index_dir, limit=args.limit,
                      answers=not args.retrieval_only, progress=not args.quiet,
                      settings=_settings(args))
    header, rows = summary_rows(report)
    print(text_table(header, rows))
    print(f"\n{report.n_questions} questions"
          + (f" + {report.n_unanswerable} unanswerable" if report.n_unanswerable else "")
          + f", {len(report.configs)} configuration(s), {report.seconds:.0f} s; "
          f"wrote {args.out}/report.json, report.md, questions.jsonl, *.png")
    failed = failing(report, bounds)
    for line in failed:
        print(f"FAIL {line}", file=sys.stderr)
    return 1 if failed else 0


def cmd_llm_serve(args) -> int:
    from .answering.local_llm import serve_gguf

    server = serve_gguf(args.model, host=args.host, port=args.port, n_ctx=args.ctx,
                        threads=args.threads)
    print(f"serving {args.model.name} at {server.url}\n"
          f"use it with: RAG_LLM_URL={server.url} rag ask '...'   (Ctrl-C stops)", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def _require_index(bot) -> None:
    from .types import RagError

    if bot.is_empty():
        raise RagError(f"the index at {bot.store.location} is empty: run `rag ingest PATH` first")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, help_, func):
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--index-dir", type=Path, default=None,
                       help="index folder (default: RAG_INDEX_DIR or ./index_store)")
        p.set_defaults(func=func)
        return p

    def add_llm(p):
        g = p.add_argument_group("generated answers (default: extractive, no LLM)")
        g.add_argument("--llm-url", default=None, help="base URL of an OpenAI-compatible API, "
                       "e.g. http://127.0.0.1:8080/v1, or ollama://HOST:PORT for Ollama's "
                       "native API (env RAG_LLM_URL)")
        g.add_argument("--llm-model", default=None, help="model name (env RAG_LLM_MODEL; "
                       "default: the first one the server lists)")
        g.add_argument("--llm-api-key", default=None, help="API key (env RAG_LLM_API_KEY)")
        g.add_argument("--llm-timeout", type=float, default=None, help="seconds for a whole "
                       "reply before falling back to the extractive answer (env "
                       "RAG_LLM_TIMEOUT, default 60)")

    def add_filters(p):
        p.add_argument("--since", help="only articles dated on or after YYYY-MM-DD")
        p.add_argument("--until", help="only articles dated on or before YYYY-MM-DD")
        p.add_argument("--source", action="append", help="only articles from this source "
                       "(repeatable)")

    p = add("ingest", "add or update articles from files, folders, feeds and web pages",
            cmd_ingest)
    p.add_argument("paths", nargs="+", metavar="URL|FEED|PATH",
                   help="an http(s) URL of a page or a feed; a feed file (.xml .rss .atom "
                   ".rdf); .txt, .md, .html, .jsonl, .sgm files or folders")
    p.add_argument("--allow-private", action="store_true",
                   help="let URLs reach private, loopback and link-local addresses (env "
                   "RAG_ALLOW_PRIVATE)")
    p.add_argument("--prune", action="store_true",
                   help="remove articles whose files (or JSONL lines) are gone")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--ray", metavar="ADDRESS", help="embed on the actors of this Ray cluster "
                   "(host:port of its head; env RAG_RAY_ADDRESS; needs the cluster extra)")

    p = add("ask", "answer one question, with citations", cmd_ask)
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--as-of", help="the date YYYY-MM-DD the question is asked as of: that "
                   "week's articles rank first, and a question about recent time (\"this "
                   "week\") is answered only from them")
    add_filters(p)
    add_llm(p)

    p = add("chat", "chat in the terminal (follow-up questions keep context)", cmd_chat)
    add_filters(p)
    add_llm(p)

    p = add("stats", "what the index holds", cmd_stats)
    p.add_argument("--json", action="store_true")

    p = add("check", "check that the index is consistent (store, manifest, keyword index); "
            "exit 1 on a problem", cmd_check)
    p.add_argument("--repair", action="store_true", help="fix what can be fixed without "
                   "re-embedding (re-embeds only the articles that need it)")
    p.add_argument("--sample", type=int, default=200, help="articles whose chunk offsets and "
                   "texts are compared (default 200)")
    p.add_argument("--full", action="store_true", help="compare every article's chunks")

    p = add("backup", "write a consistent, checked copy of the index to a new folder",
            cmd_backup)
    p.add_argument("dest", type=Path, help="a new (or empty) folder")
    p = add("restore", "replace the index by a backup made with `rag backup` (checked first)",
            cmd_restore)
    p.add_argument("src", type=Path, help="the backup folder")

    p = add("serve", "start the browser chat", cmd_serve)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth-file", default=None, metavar="PATH",
                   help="require a login: a file of user:password-hash lines made with `rag "
                   "passwd USER --auth-file PATH` (or RAG_AUTH_FILE); recommended")
    p.add_argument("--auth", default=None, metavar="USER:PASS",
                   help="require this login (or RAG_AUTH); the password shows in the process "
                   "list: prefer --auth-file")
    p.add_argument("--no-corpus", action="store_true",
                   help="do not index the shipped corpus/ when the index is empty")
    p.add_argument("--watch", type=Path, default=None, metavar="FEEDS.txt",
                   help="keep the index fresh from these feeds while serving (one URL or "
                   "feed file per line); the Corpus tab lists them")
    p.add_argument("--every", default=None, help="with --watch: how often to poll, e.g. 15m, "
                   "1h, 90s (env RAG_WATCH_EVERY, default 15m)")
    p.add_argument("--allow-private", action="store_true",
                   help="with --watch: let feeds reach private and loopback addresses")
    add_llm(p)

    p = sub.add_parser("passwd", help="make a login line for `rag serve --auth-file`",
                       description="Read a password (typed, or the first line of stdin) and "
                       "print USER:HASH (salted scrypt), or put it in --auth-file.")
    p.add_argument("user")
    p.add_argument("--auth-file", default=None, metavar="PATH",
                   help="add or replace the user's line in this file (made readable by you "
                   "only) instead of printing it")
    p.set_defaults(func=cmd_passwd)

    p = add("watch", "poll feeds on a schedule and index what is new or updated", cmd_watch)
    p.add_argument("feeds", type=Path, metavar="FEEDS.txt",
                   help="one feed URL or feed file per line; # starts a comment")
    p.add_argument("--every", default=None,
                   help="how often to poll, e.g. 15m, 1h, 90s (env RAG_WATCH_EVERY, default 15m)")
    p.add_argument("--once", action="store_true", help="poll once and exit")
    p.add_argument("--allow-private", action="store_true",
                   help="let feeds reach private, loopback and link-local addresses")

    p = add("eval", "measure retrieval, answer and citation quality on a question set",
            cmd_eval)
    p.add_argument("--articles", type=Path, required=True, help="articles.jsonl")
    p.add_argument("--questions", type=Path, required=True, help="questions.jsonl")
    p.add_argument("--unanswerable", type=Path, default=None,
                   help="questions the articles cannot answer (abstention reported apart)")
    p.add_argument("--out", type=Path, default=Path("eval_out"),
                   help="folder for report.json, report.md, questions.jsonl and plots")
    p.add_argument("--compare", action="store_true",
                   help="compare the shipped default with dense-only, BM25-only and plain "
                   "reciprocal rank fusion")
    p.add_argument("--config", action="append", default=None, metavar="SPEC",
                   help="a configuration to run (repeatable): a preset (default, dense, bm25, "
                   "rrf, default+dates) or NAME:key=value,... with Settings overrides")
    p.add_argument("--retrieval-only", action="store_true",
                   help="measure retrieval only (no answers: much faster)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--fail-under", action="append", default=None, metavar="METRIC=VALUE",
                   help="exit 1 (printing the failing figures) when a figure of the first "
                   "configuration is below VALUE; METRIC is its report.json path, e.g. "
                   "answer.contains_answer_in_gold=0.85 (repeatable)")
    p.add_argument("--fail-over", action="append", default=None, metavar="METRIC=VALUE",
                   help="exit 1 when a figure is above VALUE, e.g. "
                   "answer.abstention_rate=0.10 (repeatable)")
    add_llm(p)

    p = sub.add_parser("llm-serve", help="serve a local GGUF model as an OpenAI-compatible API "
                       "(needs the `local` extra)", description="Run a GGUF model on the CPU "
                       "with llama.cpp (xllamacpp) and serve it on loopback; point RAG_LLM_URL "
                       "at the printed URL.")
    p.add_argument("--model", required=True, type=Path, help="path of a .gguf file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--ctx", type=int, default=4096, help="context length in tokens")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all)")
    p.set_defaults(func=cmd_llm_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .types import RagError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `rag ask ... | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted: what was finished is saved; run the command again to go on",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
