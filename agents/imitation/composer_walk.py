"""The composer's walk head (``python -m agents imitate --head walk``): an MLP that chooses which bar of the ceiling
to walk to, from the ``toggles`` observation alone; its press is the lowest of the shortest walk there.

The press head (:mod:`agents.imitation.composer`) outputs one of the 313 presses, and a wrong press heads for a
target further than the nearest: it never commits to one, so from a random launchpad (a walk of 76 presses on
average) it loops. This head outputs a *target*, an index into the ceiling's bars
(:class:`agents.planners.hopper.TargetTable` at the ceiling's radius: exactly the navigator's targets, checked),
and presses toward it by the instrument's arithmetic (:meth:`~agents.planners.hopper.TargetTable.first_press`,
no simulator). A press toward a target brings it one press nearer, so the choice tends to hold: the head commits.

The teacher labels a state with the navigator's target (the nearest ceiling bar in presses, ties to the first in
corpus order) and, as the allowed set, every target at that fewest presses. Training is the one behaviour
cloning + DAgger loop (:mod:`agents.imitation.dagger`) on :class:`agents.imitation.target_env.TargetWalkEnv`
(one press a step), from the composer's start mix (:data:`agents.imitation.composer_starts.START_MIX`), with take-over
and a fixed number of minibatches a fit (:attr:`agents.imitation.dagger.Fit.steps`).

The weights are an MLP in the format of the dj agent's (:mod:`agents.imitation.dj_policy`: safetensors + JSON,
``"head": "walk"``, ``"task": "gym_launchpad/Launchpad-v0"``); :func:`load` refuses weights of another corpus,
ceiling or observation with one :class:`agents.weights.WeightsError`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from pathlib import Path

import numpy as np

from agents import starts, weights
from agents.imitation import dagger
from agents.imitation.composer_starts import PRESET_NAME, START_MIX, episode_budget, start_mix, training_corpus
from agents.imitation.dj_policy import WalkPolicy, checked_layers, mlp_layers, numpy_layers, read, save
from agents.imitation.target_env import TargetWalkEnv
from agents.planners.hopper import TargetTable
from agents.planners.navigator import bar_misses

#: The command that trains the walk head, named when its weights are refused.
RETRAIN = "retrain with `python -m agents imitate --head walk`"
#: The task the walk head plays, as its JSON names it.
TASK = "gym_launchpad/Launchpad-v0"
#: The observation the network reads (the launchpad's state is decoded from it to walk).
OBS_MODE = "toggles"


def ceiling_table(corpus) -> TargetTable:
    """The walk head's targets: the corpus bars at the ceiling (:func:`agents.planners.navigator.ceiling_bars`,
    the navigator's), with their best renderings."""
    misses = bar_misses(corpus)
    ceiling, radius = np.flatnonzero(misses == misses.min()), int(misses.min())
    table = TargetTable(corpus, radius)
    if not np.array_equal(table.targets, ceiling):
        raise ValueError(f"the target table at radius {radius} holds bars {table.targets[:8]}..., not the "
                         f"navigator's ceiling bars {ceiling[:8]}...")
    return table


class ComposerWalkPolicy(WalkPolicy):
    """The walk head: the MLP's largest output over the ``toggles`` observation is a ceiling bar (an index into
    ``table.targets``); the press is the lowest of the shortest walk there, the no-op once there. Answers SB3's
    ``predict`` for one observation or a batch, from the observation alone."""

    def __init__(self, layers, description: dict, corpus, table=None):
        super().__init__(layers, description, corpus.spec, ceiling_table(corpus) if table is None else table)

    def targets(self, obs: np.ndarray) -> np.ndarray:
        return self.logits(obs[:, :self.n_toggles]).argmax(axis=-1)


def load(path, corpus) -> ComposerWalkPolicy:
    """The walk head saved at ``path`` for ``corpus``; one :class:`agents.weights.WeightsError` if the file is
    damaged, is no walk head, or was trained on another corpus (or for another ceiling or launchpad)."""
    path = Path(path)
    tensors, description, n_layers = read(path, RETRAIN)
    if description.get("head") != "walk" or description.get("task") != TASK:
        raise weights.WeightsError(f"{path} is not a composer's walk head: its JSON names head "
                                   f"{description.get('head')!r} and task {description.get('task')!r}, a composer's "
                                   f"names 'walk' and {TASK!r} (the dj agent plays as `dj`): {RETRAIN}")
    if description.get("corpus_hash") != corpus.hash or description.get("spec") != corpus.spec.as_dict():
        raise weights.WeightsMismatchError(
            f"{path} was trained on corpus {str(description.get('corpus_hash'))[:12]} "
            f"(spec {description.get('spec')}), "
            f"the env plays {corpus.hash[:12]} (spec {corpus.spec.as_dict()}): train a composer on this corpus "
            "(python -m agents imitate --head walk --corpus ...)")
    table = ceiling_table(corpus)
    if description.get("targets") != table.targets.tolist():
        raise weights.WeightsMismatchError(f"{path} chooses among corpus bars {description.get('targets')}, this "
                                           f"corpus's ceiling is bars {table.targets.tolist()}: {RETRAIN}")
    n_inputs = corpus.spec.n_notes * (2 * corpus.spec.bar_bits + 1)
    layers = checked_layers(path, tensors, n_layers, n_inputs, len(table.targets))
    return ComposerWalkPolicy(layers, description, corpus, table)


