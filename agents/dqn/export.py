"""A DQN's Q-network as shipped weights (:mod:`agents.weights`): exported from a model or a run, loaded back.

``NAME.safetensors`` holds ``model.q_net.state_dict()``; ``NAME.json`` holds the preset, the launchpad spec and
the hash of the corpus the network was trained on. :func:`load` rebuilds the DQN policy from the preset and
loads the tensors into it; weights trained for another spec or corpus are refused with one error saying which.
The composer and the explorer are shipped this way (the registry, :mod:`agents.policies`, names them).

    python -m agents export RUN --model best_model.zip --out W.safetensors
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

import torch as th

from agents import weights
from agents.arguments import dataclass_parser
from agents.dqn.networks import build_policy
from agents.dqn.presets import Preset
from agents.dqn.runs import Run, load_model
from gym_launchpad.envs import LaunchpadEnv
from gym_launchpad.launchpad import LaunchpadSpec

#: The command that makes Q-network weights, named when a file is refused.
EXPORT_COMMAND = "export them again with `python -m agents export RUN` or retrain"
#: The env arguments that make the launchpad's spec (checked when a description is read).
SPEC_KEYS = ("n_notes", "bar_bits", "low_note")


def export(model, preset_name: str, preset: Preset, corpus, path, extra: dict | None = None) -> Path:
    """Write ``model``'s Q-network to ``path`` (``.safetensors``) and its description beside it (``.json``)."""
    tensors = {name: value.detach().cpu().numpy() for name, value in model.q_net.state_dict().items()}
    return weights.write(path, tensors, {
        "network": "dqn",
        "preset_name": preset_name,
        "preset": preset.as_dict(),
        "spec": corpus.spec.as_dict(),
        "corpus_hash": corpus.hash,
        **(extra or {}),
    })


class PretrainedAgent:
    """A loaded Q-network acting greedily, with the ``predict`` signature of SB3 models."""

    def __init__(self, policy, description: dict, preset: Preset):
        self.policy = policy
        self.description = description
        self.preset = preset

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)

    def make_env(self, corpus=None, **kwargs):
        """An env this agent can play: its preset's observation and episode length."""
        return self.preset.make_env(corpus, **kwargs)


def load(path, corpus=None) -> PretrainedAgent:
    """Load weights written by :func:`export` for ``corpus`` (None: the shipped corpus; a path; a Corpus);
    :class:`agents.weights.WeightsError` (one line) for anything else."""
    path = Path(path)
    meta = path.with_suffix(".json")
    description = weights.read_description(meta, f": {EXPORT_COMMAND}") if meta.is_file() else None
    if description is None or not path.is_file():
        weights.read(path, retrain=EXPORT_COMMAND)  # names what is missing
    preset = _preset(meta, description)
    spec, corpus_hash = description.get("spec"), description.get("corpus_hash")
    corpus = preset.load_corpus(corpus)
    if corpus.spec.as_dict() != spec or corpus.hash != corpus_hash:
        raise weights.WeightsMismatchError(
            f"{path} was trained for spec {spec} on corpus {str(corpus_hash)[:12]}, "
            f"not for spec {corpus.spec.as_dict()} on corpus {corpus.hash[:12]}: evaluate it on the corpus it was "
            "trained on, or train a new agent on this one (python -m agents train --corpus ...)")
    try:
        env = preset.make_env(corpus)
        policy = build_policy(preset, env.observation_space, env.action_space)
    except (TypeError, ValueError, KeyError) as error:  # a JSON written by hand may name any value
        raise weights.WeightsError(f"{meta}: its preset does not describe a network this code builds "
                                   f"({type(error).__name__}: {error})") from error
    env.close()
    expected = {name: tuple(tensor.shape) for name, tensor in policy.q_net.state_dict().items()}
    arrays, _ = weights.read(path, expected, retrain=EXPORT_COMMAND)
    tensors = {name: th.from_numpy(array) for name, array in arrays.items()}
    with th.no_grad():
        policy.q_net.load_state_dict(tensors)
        policy.q_net_target.load_state_dict(tensors)
    return PretrainedAgent(policy, description, preset)


def _preset(meta: Path, description: dict) -> Preset:
    """The preset a description names, or one WeightsError: a JSON written by hand may name anything there."""
    fields = description.get("preset")
    if not isinstance(fields, dict):
        raise weights.WeightsError(f"{meta} has no preset object: it is not a Q-network's description "
                                   f"({EXPORT_COMMAND})")
    env_kwargs = fields.get("env_kwargs", {})
    allowed = set(inspect.signature(LaunchpadEnv).parameters) - {"corpus", "obs_mode", "render_mode"}
    named = f"names {', '.join(map(repr, sorted(set(env_kwargs) - allowed)))}" if isinstance(env_kwargs, dict) \
        else f"is a JSON {type(env_kwargs).__name__}"
    if not isinstance(env_kwargs, dict) or not set(env_kwargs) <= allowed:
        raise weights.WeightsError(f"{meta}: the preset's env_kwargs {named}; it must be an object naming only env "
                                   f"arguments ({', '.join(sorted(allowed))}): the corpus is the one the weights are "
                                   "loaded for, and the observation is the preset's obs_mode")
    try:
        preset = Preset(**fields)
        LaunchpadSpec(**{key: value for key, value in preset.env_kwargs.items() if key in SPEC_KEYS})
    except (TypeError, ValueError) as error:
        raise weights.WeightsError(f"{meta}: its preset does not describe a network this code builds "
                                   f"({type(error).__name__}: {error})") from error
    return preset


def export_run(run_dir, model_name: str = "best_model.zip", *, out, trust_pickle: bool = False) -> Path:
    """Export one model of a training run (default: its best evaluation) as safetensors weights + JSON; a
    model outside the run folder is refused unless ``trust_pickle`` (:func:`agents.dqn.runs.load_model`)."""
    run = Run(run_dir)
    config, preset = run.config(), run.preset()
    corpus = preset.load_corpus(config["args"].get("corpus"))
    model = load_model(run.path / model_name, trust_pickle=trust_pickle)
    return export(model, config.get("preset_name", preset.network), preset, corpus, out, extra={
        "timesteps": int(model.num_timesteps), "seed": config["args"].get("seed"),
        "source": f"{run.name}/{model_name}",
        "command": f"python -m agents export {run.path} --model {model_name} --out {out}",
    })


@dataclass
class ExportArgs:
    """Export a model of a training run as safetensors weights + JSON."""

    #: a run folder of `python -m agents train`
    run_dir: str
    #: where to write the .safetensors (the .json goes beside it)
    out: str
    #: the model file in the run folder
    model: str = "best_model.zip"
    #: load a model from outside the run folder, unpickling it: only for a file you trust
    trust_pickle: bool = False


def main(argv=None, prog: str = "python -m agents export") -> int:
    args = dataclass_parser(ExportArgs, prog=prog, positional=("run_dir",)).parse_args(argv)
    try:
        path = export_run(args.run_dir, args.model, out=args.out, trust_pickle=args.trust_pickle)
    except ValueError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
