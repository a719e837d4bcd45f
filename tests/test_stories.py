"""stories: StoryIndex on synthetic texts and on real Reuters-21578 re-send groups; stories
kept at ingest (updates, removals) and used by the real ask path (one copy per story, the
citation's also_in, `rag ask --json`, `rag stats`)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import DATASETS, require_datasets

from rag import stories
from rag.sources import sgml

REUTERS_SGML = DATASETS / "reuters21578" / "sgml"
GROUPS_FILE = Path(__file__).resolve().parent / "data" / "reuters_groups.json"
VOCAB = ("government bank minister oil price market trade deficit export import company "
         "shares profit loss quarter union strike talks agreement currency dollar yen mark "
         "central rate cut rise fall percent billion million analysts said week month year "
         "official report growth inflation budget tax reform election parliament court").split()


def text(seed: int, n: int = 200) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) + (str(rng.randint(1, 99)) if rng.random() < 0.2 else "")
                    for _ in range(n))


def edit(t: str, n_changes: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    w = t.split()
    for _ in range(n_changes):
        w[rng.randrange(len(w))] = "corrected"
    return " ".join(w)


@pytest.fixture()
def index(tmp_path):
    idx = stories.StoryIndex(tmp_path / "stories.sqlite")
    yield idx
    idx.close()


def test_shingles():
    assert stories.shingles("One two three four five six") == {"one two three four five",
                                                               "two three four five six"}
    assert stories.shingles("Too short") == {"too short"}
    assert stories.shingles("  ,;  ") == set()
    assert stories.title_similarity("GM CANADA SALES OFF", "GM <GM> CANADA SALES OFF") == 1.0
    assert stories.title_similarity("FORD CANADA SALES OFF", "GM CANADA SALES OFF") == 0.6
    assert stories.title_similarity("", "GM") == 0.0


def test_a_long_text_is_sketched_in_slices_to_the_same_minhash(index, monkeypatch):
    """The sketch is streamed (shingles in slices, distinct ones counted by hash) and is the
    very MinHash and count of one batch over the set of shingles, for long texts with
    repeats, short ones and empty ones."""
    from datasketch import MinHash

    def whole(t):
        sh = stories.shingles(t)
        m = MinHash(num_perm=index.num_perm, seed=stories.SEED, scheme=stories.SCHEME)
        m.update_batch([s.encode("utf-8") for s in sh])
        return list(m.hashvalues), len(sh)

    long_text = text(7, n=5000)
    texts = [long_text, long_text + " " + long_text, "Too short", "One two three four five",
             "a b c d e f"]
    assert len(stories.shingles(long_text)) > 4 * stories._SKETCH_SLICE
    for slice_size in (stories._SKETCH_SLICE, 7):
        monkeypatch.setattr(stories, "_SKETCH_SLICE", slice_size)
        for t in texts:
            sketch, n = index._sketch(t)
            assert (list(sketch.hashvalues), n) == whole(t)
    assert index._sketch("  ,;  ") == (None, 0)
    assert list(stories.iter_shingles("a b c d e f")) == ["a b c d e", "b c d e f"]


def test_assign_groups_near_duplicates(index):
    a = text(1)
    assert index.assign("a", a, "1987-03-02") == "a"
    assert index.assign("b", edit(a, 2), "1987-03-02") == "a"  # a re-send with a fix
    assert index.assign("c", text(2), "1987-03-02") == "c"  # other news
    assert index.assign("d", edit(a, 40, seed=3), "1987-03-02") == "d"  # too different
    assert index.members("a") == ["a", "b"]
    assert index.story_of("b") == "a" and index.story_of("zzz") is None
    assert index.stories() == {"a": ["a", "b"]}
    assert index.similar(edit(a, 1, seed=9), "1987-03-02")[0][0] in {"a", "b"}


def test_joins_the_most_similar_story(index):
    a, other = text(1), text(5)
    index.assign("a", a, "1987-03-02")
    index.assign("x", other, "1987-03-02")
    # closer to x than to anything in a's story
    assert index.assign("y", edit(other, 3), "1987-03-02") == "x"


def _saved_story_and_single(path) -> str:
    """A saved file with story "a" (docs a, b) and story "c"; returns a's text."""
    a = text(1)
    with stories.StoryIndex(path) as idx:
        idx.assign("a", a, "1987-03-02")
        idx.assign("b", edit(a, 2), "1987-03-02")
        idx.assign("c", text(2), "1987-03-03")
    return a


