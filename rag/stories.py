"""Stories: near-duplicate articles (wire re-sends, corrected copies, syndicated copies) grouped.

    stories = StoryIndex(stories_path(settings), threshold=0.8, max_days=3)
    stories.assign_article(article)      # at ingest: joins the story of its closest copy
    StoryLookup(path).story_of(doc_ids)  # at question time: read-only, any thread

MinHash over 5-word shingles of the lower-cased words (numbers kept: two companies' earnings
reports differ mostly by their figures) and datasketch's MinHashLSH to find candidates, then
the MinHash Jaccard estimate against ``threshold`` to decide. A new article joins the story of
its most similar article at or above the threshold; otherwise it starts its own story, whose
id is its doc id. Two guards, measured on Reuters-21578 (benchmarks/README.md): copies more
than ``max_days`` apart are other news (recurring reports share their wording), and a short
text joins only when the titles match too (dividend notices are identical but for the
company named in the title).

Persistence: one SQLite file beside the index (doc -> story, date, order, whether it is a
full copy, title, shingle count, the 128 MinHash values). assign/remove touch only the doc
concerned and ``save`` writes what changed in one transaction. The LSH tables are rebuilt in
memory from the stored MinHashes on the first assign after opening (about 0.1-0.2 ms a doc);
readers (``StoryLookup``) never need them: they ask SQLite.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections import defaultdict
from datetime import date as _date
from pathlib import Path

import numpy as np

from .types import Article

SCHEMA_VERSION = "2"
SEED = 1
SCHEME = "affine32"  # datasketch 2.0's default MinHash scheme: 32-bit values (stored as such)
_WORD = re.compile(r"\w+", re.UNICODE)


def stories_path(settings) -> Path:
    """Beside the index: one file per collection (and per server for a Chroma server)."""
    base = Path(settings.index_dir)
    if settings.chroma_host:
        return base / (f"stories-{settings.chroma_host}-{settings.chroma_port}-"
                       f"{settings.collection}.sqlite")
    return base / f"stories-{settings.collection}.sqlite"


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, k: int = 5) -> set[str]:
    """k-word shingles of the lower-cased words; a text shorter than k words is one
    shingle; a text with no words has none."""
    w = words(text)
    if not w:
        return set()
    if len(w) < k:
        return {" ".join(w)}
    return {" ".join(w[i:i + k]) for i in range(len(w) - k + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def title_similarity(a: str, b: str) -> float:
    """Jaccard of the two titles' word sets (0.0 when either is empty)."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _days_apart(a: str, b: str) -> int | None:
    try:
        return abs((_date.fromisoformat(a[:10]) - _date.fromisoformat(b[:10])).days)
    except (ValueError, TypeError):
        return None


def order_key(article: Article) -> str:
    """What "earliest" means: the time of day when the source gives it (Reuters' datetime),
    else the date; "" when unknown (such copies come after dated ones)."""
    when = article.extra.get("datetime") or article.extra.get("published_at") or article.date
    return str(when or "")


def is_full(article: Article) -> bool:
    """False for a feed entry read from the feed's own summary (its page was not readable)."""
    return article.extra.get("fulltext", True) is not False


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS docs (
    doc_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, date TEXT NOT NULL DEFAULT '',
    sort_key TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL DEFAULT 0,
    full INTEGER NOT NULL DEFAULT 1, n_shingles INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL DEFAULT '', minhash BLOB);
