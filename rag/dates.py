"""Every date rule in one place: parsing article dates, the integer form stores filter on, and
how recent an article is relative to the day a question is asked."""

from __future__ import annotations

import math
import re
from datetime import date

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASHED = re.compile(r"(\d{4})/(\d{2})/(\d{2})")


def parse_date(value) -> tuple[str, str]:
    """(YYYY-MM-DD, "") for a date or date-time that starts with a real calendar date;
    ("", why) for anything else ("2012-13-45", "yesterday"); ("", "") when there is none.

    The one date parser of user input (--as-of, --since, the API) and article dates alike."""
    if value is None:
        return "", ""
    s = str(value).strip()
    if not s:
        return "", ""
    m = _ISO.match(s) or _SLASHED.match(s)
    if not m:
        return "", f"{_show(s)} is not a date as YYYY-MM-DD"
    year, month, day = (int(g) for g in m.groups())
    try:
        date(year, month, day)
    except ValueError as exc:  # month 13, 30 February, year 0
        return "", f"{_show(s)} is not a real date ({exc})"
    return "-".join(m.groups()), ""


def _show(s: str) -> str:
    return repr(s if len(s) <= 40 else s[:40] + "...")


def normalise_date(value) -> str:
    """The YYYY-MM-DD part of a date or date-time; '' when there is none or it is not a real
    calendar date (see parse_date for the reason)."""
    return parse_date(value)[0]


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


# Reuters-21578's <DATE> (rag/sources/sgml.py): '26-FEB-1987 15:01:01.79'.
_REUTERS_MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_REUTERS_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,2}):(\d{2}):(\d{2}))?")


def parse_reuters_date(value: str) -> tuple[str, str]:
    """'26-FEB-1987 15:01:01.79' -> ('1987-02-26', '1987-02-26T15:01:01'); ('', '') if none."""
    m = _REUTERS_DATE.search(value or "")
    if not m or m.group(2).upper() not in _REUTERS_MONTHS:
        return "", ""
    day, mon, year = int(m.group(1)), _REUTERS_MONTHS[m.group(2).upper()], int(m.group(3))
    if not 1 <= day <= 31:
        return "", ""
    ymd = normalise_date(f"{year:04d}-{mon:02d}-{day:02d}")  # never a 31 February
    if not ymd:
        return "", ""
    if m.group(4) is None:
        return ymd, ""
    return ymd, f"{ymd}T{int(m.group(4)):02d}:{m.group(5)}:{m.group(6)}"
