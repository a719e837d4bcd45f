"""The retrieval pipeline with the fake embedder and the memory store (no model, fast):
modes, filters, stages, and a stage added through the door."""

from __future__ import annotations

import json

import pytest

from rag import Assistant, Filters
from rag.retrieval import STAGES, register_stage

ARTICLES = [
    {"id": "harbour", "date": "2022-06-10", "source": "Post",
     "text": "The harbour authority reopened the north pier after storm repairs. Ferries "
             "resumed on Monday."},
    {"id": "harbour-old", "date": "2021-01-10", "source": "Wire",
     "text": "The harbour authority closed the north pier after a storm damaged it."},
    {"id": "budget", "date": "2022-06-12", "source": "Wire",
     "text": "The city council approved a budget that raises library funding by ten percent."},
]


@pytest.fixture
def bot(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    assistant = Assistant(index_dir=tmp_path / "idx", store="memory", embed_backend="fake")
    assert len(assistant.ingest([path]).added) == 3
    return assistant


def test_modes_find_the_matching_article(bot):
    for mode in ("hybrid", "dense", "bm25"):
        hits = bot.search("library funding budget", mode=mode)
        assert hits[0].doc_id == "budget", mode
    hybrid = bot.search("north pier harbour")
    assert {h.doc_id for h in hybrid[:2]} == {"harbour", "harbour-old"}
    assert hybrid[0].dense_score is not None and hybrid[0].bm25_score is not None
    assert bot.search("north pier", mode="bm25")[0].dense_score is None


def test_filters_and_the_date_prior(bot):
    only_old = bot.search("north pier harbour", Filters(until="2021-12-31"))
    assert [h.doc_id for h in only_old] == ["harbour-old"]
    assert {h.doc_id for h in bot.search("pier", Filters(sources=["Post"]))} == {"harbour"}
    # as of early 2021, the older story ranks first; as of mid-2022, the newer one
    assert bot.search("north pier harbour storm", as_of="2021-01-12")[0].doc_id == "harbour-old"
    assert bot.search("north pier harbour storm", as_of="2022-06-13")[0].doc_id == "harbour"


def test_a_stage_is_added_through_the_door(tmp_path, bot):
    class Demote:
        name = "demote-budget"

        def apply(self, query, cands, keyword):
            for c in cands:
                if c.chunk.doc_id == "budget":
                    c.score -= 100

    register_stage("demote-budget", lambda settings, embedder=None: Demote())
    try:
        other = Assistant(bot.settings.replace(stages="sentence,date,demote-budget"))
        other._parts["store"] = bot.store
        hits = other.search("library funding budget")
        assert hits[-1].doc_id == "budget"
    finally:
        STAGES.pop("demote-budget")
