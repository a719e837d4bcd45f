"""The embedding door: an ``Embedder`` Protocol and a registry of backends by name.

    get_embedder(settings)            # the backend named by settings.embed_backend, cached
    register_embedder("mine", factory)  # factory(settings) -> Embedder

A backend is a file in this folder that registers a factory, imported only when asked for
(heavy libraries load lazily), as simonw/llm registers its models. The fake embedder of the
tests is registered through the same door as the real one.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ..types import ConfigError


@runtime_checkable
class Embedder(Protocol):
    label: str  # the model, recorded in the index: vectors of two labels never mix
    dim: int
    # The backend, recorded too: another backend of the same model may use the index when
    # its vectors agree (rag/embedding/compat.py).
    backend: str

    def embed_texts(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


# name -> "module:function" (loaded on first use) or a factory registered at run time
_BACKENDS: dict[str, str | Callable] = {
    "huggingface": "rag.embedding.huggingface:create",
    "onnx": "rag.embedding.onnx:create",
    "onnx-int8": "rag.embedding.onnx:create_int8",
    "openvino": "rag.embedding.openvino:create",
    "fake": "rag.embedding.fake:create",
}
_CACHE: dict[tuple, Embedder] = {}
_LOCK = threading.Lock()


def register_embedder(name: str, factory: Callable) -> None:
    """Make ``settings.embed_backend = name`` build its embedder with ``factory(settings)``."""
    _BACKENDS[name] = factory
    with _LOCK:
        for key in [k for k in _CACHE if k[0] == name]:
            del _CACHE[key]


def backends() -> list[str]:
    return sorted(_BACKENDS)


def get_embedder(settings) -> Embedder:
    """One model per process and configuration: loading one takes seconds and hundreds of MB."""
    name = settings.embed_backend
    key = (name, settings.model_name, settings.embed_batch_size, str(settings.embed_cache_dir))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = _factory(name)(settings)
        return _CACHE[key]


def _factory(name: str) -> Callable:
    target = _BACKENDS.get(name)
    if target is None:
        raise ConfigError(f"RAG_EMBED_BACKEND={name!r} is not one of: {', '.join(backends())}")
    if isinstance(target, str):
        module, _, func = target.partition(":")
        target = getattr(importlib.import_module(module), func)
        _BACKENDS[name] = target
    return target
