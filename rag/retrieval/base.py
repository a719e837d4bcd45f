"""Records and Protocols of the retrieval door: the query, a candidate, a stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..config import RetrievalMode
from ..types import Filters, StoredChunk


@dataclass
class Query:
    text: str
    vector: object = None  # the text's embedding (computed when None and needed)
    filters: Filters | None = None
    top_k: int | None = None
    mode: RetrievalMode = RetrievalMode.HYBRID
    as_of: str | None = None  # YYYY-MM-DD the question is asked as of


@dataclass
class Candidate:
    chunk: StoredChunk
    dense: float | None = None  # cosine similarity to the query
    keyword: float | None = None  # BM25 score
    score: float = 0.0  # fused, then adjusted by the stages


@runtime_checkable
class Stage(Protocol):
    """A step after fusion that adjusts candidates' scores (or reorders them): the sentence
    rescoring and the date prior; a cross-encoder reranker would be one more."""

    name: str

    def apply(self, query: Query, cands: list[Candidate], keyword) -> None:
        """Adjust ``cand.score`` in place; ``keyword`` is the keyword searcher (for IDF)."""
