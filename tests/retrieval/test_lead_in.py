"""A passage that opens by pointing back ("He will become ...") is widened to the sentence
before it, from the stored article (rag/retrieval/lead_in.py). Real model, real Chroma."""

from __future__ import annotations

import json

import pytest

import rag

LEAD = ("Sunak was the only leadership hopeful to secure the support of 100 Conservative "
        "members of parliament, the necessary threshold set by party officials for potential "
        "candidates in the contest that followed the resignation of the previous leader last "
        "week.")
# Seven sentences before it put a chunk boundary between LEAD and the sentence after it.
TEXT = (" ".join(f"The council met on day {i} to discuss the harbour budget and the repairs "
                 f"to the north pier." for i in range(1, 8))
        + f" {LEAD} He will become the first person of color to be British prime minister, "
          "and at 42 the youngest in 200 years. Markets rose on the news.")
QUESTION = "Who will become the first person of color to be British prime minister?"


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    root = tmp_path_factory.mktemp("lead_in")
    path = root / "articles.jsonl"
    path.write_text(json.dumps({"id": "pm", "date": "2022-10-24", "title": "A new leader",
                                "text": TEXT}) + "\n")
    assistant = rag.Assistant(index_dir=root / "index")
    assistant.ingest(path, progress=False)
    # the case under test: a stored chunk opens with the pointing-back sentence
    assert any(c.text.startswith("He will become") for c in assistant.store.chunks_of(["pm"]))
    return assistant


def test_the_passage_is_widened_to_the_sentence_it_points_back_to(bot):
    top = bot.search(QUESTION)[0]
    assert top.text.startswith(LEAD) and "He will become" in top.text
    assert TEXT[top.start:top.end] == top.text  # still the article's text at its offsets


def test_the_answer_names_who_he_is(bot):
    answer = bot.ask(QUESTION)
    assert not answer.abstained
    assert answer.text.startswith("Sunak was the only leadership hopeful")
    quotes = [c.quote for c in answer.citations]
    assert quotes[0] == LEAD and quotes[1].startswith("He will become")
    assert all(TEXT[c.start:c.end] == c.quote for c in answer.citations)


def test_switched_off_the_passage_is_as_retrieved(bot, tmp_path):
    plain = rag.Assistant(bot.settings.replace(lead_in=False))
    top = plain.search(QUESTION)[0]
    assert top.text.startswith("He will become")
    assert plain.ask(QUESTION).text.startswith("He will become")
