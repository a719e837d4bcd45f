"""What a question asks for, read from its wording: the kind of answer it expects and whether it
refers to recent time ("this week"). Used by the extractive answerer to prefer sentences that
hold such an answer and to refuse stale evidence for questions about recent news.

Hand-written rules rather than a model: no question classifier ships with a PyPI package that
works offline (see ../shared/STACK-NOTES.md), and these few patterns cover English news
questions well enough to re-rank sentences, never to answer by themselves.
"""

from __future__ import annotations

import re
from enum import Enum

from ..text import sentences


class AnswerType(Enum):
    QUANTITY = "quantity"  # how many, how much, what percentage, how old...
    TIME = "time"  # when, which year, what day
    ENTITY = "entity"  # who, which, where, what <thing>: a name
    OTHER = "other"


_QUANTITY_Q = re.compile(
    r"\bhow (many|much|long|old|far|big|large|tall|high|fast|often)\b"
    r"|\bwhat (percent|percentage|share|proportion|fraction|age|amount|number|price"
    r"|temperature)\b|\b(?:what|which) (?:\w+ )?(?:amount|sum|percentage|temperature)\b"
    # "What was the record high average price ...?"
    r"|\bwhat (?:is|was|were|are|will be) the (?:[\w-]+ ){0,4}?(?:price|cost|fee|fare|salary"
    r"|amount|number|percentage|rate|total|temperature|population)\b(?! of (?:living|war)\b)"
    # "What equity interest did Kodak acquire?", "What oil production target did the Soviet
    # Union set?" (not "figure": "Which public figure ...?" asks for a person)
    r"|\b(?:what|which) (?:[\w-]+ ){0,2}?(?:stake|equity interest|target|growth rate"
    r"|deficit|surplus|profit|loss|revenues?)\b(?! (?:company|country|team)\b)"
    # "What were South Africa's gold holdings worth ...?"
    r"|\bwhat (?:is|was|were|are|will be|would be)\b[^?]{0,80}?\bworth\b",
    re.I)
_TIME_Q = re.compile(r"\bwhen\b|\bhow soon\b|\b(what|which) (year|date|day|month)\b", re.I)
_ENTITY_Q = re.compile(r"\b(who|whom|whose|which|where|what)\b", re.I)
# Exact amounts only: "millions of" or "dozens" does not say how many.
_CARDINALS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred"
              "|thousand|million|billion|trillion|half|quarter")
_CALENDAR = ("january|february|march|april|may|june|july|august|september|october|november"
             "|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday")
CALENDAR_WORDS = frozenset(_CALENDAR.split("|"))
_QUANTITY_TOKEN = re.compile(rf"\d|\b(?:{_CARDINALS})\b", re.I)
# "When will it be available?" is answered by "next month" or "in a few weeks" as often as by
# a date: a time said relative to the article's day (its date tells which).
RELATIVE_TIME = (r"\b(?:(?:next|coming|later this|early next|late next|this coming)\s+"
                 r"(?:week|weekend|month|year|spring|summer|fall|autumn|winter|season)"
                 r"|(?:(?:in|within)\s+)?(?:a|the|the next|the coming)\s+(?:few|couple(?:\s+of)?)"
                 r"\s+(?:days|weeks|months|years)"
                 r"|(?:in|within)\s+(?:the\s+)?(?:coming|next|several)\s+(?:days|weeks|months|years)"
                 r"|(?:a|two|three|several)\s+(?:few\s+)?(?:days|weeks|months)\s+(?:from now|later"
                 r"|away))\b")
_TIME_TOKEN = re.compile(rf"\d|\b(?:{_CALENDAR})\b|{RELATIVE_TIME}", re.I)
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
_QUOTED = re.compile(r"[“\"][^”\"]{2,80}[”\"]")
_TRIM = ".,;:!?()[]\"'“”‘’"
# Capitalised words that start clauses or stand for something already named: not an answer.
_NOT_NAMES = frozenset(
    "the a an i in on at but and or it he she they we you this that these those his her their "
    "its our my your as for if when while after before mr ms mrs dr so there what who which "
    "where how why not no yes also still then now here both some many most all".split()
) | CALENDAR_WORDS

