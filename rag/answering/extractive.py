"""Extractive answers: pick the retrieved sentences that answer the question, cite each one.

No LLM: every sentence of the answer is a verbatim sentence of an article, so each citation's
quote is exact at its offsets. When no sentence answers well enough, abstain.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..config import AnswerMode
from ..dates import date_int, recency_prior
from ..text import credit_length, dateline_length, points_back, sentence_spans, tokenize
from ..types import ABSTAIN_TEXT, Answer, AnswerRequest, AnswerSentence, Citation, Passage
from .base import Plan
from .constraints import figure_value
from .focus import focus_span
from .places import country_of
from .question import (
    AnswerType,
    answer_type,
    as_asked,
    asking,
    asks_who,
    holds_new_answer,
    leads_with_name,
    names_in,
    question_words,
    refers_to_recent,
)

_MIN_CHARS = 25
_MAX_CHARS = 1200
_CACHE_SIZE = 50_000  # sentence vectors kept (about 80 MB at 384 dims)
# "She said that ...", "He told reporters ...": a pronoun that only names who is speaking.
_ATTRIBUTED = re.compile(r"\s*(?:He|She|They)\s+(?:also\s+)?(?:said|says|told|added|noted|"
                         r"stated|explained|wrote|argued|warned|estimated|confirmed)\b")
# Page furniture around an article's text: links to other stories ("►Related: ...",
# "Last week:'Uncharted' wins ..."), video teasers ("MUST WATCH ...", "JUST WATCHED ...
# Replay More Videos", "Video Ad Feedback ... 05:57 - Source: CNN"), bullets, a reporter's
# handle ("Follow Mike Snider on Twitter: @mikesnider."). Not photo
# captions: "... Students carry an Indian national flag ahead of the country's 75th
# independence day celebrations" answers what it shows.
_FURNITURE = re.compile(r"\s*(?:[►▶•]|MUST WATCH\b|JUST WATCHED\b|READ MORE\b|Related:|Watch:"
                        r"|Video:|Video Ad Feedback\b|Correction:|Clarification:"
                        r"|Editor['’]s [Nn]ote:"
                        r"|Follow\b[^.!?]{0,60}?\bon (?:Twitter|Instagram|Facebook|TikTok)\b)"
                        r"|[\w'’ ]{3,40}:(?=['‘“A-Z])")


_WORD = re.compile(r"[^\W\d_]{3,}")  # any script's words ("было"), of 3 letters or more


def _is_label(sentence: str, passage_text: str) -> bool:
    """A line with no word in lower case, in a passage written in lower case: a heading ("LEAD
    ACTOR, COMEDY SERIES"), a list's entry ("Nicholas Braun, “Succession” (HBO)", "WINNER:
    “Ted Lasso” (Apple TV+)"), a photo credit alone, "Contributing: Associated Press". It says
    nothing of what its names did ("Who created “Succession”?" was answered by three
    nominees). A wire story written all in capitals (Reuters of 1987) keeps its sentences."""
    if any(w[0].islower() for w in _WORD.findall(sentence)):
        return False
    return sum(ch.islower() for ch in passage_text) > sum(ch.isupper() for ch in passage_text)


_WHICH = re.compile(r"\s*(?:which|what)\s+((?:[\w’'-]+\s+){1,3})", re.I)
_NOT_NOUN = frozenset("is was are were did does do has have had will would can could the a an of "
                      "to in on for new".split())
_STATEMENT = re.compile(r"\w+\s+\w+\s+\w+.*[.!?][”’\"')]*$", re.S)  # words, then a full stop


# Refusals for want of a name of the asked kind or of a win, or of a sentence that tells what
# was expected ("... will reunite with ...") where what was done is asked (constraints.py); not
# of a number or a period.
_UNFIT = re.compile(r"it (?:tells of no win|names no|does not say which|tells what was expected)")


@dataclass
class Candidate:
    passage: Passage
    start: int  # offsets in the article
    end: int
    text: str
    rank: int
    score: float = 0.0  # relevance: decides whether to answer at all
    pick: float = 0.0  # relevance plus answer-type fit: decides which sentences answer
    typed: bool = False  # holds a new name or number of the kind the question asks for
    fresh: float = 1.0  # recency prior of its article for an as_of question (1: no as_of)
    dense: float = 0.0
    lexical: float = 0.0
    vec: object = None
    logit: float | None = None  # the cross-encoder's, once read (rag/answering/cross_answerer.py)


class ExtractiveAnswerer:
    """Answers with sentences of the passages (``settings``: AnswerSettings; ``window_days``:
    the recency window of an as_of question, shared with retrieval)."""

    mode = AnswerMode.EXTRACTIVE

    def __init__(self, embedder, settings, window_days: int = 7):
        self.embedder = embedder
        self.settings = settings
        self.window_days = window_days
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def stream(self, request: AnswerRequest, plan: Plan, passages: list[Passage]):
        """The Answerer protocol: the answer's text in pieces, then the Answer."""
        answer = self.answer(plan.question, passages, qvec=plan.vector,
                             boost_docs=plan.boost_docs, as_of=request.as_of)
        yield from re.findall(r"\S+\s*", answer.text)
        yield answer

    def candidates(self, passages: list[Passage], max_passages: int | None = None
                   ) -> list[Candidate]:
        max_passages = max_passages or self.settings.answer_passages
        seen: set[tuple[str, int]] = set()
        out: list[Candidate] = []
        for rank, p in enumerate(passages[:max_passages]):
            for a, b in sentence_spans(p.text):
                a += credit_length(p.text[a:b])  # a caption is quoted without its photo credit
                # a dateline opens a paragraph: the article's start, or after a line break
                opens_paragraph = p.start == 0 if a == 0 else p.text[a - 1] == "\n"
                if opens_paragraph:
                    a += dateline_length(p.text[a:b])  # a story's first sentence, no dateline
                if a < p.lead:
                    continue  # context before the chunk: quoted only as what it points to
                key = (p.doc_id, p.start + a)
                text = p.text[a:b]
                if key in seen or not (_MIN_CHARS <= len(text) <= _MAX_CHARS):
                    continue
                if text.rstrip().rstrip("\"'”’)").endswith("?"):
                    continue  # a question (a quiz's, an interviewer's) never answers one
                if sum(ch.isalpha() for ch in text) < 0.5 * len(text):
                    continue  # tables and figures read badly as answers
                if _FURNITURE.match(text):
                    continue  # a link to another story, a video teaser, a bullet
                if _is_label(text, p.text):
                    continue  # "LEAD ACTOR, COMEDY SERIES", "Bill Hader, “Barry” (HBO)"
                seen.add(key)
                out.append(Candidate(p, p.start + a, p.start + b, text, rank))
        return out

    def embed_sentences(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors, cached: the same articles' sentences come back question after
        question."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vecs = self.embedder.embed_texts(missing)
            with self._cache_lock:
                for t, v in zip(missing, vecs, strict=True):
                    self._cache[t] = np.asarray(v, dtype=np.float32)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            return np.stack([self._cache[t] for t in texts])

    def score(self, question: str, qvec, cands: list[Candidate],
              boost_docs: set[str] | None = None, as_of: str | None = None) -> None:
        """Set each candidate's relevance (``score``) and selection score (``pick``).

        With ``as_of``, a sentence from an article of the window_days before it
        gains settings.freshness_weight / 2 of relevance and one from an older article loses as
        much (decaying in between): asked about the news of a given day, that week's articles
        answer with a looser match and older ones need a closer match (what they say may have
        changed since). Without ``as_of`` nothing changes.
        """
        self._hand_score(question, qvec, cands, cands, boost_docs, as_of)

    def _hand_score(self, question: str, qvec, cands: list[Candidate], among: list[Candidate],
                    boost_docs: set[str] | None = None, as_of: str | None = None) -> None:
        """score's hand-set part for ``cands``, the passage term scaled and opening names
        known over the passages of ``among`` (the candidates read with them)."""
        if not cands:
            return
        s = self.settings
        vecs = self.embed_sentences([c.text for c in cands])
        q = np.asarray(qvec, dtype=np.float32)
        dense = vecs @ q
        qwords = set(tokenize([question])[0])
        # The passage term is the passage's retrieval score scaled to 0..1 over the passages
        # read (fusion scores are not all on one scale).
        scores = [c.passage.score for c in among]
        lo, span = min(scores), max(scores) - min(scores)
        for c, d, v in zip(cands, dense, vecs, strict=True):
            words = set(tokenize([c.text])[0])
            c.dense = float(d)
            c.lexical = len(qwords & words) / len(qwords) if qwords else 0.0
            rel = (c.passage.score - lo) / span if span > 1e-9 else 1.0
            c.score = s.w_dense * c.dense + s.w_lexical * c.lexical + s.w_passage * rel
            if boost_docs and c.passage.doc_id in boost_docs:
                c.score += s.context_boost
            c.vec = v  # for redundancy checks
        ref = date_int(as_of) if as_of else 0
        kind, qw = answer_type(question), question_words(question)
        # A number in a sentence is found exactly and "how many" cannot be answered without
        # one; a capitalised word is only a hint of a name: numbers weigh double.
        type_weight = s.answer_type_weight * (
            2.0 if kind in (AnswerType.QUANTITY, AnswerType.TIME) else 1.0)
        # The passages read tell which opening words are names ("California has ...").
        known = names_in(list({id(c.passage): c.passage.text for c in among}.values())) \
            if kind is AnswerType.ENTITY else frozenset()
        for c in cands:
            if ref:
                c.fresh = recency_prior(ref, date_int(c.passage.date), self.window_days)
                c.score += s.freshness_weight * (c.fresh - 0.5)
            # A sentence that restates the question ranks high on relevance without holding
            # the answer; one that also holds a new name or number of the expected kind is
            # likelier to be the answer.
            c.typed = holds_new_answer(c.text, qw, kind) or leads_with_name(c.text, qw, known)
            c.pick = c.score + (type_weight if c.typed else 0.0)

    def threshold(self) -> float:
        """The best relevance at which the articles answer without more."""
        return self.settings.min_answer_score

    def floor(self) -> float:
        """The lowest best relevance at which ``sure`` may still let them answer."""
        return self.threshold()

    def sure(self, question: str, c: Candidate) -> bool:
        """Below threshold(), whether a sentence that passes the checks answers all the same
        (the rules alone never know)."""
        return False

    def doubts(self, question: str, best: Candidate, top: float) -> bool:
        """Just over the threshold (best relevance ``top``), whether the chosen sentence is
        too doubtful to answer (the rules alone never know)."""
        return False

    def prefers(self, question: str, c: Candidate, best: Candidate) -> bool:
        """Whether ``c`` answers better than the chosen ``best``: one under the threshold
        ranked before it, or one of its article when ``best`` is doubted (the rules alone
        never know)."""
        return False

    def checked_best(self, question: str, cands: list[Candidate], passages: list[Passage],
                     rescue: bool = False):
        """The best candidate whose article agrees with the question's periods and names
        (rag/answering/constraints.py), among those that clear the threshold; with ``rescue``
        (the best relevance is below it) those that clear the floor and that the answerer is
        ``sure`` of.
        Else a "related" Answer (a sentence about September does not answer a question about
        October)."""
        from .constraints import Verdict, other_subject, rare_names, says_not_told
        from .reader import sentence_contexts

        ok = [c for c in cands if c.score >= (self.floor() if rescue else self.threshold())] \
            or cands[:1]
        ok = [c for c in ok if c.pick >= self.settings.fallback_ratio * ok[0].pick]
        why = ""
        elsewhere: set[str] = set()  # articles about another one than the question names
        unfit: set[str] = set()  # articles whose sentences read name no one of the asked kind
        # When the sentence closest to the question says that what is asked is not known
        # ("LinkedIn does not disclose an estimate for the total number ..."), a sentence of
        # its article that matches the question less does not answer it. (Not a lesser
        # one: "North Korea has not revealed how many infections ..." is about another
        # figure than the death toll its article gives.)
        closest = max(ok, key=lambda c: c.score)
        not_told = says_not_told(closest.text)
        for c, ctx in zip(ok, sentence_contexts(passages, ok), strict=True):
            if not_told and c.passage.doc_id == closest.passage.doc_id \
                    and c.score < closest.score:
                why = why or "the article says it is not known"
                continue
            around = f"{ctx.before} {ctx.after}"
            verdict = _verdict(question, c, ctx)
            # An article whose sentence was about Instagram's fine, not TikTok's, tells of
            # Instagram in its other sentences too, unless they name TikTok.
            if verdict.ok and c.passage.doc_id in elsewhere and rare_names(
                    question, c.text, around, ctx.doc_text, at_most=None):
                verdict = Verdict(False, "its article tells of another one")
            elif not verdict.ok and other_subject(question, c.text, around, ctx.doc_text):
                elsewhere.add(c.passage.doc_id)
            if verdict.ok and rescue and not self.sure(question, c):
                verdict = Verdict(False, "it holds too little of the question")
            if verdict.ok:
                return c
            if _UNFIT.match(verdict.reason):
                unfit.add(c.passage.doc_id)
            why = why or verdict.reason
        # The article's closest sentences name no team ("The Avalanche finish the 2022 NHL
        # playoffs with a record of 9-1"), or no win: the one that does may match the question
        # less ("The Colorado Avalanche defeated the Tampa Bay Lightning ... to win the team's
        # first Stanley Cup"). From the floor up, as below the threshold, when the answerer is
        # sure of it. Not for a missing number or period: a near-miss question's articles give
        # another one (benchmarks/README.md, stop 33).
        more = [c for c in cands if c.passage.doc_id in unfit
                and self.floor() <= c.score < self.threshold()] if not rescue else []
        for c, ctx in zip(more, sentence_contexts(passages, more), strict=True):
            if _verdict(question, c, ctx).ok and self.sure(question, c):
                return c
        return _related(question, cands, passages, why)

    def latest(self, question: str, cands: list[Candidate], best: Candidate,
               passages: list[Passage], as_of: str | None) -> Candidate:
        """The sentence that leads a figure asked of recent time ("how many cases ... as of
        this week?"): one of a newer article than ``best``'s that gives a figure and passes
        the question's checks, with latest_figure_ratio of its selection score at least; else
        ``best``. Names and events are not replaced so: a newer article is not likelier to
        hold the one asked (all kinds: +4 -3 on realtimeqa-2022, stop 35)."""
        ratio = self.settings.latest_figure_ratio
        if ratio <= 0 or not as_of or not refers_to_recent(question) or not best.typed \
                or answer_type(question) is not AnswerType.QUANTITY:
            return best
        day = date_int(best.passage.date)
        newer = [c for c in cands if c.typed and c.pick >= ratio * best.pick
                 and day and date_int(c.passage.date) > day]
        newer.sort(key=lambda c: (date_int(c.passage.date), c.pick), reverse=True)
        return _first_passing(question, newer, passages) or best

    def stating(self, question: str, cands: list[Candidate], best: Candidate,
                passages: list[Passage]) -> Candidate:
        """The sentence that leads when the asking sentence states a figure ("Who holds the
        ... record with 73 home runs?") that ``best`` does not: one that states it, holds an
        answer of the asked kind and passes the question's checks, with stated_figure_ratio of
        ``best``'s selection score at least ("Barry Bonds set the major league record with 73
        home runs in 2001", over Judge's 62nd); else ``best``. Only the asking sentence's
        figures: a quiz's preamble ("hit a record-breaking 62nd home run") is not the answer."""
        from .constraints import figures, states_figure

        ratio = self.settings.stated_figure_ratio
        stated = figures(asking(question))

        def states(c: Candidate) -> bool:
            return all(states_figure(c.text, d, o, sc) for _, d, o, sc in stated)

        if ratio <= 0 or not stated or states(best):
            return best
        them = [c for c in cands if c is not best and c.typed and c.pick >= ratio * best.pick
                and states(c)]
        return _first_passing(question, them, passages) or best

    def quoting(self, question: str, cands: list[Candidate], best: Candidate,
                passages: list[Passage]) -> Candidate:
        """The sentence that leads "What did <someone> say?" when ``best`` quotes no words of
        theirs: one that does (three words or more in quotation marks, or the end of a
        quotation with its "Biden said") and names them, passes
        the question's checks and has quoted_ratio of ``best``'s selection score at least
        ("\u201cThe pandemic is over,\u201d Biden told Scott Pelley ..." over "Biden said he
        believes the Covid-19 pandemic is \u201cover\u201d ..."); else ``best``."""
        who = speaker(question)
        ratio = self.settings.quoted_ratio
        if ratio <= 0 or not who or _QUOTE.search(best.text):
            return best
        them = [c for c in cands if c is not best and c.pick >= ratio * best.pick
                and _QUOTE.search(c.text) and re.search(rf"\b{re.escape(who)}\b", c.text)]
        return _first_passing(question, them, passages) or best

    def lead_under_threshold(self, question: str, cands: list[Candidate], best: Candidate,
                             passages: list[Passage]) -> Candidate:
        """The sentence that leads once the articles answer with ``best``: one ranked before
        it whose relevance is under the threshold (it holds few of the question's words: "TikTok
        has begun to require ... and will be prohibiting all political fundraising" for "Which
        social media platform banned political fundraising?") when it passes the question's
        checks and the answerer ``prefers`` it; else ``best``. Whether the articles answer at
        all does not change."""
        at = next(i for i, c in enumerate(cands) if c is best)  # not ==: it compares vectors
        ahead = [c for c in cands[:at]
                 if self.floor() <= c.score < self.threshold() and self.prefers(question, c, best)]
        return _first_passing(question, ahead, passages) or best

    def beyond(self, question: str, qvec, best: Candidate, cands: list[Candidate],
               passages: list[Passage], boost_docs: set[str] | None = None,
               as_of: str | None = None) -> list[Candidate]:
        """Sentences of ``best``'s article from its retrieved passages past the
        answer_passages read: they may follow the lead (a fuller name, a sentence that adds
        what is asked), never before it. Hand-set scores, with the passages read (the
        cross-encoder reads none of them), each at most ``best``'s selection score."""
        n = self.settings.answer_passages
        more = [p for p in passages[n:] if p.doc_id == best.passage.doc_id]
        if not more:
            return []
        seen = {(c.passage.doc_id, c.start) for c in cands}
        every = self.candidates([*passages[:n], *more], n + len(more))
        mine = {id(p) for p in more}
        out = [c for c in every if id(c.passage) in mine
               and (c.passage.doc_id, c.start) not in seen]
        # the hand-set score alone (not a subclass's), on the scale of the passages read
        self._hand_score(question, qvec, out, every, boost_docs, as_of)
        for c in out:
            c.pick = min(c.pick, best.pick)
        return out

    def answer(self, question: str, passages: list[Passage], qvec=None,
               boost_docs: set[str] | None = None, as_of: str | None = None) -> Answer:
        """The extractive answer. ``as_of`` (YYYY-MM-DD): when the question is asked; a
        question about recent time ("this week") is then answered only from articles of the
        date_window_days before it, and older articles need a better match (see score)."""
        if qvec is None:
            qvec = self.embedder.embed_query(question)
        s = self.settings
        cands = self.candidates(passages)
        self.score(question, qvec, cands, boost_docs, as_of)
        if as_of and date_int(as_of) and refers_to_recent(question):
            cands = [c for c in cands if c.fresh >= 0.5]
            if not cands:
                return Answer(question=question, text=ABSTAIN_TEXT, citations=[],
                              abstained=True, passages=passages,
                              notice=f"No article from the {self.window_days} days before "
                                     f"{as_of} answers this; older ones are not used for a "
                                     "question about recent events.")
        top = max((c.score for c in cands), default=0.0)
        if not cands or top < self.floor():
            return Answer(question=question, text=ABSTAIN_TEXT, citations=[], abstained=True,
                          passages=passages)
        cands.sort(key=lambda c: c.pick, reverse=True)
        rescue = top < self.threshold()
        best = self.checked_best(question, cands, passages, rescue=rescue)
        if isinstance(best, Answer):
            # Below the threshold, nothing read is close enough to show as related.
            return Answer(question=question, text=ABSTAIN_TEXT, citations=[], abstained=True,
                          passages=passages) if rescue else best
        if not rescue and self.doubts(question, best, top):
            # Doubted, the chosen sentence gives way to one of its article that holds an answer
            # of the asked kind and that the answerer prefers, whatever its relevance ("It’s
            # not hard for locals to understand the appeal of relocating from the United States
            # to Mexico City." for where Americans are moving, after "“It is very often from
            # Los Angeles or New York City,” she said ..."); else the articles do not answer.
            mine = [c for c in cands if c is not best and c.typed
                    and c.passage.doc_id == best.passage.doc_id
                    and self.prefers(question, c, best)]
            best = _first_passing(question, mine, passages)
            if best is None:
                return _related(question, cands, passages, "it may not answer the question")
        if not rescue:
            best = self.lead_under_threshold(question, cands, best, passages)
            best = self.latest(question, cands, best, passages, as_of)
            best = self.stating(question, cands, best, passages)
            best = self.quoting(question, cands, best, passages)
        chosen = [best]
        cands = [best, *sorted([*(c for c in cands if c is not best),
                                *self.beyond(question, qvec, best, cands, passages, boost_docs,
                                             as_of)], key=lambda c: c.pick, reverse=True)]
        # More sentences: from the best sentence's article first (its neighbours often name
        # what the best one only refers to, and citing one article keeps the answer coherent),
        # then from other articles only when they score nearly as well.
        same = [c for c in cands[1:] if c.passage.doc_id == best.passage.doc_id
                and c.pick >= s.same_article_ratio * best.pick]
        other = [c for c in cands[1:] if c.passage.doc_id != best.passage.doc_id
                 and c.score >= s.min_answer_score
                 and c.pick >= s.other_article_ratio * best.pick]
        # Another sentence only when it adds what is asked: a name, number or date of the
        # asked kind that the answer does not hold yet (issue 10: never padding).
        kind = answer_type(question)
        told = answer_phrases(question, best.text)
        lead_told = set(told)  # what the best sentence itself says (told grows below)
        # One the best sentence names by the last word of a name alone ("Biden tested positive
        # ...") or a country by its adjective ("Saudi Arabian officials ...") is named in full
        # by a sentence that passes the question's checks ("President Joe Biden said Thursday
        # that he's tested positive ...", "... illegal in Saudi Arabia"): it comes next. Any
        # of its article (it is there to name what the lead names), one of another article
        # from min_answer_score up.
        fuller = [c for c in cands[1:] if (c.passage.doc_id == best.passage.doc_id
                                           or c.score >= s.min_answer_score)
                  and _names_more_fully(answer_phrases(question, c.text), best.text, told)]
        first = _first_passing(question, fuller, passages)
        # A lead that holds nothing of the asked kind, only a teaser ("McDonald’s newest item
        # for fall doesn’t have pumpkin or maple flavors."), is followed by the sentence just
        # after it in its article that names one ("Beginning September 14, the chain is
        # bringing back the cheese Danish ..."), though it shares no word with the question.
        # Not after a lead with a name or number of the kind (typed) that focus does not mark:
        # its following sentences keep their order by score (conversations-2022: one follow-up
        # lost its answer so).
        reveal = None
        if first is None and kind is not AnswerType.OTHER and not told and not best.typed:
            reveal = first = _reveal(question, best, cands, passages)
        rest = [c for c in [*same, *other] if c is not first]
        for c in [*([first] if first is not None else []), *rest]:
            if len(chosen) >= s.max_answer_sentences:
                break
            if any(float(c.vec @ o.vec) > s.redundancy_cosine for o in chosen):
                continue  # says the same thing again
            new = answer_phrases(question, c.text)
            if kind is AnswerType.OTHER or not new or new <= told or (c.lexical == 0
                                                                      and c is not reveal):
                continue  # adds nothing asked for, or speaks of something else
            if kind is AnswerType.QUANTITY and (
                    same_figures(new, told) or _first_passing(question, [c], passages) is None):
                # the figure again in other words ("1.9M" after "1.9 million"), or a number
                # of another thing ("911 centers" for how many customers)
                continue
            told |= new
            chosen.append(c)
        # A sentence that points back ("He will become ...", "That’s how much ...") is led by
        # the one it points to when that one holds what is asked ("Sunak ...", "9%"), read in
        # the article's order; not "She said that ...": who said it is not what was asked.
        for _ in range(2):  # "They are ..." may point back to one that does too
            if _ATTRIBUTED.match(chosen[0].text) and not asks_who(question):
                break
            before = antecedent(chosen[0], question)
            new = answer_phrases(question, before.text) if before is not None else set()
            if (not new or new <= lead_told) and points_back(chosen[0].text):
                # "They are dropping a new single ..." after "It's the first time the trio
                # ...": the article's first sentence names whom it is about ("Blink-182 is
                # coming to a city near you.")
                before = _lede(chosen[0], cands)
                new = answer_phrases(question, before.text) if before is not None else set()
                if before is not None and not new and leads_with_name(
                        before.text, question_words(question), names_in([before.passage.text])):
                    new = {before.text.split()[0].lower()}  # its first word, a name
            if kind is AnswerType.OTHER or not new or new <= lead_told:
                break
            lead_told |= new
            rest = [c for c in chosen if c.start != before.start]  # chosen already: move it
            chosen = [before, *rest][:max(2, s.max_answer_sentences)]
        return compose(question, chosen, passages)


def _lede(c: Candidate, cands: list[Candidate]) -> Candidate | None:
    """The first sentence of ``c``'s article when it was read (within _LEDE_CHARS of the
    article's start, past a dateline) and comes before ``c``."""
    mine = [o for o in cands if o.passage.doc_id == c.passage.doc_id and o.passage.start == 0
            and o is not c]
    first = min(mine, key=lambda o: o.start, default=None)
    return first if first is not None and first.start < min(_LEDE_CHARS, c.start) else None


_LEDE_CHARS = 200
# How far after a teasing lead the sentence naming what it teases may start ("Rather, it’s a
# nostalgic treat from more than three decades ago." may come between).
_REVEAL_CHARS = 300


def _reveal(question: str, best: Candidate, cands: list[Candidate],
            passages: list[Passage]) -> Candidate | None:
    """The first sentence after ``best`` in its article, within _REVEAL_CHARS of its end, that
    holds an answer phrase (answer_phrases), when it passes the question's checks; else
    None."""
    after = sorted((c for c in cands if c.passage.doc_id == best.passage.doc_id
                    and 0 < c.start - best.end <= _REVEAL_CHARS), key=lambda c: c.start)
    naming = [c for c in after if answer_phrases(question, c.text)]
    return _first_passing(question, naming[:1], passages)


def _first_passing(question: str, cands: list[Candidate],
                   passages: list[Passage]) -> Candidate | None:
    """The first of ``cands`` that passes the question's checks (_verdict), else None."""
    from .reader import sentence_contexts

    for c, ctx in zip(cands, sentence_contexts(passages, cands), strict=True):
        if _verdict(question, c, ctx).ok:
            return c
    return None


def _verdict(question: str, c: Candidate, ctx):
    """constraints.check of ``c`` with its neighbours and article (``ctx``: reader's
    sentence_contexts); the sentence before counts only where it would lead the answer."""
    from .constraints import check

    ante = antecedent(c, question)
    return check(question, c.text, f"{ctx.before} {ctx.after}", ctx.doc_text, c.passage.date,
                 before=ante.text if ante is not None else "")


# "What did he say?", "What did the CEO tell employees?"; a quotation of three words or more.
_WHAT_SAID = re.compile(r"\s*what did (.+?) (?:say|tell|write|tweet|declare|announce)\b", re.I)
_QUOTE = re.compile(r"[“\"](?:[^”\"]+\s){2,}[^”\"]*[”\"]"
                    # the end of a quotation opened in the sentence before: "... over,” Biden said."
                    r"|^[^“\"]*\s[^“\"]*\s[^“\"]*[”\"]\s*(?:[A-Z][\w.’'-]*\s+){1,3}"
                    r"(?:said|says|told|added|wrote|tweeted)\b")


def speaker(question: str) -> str:
    """The last word of whom "What did <someone> say?" asks about ("Sanders" of "What did
    Bernie Sanders say?"); for "he" or "she", of the first name in the quiz's preamble
    ("President Joe Biden made a firm declaration ... What did he say?"); else ""."""
    from .constraints import _proper_runs  # names, a sentence's first word aside

    ask = asking(question)
    m = _WHAT_SAID.match(ask)
    if not m:
        return ""
    who = re.sub(r"['’]s$", "", m.group(1).split()[-1])
    if who.lower() in ("he", "she", "they", "it"):
        runs = _proper_runs(question[:max(0, question.rfind(ask))])
        return runs[0][-1] if runs else ""
    return who


def _names_more_fully(phrases: set[str], lead: str, told: set[str]) -> bool:
    """Whether one of ``phrases`` is a fuller name of one that ``lead`` names by its last word
    alone ("president joe biden" when the lead says "Biden tested positive ..."), or the name
    of a country that the lead's answer phrases (``told``) give only as an adjective ("saudi
    arabia" for "Saudi Arabian government officials ...")."""
    for p in phrases:
        words = p.split()
        if len(words) > 1 and p not in lead.lower() and re.search(
                rf"\b{re.escape(words[-1].title())}\b", lead):
            return True
        country = country_of(p)
        if country and country.lower() == p and any(
                t != p and country_of(t) == country for t in told):
            return True
    return False


def _describes_asked(question: str, sentence: str) -> bool:
    """Whether ``sentence`` speaks of what a "Which <words> <thing> ..." question asks for as
    "the <words> ... <thing>" ("the wildly popular South Korean show"), which the sentence
    before it names. Two words of the question's description at least: "the country" alone is
    as often said beside the name."""
    m = _WHICH.match(question)
    if not m:
        return False
    words = []
    for w in m.group(1).lower().split():
        if not w.isalpha() or w in _NOT_NOUN:
            break
        words.append(w)
    if len(words) < 2:
        return False
    pattern = r"\bthe\s+" + r"\s+(?:[\w’'-]+\s+){0,2}".join(map(re.escape, words)) + r"\b"
    return re.search(pattern, sentence, re.I) is not None


def antecedent(best: Candidate, question: str = "") -> Candidate | None:
    """The sentence before ``best`` in its passage when ``best`` opens by pointing back to it
    ("He will become ...": who?; retrieval widens such a passage to hold it, see
    rag/retrieval/lead_in.py), or names what ``question`` asks for only by its description
    ("the wildly popular South Korean show", "two of the largest supermarket chains")."""
    from .constraints import asks_a_name, names_kind, opens_with_kind, speaks_of_kind

    kind = asks_a_name(question) if question else ""
    described = not points_back(best.text)
    if described and not (question and (
            _describes_asked(question, best.text)
            # "two of the largest supermarket chains", naming none of them
            or speaks_of_kind(kind, best.text) and not names_kind(kind, question, best.text)
            or opens_with_kind(kind, best.text))):
        return None
    before = sentence_before(best)
    if before is None or described and not _STATEMENT.search(before.text):
        return None  # a dateline or a heading names no show
    return before


def sentence_before(c: Candidate) -> Candidate | None:
    """The sentence before ``c`` in its passage, unless it is page furniture (a link to
    another story) or holds no letter or digit."""
    p = c.passage
    prev = None
    for a, b in sentence_spans(p.text):
        if p.start + b > c.start:
            break
        prev = (a, b)
    # A short one counts: "9%" before "That’s how much plastic ... is recycled".
    if prev is None or not any(ch.isalnum() for ch in p.text[prev[0]:prev[1]]):
        return None
    a, b = prev
    if _FURNITURE.match(p.text[a:b]):
        return None
    return Candidate(p, p.start + a, p.start + b, p.text[a:b], c.rank)


def _related(question: str, cands: list[Candidate], passages: list[Passage],
             why: str) -> Answer:
    from .constraints import restates

    closest = [c for c in cands if len(c.text.split()) >= 4
               and not restates(question, c.text)][:2] or cands[:1]
    return related_answer(question, closest, passages, why)


def related_lead(question: str) -> str:
    """The first words of a "related" answer: what the articles do not say, as asked: up to
    the question mark, not the names a follow-up carries after it ("Which countries form the
    alliance? Malmstrom Ikaros")."""
    q = " ".join(as_asked(question).split())
    return f"The articles do not answer \u201c{q}\u201d"


def related_answer(question: str, closest: list[Candidate], passages: list[Passage],
                   why: str, focus: bool = True) -> Answer:
    """The articles speak of it but do not say it: the ``closest`` sentences, cited, under a
    plain "The articles do not answer ...; closest:"."""
    answer = compose(question, closest, passages, focus=focus)
    answer.text = f"{related_lead(question)}; closest: {answer.text}"
    answer.abstained = True
    answer.status = "related"
    answer.notice = f"not an answer: {why}" if why else ""
    return answer


def answer_phrases(question: str, text: str) -> set[str]:
    """What ``text`` tells of the asked kind, for whether a sentence adds to an answer: its
    phrase nearest to the question's words. (Not the learned focus that compose marks: as the
    test of what a sentence adds, it dropped a sentence naming China after one naming
    "Chinese" data and "LeakIX": benchmarks/README.md, stop 37.)"""
    span = focus_span(question, text, learned=False)
    return {text[span[0]:span[1]].lower()} if span else set()


def same_figures(new: set[str], told: set[str]) -> bool:
    """Whether every figure phrase of ``new`` says a number ``told`` already says."""
    values = {figure_value(t) for t in told} - {None}
    return bool(values) and all(figure_value(n) in values for n in new)


def compose(question: str, chosen: list[Candidate], passages: list[Passage],
            focus: bool = True) -> Answer:
    """The chosen sentences as an answer, each cited; with ``focus``, the answer phrase of
    each quote marked (focus_start/end)."""
    from .constraints import asks_a_common_kind

    # "Which menu item ...": the answer is a common noun that no form tells apart, and the name
    # focus_span would find ("Yum Brands") is not it: nothing is marked. (A new name still
    # lets a sentence join the answer: answer_phrases.)
    focus = focus and not asks_a_common_kind(question)
    # the words the passages show as names, for a sentence that opens with one ("California
    # has the most cases: 4,300.")
    known = names_in([p.text for p in passages]) if focus else frozenset()
    citations: list[Citation] = []
    sentences: list[AnswerSentence] = []
    parts = []
    for n, c in enumerate(chosen, 1):
        p = c.passage
        span = focus_span(question, c.text, names=known) if focus else None
        citations.append(Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date,
                                  source=p.source, url=p.url, quote=c.text, start=c.start,
                                  end=c.end,
                                  focus_start=c.start + span[0] if span else None,
                                  focus_end=c.start + span[1] if span else None))
        flat = " ".join(c.text.split())
        sentences.append(AnswerSentence(text=flat, citations=[n]))
        parts.append(f"{flat} [{n}]")
    return Answer(question=question, text=" ".join(parts), citations=citations,
                  abstained=False, passages=passages, sentences=sentences)
