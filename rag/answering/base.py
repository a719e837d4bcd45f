"""Records and Protocols of the answering door."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..types import Answer, AnswerRequest, Passage


@dataclass
class Plan:
    """How one request is searched and answered, once its follow-up is resolved."""

    question: str  # what the answer answers
    query: str  # what retrieval searches
    boost_docs: set[str] = field(default_factory=set)  # articles of the previous turns
    standalone: str = ""  # the follow-up rewritten to stand alone ("" if not)
    notice: str = ""  # one line for the user (e.g. why a rewrite failed)
    use_llm: bool = True  # False: answer extractively this time
    vector: object = None  # the embedding of ``question`` (set by the assistant)
    # A follow-up is first searched within these articles (the previous turns'); when that
    # does not answer, ``fallback_query`` is searched in the whole index.
    scope_docs: list[str] = field(default_factory=list)
    fallback_query: str = ""


@runtime_checkable
class Answerer(Protocol):
    """Turns retrieved passages into an answer: ``str`` pieces to show while it is written,
    then exactly one ``Answer``, always last."""

    mode: object  # an AnswerMode

    def stream(self, request: AnswerRequest, plan: Plan,
               passages: list[Passage]) -> Iterator[str | Answer]: ...


@runtime_checkable
class FollowUp(Protocol):
    """Reads a request in the light of its conversation: what to search and answer."""

    def resolve(self, request: AnswerRequest) -> Plan: ...
