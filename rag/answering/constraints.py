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

from ..dates import date_int, from_int
from ..text import points_back, tokenize
from .places import named_otherwise, names_place, other_country
from .question import (
    AnswerType,
    answer_type,
    asks_where,
    asks_who,
    holds_new_answer,
    question_words,
)
from .question import asking as _asking  # the sentence that asks (a local name here)

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_ABBR = {m[:3]: m for m in MONTHS} | {"sept": "september"}
_MONTH = re.compile(r"\b(" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov"
                    r"|dec)\b\.?", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_QUARTER = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter\b|\bq([1-4])\b",
                      re.I)
# Halves of a year (or of a game): "the first half of 2022", "H2".
_HALF = re.compile(r"\b(first|second|1st|2nd)[- ]half\b|\bH([12])\b", re.I)
_QUARTER_N = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
              "4th": 4}
# "How much" about money: the answer is an amount of money. ("By how much" asks for a change,
# "gross domestic product" is not a sum paid.)
_MONEY_Q = re.compile(
    r"\bhow much\b(?=.*\b(?:cost|costs|pay|paid|pays|spend|spent|spends|fine|fined|invest"
    r"|invested|worth|price|priced|raise|raised|sell|sold|gross(?!\s+domestic)|grossed|earn"
    r"|earned|earns|make|made|makes|receive|received|award|awarded|bid|charge|charged|owe|owes"
    r"|owed|save|saved|lose|lost|value|valued|fetch|fetched|budget|salary|donate|donated|money"
    r"|revenue|profit|settlement|compensation|damages|penalty|bail|ransom|contract|offer"
    r"|offered|tax|taxes|debt|income|dollars|loan|loans|bonus|prize|jackpot|wage|wages|rent)"
    r"\b)", re.I)
_PRICE_Q = re.compile(r"\bwhat(?: is| was| will be|'s)? the (?:[\w-]+ ){0,4}?(?:price|cost|fee"
                      r"|fare|salary|bail|fine)\b(?! of (?:living|war)\b)|\bhow much money\b"
                      # "raise the minimum wage to which hourly amount?"
                      r"|\b(?:wage|wages|salary|pay|price|cost|fee|fine)\b.*\b(?:what|which) "
                      r"(?:\w+ )?(?:amount|sum)\b|\b(?:what|which) (?:\w+ )?(?:amount|sum)\b"
                      r".*\b(?:wage|wages|salary|pay|paid|price|cost|fee|fine|money)\b", re.I)
# The first alternative spans the whole amount ("$11.8 million"), so that it can be removed.
_MONEY = re.compile(
    r"[$€£¥]\s?\d[\d,.]*(?:\s*(?:million|billion|trillion|thousand|mln|bln|bn|k|m)\b)?"
    r"|\d\s?[$€£¥]|\b\d[\d,.]*\s*(?:mln|bln|million|billion|trillion|thousand|k|m|bn)?"
    r"\s*(?:dollars?|dlrs?|euros?|pounds|sterling|stg|yen|yuan|renminbi|rupees?|francs?|marks"
    r"|crowns|kronor|kroner|pesos?|rubles?|roubles?|cents?|cts|won|rand|riyals?|dinars?|lire"
    r"|lira|reais)\b|\b(?:usd|eur|gbp|jpy|us\$)\b", re.I)
_AUX = r"(?:did|does|do|were|was|are|is|have|has|had|will|would|can|could|should|must|might|may)"
# "how many <thing> did / were / followed ...": the thing ends at the verb.
# Irregular past forms end the thing too ("how many Bolt owners took up ...").
_IRREGULAR = (r"(?:took|made|won|got|ate|saw|gave|went|bought|sold|built|paid|left|lost|hit|ran"
              r"|drew|held|brought|caught|found|kept|spent|told|wrote|became|came|fell|grew"
              r"|rose|sent|shot|stood|struck|flew|chose|drove|broke|began|forgot|threw|wore)")
# "how many rounds of voting?" has no verb after the counted thing: the question mark ends it.
_VERB = rf"(?:{_AUX}|{_IRREGULAR}|[a-z]+ed)"
_COUNT_Q = re.compile(rf"\bhow many\s+(.+?)(?:\s+{_VERB}\b|\s*\?)", re.I)
_DIGITS = re.compile(r"\d[\d,.]*")
# Number words that can say how many ("several" cannot: "erupted on several occasions").
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|dozens?|hundreds?|thousands?|millions?|billions?|single"
    r"|both|no|none|zero|once|twice|double|triple)\b", re.I)
# Words that end the counted thing's noun phrase ("customers in Florida", "tracks that ...").
_PHRASE_END = frozenset(
    "in of at on from for with by during to into across around per under over that who which "
    "since before after between among about through within against".split())
# Counted things named otherwise in the answer ("employs 17,000", "4,784,000 lbs", "3 times"):
# a number is enough.
_ANY_NOUN = frozenset(
    "people person persons lb lbs pound ounce tonne ton kilogram kg kilometer kilometre mile "
    "meter metre foot feet inche acre barrel bushel gallon liter litre degree point vote time "
    "year day month week hour minute second percent percentage".split())
# "deSantis", "iPhone", "eBay", "mRNA" are names too
_NAME = re.compile(r"\b[A-Z][a-zA-Z'’&.-]*[a-zA-Z]\b|\b[A-Z]{2,}\b|\b[a-z]{1,2}[A-Z][a-zA-Z]+\b")
# Capitalised words that are not names of what the question is about.
_NOT_NAMES = frozenset(
    "the a an i in on at but and or it he she they we you this that these those his her their "
    "its our my your as for if when while after before mr ms mrs dr so there what who which "
    "where how why not no yes also still then now here both some many most all did does do is "
    "are was were will would can could should has have had according u.s us".split()
    + MONTHS + WEEKDAYS)


# A figure the question states exactly ("slashing 31,000 flights", "the 24th state", "a
# 10-year deal") is one its article states too; after "more than", "about" ... the article may
# give another figure (13.1% for "more than 13%"), so those are not looked for.
_FIGURE = re.compile(
    # (not the number of a name: "Covid-19", "F-35")
    r"(?<![\w.,])(?<![A-Za-z]-)[$€£]?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(st|nd|rd|th)?(?!\w|[.,]\d)",
    re.I)
_APPROX = re.compile(r"\b(?:more|fewer|less|greater|higher|lower|other)\s+than\s*$|\b(?:over|about"
                     r"|around|roughly|nearly|almost|some|approximately|up to|upwards of|under"
                     r"|at least|at most|close to|more|top|topped|exceeding)\s*$", re.I)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mln": 1e6,
          "bln": 1e9, "bn": 1e9, "mn": 1e6, "tn": 1e12, "k": 1e3, "m": 1e6, "b": 1e9}
_SCALE_WORD = r"\s?(" + "|".join(_SCALE) + r")\b"  # "m" last: "mln" is tried first
_SCALE_AFTER = re.compile(_SCALE_WORD, re.I)
_VALUE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:" + _SCALE_WORD + ")?", re.I)
_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen twenty").split()
_SMALL_ORD = ("zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
              "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
              "nineteenth twentieth").split()


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


# A year given as the time of what a sentence says ("exported 157 tonnes in 2021"), not one it
# compares with ("the highest since 1981", "up from 2020").
_YEAR_OF = re.compile(r"\b(?:in|during|for|throughout)\s+(?:early\s+|late\s+|mid-?)?"
                      r"(1[89]\d\d|20\d\d)\b(?![-–/]\d)", re.I)


# "from 2008 to 2018", "between 2018 and 2021": the years a fact spans.
_SPAN_YEARS = re.compile(r"\b(?:from|between)\s+(1[89]\d\d|20\d\d)\s+(?:to|and|through|until)\s+"
                         r"(?:1[89]\d\d|20\d\d)\b", re.I)


def years_of(text: str) -> set[str]:
    return set(_YEAR_OF.findall(text))


# A question about the days of its own news ("this week", "on Monday", "recently"), and a
# sentence that dates what it tells ("visiting Borneo in November 2017", "on Sept. 26, 2022").
_THIS_WEEK = re.compile(r"\b(?:this|last|past) (?:week|weekend)\b|\b(?:on|this|last) (?:monday"
                        r"|tuesday|wednesday|thursday|friday|saturday|sunday)\b|\b(?:recently"
                        r"|yesterday|today|tonight)\b|\bthe past (?:few )?days\b|\b(?:monday"
                        r"|tuesday|wednesday|thursday|friday|saturday|sunday)[’']s\b", re.I)
# "in November 2017", "in 2019", "in the 2002 WNBA draft", "on October, 2, 2020"
_DATED = re.compile(r"\b(?:in|on|during)\s+(?:the\s+)?(?:(?:early|late|mid-?)\s*)?(?:(?:jan|feb"
                    r"|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+"
                    r"(?:\d{1,2},?\s+)?)?(1[89]\d\d|20\d\d)\b(?![-–/]\d)", re.I)


def stale_for_this_week(question: str, sentence: str, article_date: str) -> str:
    """The year ``sentence`` dates its fact to, when the question asks about the days of the
    news and that year is before its article's ("in November 2017" in a 2022 article: a file
    photo, a look back); else ""."""
    year = article_date[:4]
    if not (year.isdigit() and _THIS_WEEK.search(question)) or years(question):
        return ""
    said = set(_DATED.findall(sentence))
    if said:
        return max(said) if max(said) < year else ""
    return _weeks_before(sentence, article_date)


_MONTH_DAY = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?\s+"
                        r"(\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s*\d{4}|:\d)", re.I)


