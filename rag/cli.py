"""The `rag` command: thin over the Python API. Heavy libraries load only when a command needs
them, so `rag --help` and bad arguments answer at once."""

from __future__ import annotations

import argparse
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
    report = bot.ingest(args.paths, prune=args.prune, progress=not args.quiet)
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
    return 0 if (ok or not report.failed) else 1


def _filters(args):
    from .assistant import merge_filters

    return merge_filters(None, args.since, args.until, args.source or None)


def cmd_ask(args) -> int:
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


def format_answer(answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"({answer.notice})")
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            meta = ", ".join(x for x in (c.source, c.date) if x)
            lines.append(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "")
                         + f"  id={c.doc_id}" + (f"  {c.url}" if c.url else ""))
            lines.append(f"    \u201c{' '.join(c.quote.split())}\u201d  [chars {c.start}-{c.end}]")
    return "\n".join(lines)


def cmd_chat(args) -> int:
    from .types import RagError

    bot = _assistant(args)
    _require_index(bot)
    session = bot.chat()
    filters = _filters(args)
    print("Ask about the articles. Empty line or Ctrl-D to quit; /clear forgets the conversation.")
    while True:
        try:
            question = input("\n> ")
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


def cmd_serve(args) -> int:
    from ui.app import serve

    return serve(_settings(args), host=args.host, port=args.port, auth=args.auth,
                 ensure_corpus=not args.no_corpus) or 0


def cmd_eval(args) -> int:
    from .eval import COMPARE, evaluate, summary_rows, text_table

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
    return 0


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

    p = add("ingest", "add or update articles from files and folders", cmd_ingest)
    p.add_argument("paths", nargs="+", help=".txt, .md, .html, .jsonl files or folders")
    p.add_argument("--prune", action="store_true",
                   help="remove articles whose files (or JSONL lines) are gone")
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it anew")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

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

    p = add("serve", "start the browser chat", cmd_serve)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", default=None, help="USER:PASS (or RAG_AUTH) to require a login")
    p.add_argument("--no-corpus", action="store_true",
                   help="do not index the shipped corpus/ when the index is empty")
    add_llm(p)

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
