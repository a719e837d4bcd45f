"""Check a generated answer against its sources, sentence by sentence, without trusting the LLM.

The LLM was given numbered sources and asked to cite them as ``[n]``. Here, locally:

* citation numbers that point at no source are removed;
* each answer sentence is scored against each source passage: embedding similarity to the
  passage's closest sentence, share of the sentence's content words found in the passage, and
  whether the names and numbers it states occur there;
* a sentence keeps the cited sources that support it; if none does but another source does, it
  is re-cited to that one; otherwise it is marked unsupported (``AnswerSentence.supported`` is
  False and the answer text shows :data:`UNSUPPORTED_MARK` after it);
* source sentences that read like instructions to a model ("ignore previous instructions ...")
  never count as support, so an answer that obeys a planted instruction is not "supported" by
  the very text that planted it.

Each citation quotes the article sentence(s) that best support the answer sentences citing it,
with offsets into the article (``quote == article.text[start:end]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..config import AnswerMode, VerifySettings
from ..text import sentence_spans, tokenize
from ..types import ABSTAIN_TEXT, Answer, AnswerSentence, Citation, Passage

UNSUPPORTED_MARK = "[unsupported]"

# The thresholds (VerifySettings) were measured on realtimeqa-2022 (`python
# benchmarks/llm_local.py calibrate`, 1,160 sentence/passage pairs from 166 questions). At
# w_cos 0.5 and 0.60 / 0.65 accepted:
#   "<question>: <right option>." vs the gold passage        0.58 / 0.48
#   "<question>: <wrong option>." vs the same passage        0.05 / 0.04
#   the article sentence holding the answer (and cut to 70%) 1.00 / 1.00
#   "<question>: <right option>." vs the best other-article chunk 0.36 / 0.35 (often the same
#   story from another outlet, so partly true support)
# Weights 0.3 / 0.7 on cosine moved these by at most 0.04.
_MAX_QUOTE_CHARS = 700

_CITE = re.compile(
    r"\[\s*(?:(?:sources?|refs?|doc(?:ument)?s?)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|-|\u2013|and)\s*(?:(?:sources?|refs?)\s*)?\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
# "text. [1] Next" -> "text [1]. Next": a marker after the full stop belongs to that sentence.
_MARK_AFTER_STOP = re.compile(r"([.!?])(\s*)((?:\[[^\[\]\n]{1,40}\]\s*)+)")
_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"\b[A-Z][A-Za-z'\u2019-]*[A-Za-z]\b|\b[A-Z]{2,}\b")
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules?|prompts?|above|"
    r"previous|prior|sources?)\b|\b(system prompt|you are (an?|the) (ai|assistant|language "
    r"model)|as an ai\b|(ai|language model|assistant|chatbot)s?\b.{0,30}\b(must|should|"
    r"shall)\b|\b(tell|inform) (the )?(user|reader)s?\b)",
    re.IGNORECASE,
)
_ABSTAIN = re.compile(
    r"(do(es)?\s*n[o']t|cannot|can't|don't|no)\s+(contain|provide|say|mention|include|answer|"
    r"information|state)", re.IGNORECASE)


def looks_like_instruction(text: str) -> bool:
    """True for text that addresses a model rather than reporting news."""
    return bool(_INJECTION.search(text))


def parse_citations(marker_body: str) -> list[int]:
    nums: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", marker_body):
        part = re.sub(r"(?i)(sources?|refs?)\s*", "", part).strip()
        rng = re.fullmatch(r"(\d+)\s*[-\u2013]\s*(\d+)", part)
        if rng:
            a, b = int(rng.group(1)), int(rng.group(2))
            if 0 < b - a < 10:
                nums.extend(range(a, b + 1))
                continue
        if part.isdigit():
            nums.append(int(part))
    return nums


def clean_reply(reply: str) -> str:
    text = _THINK.sub("", reply or "")
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"(?im)^\s*(#+\s*|[-*\u2022]\s+|\d+[.)]\s+|answer\s*:\s*)", "", text)
    return _MARK_AFTER_STOP.sub(lambda m: f" {m.group(3).strip()}{m.group(1)}{m.group(2) or ' '}",
                                text).strip()


@dataclass
class ReplySentence:
    text: str  # without citation markers
    cited: list[int]  # as the LLM wrote them, in order, without repeats


def split_reply(reply: str) -> list[ReplySentence]:
    """The reply's sentences with the citation numbers each one carries."""
    text = clean_reply(reply)
    out: list[ReplySentence] = []
    for a, b in sentence_spans(text):
        raw = text[a:b]
        cited: list[int] = []
        for m in _CITE.finditer(raw):
            for n in parse_citations(m.group(1)):
                if n not in cited:
                    cited.append(n)
        body = _CITE.sub("", raw)
        body = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(body.split())).strip()
        if not re.search(r"[A-Za-z0-9]", body):
            if out:  # a lone marker: it belongs to the sentence before
                out[-1].cited.extend(n for n in cited if n not in out[-1].cited)
            continue
        out.append(ReplySentence(body, cited))
    return out


