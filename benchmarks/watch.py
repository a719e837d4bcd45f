"""Feed watching: 20 loopback feeds x 50 entries, two polls; and articles per story.

Measures, against a baseline measured in the same run:
- poll 1 (every entry new: 1,000 pages fetched safely, robots.txt asked, extracted with
  trafilatura, grouped into stories) and poll 2 (every feed answers 304: no page fetched);
- the baseline: the same 1,000 pages fetched one after the other with a plain httpx client
  (no address checks, no robots.txt, no conditional GET) and extracted the same way; a naive
  poller fetches them all again on every poll;
- articles per story: each feed after the first republishes ``--copies`` of feed 0's stories
  (the same text, another title and a line of its own), as syndicated wire copies are.

The ingestion is the story grouping alone (rag/stories.py; no embedding), so that the figures
are the watcher's; ``--real`` ingests into a real index instead (model and Chroma: minutes).
Loopback only (127.0.0.1); the per-host delay is 0 since every feed is on one host (with the
default 1 s a first poll of 1,000 pages from one host takes at least 1,000 s).

    .venv/bin/python benchmarks/watch.py [--feeds 20] [--entries 50] [--copies 5]
        [--workers 4] [--page-delay 0] [--real] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from loopback import Loopback  # noqa: E402

import rag  # noqa: E402,F401 - sets the offline variables first
from rag.sources.watch import Watcher  # noqa: E402
from rag.sources.web import Fetcher, FetchOptions  # noqa: E402
from rag.stories import StoryIndex  # noqa: E402


def baseline(urls: list[str]) -> float:
    """Seconds to fetch and extract the pages one by one with a plain httpx client."""
    import httpx
    import trafilatura

    t = time.perf_counter()
    with httpx.Client(timeout=10) as client:
        for url in urls:
            trafilatura.extract(client.get(url).text, url=url, favor_recall=True)
    return time.perf_counter() - t


def main() -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--entries", type=int, default=50)
    ap.add_argument("--copies", type=int, default=5,
                    help="entries of each feed after the first that copy feed 0's stories")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--page-delay", type=float, default=0.0,
                    help="seconds the server waits before each article page (network latency)")
    ap.add_argument("--real", action="store_true",
                    help="ingest into a real index (embedding model and Chroma)")
    ap.add_argument("--json")
    args = ap.parse_args()
    out = {"feeds": args.feeds, "entries_per_feed": args.entries, "copies": args.copies,
           "workers": args.workers, "page_delay_s": args.page_delay, "real": args.real,
           "cpus": os.cpu_count(), "load_avg": os.getloadavg()[0]}
    received: list = []
    with Loopback() as lb, tempfile.TemporaryDirectory() as tmp:
        lb.page_delay = args.page_delay
        urls = [lb.url(f"/gen/feed/{i}.xml?n={args.entries}&copies={args.copies}")
                for i in range(args.feeds)]
        if args.real:
            bot = rag.Assistant(index_dir=Path(tmp) / "index", fetch_host_delay=0,
                                fetch_workers=args.workers, allow_private=True)
            _ = bot.embedder  # the model loads outside the timings
            watcher = bot.watcher(urls)
            stories = bot.stories
        else:
            stories = StoryIndex(Path(tmp) / "stories.sqlite")

            def ingest(articles):
                for a in articles:
                    stories.assign_article(a)
                stories.save()
                received.extend(a.id for a in articles)
                return {"added": [a.id for a in articles], "updated": [], "skipped": []}

            fetcher = Fetcher(FetchOptions(allow_private=True, host_delay=0,
                                           workers=args.workers))
            watcher = Watcher(urls, Path(tmp) / "state", ingest, fetcher)
        baseline([lb.url("/gen/article/0/0.html")])  # imports and warms trafilatura for both
        polls = []
        with watcher:
            for n in (1, 2):
                pages_before = lb.count("/gen/article/") + lb.count("/gen/copy/")
                t = time.perf_counter()
                r = watcher.poll_once()
                secs = time.perf_counter() - t
                pages = lb.count("/gen/article/") + lb.count("/gen/copy/") - pages_before
                polls.append({"poll": n, "seconds": round(secs, 2), "report": str(r),
                              "pages_fetched": pages,
                              "not_modified_feeds": sum(f.status == "not modified"
                                                        for f in r.per_feed)})
                print(f"poll {n}: {secs:.2f} s, {pages} pages fetched, "
                      f"{polls[-1]['not_modified_feeds']} feeds answered 304  ({r})", flush=True)
        groups = list(stories._members.values())
        page_urls = [lb.url(f"/gen/{'copy' if i and j < args.copies else 'article'}/{i}/{j}.html")
                     for i in range(args.feeds) for j in range(args.entries)]
        base = baseline(page_urls)
        print(f"baseline: plain sequential httpx + trafilatura over the same "
              f"{len(page_urls)} pages: {base:.2f} s (and again on every poll)", flush=True)
        state = Path(tmp) / ("index/watch" if args.real else "state") / "watch.json"
        state_size = state.stat().st_size
    total = args.feeds * args.entries
    multi = [len(g) for g in groups if len(g) > 1]
    out.update({
        "polls": polls, "baseline_seconds": round(base, 2),
        "first_poll_ms_per_article": round(1000 * polls[0]["seconds"] / total, 2),
        "baseline_ms_per_article": round(1000 * base / total, 2),
        "articles": sum(len(g) for g in groups), "stories": len(groups),
        "articles_per_story": round(sum(len(g) for g in groups) / max(1, len(groups)), 3),
        "stories_with_copies": len(multi), "largest_story": max(multi, default=1),
        "state_file_bytes": state_size,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    print(f"stories: {out['articles']} articles in {out['stories']} stories "
          f"({out['articles_per_story']} articles per story; {len(multi)} stories with copies, "
          f"the largest {out['largest_story']} articles)")
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
