"""Any policy by name or path, and the env it plays.

A policy is named by one text (``python -m agents evaluate POLICY``, ``python -m agents play --agent``):

- a baseline, one of :data:`agents.baselines.BASELINES`;
- a planner, one of :data:`agents.planners.PLANNERS`, with options after a colon
  (``anneal:sweeps=50,beta_end=3``, ``beam:width=64``);
- a shipped learned agent, one of :data:`agents.pretrained.SHIPPED` (``pretrained``: the composer;
  ``explorer``: the RL agent);
- ``hopper`` or ``dj``: the DJ task's planner and learned agent (:mod:`agents.dj`), which play
  ``LaunchpadDJ-v0``;
- a ``.safetensors`` weights file (:mod:`agents.pretrained`), or a run folder of ``python -m agents train``
  (its ``q_net.safetensors``);
- an SB3 ``.zip`` model: a run's ``final_model.zip``, ``best_model.zip`` or a checkpoint (loaded without
  unpickling, :mod:`agents.model_files`), or any other SB3 model only with ``trust_pickle``;
- ``LABEL=`` before any of them names the row it gets in a table.

Every table says which of three kinds a policy is (:attr:`PolicySource.category`): ``baseline``,
``planner`` (it acts by searching in the env as a simulator) or ``learned`` (it reads only the observation).

:func:`load_policy` returns the policy, with SB3's ``predict``, and an env it plays: the default
launchpad, with the observation the policy was trained on.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import stable_baselines3

from agents import pretrained
from agents.baselines import BASELINES, make_baseline
from agents.dj.registry import DJ_POLICIES, make_dj_env, make_dj_policy
from agents.model_files import UntrustedModelError, load_model, untrusted_message
from agents.planners import PLANNERS
from agents.presets import Preset, get_preset
from agents.runs import run_of_model
from gym_launchpad.corpus import Corpus
from gym_launchpad.observation import OBS_MODES, observation_space

#: The name of the shipped agent.
PRETRAINED = "pretrained"
#: What a policy is loaded from: a baseline, a planner, exported weights, or an SB3 model.
KINDS = ("baseline", "planner", "pretrained", "sb3", "dj")
#: The kind each table shows: how the policy decides.
CATEGORIES = {"baseline": "baseline", "planner": "planner", "pretrained": "learned", "sb3": "learned"}
#: The DJ task's agents, by what they are: the hopper searches, dj reads the observation.
DJ_CATEGORIES = {"hopper": "planner", "dj": "learned"}
#: The algorithms an SB3 ``.zip`` may come from (``algo``); "dqn" loads :class:`agents.dqn.LaunchpadDQN`.
SB3_ALGOS = ("dqn", "ppo", "a2c")
#: The preset whose env the baselines play, and an SB3 model outside a run folder.
DEFAULT_PRESET = "mlp"


@dataclass(frozen=True)
class PolicySource:
    """Where a policy comes from: its label, its kind (one of :data:`KINDS`), its baseline or planner name or
    file, and a planner's options."""

    label: str
    kind: str
    source: str
    options: tuple[tuple[str, float], ...] = ()

    @property
    def category(self) -> str:
        """``baseline``, ``planner`` or ``learned``: what a table calls it."""
        return DJ_CATEGORIES[self.source] if self.kind == "dj" else CATEGORIES[self.kind]


@dataclass
class LoadedPolicy:
    """A policy with SB3's ``predict`` and the env it plays (its preset's observation, a time limit)."""

    source: PolicySource
    policy: object
    env: gym.Env
    preset: Preset

    @property
    def label(self) -> str:
        return self.source.label


def parse_policy(text: str) -> PolicySource:
    """``random`` | ``noop`` | ``greedy`` | ``PLANNER[:OPTION=VALUE,...]`` | ``pretrained`` | ``explorer`` |
    ``PATH``, each optionally ``LABEL=`` first, where PATH is a ``.safetensors`` weights file, an SB3 ``.zip``
    model, or a run folder of ``python -m agents train`` (its ``q_net.safetensors``). Raises ValueError for
    anything else, and FileNotFoundError for a shipped agent whose weights are not there."""
    label, sep, source = text.partition("=")
    if not sep or ":" in label:  # the "=" of a planner's option is no label
        label, source = "", text
    name, colon, options = source.partition(":")
    if name in PLANNERS:
        return PolicySource(label or source, "planner", name, _planner_options(name, options))
    if colon and name in (*BASELINES, *pretrained.SHIPPED):
        raise ValueError(f"{name} takes no options; only the planners do ({', '.join(PLANNERS)})")
    if source in BASELINES:
        return PolicySource(label or source, "baseline", source)
    if source in DJ_POLICIES:
        return PolicySource(label or source, "dj", source)
    if source in pretrained.SHIPPED:
        return PolicySource(label or source, "pretrained", str(pretrained.shipped_weights(source)))
    path = Path(source)
    default_label = path.name if path.is_dir() else path.stem
    if path.is_dir():
        path = path / "q_net.safetensors"
    kinds = {".safetensors": "pretrained", ".zip": "sb3"}
    if path.suffix in kinds and not path.exists():
        raise ValueError(f"model file {path} does not exist")
    if path.suffix not in kinds or not path.is_file():
        raise ValueError(f"{text!r} is neither a baseline ({', '.join(BASELINES)}), a planner "
                         f"({', '.join(PLANNERS)}), a shipped agent ({', '.join(pretrained.SHIPPED)}), a DJ agent "
                         f"({', '.join(DJ_POLICIES)}), an existing "
                         ".safetensors file, an SB3 .zip model, nor a run folder holding q_net.safetensors")
    return PolicySource(label or default_label, kinds[path.suffix], str(path))