def _weeks_before(sentence: str, article_date: str) -> str:
    """A day of the article's year ("The September 6 audience ...") when every day the
    sentence names is two weeks to four months before its article's date (October 24): a look
    back, not the news of the article's week; else ""."""
    published = from_int(date_int(article_date))
    if published is None:
        return ""
    days = []
    for m in _MONTH_DAY.finditer(sentence):
        month = MONTHS.index(_MONTH_ABBR[m.group(1).lower()[:3]]) + 1  # "sept": "sep"
        day = from_int(published.year * 10000 + month * 100 + int(m.group(2)))
        if day is None:
            return ""  # "February 30": no day
        days.append((day, m.group(0)))
    # A recent day, or one after the article (what is to come): "January 5" in a December
    # article, or "The tour kicks off March 11" in an October one, is most likely next year's,
    # so only the four months before the article count as a look back.
    if not days or any(not 14 <= (published - day).days <= 120 for day, _ in days):
        return ""
    return max(days)[1]


# "on Monday", "this week": a sentence that tells of its own article's days.
_NOW = re.compile(r"\b(?:on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
                  r"|this (?:week|weekend|morning|month|year)|today|yesterday|tonight|last week)\b",
                  re.I)


def quarters(text: str) -> set[int]:
    out = set()
    for m in _QUARTER.finditer(text):
        out.add(_QUARTER_N[m.group(1).lower()] if m.group(1) else int(m.group(2)))
    return out


def halves(text: str) -> set[int]:
    return {(1 if m.group(1).lower() in ("first", "1st") else 2) if m.group(1)
            else int(m.group(2)) for m in _HALF.finditer(text)}


def names(text: str) -> set[str]:
    """Names in a question (its first word aside), lower-cased."""
    words = text.split(None, 1)
    body = words[1] if len(words) > 1 else ""
    return {m.group(0).strip(".").lower() for m in _NAME.finditer(body)
            if m.group(0).strip(".").lower() not in _NOT_NAMES}


def figures(question: str) -> list[tuple[str, str, bool, str]]:
    """The exact figures a question states, not years: (as written, digits without commas,
    ordinal?, scale word or ""). "more than 200,000 pickup trucks" states none; "31,000
    flights" states one."""
    out = []
    for m in _FIGURE.finditer(question):
        digits = m.group(1).replace(",", "") + (m.group(2) or "")
        if _YEAR.fullmatch(digits) or _APPROX.search(question[:m.start()]):
            continue
        scale = _SCALE_AFTER.match(question, m.end())
        out.append((m.group(0) + (scale.group(0) if scale else ""), digits, bool(m.group(3)),
                    scale.group(1).lower() if scale else ""))
    return out


def _value(m: re.Match) -> float:
    """The number a _VALUE match says, its scale applied."""
    return float(m.group(1)) * (_SCALE[m.group(2).lower()] if m.group(2) else 1)


def figure_value(phrase: str) -> float | None:
    """The number a figure phrase says, its scale applied ("1.9M Floridians" and "1.9
    million homes" are both 1,900,000); None without one."""
    m = _VALUE.search(re.sub(r"(?<=\d),(?=\d{3})", "", phrase))
    return _value(m) if m else None


def states_figure(text: str, digits: str, ordinal: bool, scale: str = "") -> bool:
    """Does ``text`` state the figure (31000 as "31,000" or "31000"; 3 as "three" too; with
    ``scale`` "million", 12.6 as "12.6 million", "12.6m" or "12,600,000")?"""
    plain = re.sub(r"(?<=\d),(?=\d{3})", "", text)
    if re.search(rf"(?<![\d.]){re.escape(digits)}(?!\.?\d)", plain):
        return True
    if scale:
        want = float(digits) * _SCALE[scale]
        for m in _VALUE.finditer(plain):
            if abs(_value(m) - want) <= 1e-9 * want:
                return True
    if digits.isdigit() and int(digits) < len(_SMALL):
        word = (_SMALL_ORD if ordinal else _SMALL)[int(digits)]
        return re.search(rf"\b{word}\b", text, re.I) is not None
    return False


def _lowered(text: str) -> str:
    """``text`` lower-cased with straight apostrophes: where _name_parts' forms are looked for
    ("M&M'S" is "M&M’S")."""
    return text.lower().replace("’", "'")


def _name_parts(name: str) -> list[str]:
    """The forms of a question's name to look for (with a straight apostrophe): without a
    possessive, each part of a hyphenated one, and a demonym's stem ("russians" -> "russia",
    "european" -> "europe")."""
    base = re.sub(r"'s$", "", name.replace("’", "'"))
    parts = [p for p in re.split(r"[-/]", base) if len(p) >= 3] or [base]
    out = list(parts)
    for p in parts:
        # "japanese" -> "japan", "israeli" -> "israel"
        for suffix, repl in (("ans", "a"), ("an", "a"), ("ean", "e"), ("eans", "e"),
                             ("ese", ""), ("i", "")):
            if p.endswith(suffix) and len(p) > len(suffix) + 3:
                out.append(p[:-len(suffix)] + repl)
    return out


def _stem(word: str) -> str:
    w = word.lower().strip(".,;:!?\"'“”‘’")
    if w.endswith("ies") and len(w) > 4:
        return w[:-3]
    # "boxes", "passes", "matches" drop "es"; "cases", "vaccines" only the "s"
    if w.endswith("es") and len(w) > 4 and (w[-3] in "xz" or w.endswith(("sses", "ches",
                                                                          "shes"))):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


# Units of measure: "1½ miles", "two years later", "18-foot-long" measure, they count no people
# or games (unless the unit is what is counted: "how many years ...").
_DISTANCES = r"feet|foot|ft|inch|inches|yards?|miles?|meters?|metres?|km|kilomet\w*|cm|mm"
_DURATIONS = r"years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries"
_UNITS = (rf"{_DISTANCES}|{_DURATIONS}|pounds?|lbs?|kg|kilograms?|tons?|tonnes?|ounces?|mph"
          r"|degrees?|acres?|percent|pct|gallons?|barrels?|liters?|litres?|a\.m|p\.m")
_UNIT = re.compile(rf"(?:{_UNITS})\.?[,;:)]?", re.I)
_UNIT_IN = re.compile(rf"\d-(?:{_UNITS})\b", re.I)
# Short forms of a unit, so that "4,784,000 lbs" counts pounds.
_UNIT_OF = {"lb": "pound", "lbs": "pound", "ft": "foot", "feet": "foot", "km": "kilomet",
            "kilometre": "kilomet", "kilometer": "kilomet", "kg": "kilogram", "ton": "tonne",
            "tons": "tonne", "pct": "percent", "metre": "meter", "inch": "inche"}


def counted(question: str) -> str:
    """What a "how many" question counts (its noun, singular-ish): "how many career receiving
    yards did ..." -> "yard"; "how many of the 25 statuettes ..." -> "statuette"; "" if none."""
    m = _COUNT_Q.search(question)
    if not m:
        return ""
    words = m.group(1).split()
    if re.fullmatch(_VERB, words[0], re.I):
        return ""  # "how many watched ...": people, named by no noun
    if words[:1] == ["of"]:
        words = [w for w in words[1:] if w.lower() not in ("the", "a", "an", "its", "their")
                 and not _DIGITS.fullmatch(w)]
    head: list[str] = []
    for w in words:
        if w.lower() in _PHRASE_END or (head and w.lower().endswith("ed")):
            break
        head.append(w)
    units = [w for w in head if _UNIT.fullmatch(w)]
    if units:
        return _stem(units[-1])  # "how many feet tall": feet
    # People named by a demonym ("how many Russians") are counted under other words
    # ("300,000 reservists"): only a number is asked of the sentence then.
    return _stem(head[-1]) if head and not head[-1][:1].isupper() else ""


def _is_count(word: str) -> bool:
    """A number that can count something: not a year, not a clock time ("8:05"), not "one"
    of "one of the most active volcanoes" (the caller drops that)."""
    w = word.strip(".,;:()[]\"'“”")
    if re.search(r"-times?$", w, re.I):
        return False  # "a 13-time All-Star", "two-time major winner": how often, not how many
    if _DIGITS.search(w):
        return not _YEAR.fullmatch(w) and not re.search(r"\d:\d\d", w)
    return bool(_NUMBER_WORD.fullmatch(w))


_LABELS = frozenset("no. number level category game phase stage grade article section chapter "
                    "page route highway flight gate terminal".split())


_MONTH_WORDS = frozenset(MONTHS + [f"{a}." for a in _MONTH_ABBR])  # "september", "sept."


def _count_positions(words: list[str], thing: str = "") -> list[int]:
    # "one of the most ...", "the No. 1 pick", "a Level 5 alert", "Game 3", "September 25":
    # no count
    return [i for i, w in enumerate(words) if _is_count(w)
            and not (w.lower() == "one" and i + 1 < len(words) and words[i + 1] == "of")
            and not (i and words[i - 1].lower() in _LABELS)
            and not (i and words[i - 1].lower() in _MONTH_WORDS and len(w.strip(".,;:")) <= 2)
            and not (thing and _measures(words, i, thing))]


_SCALE_WORDS = frozenset("thousand million billion trillion".split())


_SIZE_SUFFIX = frozenset("old long tall high wide deep".split())


def _unit_word(word: str) -> str:
    """The unit ``word`` is, also as the head of a size ("year-old", "foot-long": "113-million
    year-old tracks" are aged, not counted), else ""."""
    base, _, rest = word.lower().rstrip(".,;:)").partition("-")
    if rest in _SIZE_SUFFIX:
        word = base
    return word if _UNIT.fullmatch(word) else ""


def _measures(words: list[str], i: int, thing: str) -> bool:
    """Whether the number at ``i`` is a measure in a unit other than the counted thing
    ("113 million years ago" counts no tracks)."""
    j = i + 1
    while j < len(words) and words[j].lower().rstrip(".,") in _SCALE_WORDS:
        j += 1
    unit = _unit_word(words[j]) if j < len(words) else ""
    if not unit:
        m = _UNIT_IN.search(words[i])
        unit = m.group(0)[2:] if m else ""
    unit = unit.lower().rstrip(".,;:)")
    unit = _UNIT_OF.get(unit, _UNIT_OF.get(unit.rstrip("s"), unit))
    thing = _UNIT_OF.get(thing, thing)
    return bool(unit) and thing not in unit and unit not in thing


