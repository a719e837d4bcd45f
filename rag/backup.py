"""`rag backup DEST` and `rag restore SRC`: a consistent copy of an index, checked.

Every backup is a folder holding an embedded index (``chroma/`` and whatever lives beside it:
the keyword index, the story groups, feed state) plus ``backup.json`` (when, which generation,
how many articles and chunks).

- An embedded index is copied under its writer lock, so no ingestion writes meanwhile (readers
  may go on): SQLite files with SQLite's online backup API (a consistent copy even in WAL mode),
  the rest as files. Chroma's files cannot be copied while a writer runs; the lock is what makes
  this safe.
- A Chroma server has no snapshot call: its two collections are read page by page (ids,
  vectors, texts, metadata) into an embedded index in DEST, holding this process's writer lock.
  Another process writing to the server meanwhile is not stopped: take server backups while no
  ingestion runs (or copy the server's persist folder with the server stopped, as Chroma's
  documentation advises).

Both are verified by `rag check` on the copy (and a search of a stored vector) before they are
reported done. ``restore`` checks the backup the same way first, then replaces the index: an
embedded one by swapping folders (the old one is kept until the new one is in place), a server's
collections by writing the backup's pages back.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from .types import RagError

MANIFEST = "backup.json"
PAGE = 1000


def backup(assistant, dest: str | Path, log: Callable[[str], None] = print) -> dict:
    """Write a checked backup of ``assistant``'s index to the new folder ``dest``."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise RagError(f"{dest} exists and is not empty: choose a new folder for the backup")
    store = assistant.store
    if not hasattr(store, "chunks") or not hasattr(store, "server"):
        raise RagError("only a Chroma index (embedded or a server) can be backed up")
    settings = assistant.settings
    started = time.perf_counter()
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        with store.write_lock():
            info = store.index_info()
            if not info:
                raise RagError(f"the index at {store.location} is empty: nothing to back up")
            if store.server:
                _pull_server(store, tmp, settings.collection, log)
            else:
                _copy_folder(settings.index_dir, tmp)
        made = _verify(tmp, settings)
        made.update({"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "from": store.location, "collection": settings.collection,
                     "generation": info.get("generation", 0), "uid": info.get("uid", ""),
                     "embed_model": info.get("embed_model", ""),
                     "seconds": round(time.perf_counter() - started, 1)})
        (tmp / MANIFEST).write_text(json.dumps(made, indent=2))
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RagError(f"cannot write the backup to {dest}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"backup of {made['articles']} articles, {made['chunks']} chunks written to {dest} "
        f"and checked ({made['seconds']} s)")
    return made


def restore(assistant, src: str | Path, log: Callable[[str], None] = print) -> dict:
    """Replace ``assistant``'s index by the backup in ``src`` (checked first)."""
    src = Path(src)
    if not (src / MANIFEST).is_file():
        raise RagError(f"{src} is not a backup made by `rag backup` (no {MANIFEST})")
    settings = assistant.settings
    meta = json.loads((src / MANIFEST).read_text())
    collection = meta.get("collection", settings.collection)
    made = _verify(src, settings.replace(collection=collection, chroma_host=""))
    store = assistant.store
    if store.server:
        with store.write_lock():
            _push_server(src, collection, store, log)
    else:
        target = Path(settings.index_dir)
        new = target.with_name(target.name + ".restoring")
        old = target.with_name(target.name + ".replaced")
        shutil.rmtree(new, ignore_errors=True)
        _copy_folder(src, new, skip={MANIFEST})
        with store.write_lock():
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                target.rename(old)
            new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    assistant.reopen()
    log(f"restored {made['articles']} articles, {made['chunks']} chunks from {src} "
        f"(backup of {meta.get('created', '?')})")
    return made


# --- copying -----------------------------------------------------------------------------------


def _copy_folder(src: Path, dest: Path, skip: set[str] = frozenset()) -> None:
    dest.mkdir(parents=True)
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if rel.name in skip or rel.name == ".ingest.lock" or rel.name.endswith(
                ("-wal", "-shm", "-journal")):
            continue  # SQLite's side files are folded into the copy by its backup API
        out = dest / rel
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
        elif _is_sqlite(path):
            out.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as source, \
                    sqlite3.connect(out) as copy:
                source.backup(copy)
            copy.close()
            source.close()
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _pull_server(store, dest: Path, collection: str, log) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    local = chromadb.PersistentClient(path=str(dest / "chroma"),
                                      settings=ChromaSettings(anonymized_telemetry=False))
    pairs = [(collection, store.chunks), (f"{collection}_articles", store.articles)]
    if getattr(store, "deleted", None) is not None:  # the change feed's tombstones
        pairs.append((f"{collection}_deleted", store.deleted))
    for name, source in pairs:
        target = local.get_or_create_collection(name, metadata=source.metadata,
                                                 embedding_function=None)
        n = _copy_pages(source, target)
        log(f"  {name}: {n} records copied")


def _push_server(src: Path, collection: str, store, log) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    local = chromadb.PersistentClient(path=str(src / "chroma"),
                                      settings=ChromaSettings(anonymized_telemetry=False))
    client = store.client
    have = {c.name for c in local.list_collections()}
    for name in (collection, f"{collection}_articles", f"{collection}_deleted"):
        if name not in have:
            continue
        source = local.get_collection(name, embedding_function=None)
        target_name = name.replace(collection, store.settings.collection, 1)
        try:
            client.delete_collection(target_name)
        except Exception:  # noqa: BLE001 - not there yet
            pass
        target = client.get_or_create_collection(target_name, metadata=source.metadata,
                                                  embedding_function=None)
        n = _copy_pages(source, target)
        log(f"  {target_name}: {n} records written")


def _copy_pages(source, target) -> int:
    n, offset = 0, 0
    while True:
        got = source.get(include=["embeddings", "metadatas", "documents"], limit=PAGE,
                         offset=offset)
        if not got["ids"]:
            return n
        target.add(ids=got["ids"], embeddings=got["embeddings"], metadatas=got["metadatas"],
                   documents=got["documents"])
        n += len(got["ids"])
        offset += PAGE


def _verify(folder: Path, settings) -> dict:
    """`rag check` on the index in ``folder`` (whole offsets check), and a stored vector must
    find itself: the vector index was copied whole."""
    from .assistant import Assistant

    copy = Assistant(settings.replace(index_dir=Path(folder), chroma_host=""))
    try:
        report = copy.check(sample=1000)
        problems = [p.line() for p in report.problems if p.kind != "keyword-behind"]
        if problems:
            raise RagError(f"the copy in {folder} is not consistent: " + "; ".join(problems[:3]))
        got = copy.store.chunks.get(limit=1, include=["embeddings"])
        if got["ids"]:
            hit = copy.store.dense_search(list(got["embeddings"][0]), None, 1)
            if not hit or hit[0][0].id != got["ids"][0]:
                raise RagError(f"the copy in {folder}: its vector index does not find a "
                               "stored vector")
        return {"articles": report.articles, "chunks": report.chunks}
    finally:
        copy.close()
