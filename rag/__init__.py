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

__all__ = [
    "Answer", "AnswerSentence", "Article", "Assistant", "ChatSession", "Chunk", "Citation",
    "Failure", "Filters", "IngestReport", "ModelMismatchError", "Passage", "QuestionError",
    "RagError", "Settings",
]
