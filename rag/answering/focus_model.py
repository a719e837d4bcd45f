"""Which phrase of a quoted sentence is the answer: a linear score over a few features of each
phrase of the asked kind (focus.phrase_spans), its weights learned by benchmarks/train_focus.py
from realtimeqa-2022-2024 questions that are not realtimeqa-2022 ones (focus_weights.json).

Before it, the phrase nearest to the question's words was marked; that is one feature here.
Many sentences hold several names: "Game 6", "U.S.", "CNN", "British", "Joe", a quoted phrase,
a possessive ("Twitter's"). Of the realtimeqa-2022 answers whose first quote holds the answer,
the nearest phrase was it in 61%, the learned one is in 75% (benchmarks/README.md, stop 37).
Written by hand (a dot product over 39 numbers): scikit-learn would fit it, but is not a
dependency, and the fit is ten lines of Newton steps (benchmarks/train_focus.py).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .focus import _DAYS, _MONTHS, anchors, nearest
from .question import CALENDAR_WORDS, AnswerType, answer_type, question_words

WEIGHTS = Path(__file__).with_name("focus_weights.json")

_TITLES = frozenset(
    "president gov. governor sen. senator rep. representative secretary minister ceo director "
    "judge justice prince princess king queen dr. mr. mrs. ms. pope chancellor mayor coach "
    "lt. gen. general speaker".split())
_PREPS = frozenset("in at from to of by on into for with near across".split())
_QUOTE_OPEN = "“\"‘'"
# What a quoted title answers: "Which show ...", "What is the title of ...?"
_TITLE_KINDS = frozenset("show shows movie movies film films song songs book books series album "
                         "albums title game games episode musical play name word phrase".split())
_PLACE_KINDS = frozenset("country countries nation nations state states city cities town "
                         "continent region island county province capital place area".split())
_MONEY_Q = re.compile(r"\bhow much\b|\$|\bdollars?\b|\bcost\b|\bprice\b|\bpaid\b|\bworth\b",
                      re.I)
_MONTH = re.compile(rf"\b(?:{_MONTHS})")
_WEEKDAY = re.compile(rf"^(?:{_DAYS})$")
# Calendar words inside a longer name ("CNN Monday"), abbreviated too; not "may" ("Theresa May").
_CALENDAR = (CALENDAR_WORDS - {"may"}) | frozenset("jan feb aug sept oct nov dec".split())
_WORD = re.compile(r"\w+")
_NEXT_NAME = re.compile(r"\s+([A-Z][\w'’-]*)")


def _words(name: str) -> set[str]:
    return {w.lower() for w in name.split()}


_SAID = re.compile(r"^[,]?\s+(?:said|says|told|wrote|tweeted|added)\b")

NAMES = ("bias", "nearest", "anchor_dist", "no_anchor", "position", "words", "quoted",
         "acronym", "possessive", "single", "sentence_start", "question_overlap",
         "after_preposition", "country", "place_asked_country", "title_asked_quoted",
         "titled", "who_name", "quantity", "time", "money", "money_asked", "percent_asked",
         "unit_asked", "year", "month", "weekday", "speaker", "parenthesised",
         "followed_possessive", "title_asked", "place_asked", "credit", "us_state",
         "place_asked_state", "demonym", "calendar_inside", "after_preposition_place",
         "beside_question_name")


def features(question: str, sentence: str, spans: list[tuple[int, int]],
             marks: list[int]) -> np.ndarray:
    """One row per span of ``spans`` (the candidate phrases of ``sentence``), NAMES columns.
    ``marks``: where the sentence says the question's words (focus.anchors)."""
    from .constraints import asks_a_name
    from .places import US_STATES, country_of

    kind = answer_type(question)
    qw = question_words(question)
    asked = asks_a_name(question).lower()
    low_q = question.lower()
    near = nearest(spans, marks) if spans else None
    title_asked = asked in _TITLE_KINDS
    place_asked = asked in _PLACE_KINDS or bool(re.match(r"\s*where\b", low_q))
    who = bool(re.match(r"\s*who\b", low_q))
    money_asked = bool(_MONEY_Q.search(question))
    percent_asked = bool(re.search(r"\bpercent|%|\bpercentage\b", low_q))
    n = max(len(sentence), 1)
    rows = []
    for a, b in spans:
        phrase = sentence[a:b]
        toks = phrase.split()
        bare = [re.sub(r"['’]s$", "", t.lower().strip(".,;:“”\"'’()")) for t in toks]
        before = sentence[:a]
        prev = _WORD.findall(before[-20:])
        after = sentence[b:b + 40]
        x = min(marks, key=lambda m: abs(a - m)) if marks else a
        dist_words = len(_WORD.findall(sentence[min(a, x):max(a, x)]))
        quoted = phrase[:1] in _QUOTE_OPEN
        acronym = bool(re.fullmatch(r"(?:[A-Z]\.?){2,6}", phrase.strip(".,;:’'s")))
        next_words = {w.lower() for w in _WORD.findall(after)[:3]}
        country = country_of(phrase)
        state = any(st in phrase for st in US_STATES)
        money = "$" in phrase or "dollar" in phrase.lower()
        following = _NEXT_NAME.match(after)
        rows.append([
            1.0,
            float((a, b) == near),
            float(np.log1p(dist_words)) if marks else 0.0,
            float(not marks),
            a / n,
            float(np.log(len(toks) or 1)),
            float(quoted),
            float(acronym),
            float(bool(re.search(r"['’]s$", phrase))),
            float(len(toks) == 1),
            float(not re.search(r"[a-z]", before)),
            sum(w in qw for w in bare) / max(len(bare), 1),
            float(bool(prev) and prev[-1].lower() in _PREPS),
            float(bool(country)),
            float(place_asked and bool(country)),
            float(title_asked and quoted),
            float(bool(bare) and bare[0] in _TITLES),
            float(who and len(toks) >= 2 and not acronym and not quoted),
            float(kind is AnswerType.QUANTITY),
            float(kind is AnswerType.TIME),
            float(money),
            float(money_asked and money),
            float(percent_asked and ("%" in phrase or "percent" in phrase.lower())),
            float(kind is AnswerType.QUANTITY and bool(next_words & qw)),
            float(bool(re.fullmatch(r"(?:19|20)\d\d", phrase.strip(".,")))),
            float(bool(_MONTH.search(phrase))),
            float(bool(_WEEKDAY.match(phrase.strip(",.")))),
            float(bool(_SAID.match(after))),
            float(before.rstrip().endswith("(")),
            float(bool(re.match(r"['’]s\b", after))),
            float(title_asked),
            float(place_asked),
            # a photo credit: "Geoff Pugh/AFP/Getty Images Prince William ..."
            float(sentence[b:b + 1] == "/" or sentence[max(a - 1, 0):a] == "/"),
            float(state),
            float(place_asked and state),
            # a country named by its adjective ("Chinese"), not its name ("China's")
            float(bool(country) and not any(w in _words(country) for w in bare)),
            float(len(toks) > 1 and any(t in _CALENDAR for t in bare)),
            float(place_asked and bool(prev) and prev[-1].lower() in _PREPS),
            # "Joe" of "Joe Biden" when the question says "Biden": part of a name it says
            float(bool(following) and following.group(1).lower() in qw
                  or bool(prev) and prev[-1][:1].isupper() and prev[-1].lower() in qw),
        ])
    return np.asarray(rows, dtype=np.float64).reshape(len(spans), len(NAMES))


@lru_cache(maxsize=1)
def weights() -> np.ndarray | None:
    """The learned weights, or None when the file is absent (the nearest phrase is marked)."""
    if not WEIGHTS.exists():
        return None
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    if tuple(data["names"]) != NAMES:  # features changed since training: do not misread
        return None
    return np.asarray(data["weights"], dtype=np.float64)


def pick(question: str, sentence: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The span of ``spans`` most likely to be the answer (the first on a tie)."""
    marks = anchors(question, sentence)
    w = weights()
    if w is None:
        return nearest(spans, marks)
    scores = features(question, sentence, spans, marks) @ w
    return spans[int(np.argmax(scores))]
