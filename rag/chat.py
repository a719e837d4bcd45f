"""A conversation: each question is a request carrying the earlier turns, so that follow-ups
("How many were arrested?") still find and answer from the right articles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from .types import Answer, AnswerRequest, Filters, Turn

__all__ = ["ChatSession", "Turn"]

# Turns kept: follow-ups read the last few; a long conversation must not grow without bound
# (a server keeps one history per browser session).
MAX_TURNS = 20


@dataclass
class ChatSession:
    assistant: object  # an Assistant (or anything with its ``stream(AnswerRequest)``)
    history: list[Turn] = field(default_factory=list)

    def ask(self, question: str, filters: Filters | None = None, **kw) -> Answer:
        final = None
        for item in self.stream(question, filters, **kw):
            if not isinstance(item, str):
                final = item
        return final

    def stream(self, question: str, filters: Filters | None = None, *,
               as_of: str | None = None, use_llm: bool = True) -> Iterator[str | Answer]:
        """Like ``Assistant.stream`` (``str`` pieces, then one ``Answer``), for a question in
        this conversation; the answered turn joins the history."""
        request = AnswerRequest(question=question, filters=filters, as_of=as_of,
                                history=list(self.history), use_llm=use_llm)
        for item in self.assistant.stream(request):
            if isinstance(item, Answer):
                # kept without its retrieved passages: follow-ups need its citations and text
                kept = replace(item, passages=[])
                self.history.append(Turn(item.question, kept, item.rewritten))
                del self.history[:-MAX_TURNS]
            yield item

    def clear(self) -> None:
        self.history.clear()
