import random

from conftest import CORPUS

from rag.chunks import Chunker
from rag.sources import read_paths


def test_chunks_are_verbatim_at_offsets_and_cover_the_article():
    [article], _log = read_paths([CORPUS])
    chunks = Chunker(chunk_size=80, chunk_overlap=10).split(article)
    assert len(chunks) > 3
    for c in chunks:
        assert article.text[c.start:c.end] == c.text
    assert chunks[0].start == 0
    assert chunks[-1].end == len(article.text)
    assert len({c.id for c in chunks}) == len(chunks)
    # Chunk ids are stable: the same article gives the same ids.
    assert [c.id for c in Chunker(80, 10).split(article)] == [c.id for c in chunks]


def test_embedded_text_is_the_layout_every_index_was_built_with():
    """rag.chunks.embed_text gives what llama-index's TextNode gave for the same chunk (the
    vectors of existing indexes stay valid)."""
    from llama_index.core.schema import MetadataMode, TextNode

    from rag.chunks import embed_text, header

    [article], _log = read_paths([CORPUS])
    for chunk in Chunker(200, 30).split(article):
        node = TextNode(text=chunk.text, metadata={**header(article), "doc_id": article.id,
                                                   "start": chunk.start},
                        excluded_embed_metadata_keys=["doc_id", "start"])
        assert embed_text(article, chunk) == node.get_content(metadata_mode=MetadataMode.EMBED)
    bare = article.__class__(id="x", text="Just text.")
    assert embed_text(bare, Chunker(200, 30).split(bare)[0]) == "Just text."


def test_chunking_keeps_nothing_per_article():
    """llama-index's callback manager, outside a trace, keeps every chunking event's id for
    good; the chunker opens a trace per article, so nothing grows with the articles chunked."""
    from rag.types import Article

    chunker = Chunker(200, 30)
    for i in range(300):
        chunker.split(Article(id=str(i), text=f"Story {i} is here. It has two sentences."))
    trace = chunker._splitter.callback_manager._trace_map
    assert sum(map(len, trace.values())) <= 5, {k: len(v) for k, v in trace.items()}


def _huge_article(path, mb: int = 35) -> None:
    """A .txt file of about ``mb`` MB of what made the chunker back-track or give up: one line
    with no sentence end, runs of spaces and punctuation, a line of digits, "a. a. a."."""
    size = mb * 1_000_000
    parts = [
        "date: 2021-05-04\nThe harbour board met on Tuesday. ",
        " " * 4_000_000,  # tiktoken's whitespace pattern failed on a few MB of these
        "!?,;:-" * 200_000,
        "\n" + "7" * 2_000_000 + "\n",
        "a. " * 100_000,  # an abbreviation after another: one endless sentence for Punkt
        "\n\n",
    ]
    rest = size - sum(map(len, parts))
    rng = random.Random(14)
    vocab = "ferry harbour strike council mine wages vote river bridge port".split()
    line = " ".join(rng.choices(vocab, k=rest // 5))  # one line, no full stop
    parts.append(line[:rest])
    path.write_text("".join(parts))


def test_a_35_mb_file_is_read_and_chunked_in_bounded_time(tmp_path):
    """Reader and chunker on a real 35 MB file (embedding its ~40,000 chunks would take
    minutes on two cores; tests/test_ingest.py checks ingest's isolation on a small file)."""
    import time

    path = tmp_path / "huge.txt"
    _huge_article(path)
    assert 34_000_000 < path.stat().st_size < 36_000_000
    started = time.perf_counter()
    [article], log = read_paths([path])
    assert not log.failed and article.date == "2021-05-04"
    chunks = Chunker().split(article)
    elapsed = time.perf_counter() - started
    assert elapsed < 120, elapsed  # about 20 s here; minutes (or a crash) before
    text = article.text
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert all(text[c.start:c.end] == c.text for c in chunks)
    assert max(len(c.text) for c in chunks) < 5_000  # each chunk about 200 tokens, no giant
    assert [c.index for c in chunks] == list(range(len(chunks)))
