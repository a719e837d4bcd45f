"""Text helpers shared by every part: the keyword tokenizer and the sentence segmenter.

One tokenizer (bm25s with English stop words and the Snowball stemmer) for keyword search,
sentence scores and answer checks, so that a word counts the same everywhere; one segmenter
for chunk boundaries and answer sentences, so that a quoted sentence is always whole.

Sentences: ``sentence_spans(text)`` gives (start, end) offsets such that ``text[start:end]`` is
a sentence. Built on nupunkt 0.8.0 (MIT, pure Python): its Punkt engine decides every boundary,
with a news vocabulary instead of its default model (trained on legal text, which listed
"york", "stock" and "week" as abbreviations). Around it, a few small steps, each backed by
cases in tests/data/news_sentences.jsonl (132 tricky news snippets; 130 right, against 96 for
NLTK's English Punkt, 116 for spaCy's senter; the comparison is in docs/segmenter.md):

1. Hard breaks, before the library runs: a blank line always ends a sentence, and so does a
   line break followed by an indent of 2+ spaces or a tab (Reuters starts every paragraph and
   table row that way; earnings tables have no full stops at all).
2. The news vocabulary (``_ABBREVIATIONS``, ``_SENT_STARTERS``) for the Punkt engine.
3. Two merges, after the library: never split where no whitespace separates the sentences
   (nupunkt splits "(D-Okla.)," into "(D-Okla." + "),"), and re-join after an abbreviation
   glued to a hyphen or quote ("D-Va.", "Canada-U.S.", "“U.S.").
4. One split, after the library: after a post-nominal abbreviation (Co., Corp., Inc., Ltd.,
   a.m., p.m.) followed by a short capitalised subject and a lower-case word ("...sold to the
   Larsen Co. | Dean also said..."): Punkt looks one word ahead only.

Robustness: a whitespace-free run of ``_MAX_RUN``+ characters (base64, a pasted blob) becomes
a span of its own and never reaches nupunkt, whose cost grows with the square of such runs;
long blocks are fed to nupunkt in windows (bounded memory, same result; a "sentence" of over
``_MAX_WINDOW`` characters is cut); every regex here is linear. Thread-safe: the parameters
are built once, lazily, under a lock, and each thread gets its own tokenizer (nupunkt
memoises per instance).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from itertools import chain

_STEM_LOCK = threading.Lock()
_STEMMER = None


_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's token pattern
# bm25s's English stop words (stopwords="en" in bm25s 0.3.16), so that tokenising needs neither
# bm25s nor numpy; tests/test_text.py checks that the tokens equal bm25s.tokenize's.
STOPWORDS_EN = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is",
    "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there",
    "these", "they", "this", "to", "was", "will", "with"))
_STEMS: dict[str, str] = {}  # word -> stem, "" for a stop word
# About 7 MB when full, then cleared: news words follow Zipf's law, so the frequent ones are back
# at once, and a tokenizer over 9 MB of dataset text ran as fast as with a million-word cache.
# A larger cache made an ingestion's memory grow with its vocabulary (benchmarks/README.md).
_MAX_STEMS = 50_000


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased, stop words dropped, stemmed (Snowball English): the keyword index's tokens
    of each text, the same as ``bm25s.tokenize(texts, stopwords="en", stemmer=...)`` but with
    a word cache, which makes indexing a million chunks several times faster."""
    stems = _STEMS
    out = []
    for text in texts:
        words = _TOKEN.findall(text.lower())
        try:
            out.append([t for t in map(stems.__getitem__, words) if t])
        except KeyError:
            out.append([t for t in _stem_all(words) if t])
    return out


def _stem_all(words: list[str]) -> list[str]:
    stemmer = _stemmer()
    with _STEM_LOCK:  # a PyStemmer object is not thread-safe
        if len(_STEMS) > _MAX_STEMS:
            _STEMS.clear()
        for w in words:
            if w not in _STEMS:
                _STEMS[w] = "" if w in STOPWORDS_EN else stemmer.stemWord(w)
        return [_STEMS[w] for w in words]


