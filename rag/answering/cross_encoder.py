"""The bundled MiniLM read as a cross-encoder: question and sentence in one input, one score.

The embedder compares a question's vector with a sentence's, each made alone; here the model
reads both together ("[CLS] question [SEP] sentence [SEP]"), so its attention can match what
is asked ("which team won") with what the sentence says ("the Avalanche beat the Lightning").
No such model can be installed from a package (../shared/STACK-NOTES.md), so this one is made
from the embedder that is: low-rank adapters (LoRA, rank 8) on its attention and feed-forward
layers and a linear head on its mean-pooled output, about 258,000 numbers in
``cross_weights.npz`` (1 MB), trained by ``benchmarks/train_cross.py`` on
realtimeqa-2022-2024 questions that are not realtimeqa-2022 ones (never on a test question).

Written by hand (torch) because peft is not installed and the adapters are a few lines. For
answering they are merged into the model's weights once, and the merged model (a plain BERT) is
exported to ONNX and run on OpenVINO like the embedder (FastCrossScorer, merged_folder).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..types import ConfigError

WEIGHTS = Path(__file__).with_name("cross_weights.npz")
RANK = 8
ALPHA = 16.0
MAX_LENGTH = 128
# The layers given adapters, by their names in transformers' BertLayer.
_TARGETS = ("attention.self.query", "attention.self.value", "intermediate.dense",
            "output.dense")


def _base(base_path: str | Path | None) -> str:
    """The model the adapters were trained over: the bundled one unless told otherwise (a
    user's other embedder does not change it)."""
    from ..config import _bundled_model

    return str(base_path or _bundled_model())


def build(base_path: str | Path | None = None, rank: int = RANK):
    """(model, tokenizer) for training: the base model frozen, adapters and head trainable."""
    import torch
    from torch import nn
    from transformers import AutoModel, AutoTokenizer

    base_path = _base(base_path)

    class LoRALinear(nn.Module):
        def __init__(self, base: nn.Linear):
            super().__init__()
            self.base = base
            self.a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
            self.b = nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x):
            return self.base(x) + (x @ self.a.T @ self.b.T) * (ALPHA / rank)

    class CrossEncoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = AutoModel.from_pretrained(base_path)
            for p in self.enc.parameters():
                p.requires_grad = False
            for layer in self.enc.encoder.layer:
                for target in _TARGETS:
                    owner, name = _owner(layer, target)
                    setattr(owner, name, LoRALinear(getattr(owner, name)))
            self.head = nn.Linear(self.enc.config.hidden_size, 1)

        def forward(self, **batch):
            return _pooled_logit(self.enc(**batch).last_hidden_state,
                                 batch["attention_mask"], self.head)

    return CrossEncoder(), AutoTokenizer.from_pretrained(base_path)


def _owner(layer, dotted: str):
    *path, name = dotted.split(".")
    owner = layer
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def _pooled_logit(hidden, mask, head):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return head((hidden * m).sum(1) / m.sum(1).clamp(min=1.0)).squeeze(-1)


def trained_state(model) -> dict[str, np.ndarray]:
    """The trained numbers only (adapters and head), for cross_weights.npz."""
    return {k: v.detach().cpu().numpy().astype(np.float32)
            for k, v in model.state_dict().items()
            if k.startswith("head.") or k.endswith((".a", ".b"))}


def _load_state(weights: str | Path) -> dict[str, np.ndarray]:
    try:
        return dict(np.load(weights))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load the cross-encoder weights {weights}: {exc} "
                          "(benchmarks/train_cross.py writes them)") from None


