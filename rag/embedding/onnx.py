"""The model on ONNX Runtime: the same vectors as PyTorch, faster on a CPU; int8 optional.

    RAG_EMBED_BACKEND=onnx       fp32: the PyTorch vectors to 1e-6
    RAG_EMBED_BACKEND=onnx-int8  dynamic int8 weights: faster again, vectors close to fp32's

The ONNX file is exported from the configured sentence-transformers folder (the bundled
all-MiniLM-L6-v2 by default) on first use, by PyTorch, into ``embed_cache_dir``: nothing is
downloaded. The export is built in a temporary folder, checked against PyTorch on padded
batches, then renamed into place under a file lock, so a killed export or two processes
exporting at once never leave a broken model; a folder whose files do not match its manifest
is exported again. The key of the folder hashes the model's files and the versions of the
libraries that shape the export. After the export, running needs only onnxruntime and
tokenizers (no PyTorch import: faster start, less memory).

Only mean pooling (what all-MiniLM-L6-v2 and most sentence-transformers models use) is
implemented; another pooling is refused with a clear error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np

from .. import offline  # noqa: F401 - before transformers may be imported by the export
from ..types import RagError

EXPORT_FORMAT = 1  # bump when the recipe below changes: old cache folders are then ignored
ONNX_FILE = "model.onnx"
SIDE_FILES = ("tokenizer.json", "config.json", "sentence_bert_config.json", "modules.json",
              "1_Pooling/config.json")
MANIFEST = "MANIFEST.json"
_LOCK = threading.Lock()


class OnnxEmbedder:
    """Tokenise (tokenizers), run the transformer (onnxruntime), mean-pool, L2-normalise: what
    sentence-transformers does for this model, without PyTorch."""

    def __init__(self, model_path: Path, label: str, cache_dir: Path, int8: bool = False,
                 batch_size: int = 16, threads: int | None = None,
                 max_length: int | None = None):
        model_path = Path(model_path)
        if not (model_path / "config.json").exists():
            raise RagError(f"the ONNX backend needs a local sentence-transformers folder; "
                           f"{str(model_path)!r} is not one (set RAG_EMBED_MODEL to a folder, "
                           "or RAG_EMBED_BACKEND=huggingface)")
        _check_pooling(model_path)
        self.label = label
        self.backend = "onnx-int8" if int8 else "onnx"
        self.batch_size = max(1, batch_size)
        folder = ensure_export(model_path, Path(cache_dir), int8)
        from tokenizers import Tokenizer

        self._open(folder / ONNX_FILE, threads or _cpus())
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_padding()
        # sentence-transformers' limit (256 for this model), not tokenizer.json's own (128)
        self._tok.enable_truncation(max_length=max_length or _max_length(model_path))
        self.dim = int(self._encode(["dimension probe"]).shape[1])

    def _open(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        self._session = ort.InferenceSession(str(path), sess_options=so,
                                             providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]

    def _run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The transformer's last hidden state for one padded batch."""
        return self._session.run(None, {k: feeds[k] for k in self._inputs})[0]

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.mean_pooled(texts, normalise=True)

    def mean_pooled(self, inputs: list, normalise: bool = False) -> np.ndarray:
        """The model's mean-pooled output for each input: a text, or a pair of texts read as
        one input ("[CLS] a [SEP] b [SEP]", what a cross-encoder reads)."""
        if not inputs:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        enc = self._tok.encode_batch(list(inputs))
        out = np.empty((len(inputs), 0), dtype=np.float32)
        # Batches of similar lengths: each is padded to its longest text.
        order = sorted(range(len(enc)), key=lambda i: len(enc[i].ids))
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            width = max(len(enc[i].ids) for i in idx)
            feeds = {k: np.zeros((len(idx), width), dtype=np.int64)
                     for k in ("input_ids", "attention_mask", "token_type_ids")}
            for r, i in enumerate(idx):
                n = len(enc[i].ids)
                feeds["input_ids"][r, :n] = enc[i].ids
                feeds["attention_mask"][r, :n] = 1
                feeds["token_type_ids"][r, :n] = enc[i].type_ids
            hidden = self._run(feeds)
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / np.maximum(mask.sum(1), 1e-9)
            if normalise:
                pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out.shape[1] == 0:
                out = np.empty((len(inputs), pooled.shape[1]), dtype=np.float32)
            out[idx] = pooled
        return out

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()


# --- the export cache --------------------------------------------------------------------------

def ensure_export(model_path: Path, cache_dir: Path, int8: bool) -> Path:
    """The folder holding the exported model (exported now when missing or broken)."""
    name = f"{model_path.name}-{'int8' if int8 else 'fp32'}-{_key(model_path, int8)}"

    def make(tmp: Path) -> None:
        info = _export(model_path, tmp / ONNX_FILE)
        if int8:
            _quantize(tmp / ONNX_FILE)
        for rel in SIDE_FILES:
            if (model_path / rel).is_file():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(model_path / rel, tmp / rel)
        files = {p.relative_to(tmp).as_posix(): p.stat().st_size
                 for p in tmp.rglob("*") if p.is_file()}
        (tmp / MANIFEST).write_text(json.dumps({"files": files, "int8": int8, **info}))

    return build_once(cache_dir / name, make, _valid)


