"""Ingestion: read articles, skip the unchanged, chunk and embed the rest, write them to the store.

Incremental by content hash (as simonw/llm does): an unchanged article costs nothing, a changed
one has its chunks replaced, and `prune` removes the articles whose files or lines are gone.
Each article's manifest record is written after its chunks, so an interrupted run leaves a
consistent index and the next run redoes only what was not finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from pathlib import Path

from .articles import content_hash, read_paths
from .chunks import Chunker
from .embed import Embedder
from .store import Store, date_int
from .types import Article, Chunk, IngestReport

GROUP_CHUNKS = 256  # chunks embedded and written together: bounds memory and lost work
_NOT_EMBEDDED = ["doc_id", "date_int", "url", "start", "end", "chunk_index"]


def ingest(store: Store, embedder: Embedder, chunker: Chunker, paths: list,
           prune: bool = False, progress: bool = True) -> IngestReport:
    started = time.perf_counter()
    report = IngestReport()
    store.check_model(embedder.label, embedder.dim)
    read = read_paths(paths)
    report.failed.extend(read.failed)
    report.warnings.extend(read.warnings)

    records = store.article_records()
    salt = f"{chunker.signature}|{embedder.label}"
    owner: dict[str, str] = {}  # id -> origin, for this run
    todo: list[tuple[Article, str, str]] = []
    seen_ids: set[str] = set()
    for article in read.articles:
        rec = records.get(article.id)
        taken_here = owner.get(article.id, article.origin) != article.origin
        taken_before = (rec is not None and rec.origin and rec.origin != article.origin
                        and Path(rec.origin).exists())
        if taken_here or taken_before:
            # Two files give the same id: keep both, the later under a suffixed id.
            suffix = hashlib.sha1(article.origin.encode()).hexdigest()[:6]
            article.id = f"{article.id}~{suffix}"
            rec = records.get(article.id)
        owner[article.id] = article.origin
        seen_ids.add(article.id)
        h = content_hash(article, salt)
        if rec is not None and rec.hash == h:
            report.skipped.append(article.id)
            if rec.origin != article.origin:  # the file moved: remember where it is now
                store.put_article(article, h, rec.n_chunks)
            continue
        todo.append((article, h, "updated" if rec is not None else "added"))

    changed = False
    try:
        with _ingest_lock(store):
            if todo:
                changed = True
                _write(store, embedder, chunker, todo, report, progress)
            if prune:
                gone = _prunable(records, seen_ids, read.complete_origins, paths)
                if gone:
                    changed = True
                    store.delete_articles(gone)
                    report.removed.extend(gone)
    finally:
        if changed:
            store.bump(embedder.label, embedder.dim, chunker.signature)
        report.seconds = time.perf_counter() - started
    return report


def _write(store, embedder, chunker, todo, report, progress) -> None:
    from tqdm import tqdm

    planned = [(article, h, status, chunker.split(article)) for article, h, status in todo]
    total = sum(len(chunks) for *_, chunks in planned)
    bar = tqdm(total=total, unit="chunk", desc="Embedding", disable=not progress,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    try:
        group: list = []
        size = 0
        for item in planned:
            group.append(item)
            size += len(item[3])
            if size >= GROUP_CHUNKS:
                _write_group(store, embedder, group, report, bar)
                group, size = [], 0
        if group:
            _write_group(store, embedder, group, report, bar)
    finally:
        bar.close()


def _write_group(store: Store, embedder: Embedder, group: list, report: IngestReport, bar) -> None:
    nodes = [make_node(article, chunk) for article, _h, _s, chunks in group for chunk in chunks]
    texts = [node.get_content(metadata_mode=_embed_mode()) for node in nodes]
    vectors = embedder.embed_texts(texts)
    for node, vec in zip(nodes, vectors, strict=True):
        node.embedding = vec
    # Delete first: a previous, interrupted run may have left chunks of these articles.
    store.delete_chunks_of([article.id for article, *_ in group])
    store.add_nodes(nodes)
    store.put_articles([(article, h, len(chunks)) for article, h, _s, chunks in group])
    for article, _h, status, _chunks in group:
        (report.added if status == "added" else report.updated).append(article.id)
    report.chunks_written += len(nodes)
    bar.update(len(nodes))
    bar.set_postfix(articles=len(report.added) + len(report.updated), refresh=False)


def _embed_mode():
    from llama_index.core.schema import MetadataMode

    return MetadataMode.EMBED


def make_node(article: Article, chunk: Chunk):
    """A llama-index TextNode whose embedded text starts with the title, date and source."""
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode

    meta = {"title": article.title, "date": article.date, "source": article.source}
    if article.extra.get("dateline"):
        meta["place"] = str(article.extra["dateline"])
    meta = {k: v for k, v in meta.items() if v}
    meta.update({"doc_id": article.id, "date_int": date_int(article.date), "url": article.url,
                 "start": chunk.start, "end": chunk.end, "chunk_index": chunk.index})
    return TextNode(
        id_=chunk.id, text=chunk.text, metadata=meta,
        excluded_embed_metadata_keys=list(_NOT_EMBEDDED),
        excluded_llm_metadata_keys=list(_NOT_EMBEDDED),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=article.id)},
        start_char_idx=chunk.start, end_char_idx=chunk.end,
    )


def _prunable(records, seen_ids, complete_origins, paths) -> list[str]:
    """Articles to remove: from a file read whole that no longer has them, or whose file is gone
    from under one of the given folders. Files that failed to read keep their articles."""
    roots = [str(Path(p).expanduser().resolve()) for p in paths]
    gone = []
    for doc_id, rec in records.items():
        if doc_id in seen_ids or not rec.origin:
            continue
        if rec.origin in complete_origins:
            gone.append(doc_id)
        elif not Path(rec.origin).exists() and any(
                rec.origin == r or rec.origin.startswith(r.rstrip(os.sep) + os.sep)
                for r in roots):
            gone.append(doc_id)
    return gone


@contextlib.contextmanager
def _ingest_lock(store: Store):
    """One writer at a time per index folder (another process waits)."""
    if store.settings.chroma_host:
        yield
        return
    import fcntl

    path = store.settings.index_dir / ".ingest.lock"
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