# Explicit references to recent time, relative to when the question is asked.
_RECENT = re.compile(
    r"\b(this|last|past|next) (week|weekend|month|year|spring|summer|fall|autumn|winter"
    r"|season)\b|\b(recent|recently|latest|currently|yesterday|today|tonight|upcoming"
    r"|so far)\b|\b(on|last|this|next) (monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday)\b|\bearlier this\b|\bthe past (few )?(days|weeks|months)\b", re.I)


def answer_type(question: str) -> AnswerType:
    if _QUANTITY_Q.search(question):
        return AnswerType.QUANTITY
    if _TIME_Q.search(question):
        return AnswerType.TIME
    if _ENTITY_Q.search(question):
        return AnswerType.ENTITY
    return AnswerType.OTHER


_WHO = re.compile(r"\s*(?:who|whom|whose)\b", re.I)


def as_asked(question: str) -> str:
    """The question up to its last question mark: a follow-up's carried names after the "?"
    are not what the user asked."""
    return question[:question.rindex("?") + 1] if "?" in question else question


def asking(question: str) -> str:
    """The sentence that asks: the last one, up to its question mark (a quiz's preamble
    "King Charles III became Britain's new monarch ..." and a follow-up's carried names after
    the "?" are not it)."""
    question = as_asked(question)
    return (sentences(question) or [question])[-1]


def asks_who(question: str) -> bool:
    """The question asks with "who", "whom" or "whose" (after a preamble, too): a person is
    asked for."""
    return bool(_WHO.match(asking(question)))


_WHERE = re.compile(r"\s*(?:(?:so|and|but|then|now),?\s+)?where\b", re.I)


def asks_where(question: str) -> bool:
    """The sentence that asks opens with "where" (or "So where ..."): a place is asked for."""
    return bool(_WHERE.match(asking(question)))


def refers_to_recent(question: str) -> bool:
    """True when the question places itself in recent time ("this week", "on Monday")."""
    return bool(_RECENT.search(question))


def question_words(question: str) -> frozenset[str]:
    return frozenset(w.lower().strip(_TRIM) for w in _WORD.findall(question))


def holds_new_answer(sentence: str, qwords: frozenset[str], kind: AnswerType) -> bool:
    """Whether ``sentence`` holds something of the expected kind that the question does not
    already say: a number for QUANTITY, a number, month or weekday for TIME, a capitalised
    name or a quoted title for ENTITY. A sentence that only restates the question holds none."""
    if kind in (AnswerType.QUANTITY, AnswerType.TIME):
        pattern = _QUANTITY_TOKEN if kind is AnswerType.QUANTITY else _TIME_TOKEN
        for m in pattern.finditer(sentence):
            start = sentence.rfind(" ", 0, m.start()) + 1
            end = sentence.find(" ", m.end())
            word = sentence[start:end if end >= 0 else len(sentence)].strip(_TRIM).lower()
            if word and word not in qwords:
                return True
        return False
    if kind is AnswerType.ENTITY:
        for i, w in enumerate(_WORD.findall(sentence)):
            low = w.lower().strip(_TRIM)
            if i and w[0].isupper() and low not in qwords and low not in _NOT_NAMES:
                return True
        return any(m.group(0).strip(_TRIM).lower() not in qwords
                   for m in _QUOTED.finditer(sentence))
    return False


_MID_NAME = re.compile(r"(?<=[a-z0-9,;:] )[A-Z][\w'’-]*")


def names_in(texts: list[str]) -> frozenset[str]:
    """Words written capitalised inside a sentence of ``texts`` ("in California") and never in
    lower case there: names, as far as these texts tell."""
    upper, lower = set(), set()
    for t in texts:
        upper.update(m.group(0).strip(_TRIM).lower() for m in _MID_NAME.finditer(t))
        lower.update(w for w in _WORD.findall(t) if w[0].islower())
    return frozenset(upper - lower)


def leads_with_name(sentence: str, qwords: frozenset[str], names: frozenset[str]) -> bool:
    """Whether ``sentence`` opens with a name the question does not say ("California has the
    most cases"): holds_new_answer skips a first word, whose capital tells nothing, so the
    texts read must show it as a name (``names``: names_in)."""
    m = _WORD.match(sentence.lstrip(_TRIM + " "))
    if not m:
        return False
    low = m.group(0).strip(_TRIM).lower()
    return low not in qwords and low not in _NOT_NAMES and low in names