def is_abstention(sentences: list[ReplySentence]) -> bool:
    if not sentences or len(sentences) > 2:
        return False
    first = sentences[0].text.lower()
    return bool(_ABSTAIN.search(first)) and any(w in first for w in ("article", "source",
                                                                      "answer", "information"))


@dataclass
class Support:
    score: float  # w_cos * cosine + w_cover * coverage
    cosine: float
    coverage: float
    names: float  # share of the sentence's names and numbers found in the passage
    quote: tuple[int, int]  # best-supporting sentence, offsets in the passage text
    ok: bool = False  # enough support (VerifySettings thresholds)


@dataclass
class _Src:
    passage: Passage
    spans: list[tuple[int, int]]  # usable sentences (no planted instructions)
    vecs: np.ndarray
    tokens: set[str]
    lower: str
    numbers: set[str]


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _names(text: str) -> list[str]:
    words = _NAME.findall(text)
    first = re.match(r"\W*([A-Za-z'\u2019-]+)", text)
    if words and first and words[0] == first.group(1):
        words = words[1:]  # capitalised because it starts the sentence
    return [w for w in words if w.lower() not in _NOT_NAMES]


_NOT_NAMES = {"i", "the", "a", "an", "it", "in", "on", "this", "that", "these", "those", "he",
              "she", "they", "we", "according", "however", "also", "and", "but", "as", "at"}


class Verifier:
    def __init__(self, embedder, settings: VerifySettings | None = None):
        self.embedder = embedder
        self.settings = settings or VerifySettings()

    def _sources(self, passages: list[Passage]) -> list[_Src]:
        spans_all: list[list[tuple[int, int]]] = []
        texts: list[str] = []
        for p in passages:
            spans = [(a, b) for a, b in sentence_spans(p.text)
                     if not looks_like_instruction(p.text[a:b])]
            spans_all.append(spans)
            texts.extend(p.text[a:b] for a, b in spans)
        vecs = (np.asarray(self.embedder.embed_texts(texts), dtype=np.float32) if texts
                else np.zeros((0, 1), dtype=np.float32))
        toks = tokenize([" ".join(p.text[a:b] for a, b in spans) or "-"
                         for p, spans in zip(passages, spans_all, strict=True)])
        out, i = [], 0
        for p, spans, tk in zip(passages, spans_all, toks, strict=True):
            usable = " ".join(p.text[a:b] for a, b in spans)
            out.append(_Src(p, spans, vecs[i:i + len(spans)], set(tk), usable.lower(),
                            _numbers(usable)))
            i += len(spans)
        return out

    def supports(self, sentences: list[str], passages: list[Passage]) -> list[list[Support | None]]:
        """support[i][j]: how well passage j supports sentence i (None: it has no usable text)."""
        v = self.settings
        srcs = self._sources(passages)
        svecs = np.asarray(self.embedder.embed_texts(sentences), dtype=np.float32)
        stoks = tokenize(sentences)
        table: list[list[Support | None]] = []
        for sent, vec, tk in zip(sentences, svecs, stoks, strict=True):
            words = set(tk)
            names = _names(sent)
            nums = _numbers(sent)
            row: list[Support | None] = []
            for src in srcs:
                if not src.spans:
                    row.append(None)
                    continue
                cos = src.vecs @ vec
                best = int(np.argmax(cos))
                cover = len(words & src.tokens) / len(words) if words else 0.0
                found = sum(1 for w in names if w.lower() in src.lower)
                found += sum(1 for n in nums if n in src.numbers)
                total = len(names) + len(nums)
                name_cover = found / total if total else 1.0
                c = float(cos[best])
                score = v.w_cos * c + v.w_cover * cover
                row.append(Support(score, c, cover, name_cover, src.spans[best],
                                   ok=name_cover >= v.min_name_cover
                                   and score >= v.support_threshold))
            table.append(row)
        return table

    def verify(self, question: str, reply: str, passages: list[Passage]) -> Verdict:
        """Check ``reply`` (cites ``[n]`` = ``passages[n-1]``) and say what holds."""
        sents = split_reply(reply)
        verdict = Verdict(question=question, passages=passages)
        if not sents:
            return verdict
        if is_abstention(sents):
            verdict.abstained = True
            return verdict
        k = len(passages)
        table = self.supports([s.text for s in sents], passages)
        for s, row in zip(sents, table, strict=True):
            bogus = [n for n in s.cited if not 1 <= n <= k]
            verdict.removed.extend(n for n in bogus if n not in verdict.removed)
            cited = [n for n in s.cited if 1 <= n <= k]
            good = [n for n in cited if row[n - 1] is not None and row[n - 1].ok]
            checked = VerifiedSentence(s.text, [], False, s.cited)
            if good:
                checked.citations, checked.supported = good, True
            else:
                ranked = sorted((j for j in range(k) if row[j] is not None and row[j].ok),
                                key=lambda j: row[j].score, reverse=True)
                if ranked:
                    checked.citations, checked.supported = [ranked[0] + 1], True
                    verdict.recited += 1
            checked.quotes = {n: row[n - 1].quote for n in checked.citations}
            checked.scores = {j + 1: round(r.score, 3) for j, r in enumerate(row)
                              if r is not None}
            verdict.sentences.append(checked)
        return verdict


