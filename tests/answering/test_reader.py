"""The learned reader over a real index (real model, real Chroma): the three outcomes,
focused answers with the answer phrase marked, and follow-ups answered from the previous
turn's article."""

from __future__ import annotations

import json

import pytest
from conftest import CORPUS, IKAROS, SEED_ID

import rag

ARTICLES = [
    {"id": "dean", "date": "1987-01-05", "source": "Reuters", "title": "DEAN FOODS ACQUISITION",
     "text": "Dean Foods Co said it acquired Elgin Blenders Inc, West Chicago, in late "
             "December. Elgin Blenders makes dairy and food products. Terms were not "
             "disclosed. Dean also said it sold its Larsen Co. unit to a group of investors."},
    {"id": "starts", "date": "1987-10-19", "source": "Reuters", "title": "U.S. HOUSING STARTS",
     "text": "U.S. housing starts rose 2.2 pct in September to a seasonally adjusted annual "
             "rate of 1.67 mln units, the Commerce Department said. Permits for new homes "
             "fell 1.5 pct in September."},
    {"id": "squid", "date": "2022-06-12", "source": "cnn.com", "title": "Squid Game returns",
     "text": "“Squid Game” is officially coming back. Netflix announced Sunday that the "
             "wildly popular South Korean show is green lit for a second season. The show was "
             "created by Hwang Dong-hyuk, who wrote and directed every episode."},
]


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    root = tmp_path_factory.mktemp("reader")
    (root / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    assistant = rag.Assistant(index_dir=root / "index", answerer="reader")
    assistant.ingest([root / "a.jsonl", CORPUS])
    return assistant


def test_answered_leads_with_the_answer_and_marks_its_phrase(bot):
    answer = bot.ask("How many arrests did operation Ikaros lead to?")
    assert answer.status == "answered" and not answer.abstained
    first = answer.citations[0]
    assert first.doc_id == SEED_ID and "112 arrests" in first.quote
    article = bot.article(SEED_ID)
    assert article.text[first.start:first.end] == first.quote
    assert article.text[first.focus_start:first.focus_end] == "112"
    assert answer.to_dict()["status"] == "answered"
    ikaros = bot.ask(IKAROS)
    assert ikaros.status == "answered" and "269 suspects" in ikaros.citations[0].quote
    assert not any("Napolitano" == s.text.split(".")[0] for s in ikaros.sentences)


def test_a_period_the_article_does_not_speak_of_is_related_not_answered(bot):
    answer = bot.ask("How much did U.S. housing starts rise in October?")
    assert answer.status == "related" and answer.abstained
    assert answer.text.startswith("The articles do not answer \u201cHow much did U.S. housing "
                                  "starts rise in October?\u201d; closest:")
    assert answer.citations and answer.citations[0].doc_id == "starts"
    assert "september" in answer.notice.lower()
    data = answer.to_dict()
    assert data["status"] == "related" and data["abstained"] is True
    assert bot.ask("How much did U.S. housing starts rise in September?").status == "answered"


def test_an_entity_the_article_does_not_name_is_not_answered(bot):
    answer = bot.ask("Which show did HBO green light for a second season?")
    assert answer.status in ("related", "none") and answer.abstained
    assert bot.ask("Which show did Netflix green light for a second season?"
                   ).status == "answered"


def test_nothing_close_is_none(bot):
    answer = bot.ask("Who won the 2022 World Cup final?")
    assert answer.status == "none" and answer.abstained and not answer.citations
    assert answer.text == "The articles do not contain an answer to this question."


def test_a_follow_up_is_answered_from_the_previous_turns_article(bot):
    chat = bot.chat()
    first = chat.ask("Which company did Dean Foods acquire in late December?")
    assert first.status == "answered" and first.citations[0].doc_id == "dean"
    follow = chat.ask("Where is it based?")
    assert follow.status == "answered", follow.text
    assert "West Chicago" in follow.text and follow.citations[0].doc_id == "dean"
    assert follow.question == "Where is it based?"
    # another story, named in full, leaves the thread
    other = chat.ask("Who created the show Netflix renewed for a second season?")
    # (which of its sentences the reader picks is its own choice, the same as asked alone)
    assert other.citations[0].doc_id == "squid" and not other.rewritten
    assert other.text == bot.ask("Who created the show Netflix renewed for a second season?").text


@pytest.mark.parametrize("answerer", ["rules", "cross"])
def test_the_rules_and_the_default_answerer_check_periods_too(bot, answerer):
    assistant = rag.Assistant(index_dir=bot.settings.index_dir, answerer=answerer)
    assert rag.Settings().answer.answerer == "cross"  # the default
    october = assistant.ask("How much did U.S. housing starts rise in October?")
    assert october.status == "related" and october.abstained
    assert october.text.startswith("The articles do not answer")
    assert october.citations and october.citations[0].doc_id == "starts"
    assert "september" in october.notice.lower()
    september = assistant.ask("How much did U.S. housing starts rise in September?")
    assert september.status == "answered" and "2.2 pct" in september.text
