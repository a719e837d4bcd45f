"""Which countries and US states a sentence names: closed lists, so that "Which country ..."
is not answered by a sentence that names a city, an agency or no place at all ("One year ago
today, the World Health Organization declared ...").

Country names come from Babel's CLDR data (English territory names); their adjectives are
matched by a shared stem ("Iran" -> "Iranian", "Ukraine" -> "Ukrainian") and, where the stem
differs, by the short list below. The 50 states are written out: no installed library lists
them.
"""

from __future__ import annotations

import functools
import re

# Adjectives and other names whose stem is not their country's ("Dutch", "British").
_ALSO = {
    "United Kingdom": "UK, U.K., Britain, British, Briton, England, English, Scotland, "
                      "Scottish, Wales, Welsh, Northern Ireland",
    "United States": "US, U.S., USA, U.S.A., America, American",
    "Netherlands": "Dutch, Holland",
    "France": "French",
    "Switzerland": "Swiss",
    "Ireland": "Irish",
    "Finland": "Finnish, Finn",
    "Denmark": "Danish, Dane",
    "Poland": "Polish, Pole",
    "Spain": "Spanish, Spaniard",
    "Philippines": "Filipino, Filipina",
    "Czechia": "Czech Republic, Czech",
    "Afghanistan": "Afghan",
    "Uzbekistan": "Uzbek",
    "Kazakhstan": "Kazakh",
    "Kyrgyzstan": "Kyrgyz",
    "Tajikistan": "Tajik",
    "Turkmenistan": "Turkmen",
    "Myanmar": "Burma, Burmese",
    "Côte d’Ivoire": "Ivory Coast, Ivorian",
    "Türkiye": "Turkey, Turkish",
    "Congo - Kinshasa": "Congo, Congolese",
    "Bosnia & Herzegovina": "Bosnia, Bosnian",
    "Trinidad & Tobago": "Trinidad",
    "Thailand": "Thai",
    "Bangladesh": "Bangladeshi",
    "Taiwan": "Taiwanese",
    "Palestinian Territories": "Palestine, Palestinian, Gaza, West Bank",
    "Vatican City": "Vatican, Holy See",
    "Hong Kong SAR China": "Hong Kong",
    "Macao SAR China": "Macau, Macao",
}
# Words of the territory list that are regions or groupings, not countries.
_NOT_COUNTRY = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ"}

US_STATES = (
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia "
    "Hawaii Idaho Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts "
    "Michigan Minnesota Mississippi Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon "
    "Pennsylvania Tennessee Texas Utah Vermont Virginia Washington Wisconsin Wyoming").split() + [
    "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota",
    "Rhode Island", "South Carolina", "South Dakota", "West Virginia"]


_US_NAMES = frozenset(_ALSO["United States"].split(", ") + ["United States", "Americans"])
# The endings of an adjective or a people after a country's name ("Saudi Arabia-n").
_SUFFIX = "n|ns|an|ans|er|ers|ese|i|s"
_STEM_MAX = 7  # "Philippines" -> "Philipp": "Philippine", not "Prince Philip"


def _stem(name: str) -> str:
    """A one-word country name's stem shared with its adjective: "Ukraine" -> "Ukrai"."""
    if len(name) <= 4:
        return name  # "Iran", "Cuba", "Oman": the name itself starts the adjective
    return name[:min(max(4, len(name) - 2), _STEM_MAX)]


@functools.lru_cache(maxsize=1)
def _countries() -> tuple[frozenset[str], re.Pattern]:
    stems, phrases = set(), set()
    for n in _country_names():
        if " " in n or "&" in n or "-" in n or "." in n:
            phrases.add(n)
        else:
            stems.add(_stem(n))
    # The other names are matched as written (a stem of "Polish" would match "Police").
    phrases.update(w for also in _ALSO.values() for w in also.split(", "))
    words = sorted(phrases, key=len, reverse=True)
    # "Saudi Arabian", "South Koreans", "New Zealander": the phrase and an adjective's ending.
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(w) for w in words)
                         + rf")(?:{_SUFFIX})?(?!\w)")
    return frozenset(stems), pattern


_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")


# A country's name inside another name: "United States Geological Survey", "British Airways",
# "Bank of America" (but "the Prime Minister of Japan" names Japan).
_IN_ORG = re.compile(r"\s+(?:Geological|Geologic|Survey|Airlines|Airways|Postal|Open|Institute"
                     r"|Museum)\b")
_OF_ORG = re.compile(r"\b[A-Z][\w&’'-]*\s+of\s+$")


