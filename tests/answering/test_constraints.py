"""The question's constraints against a sentence and its article (rag/answering/constraints.py)
and the answer phrase inside a quote (focus.py): pure functions."""

import pytest

from rag.answering.constraints import check, months, names, quarters, years
from rag.answering.focus import focus_span


def test_periods_and_names_are_read_from_text():
    assert months("Housing starts fell in October and Sept.") == {"october", "september"}
    assert months("Prices may fall; troops march on.") == set()
    assert years("In 1987 and again in 2001, not 12345") == {"1987", "2001"}
    assert quarters("first-quarter profit, unlike Q3") == {1, 3}
    assert names("Which company agreed to buy Compaq from HP?") == {"compaq", "hp"}


@pytest.mark.parametrize("question, sentence, doc, date, ok", [
    ("What were housing starts in October 1987?",
     "Housing starts rose 2.2 pct in September to 1.67 mln units.", "", "1987-10-19", False),
    ("What were housing starts in September 1987?",
     "Housing starts rose 2.2 pct in September to 1.67 mln units.", "", "1987-10-19", True),
    ("Which company agreed in 2001 to buy Compaq?",
     "Compaq said it agreed to be bought by a rival.", "Compaq said it agreed", "1987-03-02",
     False),
    ("Which show did HBO renew for a second season?",
     "Netflix announced Sunday that the show is green lit for a second season.",
     "Netflix announced Sunday that the show is green lit", "2022-06-12", False),
    ("Which show did Netflix renew for a second season?",
     "Netflix announced Sunday that the show is green lit for a second season.",
     "Netflix announced Sunday that the show is green lit", "2022-06-12", True),
    ("What was third-quarter profit?", "First-quarter profit was 3 mln dlrs.", "", "", False),
])
def test_constraints(question, sentence, doc, date, ok):
    verdict = check(question, sentence, "", doc or sentence, date)
    assert verdict.ok is ok, verdict.reason
    assert bool(verdict.reason) is not ok


@pytest.mark.parametrize("question, sentence, phrase", [
    ("How many arrests did it lead to?", "It led to 112 arrests and 269 suspects.", "112"),
    ("Which company did Dean Foods acquire in late December?",
     "Dean Foods Co said it acquired Elgin Blenders Inc, West Chicago, in late December.",
     "Elgin Blenders Inc"),
    ("When will NASA launch Artemis?",
     "NASA will try again to launch Artemis I on Saturday, September 3, officials said.",
     "Saturday, September 3"),
    ("Which justice wrote the majority opinion?",
     "Justice Samuel Alito wrote the majority opinion.", "Samuel Alito"),
    ("Explain the merger.", "The merger creates the largest bank.", None),
])
def test_focus_marks_the_answer_phrase(question, sentence, phrase):
    span = focus_span(question, sentence)
    assert (sentence[span[0]:span[1]] if span else None) == phrase
