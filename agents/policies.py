"""The one registry of policies: a name gives its kind, the tasks it plays and how it is loaded.

A policy is named by one text (``python -m agents evaluate POLICY``, ``python -m agents play --agent``):

- a registered name (:data:`REGISTRY`): the baselines ``random``, ``noop``, ``greedy``; the planners ``beam``,
  ``anneal``, ``navigator`` (Launchpad-v0), ``follower`` and ``hopper`` (LaunchpadDJ-v0), with options after a colon
  (``anneal:sweeps=50,beta_end=3``, ``beam:width=64``), each typed and range-checked; the shipped learned
  agents ``composer`` (also called ``pretrained``), ``explorer`` and ``dj`` (LaunchpadDJ-v0), whose weights are
  in ``agents/shipped/``;
- a ``.safetensors`` weights file (:mod:`agents.dqn.export`; or a composer's walk head,
  :mod:`agents.imitation.composer_walk`, labelled "(walk head)"), or a run folder of ``python -m agents train``
  (its ``q_net.safetensors``);
- an SB3 ``.zip`` model: a run's ``final_model.zip``, ``best_model.zip`` or a checkpoint (loaded without
  unpickling, :mod:`agents.dqn.model_files`), or any other SB3 model only with ``trust_pickle``;
- ``LABEL=`` before any of them names the row it gets in a table.

Every table says which of three kinds a policy is (:attr:`PolicySource.kind`, decided here and nowhere else):
``baseline``, ``planner`` (it acts by searching in the env as a simulator) or ``learned`` (it reads only the
observation). :func:`load_policy` returns the policy, with SB3's ``predict``, and an env of its task that it
plays: the launchpad with the observation the policy was trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import gymnasium as gym
import stable_baselines3

from agents import weights
from agents.baselines import make_baseline
from agents.dqn import export
from agents.dqn.model_files import ModelFileError, UntrustedModelError, untrusted_message
from agents.dqn.presets import Preset, get_preset
from agents.dqn.runs import load_model, run_of_model
from agents.imitation import composer_walk, dj_policy
from agents.planners import anneal, beam, follower, hopper, navigator
from agents.planners.planner import Option, parse_options
from gym_launchpad.corpus import Corpus
from gym_launchpad.observation import OBS_MODES, observation_space

#: What a table adds to the label of a composer that chooses targets (:mod:`agents.imitation.composer_walk`).
WALK_LABEL = "(walk head)"
#: The tasks, by env id.
LAUNCHPAD, DJ = "gym_launchpad/Launchpad-v0", "gym_launchpad/LaunchpadDJ-v0"
#: What a table calls a policy: how it decides.
KINDS = ("baseline", "planner", "learned")


@dataclass(frozen=True)
class Registered:
    """A named policy: its kind (one of :data:`KINDS`), the tasks it plays (env ids, the first its default), a
    line on what it is, and how it is made: ``make(env, seed, **options)`` for baselines and planners (with the
    :class:`~agents.planners.planner.Option` s it takes, and a ``check`` of them together that raises one
    ValueError), or shipped ``weights`` and the ``command`` that trains them for a learned agent."""

    kind: str
    tasks: tuple[str, ...]
    about: str
    make: Callable | None = None
    options: dict[str, Option] = field(default_factory=dict)
    check: Callable[[dict], None] | None = None
    weights: Path | None = None
    command: str = ""
    #: Arguments of the task's env this policy plays by (the hopper: one press a bar on LaunchpadDJ-v0).
    env_kwargs: dict = field(default_factory=dict)


#: Every named policy. ``pretrained`` is the composer's first name, kept for the commands that use it.
REGISTRY: dict[str, Registered] = {
    "random": Registered("baseline", (LAUNCHPAD, DJ), "a uniformly random press every bar",
                         lambda env, seed: make_baseline("random", env, seed=seed)),
    "noop": Registered("baseline", (LAUNCHPAD, DJ), "the do-nothing press: the start bar, held",
                       lambda env, seed: make_baseline("noop", env, seed=seed)),
    "greedy": Registered("baseline", (LAUNCHPAD, DJ), "one-step lookahead: the press whose bar is nearest",
                         lambda env, seed: make_baseline("greedy", env, seed=seed)),
    "beam": Registered("planner", (LAUNCHPAD,), "beam search over presses", beam.make, beam.OPTIONS,
                         beam.check),
    "anneal": Registered("planner", (LAUNCHPAD,), "the paper's MCMC annealing, then a walk to its best bar",
                         anneal.make, anneal.OPTIONS, anneal.check),
    "navigator": Registered("planner", (LAUNCHPAD,), "a walk to the nearest corpus bar at the ceiling",
                            navigator.make, navigator.OPTIONS),
    "hopper": Registered("planner", (DJ,), "hops from corpus bar to corpus bar, near and new, one press a bar",
                         hopper.make, hopper.OPTIONS, env_kwargs={"presses_per_bar": 1}),
    "follower": Registered("planner", (DJ,), "follows the chorales bar by bar, walking to each within a bar's "
                           "presses", follower.make, follower.OPTIONS),
    "composer": Registered("learned", (LAUNCHPAD,), "a network imitating the navigator (behaviour cloning, DAgger): "
                           "its press, or with a walk head its target",
                           weights=weights.SHIPPED_DIR / "composer.safetensors",
                           command="python -m agents imitate --out agents/shipped/composer.safetensors"),
    "composer-all-keys": Registered(
        "learned", (LAUNCHPAD,), "the composer trained on the chorales in all 12 keys (it plays all_keys=True)",
        weights=weights.SHIPPED_DIR / "composer_all_keys.safetensors",
        command="python -m agents imitate --all-keys --out agents/shipped/composer_all_keys.safetensors",
        env_kwargs={"all_keys": True}),
    "explorer": Registered("learned", (LAUNCHPAD,), "Go-Explore, then a DQN trained on its own trajectories",
                           weights=weights.SHIPPED_DIR / "explorer.safetensors",
                           command="python -m agents explore --families triad triad 'random launchpad' "
                                   "'corpus bar + 20 presses' 'corpus bar + 50 presses' 'ceiling bar + 5 presses' "
                                   "--demo-starts 240 --knocked-starts 50 --rounds 3 --round-starts 36 "
                                   "--correction-states 2 --minutes 40 --network linear --margin-weight 5 --dueling "
                                   "--row-advantage --aim-reward --out agents/shipped/explorer.safetensors"),
    "dj": Registered("learned", (DJ,), "an MLP choosing the next bar from the DJ observation, imitating the follower",
                     weights=weights.SHIPPED_DIR / "dj.safetensors",
                     command="python -m agents dj-train --out agents/shipped/dj.safetensors"),
}
#: Other names of registered policies.
ALIASES = {"pretrained": "composer"}
#: The composer's name in the commands of earlier releases.
PRETRAINED = "pretrained"
#: Who ``python -m agents play`` (and the demo's DJ song) plays when no agent is named: the first of these that
#: plays the corpus. On a corpus of onsets, the learned dj agent: it meets every target of issue #21 (docs/dj.md);
#: then the follower planner it imitates (where the dj weights do not fit). Then the composer (on a corpus of
#: sounding cells), then the greedy baseline.
PLAY_DEFAULTS = ("dj", "follower", "composer", "greedy")
#: The algorithms an SB3 ``.zip`` may come from (``algo``); "dqn" loads :class:`agents.dqn.launchpad_dqn.LaunchpadDQN`.
SB3_ALGOS = ("dqn", "ppo", "a2c")
#: The preset whose env the baselines and planners play, and an SB3 model outside a run folder.
DEFAULT_PRESET = "mlp"


def names(kind: str | None = None, task: str | None = None) -> list[str]:
    """The registered names of ``kind`` that play ``task`` (None: any)."""
    return [name for name, entry in REGISTRY.items()
            if kind in (None, entry.kind) and (task is None or task in entry.tasks)]


def shipped_weights(name: str) -> Path:
    """The weights of the shipped learned agent ``name``; FileNotFoundError, naming the command that trains
    them, when they are not there."""
    entry = REGISTRY[ALIASES.get(name, name)]
    path = entry.weights
    if path is None:
        raise ValueError(f"{name} is a {entry.kind}, not a learned agent with weights")
    if not path.is_file() or not path.with_suffix(".json").is_file():
        raise FileNotFoundError(f"the {name} agent needs {path} and {path.with_suffix('.json')}, which are not "
                                f"there; train them with `{entry.command}`")
    return path


def shipped_names(task: str = LAUNCHPAD) -> list[str]:
    """The shipped learned agents of ``task`` whose weights are there."""
    present = []
    for name in names("learned", task):
        try:
            shipped_weights(name)
        except FileNotFoundError:
            continue
        present.append(name)
    return present


@dataclass(frozen=True)
class PolicySource:
    """Where a policy comes from: its label, its kind (one of :data:`KINDS`), the task it plays, the registered
    name or the file it is loaded from, and a planner's options."""

    label: str
    kind: str
    task: str
    source: str
    options: tuple[tuple[str, float], ...] = ()

    @property
    def registered(self) -> Registered | None:
        return REGISTRY.get(self.source)