def has_count(sentence: str, thing: str = "") -> bool:
    """A number that is not a year or a time, or a number word ("a couple" too); with
    ``thing`` (what "how many" counts), not a measure in another unit either."""
    return bool(_count_positions(sentence.lower().split(), thing)) or bool(
        re.search(r"\ba couple\b", sentence, re.I))


# Things news counts under other words: a utility's or a service's customers are "homes and
# businesses", "households", "residences", "accounts".
_COUNTED_AS = {"customer": ("customer", "home", "household", "residence", "business",
                            "account", "subscriber"),
               # "picking up 12 Emmys": an award is counted by its name
               "statuette": ("statuette", "award", "troph", "emmy", "oscar", "grammy", "tony")}


def counts(sentence: str, thing: str) -> bool:
    """Whether a number in ``sentence`` counts ``thing`` or a word news counts it under
    (_COUNTED_AS): the thing within the six words after it ("92 career receiving touchdowns",
    "12 of the 25 statuettes") or the eight before it ("car sales were off 20.7 pct to
    286,771"). "Two Super Bowl records ... receiving yards" does not count yards, nor "a World
    Series game in 1953 and, two years later"."""
    words = sentence.lower().split()
    return any(_counts_word(words, t) for t in _COUNTED_AS.get(thing, (thing,)))


def _counts_word(words: list[str], thing: str) -> bool:
    return any(any(thing in x for x in words[max(0, i - 8):i + 7])
               for i in _count_positions(words, thing) if not _counts_other(words, i, thing))


_PHRASE_AFTER = frozenset("and or in at on from across since after before for with to by".split())


def _counts_other(words: list[str], i: int, thing: str) -> bool:
    """Whether the number at ``i`` counts the plural noun right after it, a phrase of its own
    ("led to 112 arrests and numerous children": arrests, not children)."""
    if i + 1 >= len(words):
        return False
    noun = words[i + 1]
    bare = noun.strip(".,;:")
    if thing in bare or not bare.isalpha() or not bare.endswith("s") or len(bare) < 4:
        return False
    return noun[-1] in ",;." or (i + 2 < len(words) and words[i + 2] in _PHRASE_AFTER)


# Plural nouns of people (or of what stands for them: households, deaths, lives), so that
# "1,935 packages" is no answer to "how many people were arrested".
_PEOPLE_NOUN = re.compile(
    r"(?:ers|ors|ists|ians|ans|ees|ents|ites|men|women|people|persons|children|kids|adults"
    r"|victims|patients|fans|voters|troops|soldiers|staff|students|families|households|homes"
    r"|deaths|lives|fatalities|casualties|injuries|suspects|migrants|refugees|guests|users"
    r"|accounts|members|residents|citizens|individuals|cases|infections|teens|babies|girls"
    r"|boys|folks|crew|players|athletes|cops|police|officials|inmates|prisoners|hostages"
    r"|civilians|pilgrims|tourists|visitors|nurses|doctors|workers|jobs)$")


def counts_only_things(sentence: str, question: str = "") -> bool:
    """Whether every number in ``sentence`` counts a plural noun right after it that names
    no people ("1,935 packages with around 1,533 pounds"); a number followed by anything
    else ("arrested 12", "12 were arrested", "1.2 million") may count people, and so may a
    noun of the question's verb ("12 arrests" for "how many people were arrested")."""
    asked = question.lower().split()
    words = sentence.lower().split()
    found = False
    for i in _count_positions(words):
        nxt = words[i + 1].strip(".,;:)\"”’") if i + 1 < len(words) else ""
        if nxt in _SCALE_WORDS and i + 2 < len(words):
            nxt = words[i + 2].strip(".,;:)\"”’")
        if not (nxt.isalpha() and nxt.endswith("s") and len(nxt) >= 4) \
                or _PEOPLE_NOUN.search(nxt) or any(w.startswith(nxt[:-1]) for w in asked):
            return False
        found = True
    return found


_PERCENT = re.compile(r"\d[\d,.]*\s*(?:%|percent\b|per cent\b|pct\b)", re.I)


def _other_numbers(question: str, sentence: str) -> str:
    """``sentence`` without what cannot answer "how many": amounts of money, shares and the numbers
    the question itself states ("$11.8 million of cocaine" for "how many people were arrested
    after $11.8 million of cocaine was found")."""
    stated = {d.strip(".,") for d in _DIGITS.findall(question)}
    sentence = _MONEY.sub(" ", sentence)
    if not re.search(r"\bhow many\s+(?:percent|percentage|points?)\b", question, re.I):
        sentence = _PERCENT.sub(" ", sentence)  # a share is no count of things
    return _DIGITS.sub(lambda m: " " if m.group(0).strip(".,") in stated else m.group(0),
                       sentence)


# "On what date ...": a day of a month ("Dec. 8", "8 December", "12/8"); a year or a weekday
# alone is not a date. "By what ratio ...": "3-for-1", "20:1", "three-for-one".
_DATE_Q = re.compile(r"\b(?:what|which) (?:exact )?date\b", re.I)
_DAY_OF_MONTH = re.compile(
    r"\b(?:" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+"
    r"\d{1,2}(?:st|nd|rd|th)?\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"
    + "|".join(MONTHS) + r")\b|\b\d{1,2}/\d{1,2}\b", re.I)
# "Which day ...": a weekday, a day of a month or a named day ("Labor Day").
_DAY_Q = re.compile(r"\b(?:what|which) day\b", re.I)
_DAY = re.compile(r"(?i:\b(?:" + "|".join(WEEKDAYS) + r"|today|yesterday|tomorrow)\b)"
                  r"|\b[A-Z][\w’']+ Day\b")
# "How long ...": a length of time or of size ("18-foot-long", "200 years", "since 1992").
_LONG_Q = re.compile(r"\bhow long\b", re.I)
_LENGTH = re.compile(rf"\b(?:{_DISTANCES}|centimet\w*|{_DURATIONS}|century|since|until"
                     r"|overnight)\b", re.I)
_RATIO_Q = re.compile(r"\bwhat ratio\b", re.I)
# "How old is he?" asks for an age ("Gronkowski, 33, wrote ...", "the 17-year-old", "aged 91",
# "who turned 17", "she was 16", "Now 99, Jimmy Carter ..."), which another number of the
# article ("His 92 career receiving touchdowns") does not tell.
_AGE_Q = re.compile(r"\bhow old\b|\bat what age\b|\bwhat(?:'s|’s| is| was| were)? (?:his|her|"
                    r"their|the) ages?\b", re.I)
_AGE = re.compile(r"\b[\w-]+[- ]years?[- ]olds?\b|\bage[ds]?\s+(?:of\s+)?\d{1,3}\b"
                  r"|\bturn(?:s|ed|ing)?\s+\d{1,3}\b|\b(?:was|is|were|being)\s+(?:just\s+|only\s+)?"
                  r"\d{1,3}(?:\s+(?:at|when|in|years?)\b|\s*[,.;]|$)|\b(?:died|dies)\s+at\s+\d{1,3}\b"
                  r"|[A-Z][\w’'.-]*,\s+\d{1,3},|\(\d{1,3}\)|\b(?:now|at)\s+\d{1,3},", re.I)
# "Borrowers can apply for up to how much debt forgiveness?" asks for a limit ("up to $20,000
# of debt relief"), which a total ("has canceled nearly $32 billion") does not tell.
_UP_TO_Q = re.compile(r"\bup to how (?:much|many)\b", re.I)
_UP_TO = re.compile(r"\b(?:up to|as much as|as many as|maximum|max|at most|capped|a cap|no more "
                    r"than|limit|limited)\b", re.I)
# "How much have gas prices increased over the past year?" asks for a change ("up nearly 60%",
# "rose by 40 cents"), which a level ("averaging $3.35 per gallon") does not tell.
_CHANGE_Q = re.compile(r"\bhow much (?:have|has|had|did|do|does|will|would)\b[^?]*?\b(?:increas"
                       r"|rise|rose|risen|grow|grew|grown|jump|climb|fall|fell|fallen|drop"
                       r"|declin|decreas|surg|soar|spike|plung|plummet|shrank|shrunk|shrink)\w*",
                       re.I)
_CHANGE = re.compile(r"\d[\d,.]*\s*(?:%|percent\b|per cent\b|pct\b|percentage points?\b)"
                     r"|\b(?:up|down|by|of|rose|fell|jumped|climbed|dropped|increased|decreased"
                     r"|grew|gained|lost|added|shed)\s+(?:(?:nearly|about|almost|roughly|around"
                     r"|more than|over|some|just|an additional|another)\s+)*[$€£]?\d", re.I)
# "Who won ...?", "Which team won ...?": the sentence tells of a win ("finished 16th at the LIV
# Golf Invitational Bangkok" does not say who won it).
_WON_Q = re.compile(r"^\W*(?:who|which [\w’'-]+(?: [\w’'-]+)?) (?:has |have |had )?won\b", re.I)
_WIN = re.compile(r"\b(?:won|wins?|winners?|winning|victory|victories|victorious|champions?"
                  r"|championships?|titles?|beat|beats|defeat\w*|clinch\w*|captur\w*|claim\w*"
                  r"|crowned|awarded|took home|triumph\w*|prevail\w*)\b", re.I)
# "What was Lufthansa's net profit for 1986?": an amount of money ("it carried 1.3 mln
# passengers" is no profit).
_EARNINGS_Q = re.compile(r"^\W*what (?:was|were|is|are|will be) (?:[\w’'.&-]+ ){0,5}?"
                         r"(?:profits?|revenues?|earnings|income|losses|loss|turnover|deficit"
                         r"|surplus)\b(?! of\b)", re.I)
