"""Does a sentence answer the question as asked, or only something near it?

A question often fixes a period (a month, a quarter, a year) or names what it is about. A
sentence about September does not answer a question about October; a 1987 story does not
answer "in 2001"; an article that never names HBO does not say which show HBO renewed. These
checks compare the question's constraints with the chosen sentence, its neighbours and its
article (the retrieved text of it, and its date). They are rules about language, the same for
every source; what they cannot settle is left to the reader's score.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
_MONTH_ABBR = {m[:3]: m for m in _MONTHS} | {"sept": "september"}
_MONTH = re.compile(r"\b(" + "|".join(_MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov"
                    r"|dec)\b\.?", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_QUARTER = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter\b|\bq([1-4])\b",
                      re.I)
_QUARTER_N = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
              "4th": 4}
_NAME = re.compile(r"\b[A-Z][a-zA-Z'’&.-]*[a-zA-Z]\b|\b[A-Z]{2,}\b")
# Capitalised words that are not names of what the question is about.
_NOT_NAMES = frozenset(
    "the a an i in on at but and or it he she they we you this that these those his her their "
    "its our my your as for if when while after before mr ms mrs dr so there what who which "
    "where how why not no yes also still then now here both some many most all did does do is "
    "are was were will would can could should has have had according u.s us".split()
    + _MONTHS + ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])


@dataclass
class Verdict:
    ok: bool
    reason: str = ""  # what the sentence does not match ("" when ok)


def months(text: str) -> set[str]:
    out = set()
    for m in _MONTH.finditer(text):
        w = m.group(1).lower()
        if w == "may" and not re.search(r"\bMay\b", m.group(0)):
            continue  # the verb "may"
        if w == "mar" or (w == "march" and m.group(0)[0].islower()):
            continue  # "to march", and "Mar" is too rare to tell from a name
        out.add(_MONTH_ABBR.get(w, w))
    return out


def years(text: str) -> set[str]:
    return set(_YEAR.findall(text))


def quarters(text: str) -> set[int]:
    out = set()
    for m in _QUARTER.finditer(text):
        out.add(_QUARTER_N[m.group(1).lower()] if m.group(1) else int(m.group(2)))
    return out


def names(text: str) -> set[str]:
    """Names in a question (its first word aside), lower-cased."""
    words = text.split(None, 1)
    body = words[1] if len(words) > 1 else ""
    return {m.group(0).strip(".").lower() for m in _NAME.finditer(body)
            if m.group(0).strip(".").lower() not in _NOT_NAMES}


def _name_parts(name: str) -> list[str]:
    """The forms of a question's name to look for: without a possessive, each part of a
    hyphenated one, and a demonym's stem ("russians" -> "russia", "european" -> "europe")."""
    base = re.sub(r"[’']s$", "", name)
    parts = [p for p in re.split(r"[-/]", base) if len(p) >= 3] or [base]
    out = list(parts)
    for p in parts:
        for suffix, repl in (("ans", "a"), ("an", "a"), ("ean", "e"), ("eans", "e")):
            if p.endswith(suffix) and len(p) > len(suffix) + 3:
                out.append(p[:-len(suffix)] + repl)
    return out


def check(question: str, sentence: str, around: str, article_text: str,
          article_date: str) -> Verdict:
    """Whether ``sentence`` (with ``around``: its neighbours) from an article (its retrieved
    text and its date YYYY-MM-DD) can answer ``question`` as asked."""
    near = f"{sentence} {around}"
    qm = months(question)
    if qm:
        sm = months(near)
        if sm and not (qm & sm):
            return Verdict(False, f"it speaks of {', '.join(sorted(sm))}, not "
                                  f"{', '.join(sorted(qm))}")
    qy = years(question)
    if qy:
        known = years(near) | years(article_text) | ({article_date[:4]} if article_date else set())
        if not (qy & known):
            when = f"an article of {article_date[:4]}" if article_date else "the article"
            return Verdict(False, f"{when} does not speak of {', '.join(sorted(qy))}")
    qq = quarters(question)
    if qq:
        sq = quarters(near)
        if sq and not (qq & sq):
            return Verdict(False, "it speaks of another quarter")
    # A name is found when any of its parts is ("texas-mexico", "russia’s"); a long question
    # holds several names that the article may phrase otherwise, so it fails only when at
    # least half of them are missing (one of one or two: "HBO" for "Netflix").
    text = article_text.lower()
    qnames = names(question)
    missing = [n for n in qnames if not any(
        part in text for part in _name_parts(n))]
    if missing and len(missing) * 2 >= len(qnames):
        return Verdict(False, f"the article does not name {', '.join(sorted(missing))}")
    return Verdict(True)