@dataclass
class LoadedPolicy:
    """A policy with SB3's ``predict`` and the env it plays (its task, its preset's observation, a time limit)."""

    source: PolicySource
    policy: object
    env: gym.Env
    preset: Preset | None

    @property
    def label(self) -> str:
        return self.source.label


def parse_policy(text: str, task: str | None = None) -> PolicySource:
    """A registered name (options after a colon), a ``.safetensors`` file, an SB3 ``.zip`` or a run folder, each
    optionally ``LABEL=`` first, to play ``task`` (None: its first). Raises ValueError (one line) for anything
    else or a policy that does not play ``task``, and FileNotFoundError for a shipped agent whose weights are not
    there."""
    label, sep, source = text.partition("=")
    if not sep or ":" in label:  # the "=" of a planner's option is no label
        label, source = "", text
    typed, colon, options = source.partition(":")
    name = ALIASES.get(typed, typed)
    if name in REGISTRY:
        entry = REGISTRY[name]
        if colon and not entry.options:
            raise ValueError(f"{name} takes no options; only the planners do ({', '.join(names('planner'))})")
        parsed = parse_options(name, options, entry.options, entry.check)
        if entry.kind == "learned":
            shipped_weights(typed)
        if task is not None and task not in entry.tasks:
            raise ValueError(f"{name} plays {', '.join(entry.tasks)}, not {task}")
        return PolicySource(label or source, entry.kind, task or entry.tasks[0], name, parsed)
    path = Path(source)
    default_label = path.name if path.is_dir() else path.stem
    if path.is_dir():
        path = path / "q_net.safetensors"
    if path.suffix in (".safetensors", ".zip") and not path.exists():
        raise ValueError(f"model file {path} does not exist")
    if path.suffix not in (".safetensors", ".zip") or not path.is_file():
        raise ValueError(f"{text!r} is neither a registered policy ({', '.join([*REGISTRY, *ALIASES])}), an "
                         "existing .safetensors file, an SB3 .zip model, nor a run folder holding q_net.safetensors")
    plays = DJ if path.suffix == ".safetensors" and _description(str(path)).get("env") == DJ else LAUNCHPAD
    if task not in (None, plays):
        raise ValueError(f"{text} is a network of {plays}; it does not play {task}")
    return PolicySource(label or default_label, "learned", plays, str(path))