_RATIO = re.compile(r"\b\w+-for-\w+\b|\b\d+\s*(?::|to)\s*\d+\b", re.I)


# Which way money went: spent or paid out, against raised or taken in.
_SPENT = re.compile(r"\b(?:spend|spends|spent|spending|pay|pays|paid|paying|cost|costs|costing"
                    r"|bought|buy|buys|purchased?|invest|invested|donated?)\b", re.I)
_RAISED = re.compile(r"\b(?:raise|raises|raised|raising|earn|earns|earned|earnings|collected"
                     r"|fundraising|haul|revenue|took in|brought in|received)\b", re.I)


def _opposite(asking: str, sentence: str, one: re.Pattern, other: re.Pattern) -> int:
    """1 when ``asking`` says ``one`` way only and ``sentence`` the ``other`` only, -1 the
    other way round, else 0."""
    asked_one, asked_other = bool(one.search(asking)), bool(other.search(asking))
    if asked_one == asked_other:
        return 0
    told_one, told_other = bool(one.search(sentence)), bool(other.search(sentence))
    if asked_one and told_other and not told_one:
        return 1
    if asked_other and told_one and not told_other:
        return -1
    return 0


def other_way(question: str, sentence: str) -> str:
    """"How much did the PAC spend on ...?" and a sentence of money raised only ("has raised
    more than $85 million"), or the other way round: how the sentence's money went, else
    ""."""
    way = _opposite(_asking(question), sentence, _SPENT, _RAISED)
    return {1: "raised, not spent", -1: "spent, not raised"}.get(way, "")


def kind_of_answer(question: str, sentence: str) -> Verdict:
    """Whether ``sentence`` holds an answer of the kind asked: an amount of money for "how
    much did it cost / pay / fine ...", a number of the counted thing for "how many X"
    (a sentence about receiving touchdowns does not say how many receiving yards)."""
    if _DATE_Q.search(question) and not _DAY_OF_MONTH.search(sentence):
        return Verdict(False, "it gives no date")
    if _DAY_Q.search(question) and not (_DAY.search(sentence) or _DAY_OF_MONTH.search(sentence)):
        return Verdict(False, "it gives no day")
    if _LONG_Q.search(question) and not _LENGTH.search(sentence):
        return Verdict(False, "it gives no length of time or size")
    if _AGE_Q.search(question) and not _AGE.search(sentence):
        return Verdict(False, "it gives no age")
    if _RATIO_Q.search(question) and not _RATIO.search(sentence):
        return Verdict(False, "it gives no ratio")
    if _UP_TO_Q.search(question) and not _UP_TO.search(sentence):
        return Verdict(False, "it gives no upper limit")
    if _CHANGE_Q.search(_asking(question)) and not _CHANGE.search(sentence):
        return Verdict(False, "it gives no change")
    if _WON_Q.search(question) and not _WIN.search(sentence):
        return Verdict(False, "it tells of no win")
    if _EARNINGS_Q.search(question) and not _MONEY.search(sentence):
        return Verdict(False, "it gives no amount of money")
    if (_MONEY_Q.search(question) or _PRICE_Q.search(question)) \
            and not re.search(r"\bby how much\b", question, re.I):
        if not _MONEY.search(sentence):
            return Verdict(False, "it gives no amount of money")
        way = other_way(question, sentence)
        if way:
            return Verdict(False, f"it tells of money {way}")
        return Verdict(True)
    if _COUNT_Q.search(question):
        sentence = _other_numbers(question, sentence)
        thing = counted(question)
        # No noun counted ("how many Russians", "how many watched"): people, so a measure
        # ("for less than 10 years") is no answer either.
        if not has_count(sentence, thing or "people"):
            return Verdict(False, "it gives no number")
        if thing in ("", "people", "person") and counts_only_things(sentence, question):
            return Verdict(False, "it gives no number of people")
        if len(thing) >= 3 and thing not in _ANY_NOUN and not counts(sentence, thing):
            return Verdict(False, f"it gives no number of {thing}s")
    return Verdict(True)


# "Which state ...", "which automaker ...", "what is its name": things known by their names,
# so the answering sentence names one that the question does not ("The logo was last tweaked
# in 2019" does not say which automaker). Kinds whose answer may be a common noun ("which food
# item", "what type of ...") are not in the list.
_NAMED = frozenset(
    "country countries state states city cities town company companies firm firms airline "
    "airlines automaker automakers carmaker team teams club university college nation nations "
    "island region province county landmark airport platform app network bank newspaper "
    "magazine agency brand retailer chain restaurant league party museum river lake volcano "
    "hurricane typhoon cyclone singer rapper actor actress athlete celebrity player "
    "quarterback billionaire politician lawmaker senator governor candidate supermarket "
    "supermarkets retailers school holiday show film movie series song album book novel "
    "website park band star musician author artist leader justice comedian ceo service giant "
    "document".split())
_WHICH_HEAD = re.compile(r"\b(?:which|what)\s+((?:[\w’'-]+\s+){0,3}[\w’'-]+)", re.I)
_NAME_Q = re.compile(r"\bwhat(?:'s|’s| is| was| were| are)? (?:its|his|her|their|the) names?\b",
                     re.I)
# Words that end the asked kind's phrase ("which company did ...", "what type of ...").
_STOP_HEAD = frozenset(
    "did does do were was are is have has had will would can could should must might may of "
    "in on at to for from by with that who whose type types kind kinds sort".split())


# "What is the title of ...": a work, whose title news text quotes ("titled “Edging”").
_TITLE_Q = re.compile(r"\bwhat(?:'s|’s| is| was| were| are| will be)? (?:its|his|her|their|the) "
                      r"titles?\b", re.I)
# A quoted title, closed by its own mark: "“I’m Just Gonna Be Me”" holds an apostrophe.
_QUOTE = re.compile(r"“([^“”]{2,80})”|\"([^\"“”]{2,80})\"|‘(.{2,80}?)’(?!\w)")


_PERSON_KINDS = frozenset(
    "singer rapper actor actress athlete celebrity player quarterback billionaire politician "
    "lawmaker senator governor candidate name star musician author artist leader justice "
    "comedian ceo".split())
_PERSONAL = re.compile(r"\s*(?:He|She|His|Her|Him)\b")


def asks_a_name(question: str) -> str:
    """The named kind of thing the question asks which one of ("Which US state ..." ->
    "state", "What is its name?" -> "name", "What is the title of ..." -> "title"), else
    ""."""
    if _TITLE_Q.search(question):
        return "title"
    if _NAME_Q.search(question):
        return "name"
    return _which_head(question, _NAMED)


def _which_head(question: str, kinds: frozenset[str]) -> str:
    """The first "which ..." phrase's head among ``kinds``: "which Texas state park" -> "park",
    the last of the kinds before the phrase ends; else ""."""
    for m in _WHICH_HEAD.finditer(question):
        kind = ""
        for w in m.group(1).lower().split():
            # "Which country's lawmakers ...": the country is asked for
            w = re.sub(r"['’]s$", "", w)
            if w in _STOP_HEAD:
                break
            if w in kinds:
                kind = w
            elif kind:
                break
        if kind:
            return kind
    return ""


# Kinds of thing whose answer is a common noun ("monkeypox", "a robot", "eggs", "baby
# formula"): for these a capitalised word is no hint of the answer.
_COMMON_KINDS = frozenset(
    "virus viruses disease diseases illness animal animals species bird birds fish insect "
    "creature reptile food foods dish drink drinks treat treats snack item items product "
    "products fruit vegetable crop plant tree drug drugs medication vaccine condition symptom "
    "weapon weapons material device devices sport sports hobby job profession "
    "currency currencies color colors colour colours genre genres condiment condiments".split())


def asks_a_common_kind(question: str) -> bool:
    """Whether the question asks which one of a kind whose answer is a common noun ("Which
    virus ...", "Which new product did Tesla debut ...", "Which animal was it?")."""
    # "which food chain": a chain, known by its name
    return _which_head(question, _NAMED | _COMMON_KINDS) in _COMMON_KINDS


def names_something(question: str, sentence: str, article_text: str) -> bool:
    """Whether ``sentence`` names something the question does not: a capitalised word past
    its first (or a first word that its article never writes in lower case), or a quoted
    title."""
    qw = question_words(question)
    if holds_new_answer(sentence, qw, AnswerType.ENTITY):
        return True
    first = re.match(r"\W*([A-Z][\w’'-]*)", sentence)
    if not first:
        return False
    word = _bare(first.group(1))
    low = word.lower()
    return (low not in qw and low not in _NOT_NAMES
            and not re.search(rf"\b{re.escape(low)}\b", article_text))


# "GM has not said how much ...", "LinkedIn does not disclose an estimate of ...": the article
# says that what is asked is not known. Only with what follows naming the unknown (a wh-word,
# "the number", "an estimate"), so that "did not know each other" or "an undisclosed number
# of planes" in an answering sentence do not count.
_NOT_TOLD = re.compile(
    r"\b(?:(?:has|have|had|did|does|do|would|will)\s+not|hasn't|haven't|hadn't|didn't|doesn't"
    r"|don't|wouldn't|won't|declined to|refused to|(?:has|have|had|is|are|was|were) yet to)"
    r"\s+(?:yet\s+)?(?:publicly\s+)?"
    r"(?:say|said|reveal|revealed|disclose|disclosed|announce|announced|confirm|confirmed"
    r"|decide|decided|determine|determined"
    r"|specify|specified|release|released|provide|provided|give|given|know|known|estimate|estimated)"
    r"\s+(?:\w+\s+){0,3}?(?:how|when|where|who|whom|why|what|which|whether|the (?:number|amount"
    r"|price|cost|total|name|names|date|terms|value|size)|an? (?:estimate|figure|number|date|total)"
    r"|any (?:details|figures|numbers))\b", re.I)