def country_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` names a country or says its adjective ("Iranian", "Saudi Arabian"):
    (start, end) of each, in the order found."""
    stems, pattern = _countries()
    found = []

    def add(m: re.Match) -> None:
        of_org = m.group(0) == "America" and _OF_ORG.search(text[max(0, m.start() - 40):
                                                                   m.start()])
        if not (_IN_ORG.match(text, m.end()) or of_org):
            found.append(m.span())

    for m in pattern.finditer(text):
        add(m)
    for m in _CAPITALISED.finditer(text):
        w = m.group(0)
        if any(w[:k] in stems for k in range(4, min(len(w), _STEM_MAX) + 1)):
            add(m)
    return found


def countries_named(text: str) -> set[str]:
    """The country names and adjectives in ``text``, as written."""
    return {text[a:b] for a, b in country_spans(text)}


@functools.lru_cache(maxsize=4096)
def country_of(phrase: str) -> str:
    """The country that ``phrase`` (a country_spans phrase) names or says the adjective of:
    "Saudi Arabian" -> "Saudi Arabia", "Iranian" -> "Iran", "British" -> "United Kingdom";
    "" when none ("Mexico City" names a city)."""
    low = phrase.lower()

    def of(heads: list[str], ending: re.Pattern) -> bool:
        return any(low.startswith(h.lower()) and ending.fullmatch(low[len(h):]) is not None
                   for h in heads)

    for country, also in _ALSO.items():
        # as written, with an adjective's ending at most: "Polish", not "Police"
        if of([country, *also.split(", ")], _AFTER_ALSO):
            return country
    for n in _country_names():
        if of([n, n if " " in n else _stem(n)], _ENDING):
            return n
    return ""


@functools.lru_cache(maxsize=1)
def _country_names() -> list[str]:
    """CLDR's English country names, longest first ("South Korea" before "Korea")."""
    from babel import Locale

    names = [n.split(" (")[0] for code, n in Locale("en").territories.items()  # "Myanmar (Burma)"
             if len(code) == 2 and code not in _NOT_COUNTRY]
    return sorted(names, key=len, reverse=True)


# What may follow a country's name or stem in its adjective or people ("Iran-ian", "Saudi
# Arabia-n", "Chin-ese"); after a name written out in _ALSO, only _SUFFIX.
_ENDING = re.compile(r"[a-z]{0,5}")
_AFTER_ALSO = re.compile(f"(?:{_SUFFIX})?")


def new_country_spans(question: str, text: str) -> list[tuple[int, int]]:
    """country_spans of ``text`` that name a country the question does not."""
    return [(a, b) for a, b in country_spans(text) if _new({text[a:b]}, question)]


_STATES = re.compile(r"\b(?:" + "|".join(sorted(US_STATES, key=len, reverse=True)) + r")\b")
# "Nayarit state", "the state of Kerala": a state of another country, named as one.
_OTHER_STATE = re.compile(r"\b[A-Z][\w-]+ state\b|\bstate of [A-Z]")


def named_otherwise(question: str, text: str) -> set[str]:
    """The lower-cased words of each country the question names in full ("United Kingdom")
    that ``text`` names only by another of its names ("UK", "Britain", "British"): found,
    although the words themselves are not in ``text``."""
    out: set[str] = set()
    for country, also in _ALSO.items():
        if country in question and any(
                re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", text) for n in also.split(", ")):
            out.update(w.lower() for w in country.split())
    return out


def states_named(text: str) -> set[str]:
    found = set(_STATES.findall(text))
    found.update(m.group(0) for m in _OTHER_STATE.finditer(text))
    return found


def _new(found: set[str], question: str) -> bool:
    """Whether ``found`` holds a place the question does not name ("Which country did the US
    team defeat?" is not answered by "the US team")."""
    q = question.lower()
    return any(not re.search(rf"\b{re.escape(w.lower()[:5])}" + ("" if len(w) >= 5 else r"\b"), q)
               for w in found)


# The asked kinds (constraints.asks_a_name) answered by one of the list of countries.
COUNTRY_KINDS = frozenset(("country", "countries", "nation", "nations"))


def names_place(kind: str, question: str, sentence: str) -> bool | None:
    """For a question asking which country or which state: whether the sentence names one
    that the question does not. None for other kinds (no list to check against)."""
    if kind in COUNTRY_KINDS:
        return _new(countries_named(sentence), question)
    if kind in ("state", "states"):
        # A nation is a state too ("Which state holds the EU presidency?" - Denmark), but not
        # the US, in whose news "which state" asks for one of its states.
        nations = {c for c in countries_named(sentence) if c not in _US_NAMES}
        return _new(states_named(sentence) | nations, question)
    return None


_IN_COUNTRY = re.compile(r"\b(?:which|what)\s+((?:[\w’'-]+\s+){0,2}?)(?:city|cities|town|towns"
                         r"|region|province|island|capital|port|village)\b", re.I)


def other_country(question: str, sentence: str) -> str:
    """For "... in which Russian city?": a country the sentence places it in that is not the
    asked one ("the city of Samarkand in Uzbekistan"), when it names no other; else "". (Not
    for "which US state": a sentence about Texas seldom says "US", and may name Mexico.)"""
    m = _IN_COUNTRY.search(question)
    if not m:
        return ""
    asked = countries_named(m.group(1))
    if not asked:
        return ""
    named = countries_named(sentence)
    stems = {a.lower()[:5] for a in asked}
    if not named or any(n.lower()[:5] in stems for n in named):
        return ""
    return sorted(named)[0]
