"""A conversation: questions that follow up on earlier ones still find the right articles."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .types import Answer, Filters


@dataclass
class Turn:
    question: str
    answer: Answer
    standalone: str = ""  # the follow-up as the LLM rewrote it for retrieval ("" if not)


@dataclass
class ChatSession:
    assistant: object
    history: list[Turn] = field(default_factory=list)
    context_turns: int = 1  # how many earlier questions steer retrieval

    llm_turns: int = 3  # how many earlier turns the LLM sees when rewriting a follow-up

    def ask(self, question: str, filters: Filters | None = None, **kw) -> Answer:
        final = None
        for item in self.stream(question, filters, **kw):
            if not isinstance(item, str):
                final = item
        return final

    def stream(self, question: str, filters: Filters | None = None,
               **kw) -> Iterator[str | Answer]:
        """Like ``Assistant.stream`` (``str`` pieces, then one ``Answer``), for a follow-up.

        With an LLM, the follow-up is first rewritten from the conversation into a standalone
        question (condense-plus-context), which is searched and answered; if the rewrite fails,
        this turn is answered extractively with a notice. Without an LLM, the earlier question
        joins the search query and the articles cited last time get a small boost when
        picking sentences.
        """
        recent = self.history[-self.context_turns:] if self.context_turns else []
        context = [t.question for t in recent]
        boost = {c.doc_id for t in recent for c in t.answer.citations}
        generator = getattr(self.assistant, "generator", None)
        standalone, notice = "", ""
        if generator is not None and self.history:
            from .generate import LLMError

            turns = [(t.question, t.answer.text) for t in self.history[-self.llm_turns:]]
            try:
                standalone = generator.condense(turns, self.assistant.check_question(question))
            except LLMError as exc:
                notice = f"{exc}; showing the extractive answer"
        if standalone:
            items = self.assistant.stream(standalone, filters, **kw)
        elif generator is not None and self.history:
            items = self.assistant.stream(question, filters, context=context, boost_docs=boost,
                                          use_llm=False, **kw)
        else:
            items = self.assistant.stream(question, filters, context=context, boost_docs=boost,
                                          **kw)
        for item in items:
            if isinstance(item, str):
                yield item
                continue
            if standalone:
                item.question = question.strip()
            if notice and not item.notice:
                item.notice = notice
            self.history.append(Turn(item.question, item, standalone))
            yield item

    def clear(self) -> None:
        self.history.clear()
