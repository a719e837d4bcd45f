"""`rag check [--repair]`: is the index consistent, and put it right without re-embedding what
is whole.

Compares the three things an index is made of: the store's chunks (with their vectors), the
article manifest (one record per article: content hash, chunk count, full text) and the derived
keyword index. Problems, each one line:

- ``model``: the index was built with another embedding model or backend (not repairable here:
  `rag ingest --rebuild`);
- ``orphan-chunks``: chunks whose article has no manifest record (an interrupted or failed
  write, e.g. a full disk): repaired by deleting them; the next ingest of their source adds the
  article again, whole;
- ``missing-chunks`` / ``chunk-count``: a record whose chunks are absent or not all there;
- ``offsets``: a chunk whose offsets fall outside its article, or whose text is not
  ``article.text[start:end]`` (checked on a sample of articles, or all with ``full``):
  both repaired by chunking and embedding that article again from the manifest's text (only
  those articles are re-embedded);
- ``duplicate-ids``: one chunk id stored twice (Chroma refuses it; another store might not);
- ``keyword-behind``: the keyword index reflects another generation, or other articles or
  content hashes than the manifest: repaired from the store (never re-embedding).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .types import ModelMismatchError


@dataclass
class Problem:
    kind: str
    detail: str
    doc_id: str = ""

    def line(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass
class CheckReport:
    articles: int = 0
    chunks: int = 0
    sampled: int = 0  # articles whose chunk offsets and texts were compared
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # what --repair did, one line each

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        state = "consistent" if self.ok else f"{len(self.problems)} problem(s)"
        return (f"{self.articles} articles, {self.chunks} chunks, offsets checked on "
                f"{self.sampled} articles: {state}")


def check(assistant, sample: int = 200, full: bool = False) -> CheckReport:
    """Inspect the index of ``assistant`` (reads every chunk's metadata once; the texts of
    ``sample`` articles, or of all with ``full``)."""
    store = assistant.store
    report = CheckReport()
    embedder = assistant.embedder
    try:
        store.check_model(embedder.label, embedder.dim)
        from .embedding.compat import check_vectors

        check_vectors(store, embedder)
    except ModelMismatchError as exc:
        report.problems.append(Problem("model", str(exc)))

    records = store.records()
    report.articles = len(records)
    counts: Counter = Counter()
    seen: set[str] = set()
    dupes: set[str] = set()
    ids = sorted(records)
    chosen = set(ids if full else random.Random(0).sample(ids, min(sample, len(ids))))
    chunks_of: dict[str, list] = {d: [] for d in chosen}
    for chunk in store.iter_chunks():
        report.chunks += 1
        if chunk.id in seen:
            dupes.add(chunk.id)
        seen.add(chunk.id)
        counts[chunk.doc_id] += 1
        if chunk.doc_id in chunks_of:
            chunks_of[chunk.doc_id].append(chunk)

    for doc_id in sorted(set(counts) - set(records)):
        report.problems.append(Problem(
            "orphan-chunks", f"{doc_id}: {counts[doc_id]} chunks without a manifest record",
            doc_id))
    for doc_id in ids:
        want, have = records[doc_id].n_chunks, counts.get(doc_id, 0)
        if want and not have:
            report.problems.append(Problem(
                "missing-chunks", f"{doc_id}: the manifest has it, the store none of its "
                f"{want} chunks", doc_id))
        elif want != have:
            report.problems.append(Problem(
                "chunk-count", f"{doc_id}: {have} chunks stored, the manifest says {want}",
                doc_id))
    for cid in sorted(dupes):
        report.problems.append(Problem("duplicate-ids", f"chunk id {cid} is stored twice"))

    for doc_id in sorted(chosen):
        article = store.get_article(doc_id)
        if article is None:
            continue
        n = len(article.text)
        for c in chunks_of[doc_id]:
            if not (0 <= c.start < c.end <= n):
                bad = f"chunk {c.id} spans {c.start}-{c.end}, outside the article ({n} chars)"
            elif article.text[c.start:c.end] != c.text:
                bad = f"chunk {c.id}: its text is not the article's text[{c.start}:{c.end}]"
            else:
                continue
            report.problems.append(Problem("offsets", f"{doc_id}: {bad}", doc_id))
            break
    report.sampled = len(chosen)

    behind = _keyword_behind(assistant, records)
    if behind:
        report.problems.append(Problem("keyword-behind", behind))
    return report


def _keyword_behind(assistant, records) -> str:
    keyword, store = assistant.keyword, assistant.store
    current = getattr(keyword, "current", None)
    if current is None:  # an index without a snapshot to inspect (bm25s): its generation
        return ""
    snap = current()
    generation = store.generation()
    if not records and not snap.size:
        return ""
    if snap.generation != generation:
        return (f"the keyword index reflects generation {snap.generation or 'none'}, the "
                f"store is at {generation}")
    have = snap.doc_keys()
    missing = sum(1 for d, r in records.items() if have.get(d) != r.hash)
    extra = sum(1 for d in have if d not in records)
    if missing or extra:
        return (f"the keyword index lacks or has stale copies of {missing} articles and has "
                f"{extra} the manifest does not")
    return ""


def repair(assistant, report: CheckReport, log: Callable[[str], None] = print) -> list[str]:
    """Fix what ``report`` found that can be fixed; returns (and logs) one line per action."""
    store = assistant.store
    done: list[str] = []

    def did(line: str) -> None:
        done.append(line)
        log(line)

    orphans = sorted({p.doc_id for p in report.problems if p.kind == "orphan-chunks"})
    if orphans:
        with store.write_lock():
            store.delete(orphans)
            _bump(assistant)
        did(f"removed the chunks of {len(orphans)} articles without a manifest record "
            "(ingest their sources again to add them whole)")

    redo = sorted({p.doc_id for p in report.problems
                   if p.kind in ("missing-chunks", "chunk-count", "offsets")})
    if redo:
        articles = [a for a in (store.get_article(d) for d in redo) if a is not None]
        # Mark them changed (the record keeps the text, so an interruption loses nothing) and
        # let ingestion chunk and embed them again: only these articles are re-embedded.
        store.put_records([(a, "repair", 0) for a in articles])
        result = assistant.ingest_articles(articles)
        did(f"re-embedded {len(articles)} articles from the manifest's text "
            f"({result.chunks_written} chunks)")

    if any(p.kind == "keyword-behind" for p in report.problems) or orphans:
        fix = getattr(assistant.keyword, "repair", None)
        if fix is not None:
            did(f"keyword index: {fix(store)}")
    return done  # "model" and "duplicate-ids" stay: the next check reports them


def _bump(assistant) -> None:
    e = assistant.embedder
    assistant.store.bump(e.label, e.dim, assistant.chunker.signature,
                         getattr(e, "backend", ""))
