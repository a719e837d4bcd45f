"""Stage: with an as_of date, articles from the days before it rank higher (a prior, not a
filter): ``weight`` times ``recency_prior`` is added to each candidate's score."""

from __future__ import annotations

from ..dates import date_int, recency_prior
from .base import Candidate, Query


class DatePrior:
    name = "date"

    def __init__(self, weight: float = 1.0, window_days: int = 7):
        self.weight = weight
        self.window_days = window_days

    def apply(self, query: Query, cands: list[Candidate], keyword) -> None:
        ref = date_int(query.as_of or "")
        if not ref or self.weight <= 0:
            return
        for c in cands:
            c.score += self.weight * recency_prior(ref, date_int(c.chunk.date), self.window_days)


def create(settings, embedder=None) -> DatePrior:
    return DatePrior(settings.date_weight, settings.date_window_days)
