"""Typed records that cross module lines: articles -> chunks -> passages -> answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .ids import Ids

# What an answer says when the articles do not answer (extractive and generated alike).
ABSTAIN_TEXT = "The articles do not contain an answer to this question."


@dataclass
class Article:
    id: str
    text: str
    title: str = ""
    date: str = ""  # ISO 8601 date (YYYY-MM-DD) or "" when unknown
    source: str = ""
    url: str = ""
    origin: str = ""  # the file it was read from
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chunk:
    id: str
    doc_id: str
    index: int
    text: str  # == article.text[start:end]
    start: int
    end: int


@dataclass
class Passage:
    """A retrieved chunk with its scores and its article's metadata."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    score: float
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""
    dense_score: float | None = None
    bm25_score: float | None = None
    # Characters at the start of ``text`` that precede the retrieved chunk: the sentence a
    # chunk opening with "He ..." points back to (rag/retrieval/lead_in.py). Context for the
    # answer, not a candidate answer of its own.
    lead: int = 0


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    date: str
    source: str
    url: str
    quote: str  # == article text[start:end]
    start: int
    end: int
    # Other copies of the cited article's story (rag/stories.py): doc_id, title, source,
    # date, url each, earliest first.
    also_in: list[dict] = field(default_factory=list)
    # The answer phrase inside the quote (article offsets), when one is marked.
    focus_start: int | None = None
    focus_end: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class AnswerSentence:
    text: str
    citations: list[int]
    supported: bool = True


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    passages: list[Passage] = field(default_factory=list)
    sentences: list[AnswerSentence] = field(default_factory=list)
    notice: str = ""  # one line for the user, e.g. why a generated answer fell back
    mode: str = "extractive"  # an AnswerMode value: "extractive" or "llm"
    # The question as it was searched when it differed (a follow-up rewritten to stand alone).
    rewritten: str = ""
    # "answered"; "related" (the articles speak of it but do not say this: the closest
    # sentences are cited); "none" (nothing close). ``abstained`` is True for the last two.
    status: str = ""

    def __post_init__(self):
        if not self.status:
            self.status = "none" if self.abstained else "answered"

    def to_dict(self) -> dict:
        out = {
            "answer": self.text,
            "status": self.status,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "sentences": [asdict(s) for s in self.sentences],
            "mode": self.mode,
        }
        if self.notice:
            out["notice"] = self.notice
        return out


@dataclass
class Filters:
    """Restrict retrieval by article date (inclusive ISO dates) and source."""

    since: str | None = None
    until: str | None = None
    sources: list[str] | None = None

    def is_empty(self) -> bool:
        return not (self.since or self.until or self.sources)


@dataclass
class StoredChunk:
    """A chunk as a store or keyword index holds it: its text and its article's metadata."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""

    def passage(self, score: float, dense: float | None = None,
                keyword: float | None = None) -> Passage:
        return Passage(chunk_id=self.id, doc_id=self.doc_id, text=self.text, start=self.start,
                       end=self.end, score=float(score), title=self.title, date=self.date,
                       source=self.source, url=self.url, dense_score=dense, bm25_score=keyword)


@dataclass
class Turn:
    """One answered question of a conversation."""

    question: str
    answer: Answer
    standalone: str = ""  # the follow-up as it was rewritten for retrieval ("" if not)


@dataclass
class AnswerRequest:
    """Everything one question carries along the one ask path (Assistant.stream).

    ``history``: the earlier turns of a conversation (a follow-up is a request with history);
    ``as_of``: the date (YYYY-MM-DD) the question is asked as of; ``mode``: the retrieval
    mode (hybrid, dense, bm25); ``use_llm``: False answers extractively even when an LLM is
    configured; ``boost_docs``: articles whose sentences get a small relevance bonus.
    """

    question: str
    filters: Filters | None = None
    as_of: str | None = None
    history: list[Turn] = field(default_factory=list)
    mode: str = "hybrid"
    use_llm: bool = True
    boost_docs: set[str] = field(default_factory=set)
    context: list[str] = field(default_factory=list)  # earlier questions given directly


@dataclass
class Failure:
    path: str
    reason: str


@dataclass
class IngestReport:
    # Sequences of str, packed (rag/ids.py): a run of a million articles lists every id.
    added: Ids = field(default_factory=Ids)
    updated: Ids = field(default_factory=Ids)
    skipped: Ids = field(default_factory=Ids)
    removed: Ids = field(default_factory=Ids)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.skipped)} unchanged",
        ]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        parts.append(f"{len(self.failed)} failed")
        return (
            ", ".join(parts)
            + f"; {self.chunks_written} chunks embedded in {self.seconds:.1f} s"
        )

    def to_dict(self) -> dict:
        # asdict would copy the packed lists as they are; JSON wants lists.
        return {k: [*v] if isinstance(v, Ids) else v for k, v in asdict(self).items()}


class RagError(Exception):
    """An error with a message meant for the user (no traceback needed)."""


class QuestionError(RagError, ValueError):
    pass


class ConfigError(RagError, ValueError):
    """A setting with a bad value (the message names the variable or key)."""


class ModelMismatchError(RagError):
    pass


class DiskFullError(RagError):
    """The index's disk is (nearly) full: the write stopped before it, what was written is kept."""
