"""``python -m agents imitate``: the composer, a network that imitates the navigator from the observation alone.

    python -m agents imitate --out agents/shipped/composer.safetensors      # the shipped weights (the walk head)
    python -m agents imitate --head press --out W.safetensors              # the press head (a Q-network's format)

The teacher is the navigator (:mod:`agents.planners.navigator`): it walks to the corpus bar at the ceiling
that is fewest presses away, and its choice is a function of the state alone that holds along its own
walk, so it never contradicts itself. Two heads (``--head``):

- ``walk`` (the default, shipped; :mod:`agents.imitation.composer_walk`): an MLP over the ``toggles``
  observation chooses the ceiling bar to walk to, trained on the navigator's target; the press is the lowest
  of the shortest walk there (the instrument's arithmetic, no simulator). A press toward a target brings it
  nearer, so the head commits to one: it recovers from random launchpads, where the press head loops.
- ``press``: the ``mlp`` preset's Q-network (fc 1024 - relu - fc 512 - relu - fc 313 on the ``toggles``
  observation), trained as a classifier over the 313 actions: the cross-entropy of the teacher's action plus
  that of the set of presses on any shortest walk to the ceiling (:class:`Teacher`), so the argmax of its
  "Q-values" is the action and :func:`agents.dqn.export.load` reads the weights as any DQN's.

Training is the one behaviour cloning + DAgger loop (:mod:`agents.imitation.dagger`, Ross, Gordon and Bagnell
2011) configured with the navigator as teacher (:func:`configuration`):
1. *Demonstrations*: the teacher walks from starts drawn from :data:`START_MIX` (start families of
   :mod:`agents.starts`: the env's triads, random and empty launchpads, corpus and ceiling bars
   knocked by random presses, triads in every key), each from a seed in ``starts.TRAINING_SEEDS``; with
   probability ``noise`` a step presses a random button instead of the teacher's (its label is still the
   teacher's), so the data holds states off the teacher's path and the way back from them (DART); the walk
   head's actions are targets, so its noise is a press toward a random target.
2. *DAgger rounds*: the student plays from fresh starts; the teacher labels every state it visits; the
   student trains again on everything gathered. Its own mistakes become its training data. With
   ``--take-over`` the navigator presses wherever the student comes back to a state of its episode.

Episodes are played side by side on ``--envs`` envs, so the student acts on a batch of observations.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th

from agents import starts
from agents.arguments import parse_dataclass
from agents.dqn.export import export
from agents.dqn.networks import build_policy
from agents.dqn.presets import get_preset
from agents.imitation import dagger, demonstrations
from agents.imitation.composer_starts import (
    PRESET_NAME,
    START_MIX,
    episode_budget,
    start_mix,
    training_corpus,
)
from agents.planners.navigator import Navigator
from agents.planners.walk import next_press, row_press_costs

#: What the network outputs (``--head``): a press, or a target to walk to (:mod:`agents.imitation.composer_walk`).
HEADS = ("press", "walk")


@dataclass
class ComposerArgs:
    """Train the composer: the navigator imitated from the observation alone (behaviour cloning + DAgger)."""

    out: str = field(default="agents/shipped/composer.safetensors",
                     metadata={"help": "the weights (.safetensors); the description (.json) goes beside it"})
    seed: int = field(default=0, metadata={"help": "seeds the starts, the noise, the student's initial weights"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (default: the shipped Bach chorales)"})
    all_keys: bool = field(default=False, metadata={
        "help": "train on the corpus in all 12 keys (the env's all_keys=True; the weights then play only such envs)"})
    demos: int = field(default=2000, metadata={"help": "teacher episodes for behaviour cloning"})
    noise: float = field(default=0.1, metadata={"help": "probability that a demonstration step presses at random"})
    rounds: int = field(default=15, metadata={"help": "DAgger rounds after behaviour cloning"})
    dagger_episodes: int = field(default=400, metadata={"help": "student episodes labelled by the teacher a round"})
    envs: int = field(default=32, metadata={"help": "episodes played side by side (the student acts on a batch)"})
    epochs: int = field(default=2, metadata={
        "help": "(--head press) passes over the data after behaviour cloning and each round"})
    batch_size: int = field(default=256, metadata={"help": "examples per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate, decayed to 1/10 each fit"})
    threads: int = field(default=1, metadata={"help": "torch threads"})
    action_weight: float = field(default=1.0, metadata={
        "help": "weight of the navigator's own press in the loss, beside the allowed set's (0: any allowed press)"})
    take_over: bool = field(default=True, metadata={
        "help": "in DAgger rounds the navigator presses where the student returns to a state of its episode"})
    head: str = field(default="walk", metadata={
        "help": "what the network outputs: 'walk', the ceiling bar to walk to, the press the lowest of the shortest "
                "walk there (agents.imitation.composer_walk), or 'press', one of the presses (a Q-network's format)"})
    hidden: tuple[int, ...] = field(default=(512, 256), metadata={"help": "the walk head's hidden layer widths"})
    steps: int = field(default=2000, metadata={
        "help": "the walk head's minibatches a fit, drawn from everything gathered (the press head: --epochs passes)"})
    demos_dataset: str | None = field(default=None, metadata={
        "help": "(--head press) a Minari dataset id to read the behaviour-cloning demonstrations from (written by "
                "`python -m agents demos`); none given: the navigator's walks are played here"})


class Teacher:
    """The navigator on an env of its own, labelling any state: ``label(state) -> (action, allowed)``.

    ``action`` is the navigator's press; ``allowed`` (bool, one per action) marks every press of a shortest
    walk to any nearest target (the no-op alone at a target). The navigator orders its walk by the
    simulator's distance, which the observation does not show; any allowed press reaches the ceiling in
    as few presses, so the student is trained to put its mass on the allowed set and, within it, on the
    navigator's choice: where it cannot tell the order, it still walks straight. The allowed set of every
    nearest target is read at once from the navigator's walks (the same ends, ties to the first option).
    """

    def __init__(self, corpus):
        spec = corpus.spec
        self.env = gym.make("gym_launchpad/Launchpad-v0", corpus=corpus, n_notes=spec.n_notes,
                            bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty").unwrapped
        self.navigator = Navigator(self.env)
        self.noop_action = spec.noop_action
        self.spec = spec
        # Every target's options (targets, N, W), padded with the index of a column that costs more than any walk.
        walks = self.navigator.walks
        width = max(len(options) for walk in walks for options in walk.options)
        self._pad = (1 << spec.n_patterns) * spec.steps
        self._options = np.full((len(walks), spec.n_notes, width), self._pad)
        for t, walk in enumerate(walks):
            for n, options in enumerate(walk.options):
                self._options[t, n, :len(options)] = options
        self._rows = np.arange(spec.n_notes)[None, :, None]
        notes = np.arange(spec.n_notes)[:, None]
        self._toggles = notes * spec.n_patterns + np.arange(spec.n_patterns)[None, :]  # (N, P) actions
        self._offsets = spec.n_toggle_actions + notes * spec.bar_bits + np.arange(spec.bar_bits)[None, :]  # (N, B)

    def label(self, state, need_action: bool = True) -> tuple[int, np.ndarray]:
        """The navigator's press and the allowed presses; without ``need_action`` the press is the lowest
        allowed one (the navigator's own costs a lookahead)."""
        spec = self.spec
        costs = row_press_costs(spec, state.masks, state.offsets)
        padded = np.concatenate([costs, np.full((len(costs), 1), np.iinfo(costs.dtype).max, costs.dtype)], axis=1)
        per_option = padded[self._rows, self._options]  # (T, N, W)
        lengths = per_option.min(axis=-1).sum(axis=-1, dtype=np.int64)
        allowed = np.zeros(spec.n_actions, dtype=bool)
        if lengths.min() == 0:
            allowed[self.noop_action] = True
            return self.noop_action, allowed
        best = np.flatnonzero(lengths == lengths.min())
        ends = np.take_along_axis(self._options[best], per_option[best].argmin(axis=-1)[..., None], axis=-1)[..., 0]
        end_masks, end_offsets = np.divmod(ends, spec.steps)  # (targets, N)
        flips = state.masks[None] ^ end_masks
        shifts = (end_offsets - state.offsets[None]) % spec.steps
        toggle_bits = (flips[..., None] >> np.arange(spec.n_patterns)) & 1  # (targets, N, P)
        offset_bits = (shifts[..., None] >> np.arange(spec.bar_bits)) & 1  # (targets, N, B)
        allowed[self._toggles[toggle_bits.any(axis=0).astype(bool)]] = True
        allowed[self._offsets[offset_bits.any(axis=0).astype(bool)]] = True
        if not need_action:
            return int(np.flatnonzero(allowed)[0]), allowed
        presses = np.sort(np.concatenate([self._toggles[toggle_bits[0].astype(bool)],
                                          self._offsets[offset_bits[0].astype(bool)]]))
        return next_press(self.navigator.lookahead, state, presses), allowed

    def walk_length(self, state) -> int:
        """Presses the teacher needs from ``state`` to its target."""
        return int(self.navigator.walk_lengths(state).min())


class EnvTeacher:
    """:class:`Teacher` on the state of one env (:class:`agents.imitation.dagger.Teacher`)."""

    def __init__(self, teacher: Teacher, env, seed=0):
        self.teacher, self.env = teacher, env.unwrapped
        self.rng = np.random.default_rng(seed)

    def label(self, need_action: bool = True):
        """The navigator's press, or without ``need_action`` an allowed press drawn at random; the allowed set."""
        action, allowed = self.teacher.label(self.env.state, need_action)
        if not need_action and not allowed[self.teacher.noop_action]:
            action = int(self.rng.choice(np.flatnonzero(allowed)))
        return action, allowed

    def length(self) -> int:
        return self.teacher.walk_length(self.env.state)


def configuration(args: ComposerArgs, corpus) -> tuple[dagger.Task, dagger.Schedule, dagger.Fit]:
    """The composer as a configuration of :func:`agents.imitation.dagger.train`."""
    preset = get_preset(PRESET_NAME)
    teacher = Teacher(corpus)
    teachers = itertools.count()  # each env's teacher draws its presses from a generator of its own
    task = dagger.Task(make_env=lambda: preset.make_env(corpus),
                       make_teacher=lambda env: EnvTeacher(teacher, env, [args.seed, next(teachers)]),
                       start=start_mix(corpus), budget=episode_budget, stop_action=corpus.spec.noop_action)
    schedule = dagger.Schedule(demos=args.demos, rounds=args.rounds, episodes=args.dagger_episodes, envs=args.envs,
                               noise=args.noise, take_over=args.take_over)
    fitting = dagger.Fit(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                         action_weight=args.action_weight)
    return task, schedule, fitting


def check(args: ComposerArgs) -> None:
    """One ValueError for arguments that do not go together."""
    if args.head not in HEADS:
        raise ValueError(f"--head must be one of {', '.join(HEADS)}, got {args.head!r}")
    if args.head == "walk" and args.demos_dataset:
        raise ValueError("--demos-dataset holds the navigator's presses, which the press head learns (--head "
                         "press); the walk head learns its targets from walks it plays itself: leave it out")


def train(args: ComposerArgs) -> Path:
    """Behaviour cloning then DAgger, as the module says; writes the weights and their description."""
    check(args)
    if args.head == "walk":
        from agents.imitation import composer_walk

        return composer_walk.train(args, "python -m agents imitate " + " ".join(_flags(args)))
    th.set_num_threads(args.threads)
    preset = get_preset(PRESET_NAME)
    corpus = training_corpus(args.corpus, args.all_keys)
    task, schedule, fitting = configuration(args, corpus)
    env = preset.make_env(corpus)
    th.manual_seed(args.seed)
    policy = build_policy(preset, env.observation_space, env.action_space)
    env.close()
    demos = demonstrations.load(args.demos_dataset) if args.demos_dataset else None
    trained = dagger.train(task, policy.q_net, schedule, fitting, args.seed,
                           report=lambda line: print(line, flush=True), demonstrations=demos)
    return export(policy, PRESET_NAME, preset, corpus, args.out, extra={
        "source": "agents.imitation.composer: behaviour cloning + DAgger of the navigator (agents.imitation.dagger)",
        "command": "python -m agents imitate " + " ".join(_flags(args)),
        "seed": args.seed,
        "start_mix": START_MIX,
        "training_seeds": list(starts.TRAINING_SEEDS),
        "training": {**{k: v for k, v in asdict(args).items() if k not in WALK_ONLY},
                     "wall_clock_s": trained["wall_clock_s"], "cpu_s": trained["cpu_s"],
                     "log": trained["log"]},
    })


#: The arguments only the walk head reads, left out of the press head's command.
WALK_ONLY = ("head", "hidden", "steps")


def _flags(args: ComposerArgs) -> list[str]:
    flags = []
    for name, value in asdict(args).items():
        flag = "--" + name.replace("_", "-")
        if args.head == "press" and name in WALK_ONLY:
            continue
        if args.head == "walk" and name in ("epochs", "demos_dataset"):
            continue
        if isinstance(value, (tuple, list)):
            flags.append(f"{flag} {' '.join(map(str, value))}")
        elif isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        elif value is not None:
            flags.append(f"{flag} {value}")
    return flags


@dataclass
class DemosArgs:
    """Write the navigator's walks, the composer's behaviour-cloning demonstrations, as a Minari dataset."""

    #: the Minari dataset id
    dataset_id: str = demonstrations.DATASET_ID
    #: teacher episodes, from the composer's start families
    episodes: int = 2000
    #: probability that a step presses a random button instead of the navigator's
    noise: float = 0.1
    #: seeds the starts and the noise
    seed: int = 0
    #: corpus .npz (none given: the shipped Bach chorales)
    corpus: str | None = None


def write_demonstrations(argv=None) -> int:
    """``python -m agents demos``."""
    args = parse_dataclass(DemosArgs, argv, "python -m agents demos")
    preset = get_preset(PRESET_NAME)
    corpus = preset.load_corpus(args.corpus)
    task, _, _ = configuration(ComposerArgs(seed=args.seed, corpus=args.corpus), corpus)
    buffers = demonstrations.record(task, args.episodes, args.noise, args.seed)
    env = preset.make_env(args.corpus)  # by path, so the dataset's env spec can make it again
    try:
        dataset = demonstrations.save(buffers, env, args.dataset_id, "navigator planner (agents.planners.navigator)",
                                      "The navigator's walks to the exact ceiling from the composer's start families, "
                                      f"a random press with probability {args.noise}.")
    finally:
        env.close()
    print(f"wrote the Minari dataset {args.dataset_id}: {dataset.total_episodes} episodes, {dataset.total_steps} "
          f"steps (minari.load_dataset({args.dataset_id!r}))")
    return 0


def main(argv=None) -> int:
    args = parse_dataclass(ComposerArgs, argv, "python -m agents imitate")
    try:
        check(args)
    except ValueError as error:
        print(f"python -m agents imitate: error: {error}", file=sys.stderr)
        return 2
    path = train(args)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