CREATE INDEX IF NOT EXISTS docs_story ON docs (story_id);
"""


class StoryIndex:
    """A persistent doc -> story grouping (the writer; one at a time, under the index's
    write lock).

    threshold: estimated Jaccard of 5-word shingle sets at or above which two docs are copies
        of one story.
    max_days: a doc only joins a doc at most this many days apart when both dates are known
        (re-sends and corrections come within a day or two); None turns the check off.
    min_shingles: a doc with fewer shingles than this (on either side) joins only when the
        titles match too (word Jaccard >= 0.5); without titles it stays alone.
    """

    def __init__(self, path: str | Path, threshold: float = 0.8, num_perm: int = 128,
                 k: int = 5, max_days: int | None = 3, min_shingles: int = 30):
        self.path = Path(path)
        self.threshold = float(threshold)
        self.num_perm = int(num_perm)
        self.k = int(k)
        self.max_days = max_days
        self.min_shingles = int(min_shingles)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Ingestion may run in another thread than the one that opened it (the browser's
        # uploads, the feed watcher); the index's write lock keeps them one at a time.
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        # Candidates come from an LSH tuned a little below the threshold (better recall near
        # it); the MinHash estimate then decides.
        self._lsh_threshold = max(0.3, self.threshold - 0.1)
        regroup = self._check_meta()
        self._load()
        if regroup:
            self.regroup()

    # -- storage -------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def _check_meta(self) -> bool:
        """Set up or check the parameters; True when the docs must be grouped again."""
        hashing = {"schema": SCHEMA_VERSION, "num_perm": str(self.num_perm), "k": str(self.k),
                   "seed": str(SEED), "scheme": SCHEME}
        grouping = {"threshold": str(self.threshold), "max_days": str(self.max_days),
                    "min_shingles": str(self.min_shingles)}
        have = self._meta()
        regroup = False
        with self._db:
            if any(have.get(k) != v for k, v in hashing.items()):
                # Sketches made otherwise cannot be compared: start afresh (ingestion then
                # assigns every article again from its text, see Assistant.ingest_articles).
                self._db.execute("DELETE FROM docs")
                self._db.execute("DELETE FROM meta")
                have = {}
            elif any(have.get(k) != v for k, v in grouping.items()):
                regroup = True  # the sketches stay valid: only the groups change
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [*hashing.items(), *grouping.items()])
            if "version" not in have:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', '0')")
        return regroup

    def _load(self) -> None:
        self._lsh = None  # datasketch MinHashLSH, built on first need (see _index)
        self._story: dict[str, str] = {}
        self._date: dict[str, str] = {}
        self._order: dict[str, tuple[str, int]] = {}
        self._full: dict[str, bool] = {}
        self._hv: dict[str, np.ndarray] = {}
        self._n: dict[str, int] = {}
        self._title: dict[str, str] = {}
        self._members: dict[str, set[str]] = defaultdict(set)
        self._dirty: set[str] = set()
        self._deleted: set[str] = set()
        rows = self._db.execute("SELECT doc_id, story_id, date, sort_key, seq, full, "
                                "n_shingles, title, minhash FROM docs").fetchall()
        self._seq = 0
        for doc_id, story_id, date, sort_key, seq, full, n_sh, title, blob in rows:
            self._story[doc_id] = story_id
            self._date[doc_id] = date or ""
            self._order[doc_id] = (sort_key or "", seq)
            self._full[doc_id] = bool(full)
            self._n[doc_id] = n_sh or 0
            if title:
                self._title[doc_id] = title
            self._members[story_id].add(doc_id)
            if blob is not None:
                self._hv[doc_id] = np.frombuffer(blob, dtype=np.uint32).copy()
            self._seq = max(self._seq, seq)
        self._version = self._meta().get("version", "0")

    def refresh(self) -> None:
        """Reload when another process (another `rag ingest`) saved since we last looked."""
        if self._meta().get("version", "0") != self._version:
            self._load()

    def prepare(self, store) -> int:
        """Before ingesting (under the index's write lock): reload what another process
        saved, and group every stored article when nothing is grouped yet (an index built
        before stories existed, or a changed sketch size). Returns the articles grouped."""
        self.refresh()
        if len(self) or not store.count_articles():
            return 0
        n = 0
        records = store.records()
        for doc_id in sorted(records, key=lambda d: (not records[d].date, records[d].date, d)):
            article = store.get_article(doc_id)
            if article is not None:
                self.assign_article(article)
                n += 1
        self.save()
        return n

    def _index(self):
        """The LSH tables, rebuilt from the stored MinHashes on first use."""
        if self._lsh is None:
            from datasketch import LeanMinHash, MinHashLSH

            lsh = MinHashLSH(threshold=self._lsh_threshold, num_perm=self.num_perm)
            with lsh.insertion_session(buffer_size=10_000) as session:
                for doc_id, hv in self._hv.items():
                    session.insert(doc_id, LeanMinHash(seed=SEED, hashvalues=hv, scheme=SCHEME),
                                   check_duplication=False)
            self._lsh = lsh
        return self._lsh

    def save(self) -> None:
        """Write what changed since the last save, atomically (one SQLite transaction)."""
        if not self._dirty and not self._deleted:
            return
        version = str(int(self._version) + 1)
        with self._db:
            self._db.executemany("DELETE FROM docs WHERE doc_id = ?",
                                 [(d,) for d in self._deleted if d not in self._story])
            rows = []
            for d in self._dirty:
                if d not in self._story:
                    continue
                hv = self._hv.get(d)
                blob = hv.astype(np.uint32).tobytes() if hv is not None else None
                sort_key, seq = self._order.get(d, ("", 0))
                rows.append((d, self._story[d], self._date.get(d, ""), sort_key, seq,
                             int(self._full.get(d, True)), self._n.get(d, 0),
                             self._title.get(d, ""), blob))
            self._db.executemany("INSERT OR REPLACE INTO docs (doc_id, story_id, date, "
                                 "sort_key, seq, full, n_shingles, title, minhash) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))
        self._version = version
        self._dirty.clear()
        self._deleted.clear()

    def clear(self) -> None:
        """Forget every doc (the index was rebuilt)."""
        with self._db:
            self._db.execute("DELETE FROM docs")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)",
                             (str(int(self._version) + 1),))
        self._load()

    def close(self) -> None:
        self.save()
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- queries -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._story)

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._story

    def story_of(self, doc_id: str) -> str | None:
        return self._story.get(doc_id)

    def members(self, story_id: str) -> list[str]:
        """The story's docs, earliest first (dated before undated, then as ingested)."""
        return sorted(self._members.get(story_id, ()), key=self._earliest)

    def _earliest(self, doc_id: str):
        sort_key, seq = self._order.get(doc_id, ("", 0))
        return (sort_key == "", sort_key, seq, doc_id)

    def stories(self) -> dict[str, list[str]]:
        """Every story with more than one doc."""
        return {s: self.members(s) for s, m in self._members.items() if len(m) > 1}

    def similar(self, text: str, date: str = "", title: str = "",
                limit: int = 10) -> list[tuple[str, float]]:
        """Docs that ``text`` would be grouped with (the rules of assign), best first, with
        their estimated Jaccard."""
        m, n = self._sketch(text)
        return self._matches(m.hashvalues, date, n, title)[:limit] if m is not None else []

    def _sketch(self, text: str):
        sh = shingles(text, self.k)
        if not sh:
            return None, 0
        from datasketch import LeanMinHash, MinHash

        m = MinHash(num_perm=self.num_perm, seed=SEED, scheme=SCHEME)
        m.update_batch([s.encode("utf-8") for s in sh])
        return LeanMinHash(m), len(sh)

    def _matches(self, hv_new: np.ndarray, date: str, n: int, title: str,
                 exclude: str | None = None) -> list[tuple[str, float]]:
        from datasketch import LeanMinHash

        m = LeanMinHash(seed=SEED, hashvalues=hv_new, scheme=SCHEME)
        out = []
        for cand in self._index().query(m):
            hv = self._hv.get(cand)
            if hv is None or cand == exclude:
                continue
            est = float(np.count_nonzero(hv == hv_new)) / self.num_perm
            if est < self.threshold:
                continue
            if self.max_days is not None and date and self._date.get(cand):
                apart = _days_apart(date, self._date[cand])
                if apart is not None and apart > self.max_days:
                    continue
            if min(n, self._n.get(cand, 0)) < self.min_shingles:
                if title_similarity(title, self._title.get(cand, "")) < 0.5:
                    continue
            out.append((cand, est))
        out.sort(key=lambda x: (-x[1], x[0]))
        return out

    # -- changes -------------------------------------------------------------------------------

    def assign_article(self, article: Article) -> str:
        return self.assign(article.id, article.text, article.date, article.title,
                           order=order_key(article), full=is_full(article))

    def assign(self, doc_id: str, text: str, date: str = "", title: str = "",
               order: str | None = None, full: bool = True) -> str:
        """Put ``doc_id`` in a story and return the story id (see the class docstring).

        Re-assigning a doc with the same text keeps its story; with a changed text the doc is
        taken out and placed again. Costs one MinHash of ``text`` and one LSH query."""
        m, n = self._sketch(text)
        hv = None if m is None else np.asarray(m.hashvalues, dtype=np.uint32)
        order = date if order is None else order
        if doc_id in self._story:
            old = self._hv.get(doc_id)
            if (hv is None and old is None) or (hv is not None and old is not None
                                                 and np.array_equal(old, hv)):
                seq = self._order.get(doc_id, ("", 0))[1]
                if (date, order, full, title) != (self._date.get(doc_id, ""),
                                                   self._order.get(doc_id, ("", 0))[0],
                                                   self._full.get(doc_id, True),
                                                   self._title.get(doc_id, "")):
                    self._date[doc_id], self._order[doc_id] = date, (order, seq)
                    self._full[doc_id] = full
                    self._title[doc_id] = title
                    self._dirty.add(doc_id)
                return self._story[doc_id]
            self.remove([doc_id])
        self._seq += 1
        return self._place(doc_id, hv, n, date, title, (order, self._seq), full)

    def _place(self, doc_id, hv, n, date, title, order, full) -> str:
        story = None
        if hv is not None:
            matches = self._matches(hv, date, n, title, exclude=doc_id)
            if matches:
                story = self._story[matches[0][0]]
        if story is None:
            story = doc_id
            suffix = 1
            while self._members.get(story):
                suffix += 1  # that id still names a story of other docs (its first was removed)
                story = f"{doc_id}#{suffix}"
        self._story[doc_id] = story
        self._date[doc_id] = date or ""
        self._order[doc_id] = order
        self._full[doc_id] = full
        self._n[doc_id] = n
        if title:
            self._title[doc_id] = title
        self._members[story].add(doc_id)
        if hv is not None and doc_id not in self._hv:
            self._hv[doc_id] = hv
            self._index().insert(doc_id, _lean(hv), check_duplication=False)
        self._dirty.add(doc_id)
        self._deleted.discard(doc_id)
        return story

    def remove(self, doc_ids) -> int:
        """Take docs out (unknown ids are ignored); returns how many were removed. The other
        docs keep their story id, even when it was the removed doc's id."""
        n = 0
        for doc_id in list(doc_ids):
            story = self._story.pop(doc_id, None)
            if story is None:
                continue
            n += 1
            members = self._members.get(story)
            if members is not None:
                members.discard(doc_id)
                if not members:
                    del self._members[story]
            if self._hv.pop(doc_id, None) is not None and self._lsh is not None:
                self._lsh.remove(doc_id)
            for table in (self._date, self._order, self._full, self._n, self._title):
                table.pop(doc_id, None)
            self._dirty.discard(doc_id)
            self._deleted.add(doc_id)
        return n

    def regroup(self) -> None:
        """Group every doc again from the stored sketches, earliest first (after a change of
        threshold or date window: no text is read again)."""
        docs = sorted(self._story, key=self._earliest)
        saved = {d: (self._hv.get(d), self._n.get(d, 0), self._date.get(d, ""),
                     self._title.get(d, ""), self._order[d], self._full.get(d, True))
                 for d in docs}
        self._story.clear()
        self._members.clear()
        self._hv.clear()
        self._lsh = None
        for d in docs:
            hv, n, date, title, order, full = saved[d]
            self._place(d, hv, n, date, title, order, full)
        self._dirty.update(docs)
        self.save()


def _lean(hv: np.ndarray):
    from datasketch import LeanMinHash

    return LeanMinHash(seed=SEED, hashvalues=hv, scheme=SCHEME)


class StoryLookup:
    """Read-only questions to the story file, safe from any thread and any process (each call
    opens its own SQLite connection: a fraction of a millisecond)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @contextlib.contextmanager
    def _db(self):
        if not self.path.exists():
            yield None
            return
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            yield db
        finally:
            db.close()

    def _rows(self, sql: str, params) -> list[tuple]:
        params = list(params)
        if not params:
            return []
        out: list[tuple] = []
        with self._db() as db:
            if db is None:
                return []
            try:
                for i in range(0, len(params), 500):  # SQLite's variable limit
                    part = params[i:i + 500]
                    marks = ",".join("?" * len(part))
                    out.extend(db.execute(sql.format(marks=marks), part).fetchall())
            except sqlite3.OperationalError:
                return []
        return out

    def story_of(self, doc_ids) -> dict[str, str]:
        """doc id -> story id, for the docs that are grouped at all."""
        return dict(self._rows("SELECT doc_id, story_id FROM docs WHERE doc_id IN ({marks})",
                               dict.fromkeys(doc_ids)))

    def members(self, story_ids) -> dict[str, list[dict]]:
        """story id -> its docs, earliest first: {"doc_id", "date", "full"}."""
        rows = self._rows("SELECT story_id, doc_id, date, sort_key, seq, full FROM docs "
                          "WHERE story_id IN ({marks})", dict.fromkeys(story_ids))
        rows.sort(key=lambda r: (r[0], r[3] == "", r[3], r[4], r[1]))
        out: dict[str, list[dict]] = defaultdict(list)
        for story_id, doc_id, date, _key, _seq, full in rows:
            out[story_id].append({"doc_id": doc_id, "date": date, "full": bool(full)})
        return dict(out)

    def counts(self) -> dict:
        """Docs grouped, stories, and stories of more than one doc."""
        with self._db() as db:
            if db is None:
                return {"docs": 0, "stories": 0, "with_copies": 0}
            try:
                docs, stories = db.execute(
                    "SELECT COUNT(*), COUNT(DISTINCT story_id) FROM docs").fetchone()
                multi = db.execute("SELECT COUNT(*) FROM (SELECT story_id FROM docs GROUP BY "
                                   "story_id HAVING COUNT(*) > 1)").fetchone()[0]
            except sqlite3.OperationalError:
                return {"docs": 0, "stories": 0, "with_copies": 0}
        return {"docs": docs, "stories": stories, "with_copies": multi}
