"""The answer phrase inside a quoted sentence: the name, number or date of the kind the question
asks for that the question does not already say, nearest to the words the sentence shares with
the question. Shown bold in the browser and the terminal (``Citation.focus_start/end``)."""

from __future__ import annotations

import re

from ..text import abbreviation, tokenize
from .question import CALENDAR_WORDS, RELATIVE_TIME, AnswerType, answer_type, question_words

_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November"
           "|December|Jan\\.|Feb\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\.")
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_UNIT = (r"(?:\s+(?:percent|per cent|pct|million|billion|trillion|thousand|hundred|dollars?|"
         # the wire's abbreviations: "244 mln stg", "500 mln dlrs", "1.2 bln yen"
         r"mln|bln|stg|dlrs?|cts|"
         r"euros?|pounds?|yen|yuan|rand|lira|lire|baht|rupiah|ringgit|points?|tonnes?|tons?|"
         r"barrels?|kilometres?|kilometers?|miles?|meters?|metres?|feet|years?|months?|weeks?|"
         r"days?|hours?|minutes?|people|men|women|children|"
         # any plural counts ("20 wells"), not a word that only ends in s ("20 wells this year")
         r"(?!(?:this|was|has|is|as|its|his|does|says|us|thus|plus|less|unless|across|always"
         r"|perhaps|whereas|besides|towards|sometimes)\b)[a-z]+s)\b){0,2}")
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
                 r"|forty|fifty|hundred|dozens?|half")
_QUANTITY = re.compile(
    # a range is one figure ("15 to 20 wells")
    # a magnitude glued on is the figure's ("1.9M", "$2B", "£1.5bn", "10K"), not a word after it
    r"(?:[$€£¥]\s?)?\b\d[\d,]*(?:\.\d+)?(?:bn|mn|tn|[kmb])?\b"
    r"(?:\s+to\s+\d[\d,]*(?:\.\d+)?\b)?%?" + _UNIT
    + rf"|\b(?:{_NUMBER_WORDS})\b" + _UNIT, re.I)
_TIME = re.compile(
    rf"(?:\b(?:{_DAYS}),?\s+)?\b(?:{_MONTHS})(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?"
    rf"|\b(?:{_DAYS})\b|\b(?:1[89]|20)\d\d\b|(?i:{RELATIVE_TIME})")
_RELATIVE = re.compile(RELATIVE_TIME, re.I)
_FIGURE = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.I)
_NAME = re.compile(
    r"[“\"][^”\"]{2,80}[”\"]"
    # (one way to split the blanks between words: "\s+(?:of)?\s*" back-tracked quadratically
    # over a long run of spaces in an article)
    r"|\b[A-Z][\w'’.&-]*(?:\s+(?:(?:of|de|the|and|von|van|al)\s+|&\s*)?[A-Z][\w'’.&-]*)*")
# Words that do not make a name new: company suffixes, titles before a name.
_NOT_NEW = frozenset("co corp inc ltd plc llc co. corp. inc. ltd. group holdings mr mrs ms dr "
                     "the of and de".split())
# What may come before a sentence's first word: quotation marks, a dash, "(CNN)".
_OPENING = re.compile(r"[\W_]*(?:\([A-Z][\w .]{0,20}\)[\W_]*)?")
_STOP = frozenset("The A An I In On At But And Or It He She They We This That These Those His "
                  "Her Their Its As For If When While After Before So There What Who Which "
                  "Where How Why Not No Yes Also Still Then Now Here Both Some Many Most "
                  "All "
                  # before a day or a month ("Beginning Tuesday", "Starting Monday"): when
                  "Beginning Starting Effective Until Since From Through During Last Next "
                  "Early Late Earlier Later".split())