# "Apple is expected to show off ...": what is to come, not what happened.
_EXPECTED = re.compile(r"\b(?:is|are|was|were|been)\s+(?:widely\s+)?(?:expected|set|scheduled"
                       r"|slated|poised|due|likely)\s+to\b|\bplans?\s+to\b"
                       # "They expect Twitter and other platforms to follow ..."
                       r"|\b(?:expect|expects)\s+(?:[\w’'-]+\s+){0,6}?to\s"
                       # "NHL experts predict the winners ...": a forecast, before the event
                       r"|\b(?:predict|predicts|forecast|forecasts)\b", re.I)
# "will" tells only what is to come when nothing in the sentence happened already: not
# "Petro will become Colombia's first leftist leader, after winning ...", nor "TikTok said it
# will ...".
# "will be presented": a participle after "be" is not done yet.
_TOLD_DONE = re.compile(rf"(?<!\bbe )\b(?:{_IRREGULAR}|said|says|(?!(?:hundred|need|speed|feed"
                        r"|seed|shed|bred|indeed|exceed|proceed|succeed)\b)[a-z]{3,}ed)\b"
                        r"|\bafter\s+\w+ing\b", re.I)
# The asking verb in the past: "Apple unveiled which ...", "What did X announce" is not caught
# (its verb is not in the past form).
_PAST_VERB = re.compile(rf"\b({_IRREGULAR}|[a-z]{{3,}}ed)\b")


# "for the second year in a row", "a third consecutive title": a run, which the answer tells
# as one ("back-to-back", "again", "repeat").
_IN_A_ROW = re.compile(r"\bin a row\b|\bconsecutive\b|\bstraight (?:year|season|time|game|"
                       r"month|week|day|title|win)s?\b|\bback-to-back\b", re.I)
_REPEAT = re.compile(r"\bin a row\b|\bconsecutive|\bstraight\b|\bback-to-back\b|\bagain\b"
                     r"|\brepeat|\bsuccessive|\brunning\b|\bdefend|\bonce more\b|\bsecond time\b"
                     r"|\b(?:two|three|four|five|2|3|4|5)-peat\b", re.I)


# "How much did it make worldwide?": a figure of the whole world, which a sentence or its
# neighbours say as such ("$187 million its opening weekend" is most often the domestic one).
_WORLD_WORDS = r"world-?wide|global(?:ly)?|around the world|across the world"
_WORLDWIDE_Q = re.compile(rf"\b(?:{_WORLD_WORDS}|internationally)\b", re.I)
_WORLDWIDE = re.compile(rf"\b(?:{_WORLD_WORDS}|international(?:ly)?|overseas|the world)\b",
                        re.I)


# "How many cases are in the United States?": a figure given as the world's ("59,600
# worldwide") is not the country's.
_IN_THE_US = re.compile(r"\b(?:in|across|throughout) (?:the )?(?:United States|U\.?S\.?|America)\b"
                        r"|\bnationwide\b|\bdomestic(?:ally)?\b", re.I)
_WORLD_FIGURE = re.compile(rf"\b(?:{_WORLD_WORDS}|in the world)\b", re.I)


# Which way a figure went.
_FELL = re.compile(r"\b(?:decreas\w*|fell|fall|falls|falling|dropped|drops?|dropping|declin\w*"
                   r"|dip|dips|dipped|plunged?|plunging|slid|slump\w*|tumbled?|sank|cheaper|lower"
                   r"|cuts?|cutting|shrank|shrunk|eased|down)\b", re.I)
_ROSE = re.compile(r"\b(?:increas\w*|rose|rise|rises|rising|risen|jumped|jumps?|climb\w*|soar\w*"
                   r"|spiked?|surged?|surging|grew|grow|growing|gained?|higher|more expensive"
                   r"|leap\w*|hikes?|hiked|up)\b", re.I)


# Which way a vote or a ruling went.
_REJECTED = re.compile(r"\b(?:struck down|strike down|rejected?|rejects|voted down|vote down"
                       r"|defeated|vetoed|overturned|overturn|blocked)\b", re.I)
_APPROVED = re.compile(r"\b(?:approved?|approves|passed|green-?lit|ratified|upheld|upholds"
                       r"|enshrin\w*|endorsed|adopted|backed)\b", re.I)


def other_direction(question: str, sentence: str) -> str:
    """"Which food item decreased the most in price?" and a sentence that tells only of a rise
    ("rose 1.4% in February"), or the other way round: "rise, not a fall"; likewise a
    rejection asked ("struck down a proposed amendment") and an approval told ("green-lit
    constitutional amendments"). Else ""."""
    asking = _asking(question)
    for down, up, (fall, rise) in ((_FELL, _ROSE, ("fall", "rise")),
                                   (_REJECTED, _APPROVED, ("rejection", "approval"))):
        way = _opposite(asking, sentence, down, up)
        if way:
            return f"{rise}, not a {fall}" if way == 1 else f"{fall}, not a {rise}"
    return ""


def only_expected(question: str, sentence: str) -> str:
    """A question about what happened ("Apple unveiled which new feature ...?") and a sentence
    that tells only what was expected ("Apple is expected to show off iOS 16"), without the
    question's verb in the past: that verb, else ""."""
    if not (_EXPECTED.search(sentence) or re.search(r"\bwill\b", sentence, re.I)
            and not _TOLD_DONE.search(sentence)):
        return ""
    asking = _asking(question)
    for m in _PAST_VERB.finditer(asking):
        verb = m.group(1)
        before = asking[:m.start()].split()
        if before and before[-1].lower() in ("has", "have", "had", "was", "were", "is", "are",
                                             "be", "been"):
            continue  # "was expected", "has named": a passive or a perfect, not the event
        stem = verb[:-2] if verb.endswith("ed") else verb
        if not re.search(rf"\b{re.escape(stem[:max(4, len(stem) - 1)])}", sentence, re.I):
            return verb
        return ""
    return ""


# "Why ...?" and "... due to what?" want a sentence that gives a reason ("recalled over fire
# risks", "because", "due to"); "The recall affects 245,030 vehicles" gives none.
_WHY_Q = re.compile(r"^\s*why\b|\b(?:due to|because of|owing to|caused by) what\W*$", re.I)
_REASON = re.compile(r"\b(?:because|due to|owing to|after|amid|caused?|causing"
                     # "since it was ...", not "since 1776" or "since the first ..."
                     r"|since(?!\s+(?:(?-i:[A-Z])|\d|then\b|the\b))"
                     # "recalled over fire risks", not "over the Mississippi River"
                     r"|over(?!\s+(?:the\s+)?(?:(?-i:[A-Z])|\d|past\b|last\b|next\b|weekend\b))"
                     r"|risks?|reasons?|blamed?|fault|defects?|problems?|issues?|could|may|might"
                     r"|to (?:prevent|avoid|protect|stop|reduce|address|fix)|in order to|so that"
                     r"|citing|cited|said|says|concerns?|fears?)\b", re.I)


# "The new prime minister, whoever that may be, will ...", "a winner has yet to be named":
# the sentence itself says that it does not know.
_NOT_KNOWN_YET = re.compile(r"\b(?:whoever|whichever|whatever)\s+(?:that|it|he|she|they)\s+"
                            r"(?:may|might|will|turns? out to)\s+be\b|\byet to be (?:named|"
                            r"decided|determined|announced|chosen|picked|selected)\b", re.I)


def says_not_told(sentence: str) -> bool:
    return bool(_NOT_TOLD.search(sentence))


_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
             "twelfth 1st 2nd 3rd 4th 5th 6th 7th 8th 9th 10th").split()
_ORD_OF = {w: i % 12 + 1 for i, w in enumerate(_ORDINALS)}  # "1st" follows "twelfth"
_ORD = "(" + "|".join(_ORDINALS) + ")"
_ORD_NOUN = re.compile(rf"\b{_ORD}\s+(\w+)", re.I)
_ORD_WORD = re.compile(rf"\b{_ORD}\b")


_FIRST_OF = re.compile(r"\b(?:its|their|his|her|the) (?:first|1st)(?:-ever)? ((?:[a-z-]+ ){0,1}"
                       r"[a-z-]+)", re.I)
_MANY = r"two|three|four|five|six|seven|eight|nine|ten|[2-9]|[1-9]\d"


# A superlative ranked below the top: "the seat second most likely to flip", "the
# third-largest".
_RANKED_SUPERLATIVE = re.compile(
    rf"\b{_ORD}[\s-]+((?:most|least)\s+[\w’'-]+|[a-z]{{2,}}est)\b", re.I)


# A question that asks for the top one ("which state has the most cases", "the biggest
# increase") and the words that tell a top one ("the most", "largest", "leads", "a record").
_NOT_SUPERLATIVE = frozenset(
    "interest request test protest forest honest suggest arrest contest harvest manifest "
    "digest invest west rest nest guest pest chest vest quest attest detest crest modest "
    "latest earnest conquest behest".split())
_SUPERLATIVE = re.compile(r"\b(most|least|[a-z]{2,}est)\b", re.I)
# Only "which ... has / received / saw the most ..." is read as asking for the top: a
# superlative that describes ("Broadway's biggest stars", "the NBA's highest paid player")
# or asks what cost the most ("which one cost him the most money": the Adidas sentence
# does not say "most") is answered by sentences that do not rank.
_ASKS_TOP = re.compile(r"\b(?:has|have|had|received|receives|earned|got|gets|saw|sees|seen)"
                       r"\s+the\s+(most|least|[a-z]{2,}est)\b", re.I)
