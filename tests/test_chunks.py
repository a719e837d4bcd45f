from conftest import CORPUS

from rag.articles import read_paths
from rag.chunks import Chunker


def test_chunks_are_verbatim_at_offsets_and_cover_the_article():
    [article] = read_paths([CORPUS]).articles
    chunks = Chunker(chunk_size=80, chunk_overlap=10).split(article)
    assert len(chunks) > 3
    for c in chunks:
        assert article.text[c.start:c.end] == c.text
    assert chunks[0].start == 0
    assert chunks[-1].end == len(article.text)
    assert len({c.id for c in chunks}) == len(chunks)
    # Chunk ids are stable: the same article gives the same ids.
    assert [c.id for c in Chunker(80, 10).split(article)] == [c.id for c in chunks]
