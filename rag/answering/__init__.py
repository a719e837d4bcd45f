"""The answering door: follow-ups resolved, then passages turned into a cited answer.

``Answerer`` (base.py) is the Protocol; ``extractive.py`` quotes article sentences,
``generated.py`` asks an LLM and checks its reply with ``verify.py``. ``FollowUp`` reads a
question in its conversation (followup.py). ``Answering.choose`` is the one place that decides
which answerer answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import ConfigError
from .base import Answerer, FollowUp, Plan
from .extractive import ExtractiveAnswerer
from .followup import ContextFollowUp, LLMFollowUp

__all__ = ["Answerer", "Answering", "ContextFollowUp", "ExtractiveAnswerer", "FollowUp",
           "LLMFollowUp", "Plan", "build_answering"]


@dataclass
class Answering:
    followup: FollowUp
    extractive: Answerer
    generated: Answerer | None = None

    def choose(self, plan: Plan) -> Answerer:
        """The answerer for this plan: the LLM's when one is configured and the plan allows
        it (the request did not opt out, and a follow-up rewrite did not fail)."""
        if plan.use_llm and self.generated is not None:
            return self.generated
        return self.extractive


def build_answering(settings, embedder, idf=None) -> Answering:
    """The answering parts for ``settings`` (an LLM's only when ``llm_url`` is set).
    ``idf(words) -> {word: idf}``: the keyword index's word weights, for the reader."""
    window = settings.retrieval.date_window_days
    if settings.answer.answerer == "reader":
        from .reader_answerer import ReaderAnswerer

        extractive = ReaderAnswerer(embedder, settings.answer, window, idf=idf)
    elif settings.answer.answerer == "rules":
        extractive = ExtractiveAnswerer(embedder, settings.answer, window)
    elif settings.answer.answerer == "cross":
        from .cross_answerer import CrossAnswerer

        extractive = CrossAnswerer(embedder, settings.answer, window,
                                   cache_dir=settings.embed_cache_dir)
    else:
        raise ConfigError(f"RAG_ANSWERER={settings.answer.answerer!r} is not one of: cross, "
                          "reader, rules")
    context = ContextFollowUp(settings.answer.context_turns)
    if not settings.llm.url:
        return Answering(context, extractive)
    from .generated import GeneratedAnswerer, Generator
    from .verify import Verifier

    generator = Generator(settings.llm)
    generated = GeneratedAnswerer(generator, Verifier(embedder, settings.verify), extractive,
                                  settings.answer.max_answer_sentences, settings.llm.passages)
    return Answering(LLMFollowUp(generator, context, settings.llm.history_turns), extractive,
                     generated)
