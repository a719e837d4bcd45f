"""The Python API over the shipped corpus: cited answers, abstention, follow-ups, bad questions."""

from __future__ import annotations

import pytest
from conftest import IKAROS, SEED_ID

from rag import QuestionError


def test_ikaros_answer_cites_the_seed_sentence(corpus_assistant):
    answer = corpus_assistant.ask(IKAROS)
    assert not answer.abstained
    for fact in ("269 suspects", "22 countries", "112 arrests"):
        assert fact in answer.text
    assert "[1]" in answer.text
    cited = [c for c in answer.citations if "112 arrests" in c.quote]
    assert cited and cited[0].doc_id == SEED_ID and cited[0].date == "2012-06-21"
    # that sentence and nothing else: "She said that ..." is not led by who "she" is
    assert len(answer.citations) == 1 and answer.text.startswith("She said that operation")
    article = corpus_assistant.article(SEED_ID)
    for c in answer.citations:
        assert article.text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.text
    assert all(s.citations for s in answer.sentences)
    assert answer.passages and answer.passages[0].doc_id == SEED_ID


@pytest.mark.parametrize("question", [
    "Who won the 2022 World Cup?",
    "What is the price of wheat in Chicago?",
    "How tall is the Eiffel Tower?",
])
def test_unanswerable_questions_abstain_without_citations(corpus_assistant, question):
    answer = corpus_assistant.ask(question)
    assert answer.abstained
    assert answer.citations == []
    assert "do not contain" in answer.text


def test_follow_up_in_a_chat_session_answers_from_the_same_article(corpus_assistant):
    session = corpus_assistant.chat()
    first = session.ask(IKAROS)
    assert not first.abstained
    follow = session.ask("How many arrests were made?")
    assert not follow.abstained
    assert "112 arrests" in follow.text
    assert follow.citations[0].doc_id == SEED_ID
    assert len(session.history) == 2
    session.clear()
    assert session.history == []


def test_a_follow_up_the_article_does_not_answer_is_quoted_as_asked(corpus_assistant):
    # The follow-up is answered with the thread's names carried after it; the "related"
    # answer quotes the question as the user asked it, not with those names.
    session = corpus_assistant.chat()
    session.ask(IKAROS)
    session.ask("When will the alliance be launched?")  # carries "later this year", ...
    follow = session.ask("Which countries form the alliance?")
    assert follow.status == "related", follow.text
    assert follow.text.startswith("The articles do not answer “Which countries form the "
                                  "alliance?”; closest: ")
    assert follow.question == "Which countries form the alliance?"


def test_to_dict_matches_the_json_contract(corpus_assistant):
    data = corpus_assistant.ask(IKAROS).to_dict()
    assert set(data) >= {"answer", "status", "abstained", "citations"}
    assert data["status"] == "answered" and data["abstained"] is False
    c = data["citations"][0]
    assert set(c) == {"n", "doc_id", "title", "date", "source", "url", "quote", "start", "end",
                      "also_in", "focus_start", "focus_end"}


@pytest.mark.parametrize("question, message", [
    ("", "the question is empty"),
    ("   \n\t ", "the question is empty"),
    ("x" * 100_000, "the question is too long (100,000 characters"),
])
def test_bad_questions_get_a_clear_error(corpus_assistant, question, message):
    with pytest.raises(QuestionError) as err:
        corpus_assistant.ask(question)
    assert message in str(err.value)
    # The index is unharmed: the next question still works.
    assert not corpus_assistant.ask(IKAROS).abstained


def test_filters_restrict_retrieval_by_date_and_source(corpus_assistant):
    assert not corpus_assistant.ask(IKAROS, since="2012-01-01", until="2012-12-31").abstained
    outside = corpus_assistant.ask(IKAROS, since="2013-01-01")
    assert outside.abstained and outside.passages == []
    assert corpus_assistant.ask(IKAROS, sources=["Nobody"]).abstained
    with pytest.raises(QuestionError, match="YYYY-MM-DD"):
        corpus_assistant.ask(IKAROS, since="last tuesday")


def test_stats(corpus_assistant):
    stats = corpus_assistant.stats()
    assert stats["articles"] == 1
    assert stats["chunks"] >= 2
    assert stats["embed_model"] == "bundled:all-MiniLM-L6-v2"
    assert stats["dim"] == 384
    assert stats["size_bytes"] > 0


def test_concurrent_questions_while_articles_are_added(tmp_path):
    """Several users ask while another adds articles: every answer is right, nothing fails."""
    import shutil
    from concurrent.futures import ThreadPoolExecutor

    from conftest import CORPUS

    from rag import Assistant

    d = tmp_path / "articles"
    d.mkdir()
    shutil.copy(CORPUS / SEED_ID, d / SEED_ID)
    bot = Assistant(index_dir=tmp_path / "idx")
    bot.ingest([d])
    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(6):
        (extra / f"e{i}.txt").write_text(
            f"date 2020-01-0{i + 1} LIMA Fishing boats number {i} returned to port after a "
            f"storm, and {10 + i} crews were rescued by the coast guard on Sunday.")

    def ask(_):
        return bot.ask(IKAROS)

    with ThreadPoolExecutor(max_workers=5) as pool:
        adding = pool.submit(bot.ingest, [extra])
        answers = list(pool.map(ask, range(12)))
        report = adding.result()
    assert len(report.added) == 6
    for answer in answers:
        assert "112 arrests" in answer.text and answer.citations[0].doc_id == SEED_ID
    assert "coast guard" in bot.ask("Who rescued the fishing crews after the storm?").text


def test_warm_up_loads_what_the_first_question_and_upload_wait_for(corpus_assistant, tmp_path):
    import sys

    from rag import Assistant

    corpus_assistant.warm_up()
    assert "chunker" in corpus_assistant._parts and "datasketch.lsh" in sys.modules
    empty = Assistant(index_dir=tmp_path / "empty")
    empty.warm_up()  # nothing to ask an empty index: no error, the chunker is ready
    assert "chunker" in empty._parts and empty.is_empty()
