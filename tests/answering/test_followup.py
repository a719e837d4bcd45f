"""Follow-ups: a request with history is planned from its conversation (no model needed)."""

from rag import Answer, AnswerRequest, Citation, Turn
from rag.answering import ContextFollowUp


def _turn(question, doc):
    cite = Citation(1, doc, "T", "", "", "", "q", 0, 1)
    return Turn(question, Answer(question, "x [1]", [cite], False))


def test_context_follow_up_scopes_to_the_last_answer_and_carries_its_names():
    plan = ContextFollowUp(context_turns=1).resolve(AnswerRequest(
        "How many were arrested?", history=[_turn("Old?", "d0"), _turn("What did Ikaros do?",
                                                                         "d1")]))
    # searched first within the previous answer's article, with its names carried over;
    # the whole index with the previous question joined when that cannot answer
    assert plan.scope_docs == ["d1"] and plan.boost_docs == {"d1"}
    assert plan.query == plan.question == "How many were arrested? Ikaros"
    assert plan.fallback_query == "What did Ikaros do? How many were arrested? Ikaros"
    alone = ContextFollowUp(1).resolve(AnswerRequest("First?"))
    assert alone.query == "First?" and alone.boost_docs == set()
    given = ContextFollowUp(1).resolve(AnswerRequest("Q?", context=["Earlier?"],
                                                     boost_docs={"x"}))
    assert given.query == "Earlier? Q?" and given.boost_docs == {"x"}


def test_carried_figures_and_dates_search_but_do_not_constrain_the_answer():
    """The previous answer's phrase "Tuesday November 20" helps find the thread, but is no
    condition on the next answer (the figure and period checks would refuse every sentence of
    the article that does not repeat it)."""
    quote = "It opens on Tuesday November 20 at Dartmouth."
    start = quote.index("Tuesday")
    cite = Citation(1, "d1", "T", "", "", "", quote, 0, len(quote),
                    focus_start=start, focus_end=start + len("Tuesday November 20"))
    first = Turn("When does the Dartmouth program open?",
                 Answer("When does the Dartmouth program open?", "x [1]", [cite], False))
    plan = ContextFollowUp(1).resolve(AnswerRequest("Which campaign is it part of?",
                                                    history=[first]))
    assert "Tuesday November 20" in plan.query and "Dartmouth" in plan.query
    assert plan.question == "Which campaign is it part of? Dartmouth"


def test_the_phrase_carried_is_the_one_nearest_the_question_not_the_marked_answer():
    """The answer's marked phrase (the learned focus) is "Rihanna"; the follow-up carries the
    phrase nearest to the question's words, as before the focus was learned: carried names
    are conditions on the next answer, and the marked ones lost 5 of 78 follow-ups theirs."""
    from rag.answering.focus import focus_span

    question = "Which pop star will perform at next year’s Super Bowl LVII Halftime Show?"
    quote = ("Must be NFL on the brain: Pop icon and entrepreneur Rihanna will perform at next "
             "year’s Super Bowl LVII Halftime Show, the NFL announced Sunday.")
    a, b = focus_span(question, quote)
    assert quote[a:b] == "Rihanna"
    cite = Citation(1, "d1", "T", "", "", "", quote, 0, len(quote), focus_start=a, focus_end=b)
    first = Turn(question, Answer(question, "x [1]", [cite], False))
    plan = ContextFollowUp(1).resolve(AnswerRequest("When was it announced?", history=[first]))
    assert plan.query.startswith("When was it announced?")
    assert "NFL" in plan.query and "Rihanna" not in plan.query


def test_a_carried_phrase_leaves_its_sentence_opening_preposition_and_possessive():
    # "With Queen Elizabeth II's death, Charles is king ...": the phrase read from the quote
    # opened with "With" and ended in "'s"; carried so, it only added noise to "Who succeeded
    # her?"
    from rag.answering.followup import carried_names

    quote = ("With Queen Elizabeth II's death, Charles is king and his wife, Camilla, becomes "
             "the Queen Consort.")
    cite = Citation(1, "d1", "T", "", "", "", quote, 0, len(quote), focus_start=0, focus_end=4)
    asked = "What happened to Queen Elizabeth II?"
    carried = carried_names(Turn(asked, Answer(asked, "x [1]", [cite], False)),
                            "Who succeeded her?")
    assert "Queen Elizabeth II" in carried
    assert not any(w.startswith("With ") or w.endswith(("'s", "’s")) for w in carried), carried


def test_a_month_carried_in_its_short_form_is_no_condition_either():
    # "... set the world record on Jan. 20": "Jan" searches, but is no period the next
    # answer must tell of ("His aim: to displace Travis Ludlow ... in 2021" was refused as
    # "not of January").
    quote = "His sister Zara Rutherford set the world record on Jan. 20 in Belgium."
    start = quote.index("Jan")
    cite = Citation(1, "d1", "T", "", "", "", quote, 0, len(quote),
                    focus_start=start, focus_end=start + 3)
    first = Turn("Who flew around the world solo?",
                 Answer("Who flew around the world solo?", "x [1]", [cite], False))
    plan = ContextFollowUp(1).resolve(AnswerRequest("Whose records did he break?",
                                                    history=[first]))
    assert "Jan" in plan.query.split()
    assert "Jan" not in plan.question.split()


def test_a_follow_up_that_names_its_own_subject_searches_with_the_previous_turn_as_read():
    """"Which WNBA team does she play for?" names the WNBA, so it carries nothing; when the
    thread's articles do not answer, the whole index is searched with the previous question as
    it was read ("When was she arrested? Brittney Griner"), not as typed ("When was she
    arrested?", which names no one)."""
    first = _turn("When was she arrested?", "d1")
    first.standalone = "When was she arrested? Brittney Griner"
    plan = ContextFollowUp(1).resolve(AnswerRequest("Which WNBA team does she play for?",
                                                    history=[first]))
    assert plan.question == "Which WNBA team does she play for?" and plan.scope_docs == ["d1"]
    assert plan.fallback_query == ("When was she arrested? Brittney Griner "
                                   "Which WNBA team does she play for?")