def test_persistence_and_incremental_reopen(tmp_path):
    path = tmp_path / "s.sqlite"
    a = _saved_story_and_single(path)
    with stories.StoryIndex(path) as idx:
        assert len(idx) == 3 and idx.members("a") == ["a", "b"]
        assert idx.assign("e", edit(a, 3, seed=4), "1987-03-03") == "a"  # via the stored bands
        idx.assign("f", text(9), "1987-03-03")
        # not saved yet: a second reader sees the saved state only
        with stories.StoryIndex(path) as other:
            assert "e" not in other
    with stories.StoryIndex(path) as idx:
        assert idx.story_of("e") == "a" and "f" in idx  # close() saved


def test_a_schema_2_file_is_regrouped_from_its_sketches(tmp_path):
    """Files written before the bands were stored (schema 2) keep their docs: the bands are
    made from the stored MinHashes on open, and new copies join the old stories."""
    import sqlite3

    path = tmp_path / "old.sqlite"
    a = _saved_story_and_single(path)
    db = sqlite3.connect(path)
    with db:  # what schema 2 had: no bands
        db.execute("DROP TABLE bands")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.execute("DELETE FROM meta WHERE key = 'bands'")
    db.close()
    with stories.StoryIndex(path) as idx:
        assert len(idx) == 3 and idx.members("a") == ["a", "b"] and idx.story_of("c") == "c"
        assert idx.assign("d", edit(a, 3, seed=5), "1987-03-03") == "a"
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "3"
    assert db.execute("SELECT COUNT(DISTINCT doc_id) FROM bands").fetchone()[0] == 4
    db.close()


def test_changed_parameters_regroup_or_start_afresh(tmp_path):
    path = tmp_path / "s.sqlite"
    a = text(1)
    with stories.StoryIndex(path) as idx:
        idx.assign("a", a, "1987-03-02")
        b = edit(a, 10, seed=1)
        assert 0.55 < stories.jaccard(stories.shingles(a), stories.shingles(b)) < 0.75
        idx.assign("b", b, "1987-03-02")
        assert idx.story_of("b") == "b"  # apart at 0.8
    with stories.StoryIndex(path, threshold=0.5) as idx:  # regrouped from the stored sketches
        assert idx.story_of("b") == "a" and idx.members("a") == ["a", "b"]
    with stories.StoryIndex(path, num_perm=64) as idx:  # other sketches: nothing to compare
        assert len(idx) == 0


def test_remove_and_story_id_reuse(index):
    a = text(1)
    index.assign("a", a, "1987-03-02")
    index.assign("b", edit(a, 2), "1987-03-02")
    assert index.remove(["a", "nope"]) == 1
    assert index.members("a") == ["b"]  # b keeps its story id
    assert index.assign("c", edit(a, 1, seed=5), "1987-03-02") == "a"  # joins via b
    # "a" comes back with other news: "a" still names b's story, so a new id is made
    assert index.assign("a", text(7), "1987-03-02") == "a#2"
    index.remove(["b", "c"])
    assert index.members("a") == [] and index.stories() == {}


def test_reassign_same_text_keeps_story_changed_text_moves(index):
    a = text(1)
    index.assign("a", a, "1987-03-02")
    index.assign("b", edit(a, 2), "1987-03-02")
    assert index.assign("b", edit(a, 2), "1987-03-02") == "a"
    assert index.assign("b", text(3), "1987-03-02") == "b"
    assert index.members("a") == ["a"]


def test_date_window(tmp_path):
    a = text(1)
    with stories.StoryIndex(tmp_path / "w.sqlite") as idx:  # max_days=3 by default
        idx.assign("a", a, "1987-03-02")
        assert idx.assign("b", edit(a, 2), "1987-03-05") == "a"
        assert idx.assign("c", edit(a, 2, seed=1), "1987-03-20") == "c"  # weeks later
        assert idx.assign("d", edit(a, 2, seed=2), "") == "a"  # unknown date: no check
    with stories.StoryIndex(tmp_path / "n.sqlite", max_days=None) as idx:
        idx.assign("a", a, "1987-03-02")
        assert idx.assign("c", edit(a, 2, seed=1), "1987-03-20") == "a"


