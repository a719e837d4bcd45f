"""Property-based: any question, filter and date through the one ask path (a real Assistant
over the shipped corpus) gives an Answer or one clear QuestionError line, never a traceback.
benchmarks/fuzz.py runs thousands of these; the suite runs a few dozen."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import QuestionError
from rag.types import Answer, Filters

SETTINGS = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Any Unicode (control characters, lone surrogates, right-to-left marks, emoji), words of the
# corpus mixed in so that some questions reach the answerers, and very long input.
_WORDS = st.sampled_from(["What", "did", "operation", "Ikaros", "achieve", "arrests", "2012",
                          "?", "“", "\u200f", "\x00", "AND", "OR", "NOT", "(",
                          ")", ":", "*", "~", "^", '"', "\\", "-", "+"])
QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(_WORDS, max_size=30).map(" ".join),
    st.text(st.characters(codec="utf-8"), min_size=1900, max_size=2100),
    st.text(st.characters(categories=["Cc", "Cf", "Cs", "Zs", "Zl", "Zp"]), max_size=50),
)
DATES = st.one_of(st.none(), st.just(""), st.text(max_size=20), st.dates().map(str),
                  st.sampled_from(["2012-13-45", "2022-02-29", "yesterday", "2012-06-21"]))
# Mostly no filter, so that most questions get past the date checks to the answerers.
FILTERS = st.one_of(st.none(), st.none(), st.none(), st.builds(
    Filters, since=DATES, until=DATES,
    sources=st.one_of(st.none(), st.lists(st.text(max_size=15), max_size=3))))
AS_OF = st.one_of(st.none(), st.none(), st.none(), DATES)


def _one_line(exc: Exception) -> None:
    assert str(exc) and "\n" not in str(exc)


def test_check_question_accepts_or_refuses_in_one_line(corpus_assistant):
    @settings(max_examples=200, deadline=None, database=None)
    @given(QUESTIONS)
    def prop(question):
        try:
            checked = corpus_assistant.check_question(question)
        except QuestionError as exc:
            _one_line(exc)
            return
        assert checked and checked == checked.strip()
        checked.encode("utf-8")  # everything downstream can encode it

    prop()


def test_any_question_filters_and_as_of_through_a_real_assistant(corpus_assistant):
    @SETTINGS
    @given(QUESTIONS, FILTERS, AS_OF)
    def prop(question, filters, as_of):
        try:
            answer = corpus_assistant.ask(question, filters, as_of=as_of)
        except QuestionError as exc:
            _one_line(exc)
            return
        assert isinstance(answer, Answer)
        assert answer.status in ("answered", "related", "none")
        for c in answer.citations:
            assert c.quote

    prop()
