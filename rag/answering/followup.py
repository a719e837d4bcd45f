"""Follow-up questions: what a question of a conversation means, before retrieval.

- ``ContextFollowUp`` (no LLM): a follow-up ("Where is it based?") is searched first within
  the articles the previous turn cited, with the previous turn's names carried into the
  question ("Where is it based? Elgin Blenders Inc Dean Foods"); when that does not answer, the
  earlier question, its names and the follow-up are searched in the whole index. The articles
  cited before get a small bonus when sentences are picked.
- ``LLMFollowUp``: the LLM rewrites the follow-up into a standalone question
  (condense-plus-context), which is searched and answered; if the rewrite fails, this turn is
  answered as ``ContextFollowUp`` would, extractively, with a notice.
"""

from __future__ import annotations

import re

from ..types import AnswerRequest, Turn
from .base import Plan
from .constraints import MONTHS, WEEKDAYS, names


def carried_names(turn: Turn, question: str) -> list[str]:
    """The names of the previous turn that the follow-up does not repeat: those of its
    question, and the answer phrases marked in its answer."""
    from .focus import focus_span

    out: list[str] = []
    # the previous question as it was read: a chain of follow-ups keeps the first one's names
    asked_then = turn.standalone or turn.question
    for c in turn.answer.citations:
        if c.focus_start is not None and c.focus_end is not None:
            # Its phrase nearest to the question's words, not the marked one (the learned
            # focus): carried as conditions on the follow-up's answer, the marked answers
            # lost 5 of 78 follow-ups their answer (benchmarks/README.md, stop 37).
            span = focus_span(asked_then, c.quote, learned=False)
            if span:
                out.append(c.quote[span[0]:span[1]])
    out = [p for p in map(_bare, out) if p]
    words = asked_then.split(None, 1)
    body = words[1] if len(words) > 1 else ""
    out += [w for w in body.replace("?", " ").split()
            if w.strip(".,;:").lower() in names(asked_then)]
    asked = question.lower()
    return [w for w in dict.fromkeys(out) if w.lower() not in asked]


# A marked phrase is read from a sentence's words: one that opens the sentence may bring its
# preposition ("With Queen Elizabeth II's death, Charles is king ..."), and a possessive its
# "'s"; carried so, they only add noise to the follow-up's question.
_OPENER = re.compile(r"(?:(?:With|In|At|On|For|By|From|After|Before|As|Under|Upon|Despite|During"
                     r"|Since|And|But)\s+)+")


def _bare(phrase: str) -> str:
    phrase = _OPENER.sub("", phrase.strip(), count=1)
    return re.sub(r"['’]s$", "", phrase).strip(" ,.;:")


# A carried figure or date ("1200", "Tuesday November 20", "January") is no condition on the
# follow-up's answer: the period and figure checks (constraints.py) would hold the answer of
# "Which campaign is it part of?" to the previous answer's date.
# A month's short form carried alone ("Jan" of "on Jan. 20") is one too: "Whose records did he
# break? ... Jan ..." refused the sentences of 2021 as "not of January".
_FIGURE_OR_DATE = re.compile(r"\d|\b(?:" + "|".join(MONTHS + WEEKDAYS) + r")\b"
                             r"|^(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?$", re.I)


class ContextFollowUp:
    def __init__(self, context_turns: int = 1):
        self.context_turns = context_turns

    def resolve(self, request: AnswerRequest) -> Plan:
        recent = request.history[-self.context_turns:] if self.context_turns else []
        # the earlier question as it was read: "When was she arrested?" was read with the
        # thread's names ("... Brittney Griner Russia"), which a search of the whole index needs
        context = list(request.context) or [t.standalone or t.question for t in recent]
        boost = set(request.boost_docs) | {c.doc_id for t in recent
                                           for c in t.answer.citations}
        plain = Plan(question=request.question, query=" ".join([*context, request.question]),
                     boost_docs=boost, use_llm=request.use_llm)
        if not recent:
            return plain
        # The thread is the last answered turn: a follow-up the articles could not answer
        # ("Who opened it?" -> no answer) must not lose it for the next one.
        last = next((t for t in reversed(request.history[-3:]) if t.answer.citations),
                    recent[-1])
        # A follow-up that names its own subject ("Who created the show Netflix renewed?")
        # carries nothing: if the thread's articles do not answer it, the whole index does.
        carried_all = [] if names(request.question) else carried_names(last, request.question)
        carried = " ".join(carried_all)
        # the previous answer's articles and the other copies of their stories
        scope = list(dict.fromkeys(
            d for c in last.answer.citations
            for d in [c.doc_id, *(o["doc_id"] for o in getattr(c, "also_in", []) or [])]))
        query = f"{request.question} {carried}".strip()
        if not scope:
            plain.query = f"{plain.query} {carried}".strip()
            return plain
        # The answerer gets the carried names, not the carried figures and dates: "Who opened
        # it?" after "1200 visitors" asks for a person, and 1200 is no condition on the sentence.
        question = " ".join([request.question,
                             *(w for w in carried_all if not _FIGURE_OR_DATE.search(w))])
        return Plan(question=question, query=query, boost_docs=boost,
                    use_llm=request.use_llm, scope_docs=scope,
                    fallback_query=f"{plain.query} {carried}".strip(),
                    standalone=query if carried else "")


class LLMFollowUp:
    def __init__(self, generator, fallback: ContextFollowUp, history_turns: int = 3):
        self.generator = generator
        self.fallback = fallback
        self.history_turns = history_turns

    def resolve(self, request: AnswerRequest) -> Plan:
        from .generated import LLMError

        if not request.history or not request.use_llm:
            return self.fallback.resolve(request)
        turns = [(t.question, t.answer.text) for t in request.history[-self.history_turns:]]
        try:
            standalone = self.generator.condense(turns, request.question)
        except LLMError as exc:
            plan = self.fallback.resolve(request)
            plan.use_llm = False
            plan.notice = f"{exc}; showing the extractive answer"
            return plan
        return Plan(question=standalone, query=standalone, standalone=standalone)
