"""Follow-up questions: what a question of a conversation means, before retrieval.

- ``ContextFollowUp`` (no LLM): the earlier question(s) join the search query, and the
  articles cited in the previous answer(s) get a small bonus when sentences are picked.
- ``LLMFollowUp``: the LLM rewrites the follow-up into a standalone question
  (condense-plus-context), which is searched and answered; if the rewrite fails, this turn is
  answered as ``ContextFollowUp`` would, extractively, with a notice.
"""

from __future__ import annotations

from ..types import AnswerRequest
from .base import Plan


class ContextFollowUp:
    def __init__(self, context_turns: int = 1):
        self.context_turns = context_turns

    def resolve(self, request: AnswerRequest) -> Plan:
        recent = request.history[-self.context_turns:] if self.context_turns else []
        context = list(request.context) or [t.question for t in recent]
        boost = set(request.boost_docs) | {c.doc_id for t in recent
                                           for c in t.answer.citations}
        return Plan(question=request.question, query=" ".join([*context, request.question]),
                    boost_docs=boost, use_llm=request.use_llm)


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