def test_short_texts_need_matching_titles(index):
    div = "Qtly div 10 cts vs 10 cts prior Pay April 15 Record April One"
    assert index.assign("x", div, "1987-03-19", "STATE STREET BOSTON <STBK> SETS QUARTERLY") == "x"
    assert index.assign("y", div, "1987-03-19", "THOMPSON MEDICAL <TM> DECLARES QTLY DIV") == "y"
    assert index.assign("z", div, "1987-03-19", "STATE STREET BOSTON <STBK> QUARTERLY") == "x"
    assert index.assign("w", div, "1987-03-19") == "w"  # no title: stays alone


def test_empty_text(index):
    assert index.assign("e1", "", "1987-03-02") == "e1"
    assert index.assign("e2", "   ", "1987-03-02") == "e2"
    assert index.assign("e1", "", "1987-03-02") == "e1"


# --- real data --------------------------------------------------------------------------------


def test_real_reuters_resend_groups(tmp_path):
    """Real re-sends found by eye in Reuters-21578 (tests/data/reuters_groups.json) are one
    story each, among every other story of their files; look-alike template items (dividend
    notices, the Fed's and the Bundesbank's routine notes) stay apart."""
    require_datasets("reuters21578/sgml")
    spec = json.loads(GROUPS_FILE.read_text())
    wanted = {i for g in spec["groups"] for i in g["ids"]} | \
        {i for p in spec["different"] for i in p["ids"]}
    files = sorted({(int(i.rsplit("-", 1)[1]) - 1) // 1000 for i in wanted})
    docs = []
    for n in files:
        articles, _, _ = sgml.read_sgml(REUTERS_SGML / f"reut2-{n:03d}.sgm")
        docs.extend(articles)
    assert wanted <= {a.id for a in docs}
    docs.sort(key=lambda a: (a.extra["datetime"], a.id))
    with stories.StoryIndex(tmp_path / "r.sqlite", threshold=spec["threshold"]) as idx:
        for a in docs:  # every story of those files: the groups must stand out of the crowd
            idx.assign_article(a)
        seen_stories = set()
        for g in spec["groups"]:
            story_ids = {idx.story_of(i) for i in g["ids"]}
            assert len(story_ids) == 1, (g, story_ids)
            (sid,) = story_ids
            assert sid not in seen_stories
            seen_stories.add(sid)
            assert set(g["ids"]) <= set(idx.members(sid))
        for p in spec["different"]:  # look-alikes that are other news
            a, b = p["ids"]
            assert idx.story_of(a) != idx.story_of(b), p


def test_members_earliest_full_copy_first_and_lookup(tmp_path):
    path = tmp_path / "s.sqlite"
    a = text(1)
    with stories.StoryIndex(path) as idx:
        idx.assign("late", a, "1987-03-03", order="1987-03-03T09:00:00")
        idx.assign("early", edit(a, 2), "1987-03-03", order="1987-03-03T08:00:00")
        idx.assign("undated", edit(a, 3, seed=1), "")
        idx.assign("summary-only", edit(a, 1, seed=4), "1987-03-02", full=False)
        assert idx.members("late") == ["summary-only", "early", "late", "undated"]
    look = stories.StoryLookup(path)
    assert look.story_of(["early", "nope"]) == {"early": "late"}
    (members,) = look.members(["late"]).values()
    assert [m["doc_id"] for m in members] == ["summary-only", "early", "late", "undated"]
    assert [m["full"] for m in members] == [False, True, True, True]
    assert look.counts() == {"docs": 4, "stories": 1, "with_copies": 1}
    assert stories.StoryLookup(tmp_path / "none.sqlite").counts()["stories"] == 0


# --- through the assistant: ingest, the ask path, the CLI --------------------------------------

LLOYDS = ["reuters21578-3128", "reuters21578-3131", "reuters21578-3133"]
QUESTION = "What is Lloyds Bank cutting its base lending rate to?"


@pytest.fixture(scope="module")
def reuters_bot(tmp_path_factory):
    """A real index of 60 consecutive real Reuters stories, three of them sends of one story
    (LLOYDS, about a minute apart)."""
    require_datasets("reuters21578/sgml")
    from rag import Assistant

    articles, _, _ = sgml.read_sgml(REUTERS_SGML / "reut2-003.sgm")
    near = [a for a in articles if 3100 <= int(a.id.rsplit("-", 1)[1]) < 3160]
    assert set(LLOYDS) <= {a.id for a in near}
    bot = Assistant(index_dir=tmp_path_factory.mktemp("reuters_stories"))
    report = bot.ingest_articles(near)
    assert len(report.added) == len(near)
    return bot, near


def test_one_copy_per_story_and_also_in_through_the_ask_path(reuters_bot):
    bot, near = reuters_bot
    stats = bot.stats()
    assert stats["stories_with_copies"] >= 1 and stats["stories"] < stats["articles"]
    answer = bot.ask(QUESTION)
    assert not answer.abstained and "10.5 pct" in answer.text
    retrieved = [p.doc_id for p in answer.passages]
    # one copy of the story: its earliest (10:57:54), never the re-sends
    assert LLOYDS[0] in retrieved and not set(LLOYDS[1:]) & set(retrieved)
    cite = next(c for c in answer.citations if c.doc_id == LLOYDS[0])
    assert [o["doc_id"] for o in cite.also_in] == LLOYDS[1:]
    assert cite.also_in[0] == {"doc_id": LLOYDS[1], "title": "LLOYDS BANK MATCHES BASE RATE "
                               "CUT TO 10.5 PCT", "source": "Reuters", "date": "1987-03-09",
                               "url": ""}
    # Collapse off: the copies crowd the passages again, and each names the others.
    from rag import Assistant

    plain = Assistant(bot.settings.replace(collapse_stories=False))
    retrieved = [p.doc_id for p in plain.search(QUESTION, top_k=8)]
    assert len(set(LLOYDS) & set(retrieved)) == 3


def test_ask_json_and_stats_from_the_command_line(reuters_bot, capsys):
    from rag.cli import main

    bot, _ = reuters_bot
    assert main(["ask", "--json", QUESTION, "--index-dir", str(bot.settings.index_dir)]) == 0
    data = json.loads(capsys.readouterr().out)
    cite = next(c for c in data["citations"] if c["doc_id"] == LLOYDS[0])
    assert [o["doc_id"] for o in cite["also_in"]] == LLOYDS[1:]
    assert set(cite["also_in"][0]) == {"doc_id", "title", "source", "date", "url"}
    assert main(["ask", QUESTION, "--index-dir", str(bot.settings.index_dir)]) == 0
    assert "also reported by 2 other articles: LLOYDS BANK MATCHES" in capsys.readouterr().out
    assert main(["stats", "--json", "--index-dir", str(bot.settings.index_dir)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["stories"] == bot.stats()["stories"] and stats["stories_with_copies"] >= 1


def test_stories_follow_updates_and_removals(tmp_path):
    """An updated copy leaves its story when its text is other news; a removed one leaves it
    too; a new copy joins without re-embedding the others."""
    from rag import Article, Assistant
    from rag.sources import ReadLog

    bot = Assistant(index_dir=tmp_path / "index")
    body = text(11, 150)
    first = [Article(id="a", text=body, title="T", date="2022-06-01", origin="/feed.jsonl"),
             Article(id="b", text=edit(body, 2), title="T", date="2022-06-01",
                     origin="/feed.jsonl")]
    bot.ingest_articles(first)
    look = bot.story_lookup
    assert look.story_of(["a", "b"]) == {"a": "a", "b": "a"}
    copy = Article(id="c", text=edit(body, 1, seed=7), title="T", date="2022-06-02",
                   origin="/feed.jsonl")
    report = bot.ingest_articles([*first, copy])
    assert report.added == ["c"] and sorted(report.skipped) == ["a", "b"]
    assert report.chunks_written == len(bot.chunker.split(copy))  # only the new copy
    assert look.story_of(["c"]) == {"c": "a"}
    # b is rewritten into other news: it leaves the story
    b2 = Article(id="b", text=text(12, 150), title="Other", date="2022-06-01",
                 origin="/feed.jsonl")
    assert bot.ingest_articles([b2]).updated == ["b"]
    assert look.story_of(["b"]) == {"b": "b"}
    # a is gone from its file: pruned from the index and from its story
    log = ReadLog(complete={"/feed.jsonl"})
    report = bot.ingest_articles([b2, copy], log, prune=True)
    assert report.removed == ["a"]
    assert look.story_of(["a", "c"]) == {"c": "a"}  # c keeps the story's id
    assert [m["doc_id"] for m in look.members(["a"])["a"]] == ["c"]
    assert bot.stats()["stories"] == 2
    bot.rebuild()
    assert look.counts()["docs"] == 0
