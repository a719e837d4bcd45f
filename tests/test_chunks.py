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