def _stemmer():
    global _STEMMER
    with _STEM_LOCK:
        if _STEMMER is None:
            import Stemmer

            _STEMMER = Stemmer.Stemmer("english")
        return _STEMMER

# --------------------------------------------------------------------------------------------
# 1. hard breaks and the long-run guard
# --------------------------------------------------------------------------------------------
# A blank line (any whitespace around it), or a line break followed by an indent of 2+ spaces
# or a tab. Linear: each alternative starts with a literal "\n" and scans only the whitespace
# run that follows it.
_HARD_BREAK = re.compile(r"\n[^\S\n]*\n\s*|\n(?=[^\S\n]{2,}\S|\t)")
_MAX_RUN = 500  # the longest whitespace-free run in the 7,068 dataset texts is under 150 chars
# Start of a whitespace-free run of _MAX_RUN+ chars. The look-behind pins the match to the start
# of a run, so no position is scanned more than twice (no quadratic retry inside long runs).
_LONG_RUN = re.compile(rf"(?<!\S)\S{{{_MAX_RUN}}}")
_WHITESPACE = re.compile(r"\s")
_WINDOW = 20_000  # characters given to nupunkt at a time (see _library_spans)
# No sentence is longer than this: a window that still holds one sentence at this size is cut
# at a whitespace instead of doubling again, so that a 35 MB file with no sentence end (one
# line of "a. a. a.", no full stop) is read in bounded windows, not as one 35 MB piece
# (~80 bytes of nupunkt state per character, re-read at every doubling).
_MAX_WINDOW = 160_000
# Bounds of nupunkt's memos (private attributes of the pinned nupunkt 0.8.0; see _tokenizer).
_DECISION_MEMO = 4096
_DERIVED_MEMO = 8192