def _planner_options(name: str, text: str) -> tuple[tuple[str, float], ...]:
    """``width=64,depth=4`` as ``(("width", 64), ("depth", 4))``, checked against the planner's options."""
    allowed = [p for p in inspect.signature(PLANNERS[name]).parameters if p not in ("env", "seed")]
    options = []
    for item in filter(None, text.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in allowed:
            raise ValueError(f"{name} option {item!r} is not OPTION=VALUE with OPTION one of {', '.join(allowed)}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"{name} option {key} must be a number, got {value!r}") from None
        options.append((key, int(number) if number.is_integer() and "." not in value else number))
    return tuple(options)


def load_policy(name_or_path: str | PolicySource, corpus=None, *, seed: int = 0, episode_steps: int | None = None,
                algo: str = "dqn", trust_pickle: bool = False, **env_kwargs) -> LoadedPolicy:
    """The policy ``name_or_path`` names (:func:`parse_policy`) and an env it plays.

    ``corpus``: None (the shipped one), a path or a Corpus; weights trained on another corpus are refused
    (:class:`agents.pretrained.PretrainedMismatchError`). Every env is the default launchpad with the same
    start distribution, ``episode_steps`` bars per episode (default: the paper's 1000, whatever episodes a
    policy trained on) and ``env_kwargs`` (e.g. ``init``, ``render_mode``); a learned policy's env shows it the
    observation it was trained on. ``seed`` seeds the random baseline; ``algo`` is the SB3 algorithm of a
    ``.zip`` (:data:`SB3_ALGOS`); ``trust_pickle`` lets a ``.zip`` from outside a run folder be unpickled
    (else :class:`agents.model_files.UntrustedModelError`).
    """
    source = name_or_path if isinstance(name_or_path, PolicySource) else parse_policy(name_or_path)
    if corpus is not None and not isinstance(corpus, Corpus):
        corpus = Corpus.load(corpus)
    if source.kind == "dj":
        if corpus is not None and corpus.cells != "onsets":
            raise ValueError(f"the DJ agents play a corpus of onsets, and {corpus!r} holds {corpus.cells} cells: "
                             "leave --corpus out (the shipped onsets) or build one with --cells onsets")
        env = make_dj_env(corpus, episode_steps, **env_kwargs)
        return LoadedPolicy(source, make_dj_policy(source.source, env), env, None)
    if source.kind in ("baseline", "planner"):
        preset = get_preset(DEFAULT_PRESET)
        env = _env(preset, corpus, episode_steps, env_kwargs)
        policy = (make_baseline(source.source, env, seed=seed) if source.kind == "baseline" else
                  PLANNERS[source.source](env, seed=seed, **dict(source.options)))
        return LoadedPolicy(source, policy, env, preset)
    if source.kind == "pretrained":
        agent = pretrained.load(source.source, corpus=corpus)
        return LoadedPolicy(source, agent, _env(agent.preset, corpus, episode_steps, env_kwargs), agent.preset)
    model = _load_sb3(source.source, algo, trust_pickle)
    run = run_of_model(source.source)
    preset = run.preset() if run else _preset_for(model, corpus)
    return LoadedPolicy(source, model, _env(preset, corpus, episode_steps, env_kwargs), preset)


def _env(preset: Preset, corpus, episode_steps: int | None, env_kwargs: dict):
    if isinstance(corpus, Corpus):  # the launchpad is built for the corpus's spec, unless the preset fixes one
        env_kwargs = {**{k: v for k, v in corpus.spec.as_dict().items() if k not in preset.env_kwargs}, **env_kwargs}
    return preset.replace(episode_steps=episode_steps or get_preset(DEFAULT_PRESET).episode_steps).make_env(
        corpus, **env_kwargs)


def _load_sb3(path: str, algo: str, trust_pickle: bool):
    if algo not in SB3_ALGOS:
        raise ValueError(f"unknown algo {algo!r}; choose one of {', '.join(SB3_ALGOS)}")
    try:
        if algo == "dqn":
            return load_model(path, trust_pickle=trust_pickle)
        if not trust_pickle:  # only DQN runs are trained here: any other algorithm's model is foreign
            raise UntrustedModelError(untrusted_message(path))
        return getattr(stable_baselines3, algo.upper()).load(path, device="cpu")
    except UntrustedModelError:
        raise
    except Exception as error:  # SB3 raises many kinds for a file of another algorithm or a broken zip
        raise ValueError(f"{path} does not load as an SB3 {algo.upper()} model ({error}); name the algorithm it "
                         f"was trained with ({', '.join(SB3_ALGOS)})") from error


def _preset_for(model, corpus) -> Preset:
    """The default preset with the observation whose shape the model reads (a model outside a run folder)."""
    preset = get_preset(DEFAULT_PRESET)
    env = preset.make_env(corpus).unwrapped
    shapes = {mode: observation_space(env.launchpad, mode).shape for mode in OBS_MODES}
    env.close()
    for mode, shape in shapes.items():
        if model.observation_space.shape == shape and model.action_space == env.action_space:
            return preset if mode == preset.obs_mode else preset.replace(obs_mode=mode)
    raise ValueError(
        f"the model was trained for observations of shape {model.observation_space.shape} and actions "
        f"{model.action_space}, but this launchpad ({env.launchpad}) has actions {env.action_space} and "
        f"observations of shape {', '.join(f'{shape} ({mode})' for mode, shape in shapes.items())}: "
        "it is a model for another launchpad spec")