def build_once(final: Path, make, valid) -> Path:
    """``final``, made by ``make(tmp)`` in a temporary folder beside it and renamed into place
    under a file lock when ``valid(final)`` is false: a killed build or two processes building
    at once never leave a broken folder (the cross-encoder's merged model is made so too)."""
    if valid(final):
        return final
    cache_dir = final.parent
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RagError(f"cannot create the model cache {cache_dir}: {exc.strerror}; set "
                       "RAG_EMBED_CACHE_DIR to a writable folder") from exc
    with _LOCK, _file_lock(cache_dir / f".{final.name}.lock"):
        if valid(final):  # another process made it while we waited
            return final
        if final.exists():  # half a folder (a disk filled up, someone's rm): start again
            shutil.rmtree(final, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_dir))
        try:
            make(tmp)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _valid(folder: Path) -> bool:
    try:
        files = json.loads((folder / MANIFEST).read_text())["files"]
        return ONNX_FILE in files and all((folder / f).stat().st_size == n
                                          for f, n in files.items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _export(model_path: Path, dst: Path) -> dict:
    """PyTorch -> ONNX (the transformer's last hidden state), compared with PyTorch on
    padded batches of other shapes than the traced one."""
    import warnings

    import onnxruntime as ort
    import torch
    from transformers import AutoModel, AutoTokenizer

    # eager attention traces to plain MatMul/Softmax, which ONNX Runtime fuses.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(str(model_path))

    class LastHidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            # An additive 4D mask made here traces to tensor ops; transformers' own mask
            # building has Python shortcuts ("no padding: no mask") that a trace would freeze.
            bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) \
                * torch.finfo(torch.float32).min
            return self.m(input_ids=input_ids, attention_mask=bias,
                          token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    check = tok(["x", "the quick brown fox jumps over the lazy dog " * 6, "markets fell today"],
                padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        ref = model(**check).last_hidden_state.numpy()
    example = tok(["a short example", "a longer example sentence, padded to the other one"],
                  padding=True, return_tensors="pt")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHidden(model), tuple(example[n] for n in names), str(dst),
                          input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes={n: {0: "batch", 1: "seq"}
                                        for n in [*names, "last_hidden_state"]},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    sess = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    got = sess.run(None, {n: check[n].numpy() for n in names})[0]
    mask = check["attention_mask"].numpy()[..., None].astype(bool)
    err = float(np.abs(np.where(mask, ref - got, 0)).max())
    if err > 1e-3:
        raise RagError(f"the ONNX export of {model_path} differs from PyTorch (max abs diff "
                       f"{err:.1e}); use RAG_EMBED_BACKEND=huggingface")
    return {"max_abs_diff": err}


def _quantize(path: Path) -> None:
    """Dynamic int8: per-channel symmetric int8 weights of the MatMuls with a weight operand
    (uint8 on x86 CPUs without VNNI, whose int8 path can saturate); activations stay fp32
    between layers. Measured against fp32: benchmarks/embed_speed.py."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    flags = _cpu_flags()
    vnni = "avx512_vnni" in flags or "avx_vnni" in flags or platform.machine() in (
        "arm64", "aarch64")
    tmp = path.with_name("model.int8.onnx")
    logging.disable(logging.WARNING)  # it advises a pre-processing step on the root logger
    try:
        quantize_dynamic(str(path), str(tmp), per_channel=True, reduce_range=False,
                         weight_type=QuantType.QInt8 if vnni else QuantType.QUInt8,
                         extra_options={"WeightSymmetric": True, "MatMulConstBOnly": True})
    finally:
        logging.disable(logging.NOTSET)
    os.replace(tmp, path)


def _key(model_path: Path, int8: bool) -> str:
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(f"{EXPORT_FORMAT}|{int8}|{platform.machine()}".encode())
    for dist in ("torch", "transformers", "onnx", "onnxruntime"):
        try:
            h.update(f"|{dist}={version(dist)}".encode())
        except PackageNotFoundError:
            h.update(f"|{dist}=-".encode())
    for p in sorted(model_path.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"|{p.relative_to(model_path).as_posix()}:{st.st_size}".encode())
            if st.st_size < 2_000_000:  # the weights are known by size and mtime, not read
                h.update(p.read_bytes())
            else:
                h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()[:12]


@contextlib.contextmanager
def _file_lock(path: Path):
    import fcntl

    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_pooling(model_path: Path) -> None:
    cfg_path = model_path / "1_Pooling" / "config.json"
    if cfg_path.exists():
        cfg = json.loads(cfg_path.read_text())
        others = ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                  "pooling_mode_mean_sqrt_len_tokens")
        if not cfg.get("pooling_mode_mean_tokens") or any(cfg.get(k) for k in others):
            raise RagError(f"{model_path} does not use mean pooling, which is all the ONNX "
                           "backend implements: use RAG_EMBED_BACKEND=huggingface")


def _max_length(model_path: Path) -> int:
    try:
        return int(json.loads((model_path / "sentence_bert_config.json").read_text())
                   ["max_seq_length"])
    except (OSError, ValueError, KeyError):
        return 256


def _cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def create(settings) -> OnnxEmbedder:
    return OnnxEmbedder(Path(settings.model_name), settings.model_label,
                        settings.embed_cache_dir, int8=False,
                        batch_size=settings.embed_batch_size)


def create_int8(settings) -> OnnxEmbedder:
    return OnnxEmbedder(Path(settings.model_name), settings.model_label,
                        settings.embed_cache_dir, int8=True,
                        batch_size=settings.embed_batch_size)