_TOP_WORDS = re.compile(r"\b(?:most|least|top|tops|topped|topping|leads?|leading|led|record"
                        r"|no\.\s*1|number one|more than any|ahead of|first|highest|lowest"
                        r"|outpac\w+|surpass\w+|bigger|larger|higher)\b", re.I)


def _superlative_in(pattern: re.Pattern, text: str) -> bool:
    """Whether ``pattern`` finds a superlative (its group 1: "most", "largest"; not "test")."""
    return any(m.group(1).lower() not in _NOT_SUPERLATIVE for m in pattern.finditer(text))


# "Which app was the No. 1 non-gaming app ...?", "... became the top-selling ...": the first of
# a ranking, by its rank.
_ASKS_FIRST = re.compile(r"\b(?:is|was|are|were|became|becomes|become|ranked|ranks)\s+(?:the\s+)?"
                         r"(?:no\.\s*1|number one|top)\b", re.I)


def asks_for_top(question: str) -> bool:
    """Whether the asking sentence asks for the one at the top of a ranking ("Which state
    has the most confirmed cases?", "Which app was the No. 1 ...?")."""
    asking = _asking(question)
    return _superlative_in(_ASKS_TOP, asking) or bool(_ASKS_FIRST.search(asking))


def tells_top(sentence: str) -> bool:
    return bool(_TOP_WORDS.search(sentence)) or _superlative_in(_SUPERLATIVE, sentence)


def ordinal_mismatch(question: str, sentence: str) -> str:
    """The thing the question asks of by its rank ("its second weekend", "the third
    quarter's", "for the second time") when the sentence gives it of another rank only ("its
    opening weekend", "the first episode"), or the superlative it asks of ("most likely to
    flip") when the sentence ranks it below the top ("second most likely"): that other rank,
    else ""."""
    for m in _RANKED_SUPERLATIVE.finditer(sentence):
        most = re.sub(r"\s+", " ", m.group(2).lower())
        if _ORD_OF[m.group(1).lower()] > 1 and re.search(
                rf"\b{re.escape(most)}\b", question, re.I) \
                and not re.search(rf"\b{re.escape(m.group(1))}\b", question, re.I):
            return f"{m.group(1).lower()} {most}"
    asked = [(_ORD_OF[m.group(1).lower()], m.group(2).lower())
             for m in _ORD_NOUN.finditer(question)]
    if not asked:
        return ""
    low = sentence.lower()
    for n, noun in asked:
        stem = noun.rstrip("s")
        given = {_ORD_OF[m.group(1)] for m in re.finditer(
            rf"\b{_ORD}\s+(?:\w+\s+)?{re.escape(stem)}s?\b", low)}
        if re.search(r"\b(?:opening|debut|premiere)\s+(?:\w+\s+)?" + re.escape(stem) + r"s?\b",
                     low):
            given.add(1)
        # "the final episodes" is not "the second episode" (a second that is also the last is
        # said so: the asked rank is then in the sentence too)
        final = re.search(r"\b(?:final|last)\s+(?:\w+\s+)?" + re.escape(stem) + r"s?\b", low)
        said = {_ORD_OF[w] for w in _ORD_WORD.findall(low)}
        if (given or final) and n not in said:
            return f"{_ORDINALS[min(given) - 1]} {noun}" if given else f"final {noun}"
    # "its first championship title", and a sentence of some won before ("won three WNBA
    # titles", "the last two Stanley Cups"): not the first
    if re.search(r"\b(?:first|1st)\b", low):
        return ""
    for m in _FIRST_OF.finditer(question):
        for noun in m.group(1).lower().split():
            if noun in _NOT_UNITS:
                continue
            stem = re.escape(noun.rstrip("s"))
            many = re.search(rf"\b({_MANY})\s+(?:[\w’'-]+\s+){{0,2}}{stem}s\b", low)
            if many:
                return f"{many.group(1)} {noun}s"
    return ""


_TOKEN = re.compile(r"[\w’'&.-]+")


_TITLES = frozenset(
    "president vice prime minister gov governor sen senator rep representative king queen "
    "prince princess pope secretary chancellor judge justice mayor director general gen dr mr "
    "mrs ms sir dame lord lady chief ceo chairman chairwoman chair speaker leader former "
    "first lt col capt sgt coach commissioner ambassador attorney officer".split())


def _name_like(token: str) -> bool:
    return token[:1].isupper() or token[:1].isdigit()


def _bare(token: str) -> str:
    return re.sub(r"[’']s$", "", token.strip(".,;:’'\"“”()"))


def _name_spans(text: str) -> list[list[str]]:
    """Runs of two or more name-like words ("Tesla Model Y", "Los Angeles Lakers"); the
    text's first word and capitalised function words are left out."""
    tokens = list(_TOKEN.finditer(text))
    words = [_bare(t.group(0)) for t in tokens]
    spans, run = [], []
    for i, w in enumerate(words):
        # A question mark, colon or semicolon between two words ends a run: "1991? Heritage
        # Auctions" (a follow-up's question and the names it carries) is no name.
        if run and re.search(r"[?!;:]", text[tokens[i - 1].end():tokens[i].start()]):
            if len(run) >= 2:
                spans.append(run)
            run = []
        # A hyphenated word ends a run: "Union Pacific-Petroles de Venezuela" is two names.
        # "SUVs", "CEOs": a plural of an abbreviation is a common noun, not part of a name.
        if (i > 0 and w and _name_like(w) and w.lower() not in _NOT_NAMES and "-" not in w
                and not re.fullmatch(r"[A-Z]{2,}s", w)):
            run.append(w)
            continue
        if len(run) >= 2:
            spans.append(run)
        run = []
    if len(run) >= 2:
        spans.append(run)
    return spans


# "the 185-pound python", "a 7.0-magnitude earthquake": a figure that tells which one.
_ATTRIBUTIVE = re.compile(r"\b(\d[\d,.]*)-([a-z]+)\b")


_NOT_UNITS = frozenset("for to of and or in on by per from".split())


def states_with_unit(text: str, digits: str, unit: str) -> bool:
    """Does ``text`` give the figure with its unit ("10-year", "10 years", "ten-year",
    "magnitude 7.0")?"""
    forms = [re.escape(digits)]
    if digits.isdigit() and int(digits) < len(_SMALL):
        forms.append(_SMALL[int(digits)])
    n = "(?:" + "|".join(forms) + ")"
    # "12-sandwich": "12 sandwiches"; "10-story": "10 stories"
    u = re.escape(unit[:-1] if unit.endswith(("s", "y")) else unit)
    return re.search(rf"(?<![\d.]){n}[- ]{u}\w{{0,3}}\b|\b{u}\w{{0,3}}[- ]{n}(?![\d.])", text,
                     re.I) is not None


def figure_mismatch(question: str, sentence: str) -> str:
    """A thing the question tells by a figure ("the 185-pound Burmese python") that the
    sentence gives with another figure of the same unit only ("a 215-pound ... python"): that
    figure, else ""."""
    for n, unit in _ATTRIBUTIVE.findall(question):
        said = [m for m, u in _ATTRIBUTIVE.findall(sentence) if u == unit]
        if said and n not in said:
            return f"the {said[0]}-{unit} one"
    return ""


def name_mismatch(question: str, sentence: str) -> str:
    """A name of the question that the sentence gives with another last part ("Tesla Model
    3" for "Tesla Model Y", "Los Angeles Clippers" for "Los Angeles Lakers"): that name, else
    "". Parts in another order or with a part between ("President Biden" for "President Joe
    Biden") are the same name."""
    words = [_bare(t) for t in _TOKEN.findall(sentence)]
    have = set(words)
    for name in _name_spans(question):
        # Titles are shared ("former President Donald Trump" in a question about someone
        # whose father was Vice President Dick Cheney): the name is what follows them.
        while name and name[0].lower().rstrip(".") in _TITLES:
            name = name[1:]
        if len(name) < 2 or all(p in have for p in name):
            continue
        for i, w in enumerate(words):
            if w != name[0]:
                continue
            for j in range(1, len(name)):
                if i + j >= len(words) or words[i + j] == name[j]:
                    continue
                other = words[i + j]
                # A title between the parts is the same name said otherwise ("Fed Chairman
                # Jerome Powell" for "Fed Chair Powell").
                if (other and _name_like(other) and other not in name
                        and other.lower().rstrip(".") not in _TITLES):
                    return " ".join(words[i:i + j + 1])
                break
    return ""


def _proper_runs(text: str) -> list[list[str]]:
    """Runs of one or more capitalised words that are names: not a sentence's first word,
    not a title, a month, a weekday or a figure ("Hurricane Orlene", "TikTok")."""
    runs, run, prev = [], [], "."
    for token in _TOKEN.findall(text):
        w = _bare(token)
        if (w and w[:1].isupper() and not re.search(r"\d", w) and len(w) > 1
                and w.lower() not in _NOT_NAMES and w.lower().rstrip(".") not in _TITLES
                and not prev.endswith((".", "?", "!", ":", "“", '"'))):
            run.append(w)
        else:
            if run:
                runs.append(run)
            run = []
        prev = token
    if run:
        runs.append(run)
    return runs


def _plain(text: str) -> str:
    text = re.sub(r"[’']s\b", "", text.lower())
    return " " + " ".join(re.sub(r"[^\w\s]|_", " ", text).split()) + " "


def _runs_of_names(question: str) -> list[list[str]]:
    """The question's names of two or more words: a comma or a possessive ends one ("the UK,
    Spain", "Iran's Gulf oil platforms")."""
    # Only the sentence that asks: a follow-up's carried names follow its "?", and a quiz's
    # preamble ("... at an LGBTQ Pride event. Where was the event?") states what its article
    # may word otherwise ("a local Pride event").
    question = _asking(question)
    out = []
    for run in _proper_runs(question):
        cut = [0]
        for i, w in enumerate(run[:-1]):
            if re.search(rf"{re.escape(w)}(?:[’']s)?[,;:]|{re.escape(w)}[’']s\b", question):
                cut.append(i + 1)
        out += [run[a:b] for a, b in zip(cut, cut[1:] + [len(run)], strict=True) if b - a >= 2]
    return out


