"""The default embedder: sentence-transformers through llama-index's HuggingFaceEmbedding."""

from __future__ import annotations

from .. import offline  # noqa: F401 - must run before transformers is imported
from ..types import RagError


class HuggingFaceEmbedder:
    backend = "huggingface"

    def __init__(self, model_name: str, label: str, batch_size: int = 16):
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        self.label = label
        try:
            self._model = HuggingFaceEmbedding(model_name=model_name, device="cpu",
                                               embed_batch_size=batch_size,
                                               show_progress_bar=False)
        except Exception as exc:  # noqa: BLE001 - any load failure gets one clear message
            raise RagError(
                f"cannot load the embedding model {model_name!r}: {exc}. Set RAG_EMBED_MODEL to "
                "a local sentence-transformers folder, or leave it empty for the bundled model."
            ) from exc
        self.dim = len(self._model.get_query_embedding("dimension probe"))

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        # llama-index cuts the list into batches in the given order and each batch is padded to
        # its longest text: ordering by length first wastes far less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = self._model.get_text_embedding_batch([texts[i] for i in order],
                                                       show_progress=False)
        out: list = [None] * len(texts)
        for i, vec in zip(order, vectors, strict=True):
            out[i] = vec
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._model.get_query_embedding(text)


def create(settings) -> HuggingFaceEmbedder:
    return HuggingFaceEmbedder(settings.model_name, settings.model_label,
                               settings.embed_batch_size)
