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
full copy, title, shingle count, the 128 MinHash values, and the LSH band keys). assign/remove
touch only the doc concerned and ``save`` commits what changed in one transaction. Nothing is
held in memory per doc, so a writer's memory does not grow with the archive; readers
(``StoryLookup``) ask SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
from array import array
from collections import defaultdict, deque
from collections.abc import Iterator
from datetime import date as _date
from pathlib import Path

import numpy as np

from .types import Article

SCHEMA_VERSION = "3"  # 3: the LSH bands stored in the file
SEED = 1
_SKETCH_SLICE = 1024  # shingles hashed at once: bounds memory (1024 x 128 x 4 bytes a step)
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


def iter_shingles(text: str, k: int = 5) -> Iterator[str]:
    """k-word shingles of the lower-cased words, in order (repeats included); a text shorter
    than k words is one shingle; a text with no words has none. Streamed: a 5 MB article
    holds one window of words, not a list of them."""
    window: deque[str] = deque(maxlen=k)
    count = 0
    for m in _WORD.finditer(text.lower()):
        window.append(m.group(0))
        count += 1
        if count >= k:
            yield " ".join(window)
    if 0 < count < k:
        yield " ".join(window)


def shingles(text: str, k: int = 5) -> set[str]:
    return set(iter_shingles(text, k))


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
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, doc_id TEXT NOT NULL,
    PRIMARY KEY (key, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS bands_doc ON bands (doc_id);
"""
_COLUMNS = "doc_id, story_id, date, sort_key, seq, full, n_shingles, title, minhash"
# Earliest first: dated before undated, then by date/time, then as ingested.
_EARLIEST = "ORDER BY (sort_key = ''), sort_key, seq, doc_id"


class StoryIndex:
    """A persistent doc -> story grouping (the writer; one at a time, under the index's
    write lock).

    threshold: estimated Jaccard of 5-word shingle sets at or above which two docs are copies
        of one story.
    max_days: a doc only joins a doc at most this many days apart when both dates are known
        (re-sends and corrections come within a day or two); None turns the check off.
    min_shingles: a doc with fewer shingles than this (on either side) joins only when the
        titles match too (word Jaccard >= 0.5); without titles it stays alone.

    Everything lives in the SQLite file, the LSH bands too (a table keyed by band hash), so
    memory does not grow with the number of docs: datasketch's in-memory MinHashLSH and the
    per-doc dicts this class kept before took about 5.7 KB a doc (0.8 GB at 128k articles,
    benchmarks/README.md, issue 11). Changes are written in one open transaction that
    ``save`` commits: readers (``StoryLookup``, other processes; WAL) see a save whole.
    """

    def __init__(self, path: str | Path, threshold: float = 0.8, num_perm: int = 128,
                 k: int = 5, max_days: int | None = 3, min_shingles: int = 30):
        from datasketch.lsh import _optimal_param

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
        # it); the MinHash estimate then decides. The bands are datasketch's own choice for
        # that threshold (MinHashLSH's b x r), kept in the bands table instead of its dicts.
        self._lsh_threshold = max(0.3, self.threshold - 0.1)
        b, r = _optimal_param(self._lsh_threshold, self.num_perm, 0.5, 0.5)
        self._ranges = [(i * r, (i + 1) * r) for i in range(b)]
        self._changed = False
        regroup = self._check_meta()
        self._load()
        if regroup:
            self.regroup()

    # -- storage -------------------------------------------------------------------------------

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta"))

    def _check_meta(self) -> bool:
        """Set up or check the parameters; True when the docs must be grouped again."""
        hashing = {"num_perm": str(self.num_perm), "k": str(self.k), "seed": str(SEED),
                   "scheme": SCHEME}
        grouping = {"schema": SCHEMA_VERSION, "threshold": str(self.threshold),
                    "max_days": str(self.max_days), "min_shingles": str(self.min_shingles),
                    "bands": str(len(self._ranges))}
        have = self._meta()
        if all(have.get(k) == v for k, v in (*hashing.items(), *grouping.items())) \
                and "version" in have:
            return False  # nothing to write: a second opener never waits for the writer
        regroup = False
        with self._db:
            if any(have.get(k) != v for k, v in hashing.items()):
                # Sketches made otherwise cannot be compared: start afresh (ingestion then
                # assigns every article again from its text, see Assistant.ingest_articles).
                self._db.execute("DELETE FROM docs")
                self._db.execute("DELETE FROM bands")
                self._db.execute("DELETE FROM meta")
                have = {}
            elif any(have.get(k) != v for k, v in grouping.items()):
                # The sketches stay valid: only the groups (and, from schema 2, the stored
                # bands) change.
                regroup = True
            self._db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [*hashing.items(), *grouping.items()])
            if "version" not in have:
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', '0')")
        return regroup

    def _load(self) -> None:
        self._seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM docs").fetchone()[0]
        self._version = self._meta().get("version", "0")

    def refresh(self) -> None:
        """Catch up when another process (another `rag ingest`) saved since we last looked."""
        if self._meta().get("version", "0") != self._version:
            self._load()

    def prepare(self, store) -> int:
        """Before ingesting (under the index's write lock): catch up with what another process
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

    def _band_keys(self, hv: np.ndarray) -> list[int]:
        # A stable 64-bit hash of (band number, its values): Python's hash() of bytes changes
        # from process to process.
        return [int.from_bytes(hashlib.blake2b(bytes([i]) + hv[a:b].tobytes(),
                                               digest_size=8).digest(), "little", signed=True)
                for i, (a, b) in enumerate(self._ranges)]

    def save(self) -> None:
        """Commit what changed since the last save, atomically (one SQLite transaction)."""
        if not self._changed:
            return
        version = str(int(self._version) + 1)
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))
        self._db.commit()
        self._version = version
        self._changed = False

    def clear(self) -> None:
        """Forget every doc (the index was rebuilt)."""
        self._db.execute("DELETE FROM docs")
        self._db.execute("DELETE FROM bands")
        self._changed = True
        self.save()
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
        return self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def __contains__(self, doc_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM docs WHERE doc_id = ?",
                                (doc_id,)).fetchone() is not None

    def story_of(self, doc_id: str) -> str | None:
        row = self._db.execute("SELECT story_id FROM docs WHERE doc_id = ?",
                               (doc_id,)).fetchone()
        return row[0] if row else None

    def members(self, story_id: str) -> list[str]:
        """The story's docs, earliest first (dated before undated, then as ingested)."""
        return [r[0] for r in self._db.execute(
            f"SELECT doc_id FROM docs WHERE story_id = ? {_EARLIEST}", (story_id,))]

    def stories(self) -> dict[str, list[str]]:
        """Every story with more than one doc."""
        multi = [r[0] for r in self._db.execute(
            "SELECT story_id FROM docs GROUP BY story_id HAVING COUNT(*) > 1")]
        return {s: self.members(s) for s in multi}

    def similar(self, text: str, date: str = "", title: str = "",
                limit: int = 10) -> list[tuple[str, float]]:
        """Docs that ``text`` would be grouped with (the rules of assign), best first, with
        their estimated Jaccard."""
        m, n = self._sketch(text)
        if m is None:
            return []
        return self._matches(np.asarray(m.hashvalues, dtype=np.uint32), date, n,
                             title)[:limit]

    def _sketch(self, text: str):
        """The MinHash of ``text``'s shingles and how many distinct shingles it has.

        Streamed in slices of ``_SKETCH_SLICE`` shingles (the minimum over slices is the same
        sketch; repeats change no minimum): datasketch's update_batch builds a shingles x
        num_perm array, and a set of the shingle strings cost 150 bytes each, so one 5 MB
        article raised ingestion's peak by 150 MB. Distinct shingles are counted by their
        64-bit hashes, 8 bytes each."""
        from datasketch import LeanMinHash, MinHash

        m = MinHash(num_perm=self.num_perm, seed=SEED, scheme=SCHEME)
        hashes = array("q")
        batch: list[bytes] = []
        for sh in iter_shingles(text, self.k):
            hashes.append(hash(sh))
            batch.append(sh.encode("utf-8"))
            if len(batch) >= _SKETCH_SLICE:
                m.update_batch(batch)
                batch = []
        if batch:
            m.update_batch(batch)
        if not hashes:
            return None, 0
        return LeanMinHash(m), int(np.unique(np.frombuffer(hashes, dtype=np.int64)).size)

    def _matches(self, hv_new: np.ndarray, date: str, n: int, title: str,
                 exclude: str | None = None) -> list[tuple[str, float]]:
        keys = self._band_keys(hv_new)
        marks = ",".join("?" * len(keys))
        cands = [r[0] for r in self._db.execute(
            f"SELECT DISTINCT doc_id FROM bands WHERE key IN ({marks})", keys)
            if r[0] != exclude]
        out = []
        for i in range(0, len(cands), 500):  # SQLite's variable limit
            part = cands[i:i + 500]
            rows = self._db.execute(
                "SELECT doc_id, minhash, date, n_shingles, title FROM docs WHERE doc_id IN "
                f"({','.join('?' * len(part))})", part).fetchall()
            for cand, blob, cand_date, cand_n, cand_title in rows:
                if blob is None:
                    continue
                hv = np.frombuffer(blob, dtype=np.uint32)
                est = float(np.count_nonzero(hv == hv_new)) / self.num_perm
                if est < self.threshold:
                    continue
                if self.max_days is not None and date and cand_date:
                    apart = _days_apart(date, cand_date)
                    if apart is not None and apart > self.max_days:
                        continue
                if min(n, cand_n or 0) < self.min_shingles:
                    if title_similarity(title, cand_title or "") < 0.5:
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
        row = self._db.execute("SELECT story_id, minhash, date, sort_key, full, title FROM docs "
                               "WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is not None:
            story, blob, old_date, old_order, old_full, old_title = row
            old = None if blob is None else np.frombuffer(blob, dtype=np.uint32)
            if (hv is None and old is None) or (hv is not None and old is not None
                                                 and np.array_equal(old, hv)):
                if (date, order, full, title) != (old_date, old_order, bool(old_full),
                                                   old_title):
                    self._db.execute("UPDATE docs SET date = ?, sort_key = ?, full = ?, "
                                     "title = ? WHERE doc_id = ?",
                                     (date or "", order or "", int(full), title or "",
                                      doc_id))
                    self._changed = True
                return story
            self.remove([doc_id])
        self._seq += 1
        return self._place(doc_id, hv, n, date, title, (order, self._seq), full)

    def _story_exists(self, story_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM docs WHERE story_id = ? LIMIT 1",
                                (story_id,)).fetchone() is not None

    def _place(self, doc_id, hv, n, date, title, order, full) -> str:
        story = None
        if hv is not None:
            matches = self._matches(hv, date, n, title, exclude=doc_id)
            if matches:
                story = self.story_of(matches[0][0])
        if story is None:
            story = doc_id
            suffix = 1
            while self._story_exists(story):
                suffix += 1  # that id still names a story of other docs (its first was removed)
                story = f"{doc_id}#{suffix}"
        sort_key, seq = order
        blob = hv.astype(np.uint32).tobytes() if hv is not None else None
        self._db.execute(f"INSERT OR REPLACE INTO docs ({_COLUMNS}) VALUES "
                         "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (doc_id, story, date or "", sort_key or "", seq, int(full), n,
                          title or "", blob))
        if hv is not None:
            self._db.executemany("INSERT OR IGNORE INTO bands (key, doc_id) VALUES (?, ?)",
                                 [(k, doc_id) for k in self._band_keys(hv)])
        self._changed = True
        return story

    def remove(self, doc_ids) -> int:
        """Take docs out (unknown ids are ignored); returns how many were removed. The other
        docs keep their story id, even when it was the removed doc's id."""
        n = 0
        for doc_id in list(doc_ids):
            n += self._db.execute("DELETE FROM docs WHERE doc_id = ?", (doc_id,)).rowcount
            self._db.execute("DELETE FROM bands WHERE doc_id = ?", (doc_id,))
        if n:
            self._changed = True
        return n

    def regroup(self) -> None:
        """Group every doc again from the stored sketches, earliest first (after a change of
        threshold, date window or schema: no text is read again). Streams through a temporary
        table, so memory stays flat."""
        self._db.execute("DROP TABLE IF EXISTS temp.regroup")
        self._db.execute(f"CREATE TEMP TABLE regroup AS SELECT {_COLUMNS} FROM docs "
                         f"{_EARLIEST}")
        self._db.execute("DELETE FROM docs")
        self._db.execute("DELETE FROM bands")
        cur = self._db.cursor()
        cur.execute(f"SELECT {_COLUMNS} FROM temp.regroup ORDER BY rowid")
        while rows := cur.fetchmany(1000):
            for doc_id, _story, date, sort_key, seq, full, n, title, blob in rows:
                hv = None if blob is None else np.frombuffer(blob, dtype=np.uint32).copy()
                self._place(doc_id, hv, n, date, title, (sort_key, seq), bool(full))
        self._db.execute("DROP TABLE temp.regroup")
        self._changed = True
        self.save()


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
