"""The bundled MiniLM read as a cross-encoder: question and sentence in one input, one score.

The embedder compares a question's vector with a sentence's, each made alone; here the model
reads both together ("[CLS] question [SEP] sentence [SEP]"), so its attention can match what
is asked ("which team won") with what the sentence says ("the Avalanche beat the Lightning").
No such model can be installed from a package (../shared/STACK-NOTES.md), so this one is made
from the embedder that is: low-rank adapters (LoRA, rank 8) on its attention and feed-forward
layers and a linear head on its mean-pooled output, about 258,000 numbers in
``cross_weights.npz`` (1 MB), trained by ``benchmarks/train_cross.py`` on
realtimeqa-2022-2024 questions that are not realtimeqa-2022 ones (never on a test question).

Written by hand (torch) because peft is not installed and the adapters are a few lines; at run
time they are merged into the model's weights, which then runs as a plain BERT.
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


class CrossScorer:
    """Scores (question, sentence) pairs: a logit, higher when the sentence answers."""

    def __init__(self, base_path: str | Path | None = None, weights: str | Path = WEIGHTS):
        import torch
        from transformers import AutoModel, AutoTokenizer

        try:
            state = dict(np.load(weights))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load the cross-encoder weights {weights}: {exc} "
                              "(benchmarks/train_cross.py writes them)") from None
        base_path = _base(base_path)
        self.tokenizer = AutoTokenizer.from_pretrained(base_path)
        self.model = AutoModel.from_pretrained(base_path).eval()
        rank = int(state["enc.encoder.layer.0.attention.self.query.a"].shape[0])
        with torch.no_grad():
            for i, layer in enumerate(self.model.encoder.layer):
                for target in _TARGETS:
                    owner, name = _owner(layer, target)
                    key = f"enc.encoder.layer.{i}.{target}"
                    a = torch.from_numpy(state[f"{key}.a"])
                    b = torch.from_numpy(state[f"{key}.b"])
                    getattr(owner, name).weight += (b @ a) * (ALPHA / rank)  # merged once
            self.head = torch.nn.Linear(self.model.config.hidden_size, 1)
            self.head.weight.copy_(torch.from_numpy(state["head.weight"]))
            self.head.bias.copy_(torch.from_numpy(state["head.bias"]))
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


_SCORERS: dict[str, CrossScorer] = {}
_LOAD = threading.Lock()


def load_scorer(base_path: str | Path | None = None, weights: str | Path = "") -> CrossScorer:
    """One scorer per process and weights file (loading takes about a second)."""
    path = str(weights or WEIGHTS)
    with _LOAD:
        if path not in _SCORERS:
            _SCORERS[path] = CrossScorer(base_path, path)
        return _SCORERS[path]