# --------------------------------------------------------------------------------------------
# 2. news vocabulary for the Punkt engine (lower case, without the final period)
# --------------------------------------------------------------------------------------------
# Abbreviations that may stand before a full stop without ending the sentence. Words that are
# also ordinary English words are left out on purpose (ill, miss, mass, wash, ore, me, may,
# sun, est): a missed abbreviation costs one wrong split, a wrong one merges two sentences.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms messrs mmes dr drs prof rev hon sr jr esq phd
    gen brig lt col maj capt cmdr adm sgt cpl pvt gov sen sens rep reps pres supt atty det insp
    fr msgr
    co cos corp inc ltd bros assn dept div mfg intl natl govt univ inst assoc cie
    jan feb mar apr jun jul aug sep sept oct nov dec
    ala ariz ark calif colo conn fla ga kan kans ky md mich minn mont neb nev okla pa penn tenn
    va vt wis wyo
    st ave blvd rd hwy ft mt pkwy
    vs v etc al approx fig figs no nos vol vols ch pp ed eds op cf viz
    oz lb lbs sq yr yrs hr hrs
    a.m p.m u.s u.k u.n e.u d.c e.g i.e a.k.a ph.d u.s.a u.s.s.r n.y n.j n.h n.m n.c n.d s.c s.d
    r.i w.va l.a n.z
    """.split()
)
# Every single letter ("19593 S. 48th St.") and every initialism of 2-3 single letters ("j.p",
# "h.e.r") is an abbreviation as well; whether it ends the sentence is then decided by the next
# word.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_INITIALISMS = frozenset(
    list(_LETTERS)
    + [f"{a}.{b}" for a in _LETTERS for b in _LETTERS]
    + [f"{a}.{b}.{c}" for a in _LETTERS for b in _LETTERS for c in _LETTERS]
)


def abbreviation(word: str) -> bool:
    """Whether ``word`` (its final full stop included) ends with the segmenter's abbreviation
    or an initial ("Inc.", "Jr.", "Tenn.", "U.S.", "J."), whose full stop is its own."""
    low = word.lower().rstrip(".")
    low = low[low.rfind(" ") + 1:]
    return word.endswith(".") and (low in _ABBREVIATIONS or low in _INITIALISMS)


# Capitalised words that, after an abbreviation, start a new sentence ("...in the U.S. The
# company..."). Function words only: a noun or a name after "U.S." or "Corp." is far more often
# part of the same sentence ("U.S. Secretary of State", "Corp. Chairman"). Left out: "And",
# "Or", "On", "For", "By", "From", "With", "Last", "Now", "Later" -- Reuters-21578 capitalised
# the word after "U.S."/"U.K." ("after the U.S. And Japan", "the U.S. Last year totalled"),
# and in the 3,139 modern articles none of them started a sentence right after an abbreviation.
_SENT_STARTERS = frozenset(
    """
    the a an he she it they we i you this that these those there his her its their our my your
    but so yet if when while although though because since after before as in at under despite
    during among according however meanwhile moreover nevertheless nonetheless instead indeed
    thus also still then today yesterday both many most some several all each what why how who
    where one two three other another such like even only once next earlier separately similarly
    """.split()
)

# --------------------------------------------------------------------------------------------
# 4. the split: after Co./Corp./Inc./Ltd./a.m./p.m. before a new clause, and after "No."
# that numbers nothing ("the answer was crystal clear: No. Voters in Kansas ..."); "No. 1"
# stays whole (no capital follows), and so does "the No. Ten seed" (after "the")
# --------------------------------------------------------------------------------------------
_POSTNOMINAL = re.compile(r"(?<![\w.])(?:Co|Corp|Inc|Ltd|[ap]\.m|(?<!the )(?<!The )No)"
                          r"\.(?=\s+[A-Z])")
# The next few words after the abbreviation (bounded look-ahead, 80 characters).
_WORD = re.compile(r"[A-Za-z][\w'’&.-]*|[,;:]")
# Capitalised words that continue the sentence after those abbreviations: titles and company
# words ("Apple Inc. Chief Executive Tim Cook"), days, months and time zones ("7 p.m. Saturday").
_CONTINUERS = frozenset(
    """
    chief chairman chairwoman chair president vice executive director managing senior deputy
    spokesman spokeswoman spokesperson founder treasurer secretary general counsel head
    group holdings international unit subsidiary division
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    et est edt ct cst cdt mt mst mdt pt pst pdt gmt utc bst eastern central mountain pacific
    local
    """.split()
)
_NOT_A_CLAUSE = frozenset(["and", "or", "time"])  # "Co. Morgan Stanley and ...", "p.m. London time"

_LOCK = threading.Lock()
_PARAMS = None
_LOCAL = threading.local()


def _tokenizer():
    """This thread's nupunkt tokenizer; the shared parameters are built once, lazily."""
    tok = getattr(_LOCAL, "tokenizer", None)
    if tok is None:
        global _PARAMS
        from nupunkt import PunktParameters, PunktSentenceTokenizer

        with _LOCK:
            if _PARAMS is None:
                import nupunkt.core.tokens

                # Its per-word memo (module-wide, never evicted): see _DECISION_MEMO below.
                nupunkt.core.tokens._DERIVED_CACHE_SIZE = _DERIVED_MEMO
                params = PunktParameters()
                params.abbrev_types = set(_ABBREVIATIONS | _INITIALISMS)
                params.sent_starters = set(_SENT_STARTERS)
                # nupunkt's learned break rate, kept for the one listed abbreviation where it
                # decides anything: "etc." before a capitalised word ended the sentence in 25
                # of 26 cases in its training data ("..., camera, etc. Well, in a huge step").
                params.abbrev_break_rates = {"etc": (26, 25)}
                params.abbrev_types.add("...")  # nupunkt's one "common abbreviation"
                _PARAMS = params
        tok = PunktSentenceTokenizer(_PARAMS, include_common_abbrevs=False)
        # nupunkt's documented opt-in: "!" or "?" before a lower-case word on the same line does
        # not end the sentence ("told Hola! that...", "Jeopardy! host"); news rarely starts a
        # sentence in lower case.
        tok.EXCL_QUEST_LOWERCASE_CONTINUES = True
        # nupunkt memoises its decisions per context string and word (up to 32,768 and 65,536
        # entries, about 20 MB when full); a long ingestion filled them, so its memory grew with
        # the corpus. These bounds cost 5% of chunking speed (benchmarks/README.md).
        tok._DECISION_MEMO_SIZE = _DECISION_MEMO
        _LOCAL.tokenizer = tok
    return tok