def unnamed_runs(question: str, article_text: str) -> list[str]:
    """The question's names of two or more words ("World Cup", "Taronga Zoo") of which the
    text says no two words together, nor the initials: each word of "US Men's National Team"
    or "World Cup" is found, lower-cased, in many articles that are not about them. A word may
    be written longer ("Ash Carter": "Ashton Carter", "SUVs": "SUV")."""
    text = _plain(article_text)
    asking = _asking(question)
    out = []
    for run in _runs_of_names(question):
        parts = _plain(" ".join(run)).split()
        stems = [p[:-1] if p.endswith("s") and len(p) > 3 else p for p in parts]
        # in either order, two words apart at most: "the Department of Transportation"
        if any(re.search(rf" {re.escape(x)}\w*(?: \w+){{0,2}} {re.escape(y)}\w* ", text)
               for a, b in zip(stems, stems[1:], strict=False) for x, y in ((a, b), (b, a))):
            continue
        initials = [p[0] for p in parts]  # "MLB" for Major League Baseball, "U.S."
        if f" {''.join(initials)} " in text or f" {' '.join(initials)} " in text:
            continue
        out.append(" ".join(run))
    # A letter or a number that tells which one ("Tesla Model Y", "Title 42") is found with
    # the word before it: "Tesla Model 3" and a "Y" elsewhere do not name the Model Y.
    for m in _TAGGED.finditer(asking):
        word, tag = m.group(1), m.group(2)
        if word.lower() in _NOT_NAMES or word.lower() in _TITLES or m.start() == 0:
            continue
        tags = {tag.lower(), _ROMAN.get(tag, tag).lower()}  # "Schedule I" is "Schedule 1"
        if not any(f" {word.lower()} {t} " in text for t in tags):
            out.append(f"{word} {tag}")
    return out


_ROMAN = {"I": "1", "V": "5", "X": "10", "1": "I", "5": "V", "10": "X"}
# A name word, then a capital letter or a short number that ends it ("Model Y", "Apollo 11").
_TAGGED = re.compile(r"(?<![.?!] )\b([A-Z][a-z]+) ([A-Z]|\d{1,3})\b(?![\w’'.,:%-]*\w)")


# "in Houston", "in Kansas": a place the question asks within (a capitalised word after "in").
_IN_PLACE = re.compile(r"\bin ([A-Z][a-z]+(?: [A-Z][a-z]+)*)\b(?![’'-])")


def unnamed_place(question: str, article_text: str) -> str:
    """A place the asking sentence asks within ("the most-searched costume in Houston") that
    the text never names, in any of its forms: that place, else "". Half the question's names
    may be missing before ``check`` refuses; a place that bounds what is asked may not."""
    text = _lowered(article_text)
    for m in _IN_PLACE.finditer(_asking(question)):
        place = m.group(1)
        if place.lower() in _NOT_NAMES or place.lower() in MONTHS:
            continue
        # "Floridians", "Texan": a place's people name it too
        if not any(re.search(rf"\b{re.escape(p[:max(4, len(p) - 1)])}", text)
                   for p in _name_parts(place.lower())):
            also = named_otherwise(f"in {place}", article_text)  # "UK" for United Kingdom
            if not all(w in also for w in place.lower().split()):
                return place
    return ""


def names_someone(question: str, sentence: str, article_text: str = "") -> bool:
    """Whether ``sentence`` names someone the question does not: a name of two words or more
    ("Bernard Arnault"), one after a title ("Gov. DeSantis"), or a word its article never
    writes in lower case ("Sunak was the only leadership hopeful ..."). "Ecuador's Minister
    for Industry and Trade resigned today" does not answer "Who replaced Xavier Neira as
    Ecuador's Minister for Industry and Trade?"."""
    asked = question_words(question)
    for run in _proper_runs("and " + sentence):  # its first word may be a name too
        if any(w.lower() in asked for w in run):
            continue
        if len(run) >= 2 or (article_text and not re.search(
                rf"\b{re.escape(run[0].lower())}\b", article_text)):
            return True
    tokens = [_bare(t) for t in _TOKEN.findall(sentence)]
    return any(a.lower().rstrip(".") in _TITLES and b[:1].isupper() and b.lower() not in asked
               and b.lower() not in _NOT_NAMES and b.lower().rstrip(".") not in _TITLES
               for a, b in zip(tokens, tokens[1:], strict=False))


def spelled_out(name: str, question: str, text: str) -> bool:
    """Whether ``name``, an initialism of 3 to 5 letters that the question writes in capitals
    ("MVP"), is spelled out in ``text`` ("the most valuable player"): words in a row whose
    first letters are its letters ("of", "the", "and", "for" between them may be skipped).
    Not 2 letters: "US" would be "use some"."""
    if not 3 <= len(name) <= 5 or not name.isalpha() \
            or not re.search(rf"\b{re.escape(name.upper())}\b", question):
        return False
    gap = r"[\s-]+(?:(?:of|the|and|for)\s+)?"
    return re.search(r"\b" + gap.join(rf"{c}[a-z’']+" for c in name.lower()), text,
                     re.I) is not None


def rare_names(question: str, sentence: str, around: str, article_text: str,
               at_most: int | None = 1) -> list[str]:
    """The parts of the question's names that neither the sentence nor its neighbours
    (``around``) say, and that the article says once, elsewhere ("Orlene" of "Hurricane
    Orlene" in an article about Hurricane Roslyn); with ``at_most=None``, however often it
    says them (never included: for an article already known to tell of another one)."""
    # Neighbours count: "Ye" in the sentence after "Kanye West" (stop 29: the sentence
    # before alone refused an answer).
    near = _lowered(f"{sentence} {around}")
    article = _lowered(article_text)

    def said(part: str) -> int:
        return len(re.findall(rf"\b{re.escape(part)}", article))

    # A name is known by its last part ("Biden" for "President Joe Biden"). One the article
    # never says tells nothing: it may call it otherwise ("the regulator").
    return [w for run in _proper_runs(question)
            if not any(p in near for p in _name_parts(run[-1].lower()))
            for w in run if not any(p in near for p in _name_parts(w.lower()))
            and (at_most is None or 0 < said(_name_parts(w.lower())[0]) <= at_most)]


def event_unsaid(question: str, sentence: str, around: str, article_text: str) -> str:
    """A name of two words or more whose last one ("the LIV Golf Invitational Bangkok") the
    sentence and its neighbours do not say, though they say another of its words, and that its
    article says once, elsewhere: the sentence tells of another one of the same series. That
    name, else ""."""
    rare = set(rare_names(question, sentence, around, article_text))
    asking, near = _asking(question), f"{sentence} {around}".lower()
    for run in _runs_of_names(question):
        # Not a name that only qualifies a noun ("Which Ivy League university ...?"): the
        # answer names the university, and the article may say "Ivy League" once.
        if re.search(rf"\b{re.escape(run[-1])}\s+[a-z]", asking):
            continue
        # and the sentence or a neighbour says its other words: another of the same series
        # ("the season-long LIV Golf championship"), not the same one said otherwise ("The
        # Avalanche beat the Lightning in Game 6" for the Stanley Cup)
        if (run[-1] in rare or _bare(run[-1]) in rare) and any(
                re.search(rf"\b{re.escape(w.lower())}\b", near) for w in run[:-1]
                if w.lower() not in _NOT_NAMES):
            return " ".join(run)
    return ""


def other_subject(question: str, sentence: str, around: str, article_text: str) -> str:
    """A sentence about another one of the question's kind ("a record fine ... against social
    network Instagram" for "How much did Ireland fine TikTok?"): the question has rare_names,
    and the sentence names another that the article says three times or more. Then that
    other name, else "". Not for a question that asks for a name or a place: there the new
    name may be the answer ("Many chose to do that ... in Mexico City")."""
    if asks_a_name(question) or asks_who(question) or asks_where(question):
        return ""
    if not rare_names(question, sentence, around, article_text):
        return ""
    asked = question.lower()
    # Its first word too, when the article never writes it in lower case ("Roslyn made
    # landfall ..." for Hurricane Orlene): a capital there alone tells nothing.
    for i, run in enumerate(_proper_runs("and " + sentence)):
        if i == 0 and sentence.lstrip(" “\"'(").startswith(run[0]) and re.search(
                rf"\b{re.escape(run[0].lower())}\b", article_text):
            continue
        if not any(w.lower() in asked for w in run) and len(
                re.findall(rf"\b{re.escape(run[-1])}\b", article_text)) >= 3:
            return " ".join(run)
    return ""


_WH = re.compile(r"\b(?:what|which|who|whom|whose|where|when|why|how)\b", re.I)


def restates(question: str, sentence: str) -> bool:
    """The sentence says nothing the question does not: each of its words (stemmed, without
    stop words) is one of the question's ("NASA is scheduled to launch a historic mission
    this month ..." for a question that opens with those words and asks what it is)."""
    # A yes/no or either/or question is answered in its own words ("Did the Fed raise
    # rates?" -> "The Fed raised rates."): only a wh-question needs something new.
    if not _WH.search(question) or re.search(r"\bor\b", question, re.I):
        return False
    words = tokenize([sentence])[0]
    return bool(words) and set(words) <= set(tokenize([question])[0])


def _singular(kind: str) -> str:
    if kind.endswith("ies"):
        return kind[:-3] + "y"
    return kind[:-1] if kind.endswith("s") and not kind.endswith("ss") else kind


