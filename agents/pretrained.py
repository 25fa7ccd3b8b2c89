"""Q-network weights as plain tensors: saved with safetensors beside a small JSON, loaded without unpickling.

``NAME.safetensors`` holds ``model.q_net.state_dict()``; ``NAME.json`` holds the preset, the launchpad
spec and the hash of the corpus the network was trained on. :func:`load` rebuilds the DQN policy from
the preset and loads the tensors into it; weights trained for another spec or corpus are refused with
one error saying which. The repo ships its learned agents here by name (:data:`SHIPPED`): ``pretrained``,
the composer (``agents/pretrained/composer.safetensors``, made by ``python -m agents imitate``), and
``explorer``, the RL agent, when its weights are there (how each was made: ``agents/README.md``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch as th
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from agents.model_files import TRUST_PICKLE_FLAG, load_model, write_atomically
from agents.networks import build_policy
from agents.presets import Preset
from agents.runs import Run

#: Bumped when the JSON layout changes.
FORMAT_VERSION = 1

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
DEFAULT_PRETRAINED = PRETRAINED_DIR / "composer.safetensors"

#: The learned agents the repo ships: name -> (weights, the command that makes them).
SHIPPED = {
    "pretrained": (DEFAULT_PRETRAINED, "python -m agents imitate --out agents/pretrained/composer.safetensors"),
    "explorer": (PRETRAINED_DIR / "explorer.safetensors",
                 "python -m agents.explorer --out agents/pretrained/explorer.safetensors"),
}


def shipped_weights(name: str) -> Path:
    """The weights of the shipped agent ``name`` (one of :data:`SHIPPED`); FileNotFoundError, naming the
    command that trains them, when they are not there."""
    path, command = SHIPPED[name]
    path = DEFAULT_PRETRAINED if name == "pretrained" else path  # a module global, so tests can point it away
    if not path.is_file() or not path.with_suffix(".json").is_file():
        raise FileNotFoundError(f"the {name} agent needs {path} and {path.with_suffix('.json')}, which are not "
                                f"there; train them with `{command}`")
    return path


def shipped_names() -> list[str]:
    """The names in :data:`SHIPPED` whose weights are there."""
    present = []
    for name in SHIPPED:
        try:
            shipped_weights(name)
        except FileNotFoundError:
            continue
        present.append(name)
    return present


class PretrainedMismatchError(ValueError):
    """Weights made for another launchpad spec or corpus than the one asked for."""


class PretrainedFileError(ValueError):
    """A weights file (or its JSON) that is damaged or does not fit the network its JSON describes."""


def export(model, preset_name: str, preset: Preset, corpus, path, extra: dict | None = None) -> Path:
    """Write ``model``'s Q-network to ``path`` (``.safetensors``) and its description beside it (``.json``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {name: value.detach().cpu().contiguous() for name, value in model.q_net.state_dict().items()}
    write_atomically(path, lambda file: file.write(save(tensors)))
    description = {
        "format_version": FORMAT_VERSION,
        "preset_name": preset_name,
        "preset": preset.as_dict(),
        "spec": corpus.spec.as_dict(),
        "corpus_hash": corpus.hash,
        **(extra or {}),
    }
    path.with_suffix(".json").write_text(json.dumps(description, indent=2, sort_keys=True) + "\n")
    return path


class PretrainedAgent:
    """A loaded Q-network acting greedily, with the ``predict`` signature of SB3 models."""

    def __init__(self, policy, description: dict):
        self.policy = policy
        self.description = description
        self.preset = Preset(**description["preset"])

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)

    def make_env(self, corpus=None, **kwargs):
        """An env this agent can play: its preset's observation and episode length."""
        return self.preset.make_env(corpus, **kwargs)


