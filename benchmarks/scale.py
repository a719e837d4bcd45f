"""Scale benchmark: indexes of 10^5 and 10^6 chunks built from real sentences, then what a user
pays at that size (issue 11).

    .venv/bin/python benchmarks/scale.py build   --chunks 100000  --dir /tmp/newsrag-scale/1e5
    .venv/bin/python benchmarks/scale.py measure --dir /tmp/newsrag-scale/1e5
    .venv/bin/python benchmarks/scale.py report  --dir /tmp/newsrag-scale/1e5 /tmp/.../1e6

Articles: every article of ../shared/datasets split into sentences; pass 0 is the articles as
they are (real dates), each later pass rotates each article's sentences, pads it to 150+ words
with sentences of the same corpus and gives it a random date (1995-2024, 2% undated), with its
real source. They are written to a JSONL file and ingested through `Assistant.ingest` (the
streaming reader, the chunker, the store and the keyword index as a user runs them).

Vectors: each distinct sentence is embedded once with the real model (the configured backend);
a chunk's vector is the normalised mean of its sentences' vectors. So the index lives in the
model's space (questions embedded by the real model find the right topics, and HNSW sees
clustered data, not random points), at a tiny fraction of the cost of embedding 10^6 chunks.
Those vectors are recorded under the real backend's name (the vector check of
rag/embedding/compat.py would otherwise refuse them as another backend's, rightly).

`build` reports the time spent in the store and in the keyword index apart (their ingest rate
without embedding), chunking, peak RSS and disk. `measure` (in a fresh process) reports the
keyword index's open time, the first chunk count, `rag serve`'s RSS after start and its first
answer, ask p50/p95 over 50 realtimeqa questions with the real query embedder (no filter and a
one-year filter), and adding one article (real embedder) plus the next question.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATASETS = ROOT.parent / "shared" / "datasets"
CORPORA = ["reuters21578", "realtimeqa-2022", "realtimeqa-2022-2024"]
SEED = 11
YEAR = ("2022-01-01", "2022-12-31")  # the one-year filter of the filtered questions


def _status_kb(pid: int | str) -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon and RssFile of a process, in kB, from /proc."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                out[key] = int(line.split()[1])
    return out


def rss_mb(pid: int | str = "self") -> float:
    return _status_kb(pid).get("VmRSS", 0) / 1024


def status_mb(pid: int | str = "self") -> dict[str, int]:
    """VmHWM, VmRSS, RssAnon and RssFile of a process, in MB."""
    return {k: round(v / 1024) for k, v in _status_kb(pid).items()}


class MemoryPeaks:
    """The peaks of this process's ``status_mb`` fields, sampled every ``every`` seconds in a
    thread while the block runs. RSS is private memory (RssAnon) plus mapped file pages
    (RssFile: libraries, and tantivy's segments while it merges them, page cache the kernel
    can take back); the kernel keeps only the peak of the sum (VmHWM), so both are sampled."""

    def __init__(self, every: float):
        import threading

        self.every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.start = self.peaks = {}

    def _fold(self) -> None:
        for k, v in status_mb().items():
            self.peaks[k] = max(self.peaks.get(k, 0), v)

    def _sample(self) -> None:
        while not self._done.wait(self.every):
            self._fold()

    def __enter__(self) -> MemoryPeaks:
        self.start = status_mb()
        self.peaks = dict(self.start)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self._fold()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20 \
        if path.exists() else 0.0


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))]


def load_avg() -> float:
    return os.getloadavg()[0]


# --- the corpus --------------------------------------------------------------------------------

def base_articles() -> list[dict]:
    from rag.text import sentences

    out = []
    for name in CORPORA:
        with open(DATASETS / name / "articles.jsonl", encoding="utf-8") as fh:
            for line in fh:
                a = json.loads(line)
                sents = [" ".join(s.split()) for s in sentences(a["text"])]
                sents = [s for s in sents if s]
                if sents:
                    out.append({"id": a["id"], "corpus": name, "title": a.get("title") or "",
                                "date": (a.get("date") or "")[:10], "source": a.get("source") or "",
                                "sentences": sents})
    return out


def sentence_table(work: Path, bases: list[dict]):
    """Every distinct sentence -> its row in a float16 matrix of real model vectors (cached)."""
    import numpy as np

    from rag import Settings
    from rag.embedding import get_embedder

    keys_path, vec_path = work / "sentences.json", work / "sentence_vectors.npy"
    if keys_path.exists() and vec_path.exists():
        keys = json.loads(keys_path.read_text())
        return {k: i for i, k in enumerate(keys)}, np.load(vec_path)
    keys = list(dict.fromkeys(s for a in bases for s in a["sentences"]))
    embedder = get_embedder(Settings.from_env())
    print(f"embedding {len(keys)} distinct sentences with {embedder.backend} ...", flush=True)
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    parts = []
    for i in range(0, len(keys), 4096):  # saved block by block: a stopped run resumes
        part = work / f"sentence_vectors.{i // 4096:04d}.npy"
        if not part.exists():
            block = np.asarray(embedder.embed_texts(keys[i:i + 4096]), dtype=np.float16)
            np.save(part.with_suffix(".tmp.npy"), block)
            part.with_suffix(".tmp.npy").rename(part)
            print(f"  {i + 4096}/{len(keys)} ({time.perf_counter() - t:.0f} s)", flush=True)
        parts.append(np.load(part))
    vecs = np.concatenate(parts)
    np.save(vec_path, vecs)
    keys_path.write_text(json.dumps(keys))
    return {k: i for i, k in enumerate(keys)}, vecs


def jsonl_corpus(path: Path, n_articles: int) -> Path:
    """``path``: a JSONL file of ``n_articles`` synthetic articles, written once (atomically)."""
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for a in synthetic(base_articles(), n_articles=n_articles):
                fh.write(json.dumps(a, ensure_ascii=False) + "\n")
        tmp.rename(path)
    return path


def synthetic(bases: list[dict], n_chunks: int = 0, words_per_chunk: float = 122.0,
              n_articles: int = 0):
    """Articles until about n_chunks chunks (estimated from word counts), or n_articles."""
    rng = random.Random(SEED)
    by_corpus: dict[str, list[dict]] = {}
    for a in bases:
        by_corpus.setdefault(a["corpus"], []).append(a)
    est, p = 0.0, 0
    while True:
        for i, a in enumerate(bases):
            sents = list(a["sentences"])
            date, title = a["date"], a["title"]
            if p:
                k = p % len(sents)
                sents = sents[k:] + sents[:k]
                pool = by_corpus[a["corpus"]]
                while sum(len(s.split()) for s in sents) < 150:
                    sents += rng.choice(pool)["sentences"][:3]
                date = "" if rng.random() < 0.02 else (
                    f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
                title = f"{title or sents[0][:60]} ({p})"
            words = sum(len(s.split()) for s in sents)
            yield {"id": f"{a['id']}~{p}", "title": title, "date": date, "source": a["source"],
                   "text": " ".join(sents)}
            est += max(1.0, words / words_per_chunk)
            made = p * len(bases) + i + 1
            if (n_chunks and est >= n_chunks) or (n_articles and made >= n_articles):
                return
        p += 1


_SPLIT = re.compile(r"(?<=[.!?\"'”)])\s+")


class LookupEmbedder:
    """A chunk's vector: the normalised mean of its sentences' real vectors."""

    def __init__(self, table, vecs, label: str, backend: str):
        import numpy as np

        self.np = np
        self.table, self.vecs = table, vecs
        self.label, self.backend, self.dim = label, backend, vecs.shape[1]
        self.prefix = {k[:48]: i for k, i in table.items()}
        self.seconds = 0.0

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        np = self.np
        t = time.perf_counter()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, text in enumerate(texts):
            body = text.split("\n\n", 1)[-1]
            rows = [i for i in (self.table.get(s, self.prefix.get(s[:48]))
                                for s in _SPLIT.split(body)) if i is not None]
            if rows:
                v = self.vecs[rows].astype(np.float32).mean(axis=0)
            else:
                v = np.random.default_rng(abs(hash(body)) % 2**32).standard_normal(self.dim)
            out[r] = v / max(1e-9, float(np.linalg.norm(v)))
        self.seconds += time.perf_counter() - t
        return out.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]


# --- build -------------------------------------------------------------------------------------

def cmd_build(args) -> None:
    import rag
    from rag import Settings
    from rag.embedding import register_embedder

    work, folder = Path(args.work), Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    bases = base_articles()
    table, vecs = sentence_table(work, bases)
    src = folder / "articles.jsonl"
    if not src.exists():
        tmp = src.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for a in synthetic(bases, args.chunks):
                fh.write(json.dumps(a, ensure_ascii=False) + "\n")
        tmp.rename(src)
    del bases
    real = Settings.from_env()
    embedder = LookupEmbedder(table, vecs, real.model_label, real.embed_backend)
    register_embedder("scale-lookup", lambda s: embedder)
    settings = real.replace(index_dir=folder / "index", embed_backend="scale-lookup")
    bot = rag.Assistant(settings)
    store, keyword, chunker = bot.store, bot.keyword, bot.chunker
    timers = {"store": 0.0, "keyword": 0.0, "chunking": 0.0}

    def timed(obj, name, key):
        real_fn = getattr(obj, name)

        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return real_fn(*a, **kw)
            finally:
                timers[key] += time.perf_counter() - t

        setattr(obj, name, wrapper)

    timed(store, "add", "store")
    timed(chunker, "split", "chunking")
    listener = keyword.listener(store)
    for name in ("begin", "added", "deleted", "committed", "end"):
        timed(listener, name, "keyword")
    keyword.listener = lambda _store: listener
    t = time.perf_counter()
    report = bot.ingest([src], progress=True)
    total = time.perf_counter() - t
    n = report.chunks_written
    out = {
        "chunks": n, "articles": len(report.added) + len(report.updated),
        "skipped": len(report.skipped), "failed": len(report.failed),
        "vectors": "mean of real sentence vectors (" + real.embed_backend + ")",
        "ingest_s": round(total, 1), "ingest_chunks_per_s": round(n / total, 1),
        "store_s": round(timers["store"], 1),
        "store_chunks_per_s": round(n / max(1e-9, timers["store"]), 1),
        "keyword_s": round(timers["keyword"], 1),
        "keyword_chunks_per_s": round(n / max(1e-9, timers["keyword"]), 1),
        "chunking_s": round(timers["chunking"], 1), "vector_lookup_s": round(embedder.seconds, 1),
        "peak_rss_mb": round(peak_mb()), "disk_chroma_mb": round(du_mb(folder / "index" /
                                                                        "chroma")),
        "disk_keyword_mb": round(du_mb(keyword.folder)),
        "jsonl_mb": round(src.stat().st_size / 2**20), "load_avg_end": round(load_avg(), 1),
    }
    print(json.dumps(out, indent=1))
    (folder / "build.json").write_text(json.dumps(out, indent=1))


# --- measure -----------------------------------------------------------------------------------

def questions(n: int = 50) -> list[str]:
    path = DATASETS / "realtimeqa-2022" / "questions.jsonl"
    qs = [json.loads(line)["question"] for line in path.read_text().splitlines()]
    return qs[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure_serve(folder: Path, question: str) -> dict:
    """Start `rag serve` on the index, wait for the page, ask one question through the API."""
    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, RAG_INDEX_DIR=str(folder / "index"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "rag"), "serve", "--no-corpus",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        import urllib.request

        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"rag serve exited: {proc.stderr.read()[-2000:]}")
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.25)
        ready = time.perf_counter() - t0
        rss_start = rss_mb(proc.pid)
        client = Client(url, verbose=False)
        t = time.perf_counter()
        out = client.predict(question, api_name="/ask")
        first = time.perf_counter() - t
        t = time.perf_counter()
        client.predict(question, "2022-01-01", "2022-12-31", api_name="/ask")
        filtered = time.perf_counter() - t
        return {"serve_ready_s": round(ready, 1), "serve_rss_after_start_mb": round(rss_start),
                "serve_first_question_s": round(first, 2),
                "serve_first_filtered_question_s": round(filtered, 2),
                "serve_rss_after_questions_mb": round(rss_mb(proc.pid)),
                "serve_answer_abstained": out.get("abstained")}
    finally:
        proc.terminate()
        proc.wait(30)


def cmd_measure(args) -> None:
    import rag
    from rag import Filters, Settings
    from rag.retrieval.keyword import open_keyword_index
    from rag.stores import open_store

    folder = Path(args.dir)
    settings = Settings.from_env(index_dir=folder / "index")
    out: dict = {"load_avg_start": round(load_avg(), 1)}
    qs = questions(args.questions)

    # keyword index: open and first search in this fresh process (a search reads its hits'
    # text from the store, opened apart after the index's RSS is taken)
    t = time.perf_counter()
    kw = open_keyword_index(settings)
    snap = kw.current()
    out["keyword_open_s"] = round(time.perf_counter() - t, 3)
    out["keyword_chunks"] = snap.size
    out["rss_after_keyword_open_mb"] = round(rss_mb())
    store = open_store(settings)
    t = time.perf_counter()
    snap.reading(store).search(qs[0], None, 150)
    out["keyword_first_search_s"] = round(time.perf_counter() - t, 3)

    if not args.no_serve:
        out.update(measure_serve(folder, qs[0]))

    bot = rag.Assistant(settings)
    t = time.perf_counter()
    n = bot.store.count_chunks()
    out["first_count_s"] = round(time.perf_counter() - t, 2)
    out["chunks"] = n
    t = time.perf_counter()
    bot.ask(qs[0])
    out["first_question_in_process_s"] = round(time.perf_counter() - t, 2)
    for label, filters in (("none", None), ("year", Filters(*YEAR))):
        times = []
        for q in qs:
            t = time.perf_counter()
            bot.ask(q, filters)
            times.append(time.perf_counter() - t)
        out[f"ask_{label}_p50_ms"] = round(pct(times, 50) * 1000)
        out[f"ask_{label}_p95_ms"] = round(pct(times, 95) * 1000)
        out[f"ask_{label}_mean_ms"] = round(statistics.mean(times) * 1000)
    # one new article (real embedder), then the next question
    article = rag.Article(id=f"scale-new-{int(time.time())}", title="Harbour reopens",
                          date="2022-06-10", source="Example Wire",
                          text="The harbour authority of Northport reopened the north pier on "
                               "Friday after storm repairs that cost 4 million dollars. Ferries "
                               "to the islands resume on Monday, the authority said.")
    t = time.perf_counter()
    report = bot.ingest_articles([article])
    add = time.perf_counter() - t
    t = time.perf_counter()
    answer = bot.ask("When do ferries to the islands resume after the Northport pier repairs?")
    nxt = time.perf_counter() - t
    out.update({"add_one_article_s": round(add, 2), "next_question_s": round(nxt, 2),
                "add_plus_next_s": round(add + nxt, 2), "added": len(report.added),
                "new_article_cited": any(c.doc_id == article.id for c in answer.citations),
                "rss_end_mb": round(rss_mb()), "peak_rss_mb": round(peak_mb()),
                "disk_total_mb": round(du_mb(folder / "index")),
                "load_avg_end": round(load_avg(), 1)})
    bot.store.delete([article.id])  # leave the index as built
    print(json.dumps(out, indent=1))
    (folder / "measure.json").write_text(json.dumps(out, indent=1))


def cmd_report(args) -> None:
    rows = []
    for d in args.dir:
        folder = Path(d)
        row = {"dir": d}
        for name in ("build.json", "measure.json"):
            if (folder / name).exists():
                row.update(json.loads((folder / name).read_text()))
        rows.append(row)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("| " + " | ".join(["figure", *[str(r.get("chunks", r["dir"])) for r in rows]]) + " |")
    print("|---" * (len(rows) + 1) + "|")
    for k in keys:
        print("| " + " | ".join([k, *[str(r.get(k, "")) for r in rows]]) + " |")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--chunks", type=int, required=True)
    b.add_argument("--dir", required=True)
    b.add_argument("--work", default="/tmp/newsrag-scale", help="cache of sentence vectors")
    m = sub.add_parser("measure")
    m.add_argument("--dir", required=True)
    m.add_argument("--questions", type=int, default=50)
    m.add_argument("--no-serve", action="store_true")
    r = sub.add_parser("report")
    r.add_argument("--dir", nargs="+", required=True)
    args = ap.parse_args(argv)
    if not DATASETS.exists():
        sys.exit(f"needs {DATASETS}")
    {"build": cmd_build, "measure": cmd_measure, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
