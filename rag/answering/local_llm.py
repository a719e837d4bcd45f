"""`rag llm-serve`: a GGUF model served by llama.cpp (xllamacpp) on loopback, OpenAI-compatible."""

from __future__ import annotations

import time

from ..types import RagError


class LocalServer:
    """A GGUF model served by llama.cpp (xllamacpp) on loopback, OpenAI-compatible."""

    def __init__(self, server, url: str, model: str):
        self._server = server
        self.url = url  # base URL for RAG_LLM_URL, ending in /v1
        self.model = model

    def wait(self) -> None:
        while True:
            time.sleep(3600)

    def close(self) -> None:
        self._server = None  # the server stops when the object is freed


def serve_gguf(path, host: str = "127.0.0.1", port: int = 0, n_ctx: int = 4096,
               threads: int | None = None) -> LocalServer:
    """Load the GGUF file at ``path`` on the CPU and serve it (``port=0``: any free port).

    Needs the ``local`` extra (xllamacpp, a prebuilt CPU wheel); llama-cpp-python is not used
    because it compiles for 10+ minutes on install.
    """
    import os
    from pathlib import Path

    path = Path(path).expanduser()
    if not path.is_file():
        raise RagError(f"no model file at {path}")
    try:
        import xllamacpp
    except ImportError as exc:
        raise RagError("serving a local model needs the `local` extra: "
                       "pip install 'newsrag[local]'") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.hostnames = [host]
    params.port = port
    params.model_alias = {path.stem}
    n = threads or os.cpu_count() or 1
    params.cpuparams.n_threads = n
    params.cpuparams_batch.n_threads = n
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:  # noqa: BLE001 - a bad file gives one line, not a traceback
        raise RagError(f"cannot load {path} with llama.cpp: {exc}") from exc
    return LocalServer(server, server.listening_address.rstrip("/") + "/v1", path.stem)