def _starts_clause(text: str, pos: int, end: int) -> bool:
    """Does a new clause start at ``pos`` (a capital letter after Co./Inc./p.m. ...)?

    True for one or two capitalised words that are not titles, company words, days, months
    or time zones, followed by a lower-case word or a comma: "Dean also said",
    "Burton Ruby, son of", "Analysts said". False for "Chief Executive Tim Cook said",
    "Saturday at", "EST on", "Morgan Stanley and Co.", and for three or more capitalised
    words in a row (too ambiguous to split).
    """
    words = _WORD.findall(text, pos, min(end, pos + 80))
    for i, w in enumerate(words[:3]):
        if w in ",;:":
            return i > 0
        if w[0].islower():
            return i > 0 and w not in _NOT_A_CLAUSE
        if i == 2 or w.endswith(".") or w.split("'")[0].split("’")[0].lower() in _CONTINUERS:
            return False
    return False


def _split_postnominal(text: str, a: int, b: int, out: list[tuple[int, int]]) -> None:
    """Append span (a, b) to ``out``, split after Co./Inc./p.m. ... where a clause starts."""
    for m in _POSTNOMINAL.finditer(text, a, b):
        nxt = m.end()
        while nxt < b and text[nxt].isspace():
            nxt += 1
        if nxt < b and _starts_clause(text, nxt, b):
            out.append((a, m.end()))
            a = nxt
    out.append((a, b))


# 3. Merge rule (a): no whitespace between two "sentences" -- nupunkt splits "(D-Okla.)," into
# "(D-Okla." + ")," and "Vote!," likewise. A sentence boundary needs whitespace.
# Merge rule (b): nupunkt never treats a token with a hyphen or an opening quote as an
# abbreviation, so it ends a sentence after "D-Va.", "Canada-U.S.", "non-U.S.", "“U.S." or
# Reuters' "<E.F. Hutton LBO Inc>".
# Re-join when the last part is a listed abbreviation and the next word is not a sentence
# starter -- the decision nupunkt itself makes for a bare abbreviation.
# (Not after a straight apostrophe: "Standard and Poor's." is a possessive, not "'s.".)
_GLUED_ABBREV = re.compile(r"[-/\"“‘(<]([A-Za-z][A-Za-z.]*)\.$")


def _glued_abbreviation(text: str, prev_end: int, start: int) -> bool:
    m = _GLUED_ABBREV.search(text, max(0, prev_end - 12), prev_end)
    word = m.group(1).lower() if m else ""
    if word not in _ABBREVIATIONS and (len(word) < 3 or word not in _INITIALISMS):
        return False  # a lone letter after a hyphen ("Chick-fil-A.") is not an abbreviation
    nxt = _WORD.match(text, start)
    return not (nxt and nxt.group().lower() in _SENT_STARTERS)


