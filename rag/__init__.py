"""Question answering over news articles with citations a reader can check."""

from . import offline  # noqa: F401 - sets the offline variables before any library loads
from .assistant import Assistant
from .chat import ChatSession
from .config import Settings
from .types import (
    Answer,
    AnswerSentence,
    Article,
    Chunk,
    Citation,
    Failure,
    Filters,
    IngestReport,
    ModelMismatchError,
    Passage,
    QuestionError,
    RagError,
)


def __getattr__(name):
    # The evaluator pulls in matplotlib: load it only when asked for.
    if name in ("Evaluator", "EvalReport", "evaluate_sets"):
        from . import evaluate as _evaluate

        return {"Evaluator": _evaluate.Evaluator, "EvalReport": _evaluate.EvalReport,
                "evaluate_sets": _evaluate.evaluate}[name]
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


__all__ = [
    "Answer", "AnswerSentence", "Article", "Assistant", "ChatSession", "Chunk", "Citation",
    "EvalReport", "Evaluator", "evaluate_sets",
    "Failure", "Filters", "IngestReport", "ModelMismatchError", "Passage", "QuestionError",
    "RagError", "Settings",
]