@dataclass
class VerifiedSentence:
    text: str
    citations: list[int]
    supported: bool
    llm_cited: list[int] = field(default_factory=list)
    quotes: dict[int, tuple[int, int]] = field(default_factory=dict)  # n -> span in passage
    scores: dict[int, float] = field(default_factory=dict)


@dataclass
class Verdict:
    question: str
    passages: list[Passage]
    sentences: list[VerifiedSentence] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # citation numbers to no source
    recited: int = 0
    abstained: bool = False

    @property
    def supported_count(self) -> int:
        return sum(s.supported for s in self.sentences)

    def summary(self) -> str:
        """One line on what the check changed ('' when it changed nothing)."""
        parts = []
        if self.removed:
            nums = ", ".join(f"[{n}]" for n in self.removed)
            parts.append(f"removed citation {nums} (no such source)")
        if self.recited:
            parts.append(f"{self.recited} sentence(s) re-cited to the source that supports them")
        bad = len(self.sentences) - self.supported_count
        if bad:
            parts.append(f"{bad} of {len(self.sentences)} sentence(s) not supported by the "
                         "sources")
        return ("checked against the sources: " + "; ".join(parts)) if parts else ""

    def to_answer(self) -> Answer:
        """The user's answer: verified sentences, citations with exact quotes, marks."""
        if self.abstained:
            return Answer(question=self.question, text=ABSTAIN_TEXT, citations=[],
                          abstained=True, passages=self.passages, mode=AnswerMode.LLM.value)
        spans: dict[int, list[tuple[int, int]]] = {}
        for s in self.sentences:
            for n in s.citations:
                spans.setdefault(n, []).append(s.quotes[n])
        citations: list[Citation] = []
        for n in sorted(spans):
            p = self.passages[n - 1]
            a, b = min(x for x, _ in spans[n]), max(y for _, y in spans[n])
            if b - a > _MAX_QUOTE_CHARS:
                a, b = spans[n][0]
            citations.append(Citation(n=n, doc_id=p.doc_id, title=p.title, date=p.date,
                                      source=p.source, url=p.url, quote=p.text[a:b],
                                      start=p.start + a, end=p.start + b))
        parts = []
        for s in self.sentences:
            marks = "".join(f"[{n}]" for n in s.citations) if s.supported else UNSUPPORTED_MARK
            parts.append(f"{s.text} {marks}")
        return Answer(
            question=self.question, text=" ".join(parts), citations=citations, abstained=False,
            passages=self.passages, mode=AnswerMode.LLM.value, notice=self.summary(),
            sentences=[AnswerSentence(s.text, list(s.citations), s.supported)
                       for s in self.sentences])