def load(path=DEFAULT_PRETRAINED, corpus=None) -> PretrainedAgent:
    """Load weights written by :func:`export` for ``corpus`` (None: the shipped corpus; a path; a Corpus)."""
    path = Path(path)
    meta_path = path.with_suffix(".json")
    if not path.is_file() or not meta_path.is_file():
        raise FileNotFoundError(f"pretrained weights need both {path} and {meta_path}; train and export with "
                                "`python -m agents train` (it writes q_net.safetensors and q_net.json)")
    try:
        description = json.loads(meta_path.read_text())
        preset = Preset(**description["preset"])
        spec, corpus_hash = description["spec"], description["corpus_hash"]
    except (ValueError, KeyError, TypeError) as error:
        raise PretrainedFileError(f"{meta_path} is not a weights description written by `python -m agents train` "
                                  f"({type(error).__name__}: {error})") from error
    if description.get("format_version") != FORMAT_VERSION:
        raise PretrainedMismatchError(f"{meta_path} has format {description.get('format_version')}, "
                                      f"this code reads {FORMAT_VERSION}")
    corpus = preset.load_corpus(corpus)
    if corpus.spec.as_dict() != spec or corpus.hash != corpus_hash:
        raise PretrainedMismatchError(
            f"{path} was trained for spec {spec} on corpus {str(corpus_hash)[:12]}, "
            f"not for spec {corpus.spec.as_dict()} on corpus {corpus.hash[:12]}: evaluate it on the corpus it was "
            "trained on, or train a new agent on this one (python -m agents train --corpus ...)"
        )
    env = preset.make_env(corpus)
    policy = build_policy(preset, env.observation_space, env.action_space)
    env.close()
    tensors = _read_weights(path, policy.q_net.state_dict())
    with th.no_grad():
        policy.q_net.load_state_dict(tensors)
        policy.q_net_target.load_state_dict(tensors)
    return PretrainedAgent(policy, description)


def _read_weights(path, expected: dict) -> dict:
    """The tensors of ``path`` if they are exactly the ``expected`` state dict's names and shapes, all finite."""
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise PretrainedFileError(f"{path} is damaged or truncated, not a whole safetensors file ({error}); export "
                                  "it again with `python -m agents.pretrained RUN`") from error
    missing, extra = sorted(expected.keys() - tensors.keys()), sorted(tensors.keys() - expected.keys())
    if missing or extra:
        raise PretrainedFileError(f"{path} does not hold the network its JSON describes: "
                                  + "; ".join(part for part in (f"missing {missing}" if missing else "",
                                                               f"unexpected {extra}" if extra else "") if part))
    for name, tensor in tensors.items():
        if tensor.shape != expected[name].shape:
            raise PretrainedFileError(f"{path}: tensor {name} has shape {list(tensor.shape)}, the network its JSON "
                                      f"describes needs {list(expected[name].shape)}")
        if not th.isfinite(tensor).all():
            raise PretrainedFileError(f"{path}: tensor {name} holds NaN or infinite values; these weights cannot "
                                      "act (the training diverged, or the file was altered)")
    return tensors


def export_run(run_dir, model_name: str = "best_model.zip", *, out, trust_pickle: bool = False) -> Path:
    """Export one model of a training run (default: its best evaluation) as safetensors weights + JSON; a
    model outside the run folder is refused unless ``trust_pickle`` (:mod:`agents.model_files`)."""
    run = Run(run_dir)
    config = run.config()
    preset = Preset(**config["preset"])
    corpus = preset.load_corpus(config["args"]["corpus"])
    model = load_model(run.path / model_name, trust_pickle=trust_pickle)
    return export(model, config["preset_name"], preset, corpus, out, extra={
        "timesteps": int(model.num_timesteps), "seed": config["args"]["seed"],
        "source": f"{run.name}/{model_name}",
        "command": f"python -m agents.pretrained {run.path} --model {model_name} --out {out}",
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agents.pretrained",
                                     description="Export a model of a training run as safetensors weights + JSON.")
    parser.add_argument("run_dir", help="a run folder of `python -m agents train`")
    parser.add_argument("--model", default="best_model.zip", help="model file in the run folder")
    parser.add_argument("--out", required=True, help="where to write the .safetensors (the .json goes beside it)")
    parser.add_argument(TRUST_PICKLE_FLAG, action="store_true",
                        help="load a model from outside the run folder, unpickling it: only for a file you trust")
    args = parser.parse_args(argv)
    try:
        path = export_run(args.run_dir, args.model, out=args.out, trust_pickle=args.trust_pickle)
    except ValueError as error:
        print(f"python -m agents.pretrained: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