def load_policy(name_or_path: str | PolicySource, corpus=None, *, seed: int = 0, episode_steps: int | None = None,
                algo: str = "dqn", trust_pickle: bool = False, **env_kwargs) -> LoadedPolicy:
    """The policy ``name_or_path`` names (:func:`parse_policy`) and an env of its task that it plays.

    ``corpus``: None (the task's shipped one), a path or a Corpus; weights trained on another corpus are refused
    (:class:`agents.weights.WeightsMismatchError`). Every env of a task has the same start distribution,
    ``episode_steps`` bars per episode (default: the task's) and ``env_kwargs`` (e.g. ``init``,
    ``render_mode``); a learned policy's env shows it the observation it was trained on. ``seed`` seeds the
    random baseline and the annealer; ``algo`` is the SB3 algorithm of a ``.zip`` (:data:`SB3_ALGOS`);
    ``trust_pickle`` lets a ``.zip`` from outside a run folder be unpickled (else
    :class:`agents.dqn.model_files.UntrustedModelError`).
    """
    source = name_or_path if isinstance(name_or_path, PolicySource) else parse_policy(name_or_path)
    if corpus is not None and not isinstance(corpus, Corpus):
        corpus = Corpus.load(corpus)
    entry = source.registered
    if source.task == DJ:
        env = make_dj_env(corpus, episode_steps, **{**(entry.env_kwargs if entry else {}), **env_kwargs})
        if entry is None:  # a dj agent's weights file (parse_policy read its task from its JSON)
            policy = dj_policy.load(source.source, env)
        else:
            policy = (dj_policy.load(shipped_weights(source.source), env) if entry.kind == "learned"
                      else entry.make(env, seed, **dict(source.options)))
        return LoadedPolicy(source, policy, env, None)
    if entry is not None and entry.kind != "learned":
        preset = get_preset(DEFAULT_PRESET)
        env = _env(preset, corpus, episode_steps, env_kwargs)
        return LoadedPolicy(source, entry.make(env, seed, **dict(source.options)), env, preset)
    if entry is not None:
        env_kwargs = {**entry.env_kwargs, **env_kwargs}
    path = str(shipped_weights(source.source)) if entry is not None else source.source
    if path.endswith(".safetensors") and _head(path) == "walk":
        preset = get_preset(DEFAULT_PRESET)
        env = _env(preset, corpus, episode_steps, {**_trained_env_kwargs(path), **env_kwargs})
        policy = composer_walk.load(path, env.unwrapped.corpus)
        label = source.label if WALK_LABEL in source.label else f"{source.label} {WALK_LABEL}"
        return LoadedPolicy(replace(source, label=label), policy, env, preset)
    if path.endswith(".safetensors"):
        agent = export.load(path, corpus=corpus)
        return LoadedPolicy(source, agent, _env(agent.preset, corpus, episode_steps, env_kwargs), agent.preset)
    model = _load_sb3(path, algo, trust_pickle)
    run = run_of_model(path)
    preset = run.preset() if run else _preset_for(model, corpus)
    return LoadedPolicy(source, model, _env(preset, corpus, episode_steps, env_kwargs), preset)