def speaks_of_kind(kind: str, sentence: str) -> bool:
    """Whether ``sentence`` speaks of a thing of the asked kind by description: "two of the
    largest supermarket chains", "these airlines", "the Texas-based airline"."""
    return bool(kind) and kind not in ("name", "title") and re.search(
        rf"\b(?:the|this|that|these|those|its|both|two|three)\s+(?:[\w’'-]+\s+){{0,3}}?"
        rf"{re.escape(_singular(kind))}", sentence, re.I) is not None


def opens_with_kind(kind: str, sentence: str) -> bool:
    """Whether ``sentence`` opens with the asked kind as its subject ("The show, which
    follows ...", "The band announced ..."): news writes so of the one it named just before,
    whatever other names the sentence holds."""
    return bool(kind) and kind not in ("name", "title") and re.match(
        rf"\s*The\s+(?:[\w’'-]+\s+)?{re.escape(_singular(kind))}\b(?!['’]s)", sentence) is not None


# Kinds whose names say what they are: a league is named "Major League Pickleball", "the
# Premier League", or by its initials ("NFL"); "the Los Angeles Lakers" is not one.
_KIND_IN_NAME = {"league": re.compile(r"\bLeague\b|^[A-Z]{2,5}$")}


def names_kind(kind: str, question: str, sentence: str, article_text: str = "") -> bool:
    """Whether ``sentence`` names a thing of the asked kind that the question does not: one
    of the list for a country or a US state, a name that says its kind for a league, any name
    for the other kinds."""
    if kind == "title":
        q = question.lower()
        return any(next(g for g in m.groups() if g).lower() not in q
                   for m in _QUOTE.finditer(sentence))
    # (not "Which Major League Baseball team": a capitalised kind is a name's word)
    if kind in _KIND_IN_NAME and re.search(rf"\b{kind}\b", question):
        asked = _plain(question)
        return any(_plain(" ".join(run)) not in asked
                   and any(_KIND_IN_NAME[kind].search(n) for n in (" ".join(run), *run))
                   for run in _proper_runs(sentence))
    place = names_place(kind, question, sentence)
    return names_something(question, sentence, article_text) if place is None else place


def check(question: str, sentence: str, around: str, article_text: str,
          article_date: str, before: str = "") -> Verdict:
    """Whether ``sentence`` (with ``around``: its neighbours; ``before``: the sentence before
    it, when known) from an article (its retrieved text and its date YYYY-MM-DD) can answer
    ``question`` as asked."""
    near = f"{sentence} {around}"
    qm = months(question)
    if qm:
        sm = months(near)
        if sm and not (qm & sm):
            return Verdict(False, f"it speaks of {', '.join(sorted(sm))}, not "
                                  f"{', '.join(sorted(qm))}")
    qy = years(question)
    if qm and not qy and article_date[:4] and not months(near):
        # "from February to March" of the article's days, and a sentence of other years only
        # ("changes in the consumer price index from 2008 to 2018")
        said = years_of(sentence) | set(_SPAN_YEARS.findall(sentence))
        if said and article_date[:4] not in years(sentence):
            return Verdict(False, f"it speaks of {', '.join(sorted(said))}, not "
                                  f"{', '.join(sorted(qm))}")
    if qy:
        known = years(near) | years(article_text) | ({article_date[:4]} if article_date else set())
        if not (qy & known):
            when = f"an article of {article_date[:4]}" if article_date else "the article"
            return Verdict(False, f"{when} does not speak of {', '.join(sorted(qy))} in the "
                                  "passages read")
        if (article_date[:4] and article_date[:4] not in qy and not years(sentence)
                and _NOW.search(sentence)):
            # "on Monday", "this week": the sentence tells of its article's days
            return Verdict(False, f"it tells of {article_date[:4]}, the article's year, not "
                                  f"{', '.join(sorted(qy))}")
        said = years_of(sentence)
        if said and not (qy & years(sentence)):
            return Verdict(False, f"it speaks of {', '.join(sorted(said))}, not "
                                  f"{', '.join(sorted(qy))}")
        # Asked of another year than its article's, a sentence that names years must name
        # that one ("cut its 1987 growth rate forecasts" does not give the one for 1988).
        said = years(sentence)
        if said and article_date[:4] and article_date[:4] not in qy and not (qy & said):
            return Verdict(False, f"it speaks of {', '.join(sorted(said))}, not "
                                  f"{', '.join(sorted(qy))}")
    qq = quarters(question)
    if qq:
        # the sentence and its neighbours, else the article: one that tells of the first and
        # second quarters does not tell of the third
        sq = quarters(near) or quarters(article_text)
        if sq and not (qq & sq):
            return Verdict(False, "it speaks of another quarter")
    qh = halves(question)
    if qh:
        sh = halves(near)
        if sh and not (qh & sh):
            return Verdict(False, "it speaks of the other half")
    # A name is found when any of its parts is ("texas-mexico", "russia’s"); a long question
    # holds several names that the article may phrase otherwise, so it fails only when at
    # least half of them are missing (one of one or two: "HBO" for "Netflix").
    text = _lowered(article_text)
    qnames = names(question)
    missing = [n for n in qnames if not any(
        part in text for part in _name_parts(n))]
    if missing:  # "United Kingdom" in an article that says "UK" or "Britain"
        otherwise = named_otherwise(question, article_text)
        missing = [n for n in missing if n not in otherwise
                   and not spelled_out(n, question, article_text)]
    if missing and len(missing) * 2 >= len(qnames):
        # Only the passages retrieved are known here, not the whole article: say so.
        return Verdict(False, "the passages read of its article do not name "
                              f"{', '.join(sorted(missing))}")
    place = unnamed_place(question, f"{near} {article_text}")
    if place:
        return Verdict(False, f"the passages read of its article do not name {place}")
    unnamed = unnamed_runs(question, f"{near} {article_text}")
    if unnamed:
        return Verdict(False, "the passages read of its article do not name "
                              f"{', '.join(unnamed)}")
    missing = [written for written, digits, ordinal, scale in figures(question)
               if not states_figure(f"{near} {article_text}", digits, ordinal, scale)]
    if missing:
        return Verdict(False, "the passages read of its article do not give "
                              f"{', '.join(missing)}")
    asking = _asking(question)
    missing = [m.group(0) for m in _ATTRIBUTIVE.finditer(asking)
               if not _APPROX.search(asking[:m.start()])
               and m.group(2) not in _NOT_UNITS  # "a 20-for-1 stock split"
               and not states_with_unit(f"{near} {article_text}", m.group(1), m.group(2))]
    if missing:
        # "a 10-year deal": a "10" elsewhere in the article (a list's "10.") is not it
        return Verdict(False, "the passages read of its article do not give "
                              f"{', '.join(missing)}")
    if says_not_told(sentence):
        return Verdict(False, "the article says it is not known")
    if _IN_A_ROW.search(asking) and not _REPEAT.search(near):
        return Verdict(False, "it does not tell of a run in a row")
    if _WORLDWIDE_Q.search(asking) and answer_type(question) is AnswerType.QUANTITY \
            and not _WORLDWIDE.search(near):
        return Verdict(False, "it does not give the worldwide figure")
    if _IN_THE_US.search(asking) and answer_type(question) is AnswerType.QUANTITY \
            and _WORLD_FIGURE.search(sentence) and not _IN_THE_US.search(sentence):
        return Verdict(False, "it gives the worldwide figure")
    way = other_direction(question, sentence)
    if way:
        return Verdict(False, f"it tells of a {way}")
    done = only_expected(question, sentence)
    if done:
        return Verdict(False, f"it tells what was expected, not what was {done}")
    if restates(question, sentence):
        return Verdict(False, "it only repeats the question")
    if asks_for_top(question) and not tells_top(sentence):
        return Verdict(False, "it does not say which is at the top")
    if _WHY_Q.search(_asking(question)) and not _REASON.search(sentence):
        return Verdict(False, "it gives no reason")
    if _NOT_KNOWN_YET.search(sentence):
        return Verdict(False, "it says that it is not known yet")
    if sentence.rstrip().endswith(":"):
        # "NHL experts predict the winners for the first round and the Stanley Cup:" leads
        # into a list; it says nothing itself
        return Verdict(False, "it only introduces what follows")
    other = ordinal_mismatch(question, sentence)
    if other:
        return Verdict(False, f"it speaks of the {other}")
    old = stale_for_this_week(question, sentence, article_date)
    if old:
        return Verdict(False, f"it tells of {old}, not of the days of its article")
    other = (name_mismatch(question, sentence) or other_country(question, sentence)
             or figure_mismatch(question, sentence)
             or other_subject(question, sentence, around, article_text))
    if other:
        return Verdict(False, f"it speaks of {other}")
    unsaid = event_unsaid(question, sentence, around, article_text)
    if unsaid:
        return Verdict(False, f"it does not speak of {unsaid}")
    # the person may be named by a neighbour ("Ecuador's Minister for Industry and Trade
    # resigned today" after "Xavier Neira ...")
    if asks_who(question) and not names_someone(question, sentence, article_text) and not (
            around and names_someone(question, around, article_text)):
        return Verdict(False, "it names no one the question does not")
    kind = asks_a_name(question)
    # "He ..." and "The airline said ..." stand for one named before them ("She said ..." for
    # a person only, not for a country or a company).
    pointing = points_back(sentence) and (kind in _PERSON_KINDS or not _PERSONAL.match(sentence))
    if kind and not pointing and not re.search(
            rf"\b(?:the|this|that|its) {kind.rstrip('s')}", sentence, re.I):
        # A country or a US state is one of a closed list; other kinds, any name.
        named = names_kind(kind, question, sentence, article_text)
        # "The deal would combine two of the largest supermarket chains" after the sentence
        # that names them: the answer is led by that one (rag/answering/extractive.py).
        if not named and before and speaks_of_kind(kind, sentence):
            named = names_kind(kind, question, before, article_text)
        if not named:
            return Verdict(False, "it names none" if kind == "name" else f"it names no {kind}")
    return kind_of_answer(question, sentence)
