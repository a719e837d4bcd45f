"""Load on a real `rag serve`, driven through gradio_client on loopback: errors, latency, context
leaks between sessions, and the same while an upload is indexed; optionally a soak with RSS.

    .venv/bin/python benchmarks/load.py [--index-dir INDEX] [--sessions 32] [--upload 200]
                                        [--soak MINUTES] [--soak-sessions 8]

INDEX (default: a fresh index of corpus/) is copied to a temporary folder first, so the
benchmark never changes it; the Reuters index of `benchmarks/quality.py` is the intended one,
e.g. --index-dir /tmp/eval-v2/reuters21578-articles-...). Its server is started here:
`rag serve --no-corpus` on 127.0.0.1.

One synthetic story per session is uploaded first (a town's festival, with facts no other story
has). Each session (its own gradio_client Client, so its own conversation) then runs a 3-turn
conversation through /chat (the question, then two follow-ups that name nothing: "Who opened
it?", "Where will it move next year?") and 2 /ask calls. A follow-up whose first citation is not
the session's own story is a context leak. Phase 1 runs the sessions alone; phase 2 runs them
while an upload of UPLOAD synthetic articles is being indexed. With --soak, SOAK-SESSIONS
sessions loop for MINUTES and the server's RSS is sampled every 30 s; growth is reported from
the end of the warm-up (the first sixth of the soak, at most 5 minutes).
Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

TOWNS = ["Brevik", "Ostrel", "Hallum", "Kesmor", "Varden", "Lussby", "Tornel", "Quiram",
         "Ferhold", "Ambris", "Dalvik", "Serno", "Yvesk", "Zurran", "Pelmo", "Gritten"]
NAMES = ["Ilse Marten", "Joran Pike", "Sela Voss", "Timo Rask", "Anouk Brell", "Pavel Drost",
         "Mirel Oda", "Keno Hald"]
PLACES = ["the river meadow", "the old harbour", "the castle yard", "the railway depot",
          "the north quarry", "the market hall", "the lake shore", "the abbey garden"]
QUESTION_TIMEOUT = 600  # seconds, for one call


def town(i: int) -> str:
    return f"{TOWNS[i % len(TOWNS)]}{i}"


def story(i: int) -> dict:
    t = town(i)
    return {"id": f"load-story-{i}", "date": f"2026-10-0{1 + i % 9}",
            "source": "Load Test Wire", "title": f"Harvest festival of {t} draws crowds",
            "text": (f"The harvest festival of {t} drew {1200 + 37 * i} visitors on Saturday, "
                     f"the organisers said.\n\nThe festival was opened by {NAMES[i % 8]}, the "
                     f"mayor of {t}, who rang the old bell of the town hall.\n\nNext year the "
                     f"festival of {t} will move to {PLACES[i % 8]}, because the square is "
                     "being repaved.")}


def filler(i: int) -> dict:
    return {"id": f"load-filler-{i}", "date": "2026-09-15", "source": "Load Filler",
            "title": f"Council notes {i}",
            "text": " ".join(f"The council of Filler{i} met on day {d} to discuss the budget "
                             f"line {d * 7 + i} for roads, schools and the library."
                             for d in range(20))}


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: list[float] = []
        self.errors: list[str] = []
        self.leaks: list[str] = []
        self.calls = 0

    def timed(self, what: str, call):
        started = time.monotonic()
        try:
            out = call()
        except Exception as exc:  # noqa: BLE001 - counted and reported
            with self.lock:
                self.calls += 1
                self.errors.append(f"{what}: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        with self.lock:
            self.calls += 1
            self.latency.append(time.monotonic() - started)
        return out

    def report(self) -> dict:
        lat = sorted(self.latency)

        def q(p):
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None
        return {"calls": self.calls, "errors": len(self.errors), "leaks": len(self.leaks),
                "p50_s": q(0.5), "p95_s": q(0.95), "max_s": round(lat[-1], 2) if lat else None,
                "mean_s": round(statistics.mean(lat), 2) if lat else None,
                "first_errors": self.errors[:3], "first_leaks": self.leaks[:3]}


def session(url: str, i: int, stats: Stats) -> None:
    from gradio_client import Client

    client = Client(url, verbose=False)
    own = f"load-story-{i}"
    t = town(i)
    turns = [f"How many visitors did the harvest festival of {t} draw?",
             "Who opened it?", "Where will it move next year?"]
    for n, q in enumerate(turns):
        out = stats.timed("chat", lambda q=q: client.predict(q, "", "", [], "",
                                                               api_name="/chat"))
        if out is None:
            continue
        cited = [c["doc_id"] for c in out.get("citations", [])]
        if n and cited and cited[0] != own and cited[0].startswith("load-story-"):
            with stats.lock:
                stats.leaks.append(f"session {i} turn {n + 1}: cited {cited[0]}")
    stats.timed("ask", lambda: client.predict(f"Who is the mayor of {t}?", api_name="/ask"))
    stats.timed("ask", lambda: client.predict("What did the central bank say about interest "
                                              "rates?", api_name="/ask"))


def run_sessions(url: str, n: int, offset: int = 0) -> Stats:
    stats = Stats()
    with ThreadPoolExecutor(max_workers=n) as pool:
        for f in [pool.submit(session, url, offset + i, stats) for i in range(n)]:
            f.result(timeout=QUESTION_TIMEOUT * 6)
    return stats


def upload(url: str, path: Path, out: dict) -> None:
    from gradio_client import Client, handle_file

    started = time.monotonic()
    try:
        rows = Client(url, verbose=False).predict([handle_file(str(path))],
                                                  api_name="/add_articles")[0]
        out["rows"] = rows
    except Exception as exc:  # noqa: BLE001
        out["error"] = f"{type(exc).__name__}: {exc}"
    out["seconds"] = round(time.monotonic() - started, 1)


def main() -> int:
    from serving import running_serve

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index-dir", type=Path, default=None)
    ap.add_argument("--sessions", type=int, default=32)
    ap.add_argument("--upload", type=int, default=200)
    ap.add_argument("--soak", type=float, default=0.0, metavar="MINUTES")
    ap.add_argument("--soak-sessions", type=int, default=8)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rag-load-"))
    index = work / "index"
    if args.index_dir:
        shutil.copytree(args.index_dir, index)
    n_stories = max(args.sessions, args.soak_sessions) * 2
    stories = work / "stories.jsonl"
    stories.write_text("".join(json.dumps(story(i)) + "\n" for i in range(n_stories)))
    bulk = work / "upload.jsonl"
    bulk.write_text("".join(json.dumps(filler(i)) + "\n" for i in range(args.upload)))
    result: dict = {"index": str(args.index_dir or "corpus/"), "sessions": args.sessions}
    serve_args = ["--no-corpus"] if args.index_dir else []
    env = {"RAG_UI_MAX_UPLOAD_MB": "500"}
    with running_serve(index, work / "serve.log", *serve_args, env=env) as srv:
        url, pid = srv["url"], srv["proc"].pid
        up: dict = {}
        upload(url, stories, up)
        print(f"stories uploaded: {up}", flush=True)
        result["rss_mb_start"] = round(rss_kb(pid) / 1024, 1)

        started = time.monotonic()
        alone = run_sessions(url, args.sessions)
        result["alone"] = {**alone.report(), "wall_s": round(time.monotonic() - started, 1)}
        print("alone:", json.dumps(result["alone"]), flush=True)

        if args.upload:
            up = {}
            t = threading.Thread(target=upload, args=(url, bulk, up))
            t.start()
            time.sleep(2)
            started = time.monotonic()
            during = run_sessions(url, args.sessions, offset=args.sessions)
            result["during_upload"] = {**during.report(),
                                       "wall_s": round(time.monotonic() - started, 1)}
            t.join(timeout=3600)
            result["upload"] = {"articles": args.upload, "seconds": up.get("seconds"),
                                "error": up.get("error"),
                                "result": [r.get("articles") for r in up.get("rows", [])]}
            result["questions_while_upload_ran"] = during.calls
            print("during upload:", json.dumps(result["during_upload"]), flush=True)
            print("upload:", json.dumps(result["upload"]), flush=True)
        result["rss_mb_after"] = round(rss_kb(pid) / 1024, 1)

        if args.soak:
            result["soak"] = soak(url, pid, args.soak, args.soak_sessions)
            print("soak:", json.dumps(result["soak"]), flush=True)
        log_text = srv["log"].read_text(errors="replace")
        result["server_tracebacks"] = log_text.count("Traceback")
    print(json.dumps(result, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    during = result.get("during_upload", {})
    bad = (result["alone"]["errors"] or result["alone"]["leaks"]
           or during.get("errors") or during.get("leaks"))
    return 1 if bad else 0


def soak(url: str, pid: int, minutes: float, n: int) -> dict:
    end = time.monotonic() + minutes * 60
    warm = time.monotonic() + min(300.0, minutes * 60 / 6)
    samples: list[tuple[float, float]] = []
    stats = Stats()
    stop = threading.Event()

    def loop(k: int) -> None:
        rounds = 0
        while not stop.is_set() and time.monotonic() < end and rounds < 10_000:
            session(url, k, stats)
            rounds += 1

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(n)]
    for th in threads:
        th.start()
    t0 = time.monotonic()
    while time.monotonic() < end:
        samples.append((round((time.monotonic() - t0) / 60, 1), round(rss_kb(pid) / 1024, 1)))
        time.sleep(min(30, max(0.1, end - time.monotonic())))
    stop.set()
    for th in threads:
        th.join(timeout=QUESTION_TIMEOUT)
    after_warm = [mb for t, mb in samples if t * 60 >= (warm - (end - minutes * 60))]
    base = after_warm[0] if after_warm else samples[0][1]
    last = samples[-1][1]
    return {"minutes": minutes, "sessions": n, **stats.report(),
            "rss_mb_after_warmup": base, "rss_mb_end": last,
            "growth_pct": round(100 * (last - base) / base, 1) if base else None,
            "rss_samples": samples}


if __name__ == "__main__":
    sys.exit(main())
