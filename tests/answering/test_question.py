"""What a question asks for (rag/question.py): answer types, recency, new-answer detection."""

import pytest

from rag.answering.question import (
    AnswerType,
    answer_type,
    asks_where,
    asks_who,
    holds_new_answer,
    leads_with_name,
    names_in,
    question_words,
    refers_to_recent,
)


@pytest.mark.parametrize("question, kind", [
    ("Approximately how many baby swings were recalled?", AnswerType.QUANTITY),
    ("How much loan forgiveness will borrowers receive?", AnswerType.QUANTITY),
    ("What percentage of plastic is recycled?", AnswerType.QUANTITY),
    ("What was the record high average price for a gallon of gas?", AnswerType.QUANTITY),
    ("The law could raise the minimum wage to which hourly amount?", AnswerType.QUANTITY),
    ("What was the cost of living crisis called?", AnswerType.ENTITY),
    ("When will NASA next attempt to launch Artemis I?", AnswerType.TIME),
    ("In which year did the war end?", AnswerType.TIME),
    ("How soon could vaccines be available for children?", AnswerType.TIME),
    ("Which team won the Stanley Cup?", AnswerType.ENTITY),
    ("Who holds the home run record?", AnswerType.ENTITY),
    ("Where are many Americans moving?", AnswerType.ENTITY),
    ("Explain the merger.", AnswerType.OTHER),
])
def test_answer_type(question, kind):
    assert answer_type(question) is kind


@pytest.mark.parametrize("question, recent", [
    ("Which band announced this week it is reuniting?", True),
    ("Who won the election on Tuesday?", True),
    ("What did NASA recently launch?", True),
    ("Which country has the most recent census data?", True),
    ("What did operation Ikaros achieve?", False),
    ("Who founded the Red Cross in 1863?", False),
])
def test_refers_to_recent(question, recent):
    assert refers_to_recent(question) is recent


def test_a_number_the_question_already_gives_is_not_an_answer():
    q = "How many minutes did the riot last on January 6?"
    qw = question_words(q)
    quantity, time = AnswerType.QUANTITY, AnswerType.TIME
    assert not holds_new_answer("The riot on January 6 lasted many minutes.", qw, quantity)
    assert holds_new_answer("The hearing is all about 187 minutes.", qw, quantity)
    assert holds_new_answer("Two million swings were recalled.", qw, quantity)
    # Vague amounts and dates do not say how many; dates do say when.
    assert not holds_new_answer("Millions were recalled on Monday.", qw, quantity)
    assert holds_new_answer("They were recalled on Monday.", qw, time)


def test_a_time_said_relative_to_the_article_answers_when():
    # "When will it be available?" -> "next month", "in a few weeks" as well as a date (stop 35)
    q = "When will the new booster be available?"
    qw, time = question_words(q), AnswerType.TIME
    for sentence in ("Updated boosters will be available next month.",
                     "The shots could begin within the next few weeks, officials said.",
                     "It will be at least a few weeks before the launch."):
        assert holds_new_answer(sentence, qw, time), sentence
    assert not holds_new_answer("The booster will be available soon.", qw, time)


def test_a_name_the_question_already_gives_is_not_an_answer():
    q = "Which show did Netflix renew for a new season?"
    qw = question_words(q)
    restated = "The wildly popular show was renewed by Netflix for a new season."
    assert not holds_new_answer(restated, qw, AnswerType.ENTITY)
    assert holds_new_answer("It said Squid Game is coming back.", qw, AnswerType.ENTITY)
    assert holds_new_answer("The show, “squid game,” is back.", qw, AnswerType.ENTITY)
    assert not holds_new_answer("The show was renewed on Sunday.", qw, AnswerType.ENTITY)
    assert not holds_new_answer("Anything at all.", qw, AnswerType.OTHER)


def test_a_sentence_that_opens_with_a_name_holds_one_when_the_texts_show_it_is_a_name():
    texts = ["Cases rose in California and Texas, officials said. California has the most "
             "cases: 4,300. Despite that, the numbers are falling. Officials said so."]
    names = names_in(texts)
    assert "california" in names and "texas" in names
    # "Despite", "Officials": written in lower case too, or never inside a sentence
    assert "despite" not in names and "officials" not in names
    qw = question_words("Which state has the most confirmed cases of monkeypox?")
    kind = AnswerType.ENTITY
    assert not holds_new_answer("California has the most cases: 4,300.", qw, kind)
    assert leads_with_name("California has the most cases: 4,300.", qw, names)
    assert not leads_with_name("Despite that, the numbers are falling.", qw, names)
    # the question's own name is no answer
    assert not leads_with_name("Texas has fewer cases.", question_words("How many in Texas?"),
                               names)


@pytest.mark.parametrize("question, who", [
    ("Who won the 2022 Stanley Cup?", True),
    ("King Charles III became Britain's new monarch following the death of his mother, Queen "
     "Elizabeth II. Who is next in the line of royal succession?", True),
    ("Who's Who named him. Which magazine did?", False),
    ("Which team won? (the Avalanche, who beat Tampa Bay)", False),
])
def test_asks_who_reads_the_sentence_that_asks(question, who):
    assert asks_who(question) is who


@pytest.mark.parametrize("question, where", [
    ("Where are many Americans moving?", True),
    ("Rents keep rising. So where are people moving?", True),
    ("Which city hosted the summit?", False),
    ("Who said where the summit would be?", False),
])
def test_asks_where_reads_the_sentence_that_asks(question, where):
    assert asks_where(question) is where


def test_a_figure_asked_by_its_name_is_a_quantity():
    from rag.answering.question import AnswerType, answer_type

    for q in ("What equity interest did Eastman Kodak acquire in Enzon Inc in March 1987?",
              "What oil production target did the Soviet Union set for 1988?",
              "What economic growth rate did the OECD forecast for West Germany in 1988?",
              "What net profit did underwriters forecast for Bond Media in 1988/89?"):
        assert answer_type(q) is AnswerType.QUANTITY, q
    # a person, though "figure" may be a number
    assert answer_type("Which public figure filed paperwork this week to run for president "
                       "in 2024?") is AnswerType.ENTITY
    assert answer_type("Which target company did the bank name?") is AnswerType.ENTITY


def test_what_something_is_worth_is_a_quantity():
    from rag.answering.question import AnswerType, answer_type

    for q in ("What were South Africa's gold holdings worth in March 1987?",
              "Based on ConAgra's closing share price, what was its stock deal to acquire "
              "Monfort of Colorado worth?",
              "What is the deal worth?"):
        assert answer_type(q) is AnswerType.QUANTITY, q
    assert answer_type("Which company is worth the most?") is AnswerType.ENTITY
