"""The guide stores articles "in Chroma through llama-index". The project writes and queries
Chroma with Chroma's own client (rag/stores/chroma.py says why), in llama-index's layout: this
proves it. An index written by the project opens with llama-index's ChromaVectorStore and
VectorStoreIndex.from_vector_store and answers a query with the project's chunks, their text
and their metadata (real model, real Chroma, the shipped corpus)."""

from __future__ import annotations

from conftest import CORPUS, IKAROS


def test_an_index_written_by_the_project_is_read_by_llama_index(tmp_path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag import Assistant

    bot = Assistant(index_dir=tmp_path / "idx")
    assert bot.ingest([CORPUS]).added
    ours = {c.id: c for c in bot.store.iter_chunks()}
    settings = bot.settings
    del bot  # llama-index opens the folder on its own, as another program would

    client = chromadb.PersistentClient(path=str(tmp_path / "idx" / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    store = ChromaVectorStore(chroma_collection=client.get_collection(settings.collection))
    embed = HuggingFaceEmbedding(model_name=str(settings.model_name))
    index = VectorStoreIndex.from_vector_store(store, embed_model=embed)
    hits = index.as_retriever(similarity_top_k=3).retrieve(IKAROS)

    assert len(hits) == 3
    for hit in hits:
        mine = ours[hit.node.node_id]  # the project's chunk ids
        assert hit.node.get_content() == mine.text
        meta = hit.node.metadata
        assert meta["doc_id"] == meta["document_id"] == mine.doc_id
        assert (meta["title"], meta["start"], meta["end"]) == (mine.title, mine.start, mine.end)
        assert meta.get("date", "") == mine.date
        assert 0.0 < hit.score <= 1.0
    assert "269 suspects" in " ".join(h.node.get_content() for h in hits)
