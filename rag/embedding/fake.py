"""A deterministic fake embedder for fast tests: hashed bag of stemmed words, normalised.

Texts sharing words get similar vectors, so fusion, date priors, chat context and stores can be
tested in milliseconds without the model. Never used unless RAG_EMBED_BACKEND=fake.
"""

from __future__ import annotations

import hashlib

import numpy as np

DIM = 64


class FakeEmbedder:
    label = "fake:hashed-words-64"
    dim = DIM
    backend = "fake"

    def _vec(self, text: str) -> list[float]:
        from ..text import tokenize

        v = np.zeros(DIM, dtype=np.float32)
        for w in tokenize([text])[0] or ["<empty>"]:
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            v[h % DIM] += 1.0 if (h >> 32) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return (v / n if n else v).tolist()

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return [self._vec(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vec(text)


def create(settings) -> FakeEmbedder:
    return FakeEmbedder()
