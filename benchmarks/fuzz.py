"""Fuzz the inputs a user controls (issue 14): thousands of generated files through every
reader, and questions, filters and dates through a real Assistant over a small index.

    .venv/bin/python benchmarks/fuzz.py --examples 2000

Prints, per target, the inputs tried and the tracebacks (exceptions other than the project's
clear errors: a reader's failure recorded in the read log, a QuestionError), with the first
few tracebacks in full. The target is 0 tracebacks. Uses the same properties as
tests/sources/test_fuzz_readers.py and tests/test_fuzz_questions.py, with more examples.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]


def run(name: str, strategy, check, examples: int, seed: int) -> tuple[int, int]:
    """``check(example)`` on ``examples`` generated inputs; (inputs, tracebacks)."""
    from collections import Counter

    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hseed

    tried, failed, shown = 0, 0, []
    outcomes: Counter = Counter()

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(strategy)
    def prop(example):
        nonlocal tried, failed
        tried += 1
        try:
            outcomes[check(example) or "ok"] += 1
        except Exception:  # noqa: BLE001 - counted, not raised: the run goes on
            failed += 1
            if len(shown) < 3:
                shown.append(f"{example!r:.300}\n{traceback.format_exc()}")

    started = time.perf_counter()
    prop()
    print(f"{name:<10} {tried:>6,} inputs  {failed:>4} tracebacks  "
          f"{time.perf_counter() - started:7.1f} s  "
          f"({', '.join(f'{k} {v:,}' for k, v in outcomes.most_common())})", flush=True)
    for s in shown:
        print(s, file=sys.stderr)
    return tried, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="inputs per target")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", default=None, help="comma-separated targets "
                        "(.txt,.md,.html,.jsonl,.sgm,questions,dates)")
    args = parser.parse_args()

    from hypothesis import strategies as st
    from sources.test_fuzz_readers import SUFFIXES, _shaped, check_read
    from test_fuzz_questions import AS_OF, DATES, FILTERS, QUESTIONS

    from rag import Assistant, QuestionError
    from rag.assistant import merge_filters
    from rag.dates import parse_date

    only = set(args.only.split(",")) if args.only else None
    totals = [0, 0]

    def add(result):
        totals[0] += result[0]
        totals[1] += result[1]

    for suffix in SUFFIXES:
        if only is None or suffix in only:
            add(run(suffix, st.binary(max_size=3000) | _shaped(suffix),
                    lambda data, s=suffix: check_read(s, data), args.examples, args.seed))

    if only is None or "dates" in only:
        def check_dates(example):
            value, since, until = example
            date, why = parse_date(value)
            assert (date and not why and dt.date.fromisoformat(date)) or not date
            try:
                merge_filters(None, since, until, None)
            except QuestionError as exc:
                assert "\n" not in str(exc)
                return "refused"
            return "accepted"

        add(run("dates", st.tuples(DATES, DATES, DATES), check_dates, args.examples,
                args.seed))

    if only is None or "questions" in only:
        with tempfile.TemporaryDirectory() as tmp:
            bot = Assistant(index_dir=Path(tmp) / "index")
            bot.ingest([ROOT / "corpus"], progress=False)

            def check_question(example):
                question, filters, as_of = example
                try:
                    answer = bot.ask(question, filters, as_of=as_of)
                except QuestionError as exc:
                    assert str(exc) and "\n" not in str(exc)
                    return "refused"
                assert answer.status in ("answered", "related", "none")
                return answer.status

            add(run("questions", st.tuples(QUESTIONS, FILTERS, AS_OF), check_question,
                    args.examples, args.seed))

    print(f"{'all':<10} {totals[0]:>6,} inputs  {totals[1]:>4} tracebacks")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
