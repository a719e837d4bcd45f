"""Split articles into sentence-aware chunks whose text is verbatim at known offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from itertools import chain

from .types import Article, Chunk


class Chunker:
    """Wraps llama-index's SentenceSplitter and maps each chunk back to its article offsets."""

    def __init__(self, chunk_size: int = 200, chunk_overlap: int = 30):
        from llama_index.core.node_parser import SentenceSplitter

        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        # Sizes count text only: the title/date header is added to the embedded text later,
        # and kept small so that header + chunk stays within the model's 256 word pieces.
        # Chunks end at the same sentence boundaries as answer sentences (rag/text.py).
        self._splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                                          include_metadata=False, include_prev_next_rel=False,
                                          chunking_tokenizer_fn=self._pieces,
                                          tokenizer=_bounded_tokenizer())

    def _pieces(self, text: str) -> list[str]:
        """Sentence pieces, a piece of over ``_LONG_PIECE`` characters cut into slices of
        ``chunk_size`` characters: the splitter splits an over-long sentence by words and then
        by single characters, counting tokens piece by piece (~30 us each), which took tens of
        minutes for a 35 MB file with no sentence end or no space. No real sentence is that
        long (2,000 characters are well over ``chunk_size`` tokens), so chunks of ordinary text
        are unchanged."""
        from .text import sentence_pieces

        out: list[str] = []
        for piece in sentence_pieces(text):
            if len(piece) <= _LONG_PIECE:
                out.append(piece)
            else:
                out.extend(_slices(piece, self.chunk_size))
        return out

    def _section_pieces(self, text: str) -> Iterator[tuple[str, int]]:
        """The splitter's chunks of each section of ``text`` between whitespace runs of
        ``_LONG_BLANK``+ characters, with where to look for them. Such a run is no text: the
        splitter would count its tokens slice by slice (half a million slices for a few MB of
        blank lines). Ordinary articles are one section, so their chunks are unchanged."""
        # One trace per article: outside a trace llama-index's callback manager keeps every
        # event's id for good (a leak of ~100 bytes an article); a new trace resets that map.
        with self._splitter.callback_manager.as_trace("chunking"):
            yield from self._sections(text)

    def _sections(self, text: str) -> Iterator[tuple[str, int]]:
        pos = 0
        for run in chain(_BLANK_RUN.finditer(text), (None,)):
            end = run.start() if run else len(text)
            if end > pos:
                for piece in self._splitter.split_text(text[pos:end]):
                    yield piece, pos
            if run:
                pos = run.end()

    @property
    def signature(self) -> str:
        # Part of every article's content hash: a new segmenter re-chunks on the next ingest.
        return f"sentence-splitter/news-v1/{self.chunk_size}/{self.chunk_overlap}"

    def split(self, article: Article) -> list[Chunk]:
        text = article.text
        chunks: list[Chunk] = []
        cursor = 0
        for piece, section in self._section_pieces(text):
            start, end = _locate(text, piece, max(cursor, section))
            if start < 0:
                continue
            # Overlapping chunks restart before the previous end: search from a bit earlier.
            cursor = start + 1
            chunk_text = text[start:end]
            cid = _chunk_id(article.id, start, end)
            chunks.append(Chunk(id=cid, doc_id=article.id, index=len(chunks), text=chunk_text,
                                start=start, end=end))
        if not chunks and text.strip():
            chunks.append(Chunk(id=_chunk_id(article.id, 0, len(text)), doc_id=article.id,
                                index=0, text=text, start=0, end=len(text)))
        return chunks


def header(article: Article) -> dict[str, str]:
    """The article metadata that is embedded with each of its chunks (and stored beside it)."""
    meta = {"title": article.title, "date": article.date, "source": article.source}
    if article.extra.get("dateline"):
        meta["place"] = str(article.extra["dateline"])
    return {k: str(v) for k, v in meta.items() if v}


def embed_text(article: Article, chunk: Chunk) -> str:
    """The text embedded for a chunk: its article's header lines, a blank line, the chunk.

    The same layout as llama-index's ``TextNode.get_content(MetadataMode.EMBED)`` with the
    default templates, which built every index so far (tests/test_chunks.py checks it)."""
    return embed_text_from(header(article), chunk.text)


HEADER_KEYS = ("title", "date", "source", "place")  # in the order header() gives them


def embed_text_from(meta: dict, text: str) -> str:
    """``embed_text`` from a chunk's stored metadata (which holds the header keys) and text."""
    lines = "\n".join(f"{k}: {meta[k]}" for k in HEADER_KEYS if meta.get(k))
    return f"{lines}\n\n{text}".strip()


_LONG_PIECE = 2000
_LONG_BLANK = 2000
# A whitespace run of _LONG_BLANK+ characters. The look-behind pins a match to the start of a
# run, so that a run is scanned once (without it, every position of many runs just under the
# limit would be tried: quadratic).
_BLANK_RUN = re.compile(rf"(?:(?<=\S)|^)\s{{{_LONG_BLANK},}}")
_TOKEN_SLICE = 10_000


def _bounded_tokenizer():
    """llama-index's default tokenizer (tiktoken), fed at most ``_TOKEN_SLICE`` characters at a
    time. The splitter counts the tokens of the whole article first; tiktoken's pattern
    backtracks over a whitespace run (quadratic: 2 MB of spaces took 4 s) and fails on a few
    MB of them ("Max stack size exceeded for backtracking"), which lost a 35 MB file. Counts
    of texts up to the slice size (every piece of a chunk) are exactly tiktoken's."""
    from llama_index.core.utils import get_tokenizer

    encode = get_tokenizer()

    def tokenize(text: str) -> list:
        if len(text) <= _TOKEN_SLICE:
            return encode(text)
        out: list = []
        for i in range(0, len(text), _TOKEN_SLICE):
            out.extend(encode(text[i:i + _TOKEN_SLICE]))
        return out

    return tokenize


def _slices(piece: str, size: int) -> list[str]:
    """``piece`` in slices of at most ``size`` characters, cut after a whitespace where one is
    in the slice's second half; ``"".join(slices) == piece``."""
    out, pos = [], 0
    while pos < len(piece):
        end = min(len(piece), pos + size)
        if end < len(piece):
            half = pos + size // 2
            ws = max(piece.rfind(" ", half, end), piece.rfind("\n", half, end))
            if ws > 0:
                end = ws + 1
        out.append(piece[pos:end])
        pos = end
    return out


def _chunk_id(doc_id: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{doc_id}\x00{start}\x00{end}".encode()).hexdigest()[:24]


def _locate(text: str, piece: str, cursor: int) -> tuple[int, int]:
    """Find ``piece`` in ``text`` at or after ``cursor``.

    The splitter strips and re-joins whitespace, so an exact search can miss; then match the
    first and last words and take the article's own span between them.
    """
    piece = piece.strip()
    if not piece:
        return -1, -1
    i = text.find(piece, cursor)
    if i < 0:
        i = text.find(piece)
    if i >= 0:
        return i, i + len(piece)
    words = piece.split()
    head = words[0]
    tail = words[-1]
    i = text.find(head, cursor)
    if i < 0:
        return -1, -1
    approx_end = i + len(piece)
    j = text.rfind(tail, i, approx_end + 200)
    if j < 0:
        return -1, -1
    return i, j + len(tail)