def _library_spans(text: str, start: int, end: int, tok) -> Iterator[tuple[int, int]]:
    """nupunkt's sentence spans of text[start:end], trimmed, in absolute offsets.

    Long pieces are fed in windows of about ``_WINDOW`` characters cut at whitespace; the last
    sentence of a window may be cut short, so it is dropped and re-read with the next window
    (Punkt decides each boundary from the token before and after it, so nothing else changes).
    This keeps memory bounded (nupunkt holds ~80 bytes of state per input character).
    """
    pos, window = start, _WINDOW
    while pos < end:
        cut = end
        if end - pos > 2 * window:
            ws = _WHITESPACE.search(text, pos + window, end)  # within _MAX_RUN: no long runs here
            cut = ws.start() if ws else end
        piece = text[pos:cut]
        spans = []
        for a, b in tok.span_tokenize(piece):
            seg = piece[a:b]
            lead = len(seg) - len(seg.lstrip())
            trail = len(seg) - len(seg.rstrip())
            if b - trail > a + lead:
                spans.append((pos + a + lead, pos + b - trail))
        if cut < end:
            if len(spans) < 2 and window < _MAX_WINDOW:
                window *= 2  # one sentence fills the window: read a bigger one (geometric)
                continue
            if len(spans) < 2:  # longer than any sentence: cut it here, keep the window
                pos = cut
                yield from spans
                continue
            pos = spans.pop()[0]
            window = _WINDOW
        else:
            pos = end
        yield from spans


def _segment_block(text: str, start: int, end: int, tok, out: list[tuple[int, int]]) -> None:
    """Sentence spans of text[start:end] (no hard break inside), trimmed, appended to ``out``."""
    pos = start
    while pos < end:
        m = _LONG_RUN.search(text, pos, end)
        stop = m.start() if m else end
        if stop > pos:
            spans: list[list[int]] = []
            for a, b in _library_spans(text, pos, stop, tok):
                if spans and (spans[-1][1] == a or _glued_abbreviation(text, spans[-1][1], a)):
                    spans[-1][1] = b  # merge rules (a) and (b) above
                else:
                    spans.append([a, b])
            for a, b in spans:
                _split_postnominal(text, a, b, out)
        if not m:
            break
        ws = _WHITESPACE.search(text, m.end(), end)
        run_end = ws.start() if ws else end
        out.append((m.start(), run_end))  # the long run is a span of its own
        pos = run_end


# A sentence that opens with a pronoun for a person or group, or "That’s / This is ..."
# standing for what was said before it: without that sentence it does not say who or what.
# Not "It": as often "It now costs ..." or "It comes as ..." as a thing named before.
_POINTS_BACK = re.compile(r"\s*(?:(?:He|She|They|His|Her|Their|Him|Them)\b"
                          r"|(?:That|This|These|Those)(?:[’']s\b|\s+(?:is|was|are|were)\b))")


def points_back(sentence: str) -> bool:
    """Whether ``sentence`` opens by pointing back to the one before it ("He will ...",
    "That’s how much ...")."""
    return bool(_POINTS_BACK.match(sentence))


# A photo credit glued before its caption ("Joe Skipper/Reuters People watch the rocket ...",
# "Gagan Nayar/AFP/Getty Images A woman looks at ..."): a name, then "/"-joined agencies, the
# last one a word or a name ending in a word such as "Images" or "Press" ("Getty Images",
# "USA Today Network"), then the caption's capitalised first word. Pages lose the line break
# between credit and caption, so the segmenter sees one sentence.
_CREDIT = re.compile(
    r"(?:[A-Z][\w.'’-]*\s){0,3}[A-Z][\w.'’-]*"
    r"(?:\s?/\s?[A-Z0-9][\w.'’&-]*(?:\s[A-Z][\w.'’&-]*)*?)*"
    r"\s?/\s?[A-Z0-9][\w.'’&-]*(?:(?:\s[A-Z][\w.'’&-]*){0,2}?\s(?:Images|Press|Network"
    r"|Agency|Service|Pictures|Photos?|Wire|News))?"
    r"\s(?=[A-Z0-9])")