def _description(path: str) -> dict:
    """The JSON beside a weights file, or {} where there is none or it is refused (the loader then names what is
    wrong, and the command that makes such weights)."""
    meta = Path(path).with_suffix(".json")
    if not meta.is_file():
        return {}
    try:
        return weights.read_description(meta)
    except weights.WeightsError:
        return {}


def _trained_env_kwargs(path: str) -> dict:
    """The env arguments a walk head was trained with that the env must have for it: ``all_keys=True`` for a
    composer trained with ``imitate --all-keys`` (its targets are bars of the corpus in all 12 keys)."""
    training = _description(path).get("training")
    return {"all_keys": True} if isinstance(training, dict) and training.get("all_keys") is True else {}


def _head(path: str) -> str | None:
    """The ``head`` a weights file's JSON names (the composer's walk head: ``"walk"``; a Q-network: none)."""
    head = _description(path).get("head")
    return head if isinstance(head, str) else None


def make_dj_env(corpus=None, episode_steps: int | None = None, **env_kwargs):
    """``gym.make`` of the DJ task: ``corpus`` None (the shipped onsets), a path or a Corpus of onsets;
    ``episode_steps`` bars a song (default: the task's 300)."""
    if isinstance(corpus, Corpus) and corpus.cells != "onsets":
        raise ValueError(f"the DJ task plays a corpus of onsets, and {corpus!r} holds {corpus.cells} cells: "
                         "leave --corpus out (the shipped onsets) or build one with --cells onsets")
    limit = {} if episode_steps is None else {"song_bars": episode_steps}  # the env ends a song at a bar line
    return gym.make(DJ, corpus=corpus, **limit, **env_kwargs)


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
    except ModelFileError:  # refused or damaged, and the message says which file and why
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
