"""The step after the stages: one copy per story, its earliest full copy among the candidates,
ranked where its best copy was."""

from __future__ import annotations

from test_stories import edit, text

from rag.retrieval.base import Candidate
from rag.retrieval.story_collapse import collapse
from rag.stories import StoryIndex, StoryLookup
from rag.types import StoredChunk


def cand(cid: str, doc: str, score: float) -> Candidate:
    return Candidate(StoredChunk(id=cid, doc_id=doc, text="", start=0, end=0), score=score)


def test_collapse_keeps_the_earliest_full_copy(tmp_path):
    path = tmp_path / "stories.sqlite"
    body = text(3)
    with StoryIndex(path) as idx:
        idx.assign("summary", edit(body, 1), "2022-06-01", order="2022-06-01T07:00", full=False)
        idx.assign("first", body, "2022-06-01", order="2022-06-01T08:00")
        idx.assign("resend", edit(body, 1, seed=2), "2022-06-01", order="2022-06-01T09:00")
        idx.assign("other", text(4), "2022-06-01")
    ranked = [cand("r1", "resend", 0.9), cand("s1", "summary", 0.85), cand("o1", "other", 0.8),
              cand("f1", "first", 0.7), cand("f2", "first", 0.2), cand("x1", "ungrouped", 0.1)]
    out = collapse(ranked, StoryLookup(path))
    # the summary-only copy is earlier but not full; the full first copy stands for the story,
    # with the best score a copy reached; its other passage stays, as any article's would
    assert [(c.chunk.id, c.score) for c in out] == [("f1", 0.9), ("o1", 0.8), ("f2", 0.2),
                                                    ("x1", 0.1)]
    # with only later copies among the candidates (a filter left the first out): the earliest
    # of those
    out = collapse([cand("r1", "resend", 0.9), cand("s1", "summary", 0.5)], StoryLookup(path))
    assert [c.chunk.id for c in out] == ["r1"]
    # nothing grouped: unchanged
    plain = [cand("o1", "other", 0.8), cand("x1", "ungrouped", 0.1)]
    assert collapse(plain, StoryLookup(path)) == plain
    assert collapse(plain, StoryLookup(tmp_path / "missing.sqlite")) == plain
