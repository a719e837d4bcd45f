"""What stores share: the article manifest record and the model check."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..types import ModelMismatchError

INDEX_RECORD = "__index__"
SCHEMA_VERSION = 1


@dataclass
class ArticleRecord:
    id: str
    hash: str
    title: str
    date: str
    source: str
    url: str
    origin: str
    n_chunks: int
    extra: dict

    @classmethod
    def from_meta(cls, doc_id: str, meta: dict) -> ArticleRecord:
        return cls(id=doc_id, hash=meta.get("hash", ""), title=meta.get("title", ""),
                   date=meta.get("date", ""), source=meta.get("source", ""),
                   url=meta.get("url", ""), origin=meta.get("origin", ""),
                   n_chunks=int(meta.get("n_chunks", 0)),
                   extra=json.loads(meta.get("extra", "{}") or "{}"))


def model_mismatch(info: dict, location: str, label: str, dim: int) -> ModelMismatchError | None:
    """The error for an index built with another model than ``label`` (None if it matches)."""
    built = info.get("embed_model")
    if built and (built != label or int(info.get("dim", dim)) != dim):
        return ModelMismatchError(
            f"the index at {location} was built with the embedding model {built!r} "
            f"({info.get('dim')} dims), but {label!r} ({dim} dims) is configured. Use the "
            "same model, choose another --index-dir, or rebuild with `rag ingest --rebuild`.")
    return None