_CAPTION_MIN = 20
# A caption's first words: capitalised, or a number within a name ("The SpaceX Falcon 9 rocket
# sits ...", "In June 1982, Diana gave ..."), then one in lower case. Not "30,000/35,000": a
# shipping table's figures are no caption.
_CAPTION_GOES_ON = re.compile(r"\S+(?:\s+(?:[A-Z]\S*|\d[\d,.]*)){0,4}\s+[a-z]")


def credit_length(sentence: str) -> int:
    """The length of a photo credit that opens ``sentence`` (its trailing space included), or
    0: the caption after it is the sentence to quote. Only before a caption of _CAPTION_MIN
    characters or more that goes on in lower case ("People watch ...")."""
    m = _CREDIT.match(sentence)
    if not m:
        return 0
    rest = sentence[m.end():]
    if len(rest) < _CAPTION_MIN or not _CAPTION_GOES_ON.match(rest):
        return 0
    return m.end()


# A dateline before a story's first sentence ("CHARLEROI, Belgium – ", "PHILADELPHIA (AP) — ",
# "LONDON, March 26 - ", "Phoenix (CNN) "), or a photo's label ("FILE - "): a place in
# capitals, maybe its region or date, maybe the agency, then a dash; or an agency in
# parentheses after a place. Quoted with it, the sentence's first name is the
# place ("Belgium" marked as who became the youngest pilot) and a follow-up carries it.
_DATELINE = re.compile(
    # a wire's or CNN's: "(CNN) ", "Phoenix (CNN) "
    r"(?:[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,2}\s)?\((?:CNN|AP|Reuters|AFP|UPI)\)\s*"
    r"(?:[–—-]+\s+)?(?=[A-Z“\"0-9])"
    # a place in capitals, of 4 letters or more or of two words ("NEW YORK", not "US") ...
    r"|(?:[A-Z][A-Z.'’-]{3,}(?:\s[A-Z][A-Z.'’-]+)*|[A-Z][A-Z.'’-]+(?:\s[A-Z][A-Z.'’-]+)+)"
    # ... its region (", Belgium"), date (", March 26"), agency ("(AP)"), then a dash
    r"(?:,\s[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*)*)?(?:,\s[A-Z][a-z]+\.?\s\d{1,2})?"
    r"\s*(?:\([A-Z][\w ]{1,15}\)\s*)?[–—-]+\s+(?=[A-Z“\"0-9])")


def dateline_length(sentence: str) -> int:
    """The length of a dateline that opens ``sentence`` (its trailing space included), or 0:
    the words after it are the sentence to quote. Only before _CAPTION_MIN characters or more;
    for a sentence that opens a paragraph (the caller knows)."""
    m = _DATELINE.match(sentence)
    return m.end() if m and len(sentence) - m.end() >= _CAPTION_MIN else 0


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, in order, trimmed of whitespace.

    ``text[start:end]`` is exactly the sentence. A blank line, or a line break followed by an
    indented line, always ends a sentence; a single line break inside a sentence does not.
    """
    tok = _tokenizer()
    spans: list[tuple[int, int]] = []
    pos = 0
    for brk in chain(_HARD_BREAK.finditer(text), (None,)):
        end = brk.start() if brk else len(text)
        if end > pos and not text[pos:end].isspace():
            _segment_block(text, pos, end, tok, spans)
        if brk:
            pos = brk.end()
    return spans


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` as strings (``text[start:end]`` for each span)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_pieces(text: str) -> list[str]:
    """The text cut at sentence boundaries, whitespace kept (``"".join(pieces) == text``):
    the form llama-index's SentenceSplitter takes to build chunks from whole sentences."""
    cuts = [b for _a, b in sentence_spans(text)][:-1]
    pieces, pos = [], 0
    for b in cuts:
        pieces.append(text[pos:b])
        pos = b
    pieces.append(text[pos:])
    return [p for p in pieces if p]
