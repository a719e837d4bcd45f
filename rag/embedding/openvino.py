"""The model on Intel's OpenVINO runtime (RAG_EMBED_BACKEND=openvino, the default).

It runs the ONNX file that rag/embedding/onnx.py exports (the same cache; OpenVINO reads ONNX
directly), with the same tokenising and pooling. On a CPU with bf16 support (AVX512-BF16, AMX)
OpenVINO computes in bf16 by default: faster, with vectors still within 1e-4 of PyTorch's
(benchmarks/README.md); elsewhere in fp32.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..types import RagError
from .onnx import OnnxEmbedder


class OpenVinoEmbedder(OnnxEmbedder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.backend = "openvino"

    def _open(self, path: Path, threads: int) -> None:
        try:
            import openvino as ov
        except ImportError as exc:
            raise RagError("RAG_EMBED_BACKEND=openvino needs the openvino package (pip install "
                           "-e .), or choose RAG_EMBED_BACKEND=onnx or huggingface") from exc
        core = ov.Core()
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", {
            "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
        self._inputs = [p.get_any_name() for p in self._compiled.inputs]
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # one request object: one batch at a time

    def _run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        with self._lock:
            self._request.infer({k: feeds[k] for k in self._inputs})
            return self._request.get_output_tensor(0).data.copy()


def create(settings) -> OpenVinoEmbedder:
    return OpenVinoEmbedder(Path(settings.model_name), settings.model_label,
                            settings.embed_cache_dir, int8=False,
                            batch_size=settings.embed_batch_size)
