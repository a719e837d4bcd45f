"""Question answering over news articles with citations a reader can check.

The public API: ``Assistant`` (ingest, ask, stream, chat, search), the records that cross
module lines, ``Settings``, and the evaluator (loaded on first use: it pulls in matplotlib).
"""

from . import offline  # noqa: F401 - sets the offline variables before any library loads
from .assistant import Assistant
from .chat import ChatSession
from .check import CheckReport, Problem
from .config import AnswerMode, Fusion, RetrievalMode, Settings
from .types import (
    Answer,
    AnswerRequest,
    AnswerSentence,
    Article,
    Chunk,
    Citation,
    ConfigError,
    DiskFullError,
    Failure,
    Filters,
    IngestReport,
    ModelMismatchError,
    Passage,
    QuestionError,
    RagError,
    Turn,
)


def __getattr__(name):
    # The evaluator pulls in matplotlib for its plots: load it only when asked for.
    if name in ("Evaluator", "EvalReport", "evaluate_sets"):
        from . import eval as _eval

        return {"Evaluator": _eval.Evaluator, "EvalReport": _eval.EvalReport,
                "evaluate_sets": _eval.evaluate}[name]
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


__all__ = [
    "Answer", "AnswerMode", "AnswerRequest", "AnswerSentence", "Article", "Assistant",
    "ChatSession", "CheckReport", "Chunk", "Citation", "ConfigError", "DiskFullError",
    "EvalReport", "Evaluator", "Failure", "Filters", "Fusion", "IngestReport",
    "ModelMismatchError", "Passage", "Problem", "QuestionError", "RagError", "RetrievalMode",
    "Settings", "Turn", "evaluate_sets",
]