def focus_span(question: str, sentence: str, learned: bool = True,
               names: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """(start, end) in ``sentence`` of the answer phrase, or None when there is none to mark:
    of the phrases of the asked kind (phrase_spans), the one the learned weights
    (focus_weights.json, benchmarks/train_focus.py) score highest; without ``learned``, the
    one nearest to the question's words. ``names``: words the texts read show as names
    (question.names_in), which may be the phrase when one opens the sentence."""
    found = phrase_spans(question, sentence, names, marked=learned)
    if len(found) < 2:
        return found[0] if found else None
    if not learned:
        return nearest(found, anchors(question, sentence))
    from .focus_model import pick

    return pick(question, sentence, found)


def phrase_spans(question: str, sentence: str, names: frozenset[str] = frozenset(),
                 marked: bool = False) -> list[tuple[int, int]]:
    """Every phrase of ``sentence`` of the kind the question asks for (a name, a number, a
    date) that the question does not already say, trimmed of the question's words. One word
    alone that opens the sentence is capitalised anyway: a phrase only if ``names`` has it
    ("California has the most cases: 4,300." when "in California" is read elsewhere).
    ``marked``: the phrases for the one marked in bold (focus_span's learned pick), read more
    exactly than the nearest-phrase uses take them (below)."""
    kind = answer_type(question)
    pattern = {AnswerType.QUANTITY: _QUANTITY, AnswerType.TIME: _TIME,
               AnswerType.ENTITY: _NAME}.get(kind)
    if pattern is None:
        return []
    qw = question_words(question)
    # the question's words written in lower case: "Which major city ...?" asks for a city, so
    # "City" of "New York City" is part of the name, not the question's word
    lower = {w.lower() for w in re.findall(r"\b[a-z][\w'’-]*", question)}
    if marked:
        # "Bank" is said by "the World Bank's" (either apostrophe): no new name. This and the
        # other readings under ``marked`` below are only for the marked phrase: the uses of the
        # nearest phrase (what a further sentence adds, what a follow-up carries) lost 2 of 78
        # follow-ups with this one (benchmarks/README.md, stop 38).
        qw = qw | {re.sub(r"['’]s$", "", w) for w in qw}
    found = _countries_asked(question, sentence) if kind is AnswerType.ENTITY else []
    for m in (pattern.finditer(sentence) if not found else ()):
        a, b = m.start(), m.end()
        phrase = sentence[a:b].strip()
        words = [w.lower().strip(".,;:“”\"'’") for w in phrase.split()]
        if not phrase or (kind is AnswerType.ENTITY and (
                phrase in _STOP or len(words) == 1 and _OPENING.fullmatch(sentence[:a])
                and words[0] not in names)):
            continue  # one capitalised word that opens the sentence ("(CNN) Just imagine")
        if all(w in qw or w in _NOT_NEW for w in words if w):
            continue  # the question says it already
        joined = re.match(r"(?:-\w+)+", sentence[b:])
        if joined and _bare(sentence[a:b] + joined.group(0)) in qw:
            continue  # "two" of "two-year" when the question says "two-year"
        if kind is AnswerType.ENTITY and all(w in CALENDAR_WORDS or w.title() in _STOP
                                             for w in words if w):
            continue  # "On Friday": a day or a month is when, not which one
        # trim what the question already says from both ends ("Justice Samuel Alito")
        toks = list(re.finditer(r"\S+", sentence[a:b]))
        # ("next week" is one phrase, whether or not the question says "next")
        whole = _RELATIVE.fullmatch(phrase) is not None
        n = len(toks)
        while not whole and len(toks) > 1 and _bare(toks[0].group(0)) in qw:
            toks.pop(0)
        cut = 0
        while not whole and len(toks) > 1 and _bare(toks[-1].group(0)) in qw and not (
                marked and toks[-1].group(0)[:1].isupper()
                and _bare(toks[-1].group(0)) in lower):
            toks.pop()
            cut += 1
        if marked and kind is AnswerType.ENTITY and cut and len(toks) == 1:
            continue  # "Joe" of "Joe Biden" when the question says "Biden": its person
        if marked and len(toks) < n and phrase[:1] in "“\"" and toks[0].group(0)[:1].isupper():
            # a quoted title the question names part of ("Star Trek: The Original Series"):
            # the question's (not a quotation: "The pandemic is over" less "The pandemic")
            continue
        if kind is AnswerType.ENTITY and all(_bare(t.group(0)) in CALENDAR_WORDS for t in toks):
            continue  # "Covid-19 Thursday" less the question's "Covid-19"
        if kind is AnswerType.QUANTITY and not _FIGURE.search(
                sentence[a + toks[0].start():a + toks[-1].end()]):
            continue  # "1988 has" less the question's "1988": a unit is no figure
        end = a + toks[-1].end()
        if marked and sentence[end - 1] == "." and not abbreviation(toks[-1].group(0)):
            end -= 1  # the sentence's full stop ("... announced by President Joe Biden.")
        found.append((a + toks[0].start(), end))
    return found


def anchors(question: str, sentence: str) -> list[int]:
    """Where ``sentence`` says a word of the question (the start of each such word)."""
    qtok = set(tokenize([question])[0])
    return [m.start() for m in re.finditer(r"\w+", sentence)
            if (t := tokenize([m.group(0)])[0]) and t[0] in qtok]


def nearest(spans: list[tuple[int, int]], marks: list[int]) -> tuple[int, int]:
    """The span nearest to where the sentence speaks of what the question asks (the rule
    before the learned pick, and one of its features)."""
    if not marks:
        return spans[0]
    return min(spans, key=lambda s: min(abs(s[0] - x) for x in marks))


def _countries_asked(question: str, sentence: str) -> list[tuple[int, int]]:
    """For "Which country ...?": the countries the sentence names that the question does not,
    by name or adjective ("Iranian lawmakers have urged ..."), which the capitalised-word rule
    misses at a sentence's start."""
    from .constraints import asks_a_name
    from .places import COUNTRY_KINDS, new_country_spans

    if asks_a_name(question) not in COUNTRY_KINDS:
        return []
    return new_country_spans(question, sentence)


def _bare(word: str) -> str:
    return word.lower().strip(".,;:“”\"'’")
