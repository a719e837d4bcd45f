"""A conversation: questions that follow up on earlier ones still find the right articles."""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import Answer, Filters


@dataclass
class Turn:
    question: str
    answer: Answer


@dataclass
class ChatSession:
    assistant: object
    history: list[Turn] = field(default_factory=list)
    context_turns: int = 1  # how many earlier questions steer retrieval

    def ask(self, question: str, filters: Filters | None = None, **kw) -> Answer:
        # Without an LLM to rewrite the follow-up, the earlier question joins the search query
        # and the articles cited last time get a small boost when picking sentences.
        recent = self.history[-self.context_turns:] if self.context_turns else []
        context = [t.question for t in recent]
        boost = {c.doc_id for t in recent for c in t.answer.citations}
        answer = self.assistant.ask(question, filters, context=context, boost_docs=boost, **kw)
        self.history.append(Turn(answer.question, answer))
        return answer

    def clear(self) -> None:
        self.history.clear()