def _merged(base_path: str, state: dict[str, np.ndarray]):
    """The base model with the adapters merged into its weights (a plain BERT), and the
    head's (weight, bias) as arrays."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(base_path, attn_implementation="eager").eval()
    rank = int(state["enc.encoder.layer.0.attention.self.query.a"].shape[0])
    with torch.no_grad():
        for i, layer in enumerate(model.encoder.layer):
            for target in _TARGETS:
                owner, name = _owner(layer, target)
                key = f"enc.encoder.layer.{i}.{target}"
                a = torch.from_numpy(state[f"{key}.a"])
                b = torch.from_numpy(state[f"{key}.b"])
                getattr(owner, name).weight += (b @ a) * (ALPHA / rank)
    return model, state["head.weight"].reshape(-1), float(state["head.bias"].reshape(-1)[0])


class CrossScorer:
    """Scores (question, sentence) pairs with PyTorch: a logit, higher when the sentence
    answers. For training and checks; the answerer runs FastCrossScorer."""

    def __init__(self, base_path: str | Path | None = None, weights: str | Path = WEIGHTS):
        from transformers import AutoTokenizer

        state = _load_state(weights)
        base_path = _base(base_path)
        self.tokenizer = AutoTokenizer.from_pretrained(base_path)
        import torch

        self.model, w, b = _merged(base_path, state)
        self.head = torch.nn.Linear(w.size, 1)
        with torch.no_grad():
            self.head.weight.copy_(torch.from_numpy(w).reshape(1, -1))
            self.head.bias.fill_(b)
        self._lock = threading.Lock()

    def scores(self, question: str, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        import torch

        batch = self.tokenizer([question] * len(sentences), sentences, padding=True,
                               truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with self._lock, torch.inference_mode():
            hidden = self.model(**batch).last_hidden_state
            return _pooled_logit(hidden, batch["attention_mask"], self.head).numpy()


# The merged model is written once per weights file into the model cache, as a folder that
# rag/embedding/onnx.py exports like the embedder (PyTorch only then); later processes run it on
# OpenVINO: no PyTorch import, which took 5 s and 400 MB more per `rag ask` (stop 28).
_MERGED_FORMAT = 1
_BASE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
               "special_tokens_map.json", "sentence_bert_config.json", "modules.json",
               "1_Pooling/config.json")


def merged_folder(base_path: str | Path | None, weights: str | Path, cache_dir: Path) -> Path:
    """A model folder of the base model with ``weights``' adapters merged in and its head in
    head.npz, made now when missing (as the embedder's export is: build_once)."""
    import hashlib
    import shutil

    from ..embedding.onnx import build_once

    base = Path(_base(base_path))
    raw = Path(weights).read_bytes() if Path(weights).is_file() else b""
    if not raw:
        _load_state(weights)  # the clear error for a missing file
    h = hashlib.sha256(f"{_MERGED_FORMAT}|{base.resolve()}|".encode() + raw)
    for rel in _BASE_FILES:
        if (base / rel).is_file():
            h.update(rel.encode() + (base / rel).read_bytes())

    def make(tmp: Path) -> None:
        model, w, b = _merged(str(base), _load_state(weights))
        model.save_pretrained(tmp)
        for rel in _BASE_FILES:
            if (base / rel).is_file() and not (tmp / rel).exists():
                (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(base / rel, tmp / rel)
        np.savez(tmp / "head.npz", weight=w, bias=np.float32(b))
        (tmp / "DONE").write_text(str(weights))

    return build_once(Path(cache_dir) / f"cross-encoder-{h.hexdigest()[:12]}", make,
                      lambda folder: (folder / "DONE").is_file())


class FastCrossScorer:
    """The same scores from the merged model exported to ONNX and run by OpenVINO (as the
    default embedder runs), in bf16 where the CPU has it: logits within about 0.05 of
    PyTorch's."""

    def __init__(self, base_path: str | Path | None = None, weights: str | Path = WEIGHTS,
                 cache_dir: Path | None = None):
        from ..config import _cache_dir
        from ..embedding.openvino import OpenVinoEmbedder

        cache_dir = Path(cache_dir or _cache_dir())
        folder = merged_folder(base_path, weights, cache_dir)
        self.runner = OpenVinoEmbedder(folder, "cross-encoder", cache_dir, batch_size=16,
                                       max_length=MAX_LENGTH)
        head = np.load(folder / "head.npz")
        self.w, self.b = head["weight"].astype(np.float32), float(head["bias"])

    def scores(self, question: str, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        pooled = self.runner.mean_pooled([(question, s) for s in sentences])
        return (pooled @ self.w + self.b).astype(np.float32)


_SCORERS: dict[tuple, object] = {}
_LOAD = threading.Lock()


def load_scorer(base_path: str | Path | None = None, weights: str | Path = "",
                cache_dir: Path | None = None, fast: bool = True):
    """One scorer per process, weights file and kind: FastCrossScorer (OpenVINO; the first
    use per weights file merges and exports it, about 10 s) or, with ``fast=False``,
    CrossScorer (PyTorch)."""
    path = str(weights or WEIGHTS)
    key = (str(base_path or ""), path, str(cache_dir or ""), fast)
    with _LOAD:
        if key not in _SCORERS:
            _SCORERS[key] = (FastCrossScorer(base_path, path, cache_dir) if fast
                             else CrossScorer(base_path, path))
        return _SCORERS[key]
