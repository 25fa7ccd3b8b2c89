"""The learned dj agent: an MLP that picks a press from the DJ env's observation alone.

The weights are plain tensors (``dj.safetensors``) beside a JSON that names the layers, the env's arguments
and the hash of the corpus they were trained on; loading reads both without unpickling and refuses weights
made for another corpus or observation. The forward pass is numpy, so playing needs no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Bumped when the JSON layout changes.
FORMAT_VERSION = 1

DJ_WEIGHTS = Path(__file__).resolve().parent.parent / "pretrained" / "dj.safetensors"


class DJWeightsError(ValueError):
    """Weights that cannot play this env: another corpus, another observation, or a damaged file."""


class DJPolicy:
    """An MLP (ReLU between layers) over the observation; the action is the largest output.

    ``layers`` are ``(weight (out, in), bias (out,))`` pairs, as ``torch.nn.Linear`` stores them.
    """

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], description: dict):
        self.layers = [(np.asarray(w, dtype=np.float32), np.asarray(b, dtype=np.float32)) for w, b in layers]
        self.description = description

    def logits(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float32)
        for i, (weight, bias) in enumerate(self.layers):
            x = x @ weight.T + bias
            if i < len(self.layers) - 1:
                np.maximum(x, 0.0, out=x)
        return x

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        obs = np.asarray(obs)
        actions = self.logits(obs.reshape(-1, obs.shape[-1])).argmax(axis=-1)
        return (actions[0] if obs.ndim == 1 else actions), state


def save(policy_layers, path, description: dict) -> Path:
    """Write layers (numpy ``(weight, bias)`` pairs) to ``path`` (.safetensors) and ``description`` beside it."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for i, (weight, bias) in enumerate(policy_layers):
        tensors[f"layer{i}.weight"] = np.ascontiguousarray(weight, dtype=np.float32)
        tensors[f"layer{i}.bias"] = np.ascontiguousarray(bias, dtype=np.float32)
    save_file(tensors, str(path))
    document = {"format_version": FORMAT_VERSION, "layers": len(policy_layers), **description}
    path.with_suffix(".json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    return path


def load(path, env) -> DJPolicy:
    """The policy saved at ``path`` for ``env`` (a DJ env, possibly wrapped); refused with one message if
    it was trained on another corpus or for another observation."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = Path(path)
    meta = path.with_suffix(".json")
    if not path.is_file() or not meta.is_file():
        raise DJWeightsError(f"no dj agent at {path} (and {meta.name} beside it): train one with "
                             "`python -m agents.dj.train` (docs/dj.md)")
    try:
        description = json.loads(meta.read_text())
        tensors = load_file(str(path))
        layers = [(tensors[f"layer{i}.weight"], tensors[f"layer{i}.bias"]) for i in range(description["layers"])]
    except (OSError, ValueError, KeyError, SafetensorError) as error:
        raise DJWeightsError(f"{path} is damaged or not dj weights ({type(error).__name__}: {error})") from error
    if description.get("format_version") != FORMAT_VERSION:
        raise DJWeightsError(f"{meta} has format {description.get('format_version')}, this code reads "
                             f"{FORMAT_VERSION}: retrain with `python -m agents.dj.train`")
    corpus = env.unwrapped.corpus
    if description.get("corpus_hash") != corpus.hash:
        raise DJWeightsError(f"{path} was trained on corpus {str(description.get('corpus_hash'))[:12]}, the env "
                             f"plays {corpus.hash[:12]}: train a dj agent on this corpus (python -m agents.dj.train "
                             "--corpus ...)")
    if not all(np.isfinite(weight).all() and np.isfinite(bias).all() for weight, bias in layers):
        raise DJWeightsError(f"{path} holds NaN or infinite values; these weights cannot act (the training "
                             "diverged, or the file was altered): retrain with `python -m agents.dj.train`")
    n_inputs = env.observation_space.shape[0]
    if layers[0][0].shape[1] != n_inputs or layers[-1][0].shape[0] != env.action_space.n:
        raise DJWeightsError(f"{path} reads {layers[0][0].shape[1]} inputs and makes {layers[-1][0].shape[0]} "
                             f"actions; the env has {n_inputs} and {env.action_space.n}")
    return DJPolicy(layers, description)
