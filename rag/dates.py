"""Every date rule in one place: parsing article dates, the integer form stores filter on, and
how recent an article is relative to the day a question is asked."""

from __future__ import annotations

import math
import re
from datetime import date

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASHED = re.compile(r"(\d{4})/(\d{2})/(\d{2})")


def normalise_date(value) -> str:
    """The YYYY-MM-DD part of a date or date-time; '' when there is none."""
    if value is None:
        return ""
    s = str(value).strip()
    m = _ISO.match(s) or _SLASHED.match(s)
    if m:
        return "-".join(m.groups())
    return ""


def date_int(value: str) -> int:
    """YYYY-MM-DD -> YYYYMMDD (stores compare numbers only); 0 when unknown."""
    digits = (value or "")[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def from_int(value: int) -> date | None:
    if not value:
        return None
    try:
        return date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def recency_prior(ref: int, when: int, window_days: int) -> float:
    """1 for an article dated in the ``window_days`` before the reference date (or on it),
    decaying with each further day before the window; 0 for undated or later articles."""
    a, r = from_int(when), from_int(ref)
    if a is None or r is None:
        return 0.0
    days = (r - a).days
    if days < 0:
        return 0.0
    if days <= window_days:
        return 1.0
    return math.exp(-(days - window_days) / max(1.0, window_days))