class WalkTeacher:
    """The navigator's choice on the state of one env (:class:`agents.imitation.dagger.Teacher`): the label is
    its target (the nearest ceiling bar in presses, ties to the first), the allowed set every target as near;
    without ``need_action`` one of those drawn at random. ``arrived``: the last labelled state was at it."""

    def __init__(self, navigator, env, seed=0):
        self.navigator, self.env = navigator, env.unwrapped
        self.rng = np.random.default_rng(seed)
        self.arrived = False

    def label(self, need_action: bool = True):
        lengths = self.navigator.walk_lengths(self.env.state)
        allowed = lengths == lengths.min()
        self.arrived = bool(lengths.min() == 0)
        target = int(np.argmax(allowed)) if need_action else int(self.rng.choice(np.flatnonzero(allowed)))
        return target, allowed

    def length(self) -> int:
        return int(self.navigator.walk_lengths(self.env.state).min())


def configuration(args, corpus):
    """The walk head as a configuration of :func:`agents.imitation.dagger.train` (``args``: the composer's
    :class:`~agents.imitation.composer.ComposerArgs`)."""
    import gymnasium as gym

    from agents.dqn.presets import get_preset
    from agents.planners.navigator import Navigator

    preset = get_preset(PRESET_NAME)
    table = ceiling_table(corpus)
    spec = corpus.spec
    navigator = Navigator(gym.make("gym_launchpad/Launchpad-v0", corpus=corpus, n_notes=spec.n_notes,
                                   bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty"))
    if not np.array_equal(navigator.targets, table.targets):
        raise ValueError("the navigator's targets are not the walk head's: a ceiling of more than 256 bars")
    teachers = itertools.count()
    task = dagger.Task(make_env=lambda: TargetWalkEnv(preset.make_env(corpus), table, presses_per_step=1),
                       make_teacher=lambda env: WalkTeacher(navigator, env, [args.seed, next(teachers)]),
                       start=start_mix(corpus), budget=episode_budget,
                       stop=lambda teacher, label: teacher.arrived)
    schedule = dagger.Schedule(demos=args.demos, rounds=args.rounds, episodes=args.dagger_episodes, envs=args.envs,
                               noise=args.noise, take_over=args.take_over)
    fitting = dagger.Fit(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                         action_weight=args.action_weight, steps=args.steps)
    return task, schedule, fitting, table


def train(args, command: str) -> Path:
    """Behaviour cloning then DAgger of the navigator's targets; writes the weights and their description."""
    import torch as th

    th.set_num_threads(args.threads)
    corpus = training_corpus(args.corpus, args.all_keys)
    task, schedule, fitting, table = configuration(args, corpus)
    th.manual_seed(args.seed)
    n_inputs = corpus.spec.n_notes * (2 * corpus.spec.bar_bits + 1)
    model = th.nn.Sequential(*mlp_layers((n_inputs, *args.hidden, len(table.targets))))
    trained = dagger.train(task, model, schedule, fitting, args.seed, report=lambda line: print(line, flush=True))
    return save(numpy_layers(model), args.out, {
        "head": "walk", "task": TASK, "obs_mode": OBS_MODE,
        "corpus_hash": corpus.hash, "spec": corpus.spec.as_dict(), "targets": table.targets.tolist(),
        "teacher": "agents.planners.navigator.Navigator",
        "source": "agents.imitation.composer_walk: behaviour cloning + DAgger of the navigator's target "
                  "(agents.imitation.dagger); the press is the lowest of the shortest walk to the chosen target",
        "command": command, "seed": args.seed, "start_mix": START_MIX,
        "training_seeds": list(starts.TRAINING_SEEDS),
        "training": {**{k: v for k, v in asdict(args).items() if k != "out"}, "examples": trained["examples"],
                     "wall_clock_s": trained["wall_clock_s"], "cpu_s": trained["cpu_s"], "log": trained["log"]},
    })
