"""``python -m agents dj-train``: the learned dj agent, the follower imitated from the observation alone.

A configuration of the one behaviour cloning + DAgger loop (:mod:`agents.imitation.dagger`, :func:`configuration`):
the teacher is the follower planner (:mod:`agents.planners.follower`) on LaunchpadDJ-v0 (24 presses a bar,
:mod:`agents.imitation.dj_teacher`). The first ``first_songs`` songs are the follower's own; in each later round
the network plays ``songs`` songs (the follower takes a step with probability ``beta``, halved each round) and
the follower labels every state the network reached; the network is trained on everything gathered so far,
``steps`` minibatches a round. The follower's target is a function of what the observation shows (the heard
bar's state, the ages, the phase), so the network can learn it. With the ``"walk"`` head (the default) a step
is a bar: the network chooses the corpus bar to walk to at each bar line
(:class:`agents.imitation.target_env.TargetWalkEnv`) and is trained on the follower's choice; with ``"press"``
a step is a press, trained on the follower's set of walk presses. Songs start from
``reset(seed=TRAIN_SEED + i)``, apart from the evaluation's seeds (0-19, 100-104, the jam's held-out seeds).

    python -m agents dj-train                       # writes agents/shipped/dj.safetensors + dj.json
"""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents import weights
from agents.arguments import parse_dataclass
from agents.imitation import dagger, dj_teacher
from agents.imitation import dj_policy as learned
from agents.imitation.target_env import TargetWalkEnv
from agents.planners.hopper import TargetTable

#: Training songs start from reset(seed=TRAIN_SEED + i), away from the evaluation's seeds.
TRAIN_SEED = 10_000
DJ = "gym_launchpad/LaunchpadDJ-v0"


@dataclass
class Arguments:
    """Train the learned dj agent: the follower planner imitated from the DJ observation (behaviour cloning +
    DAgger)."""

    #: what the network outputs: "walk", the corpus bar to walk to (chosen at each bar line from the heard bar
    #: and the ages; the presses are the shortest walk there), or "press", the press itself.
    head: str = "walk"
    #: DAgger rounds after the first (the follower's own songs).
    rounds: int = 3
    #: songs played in round 0 (the follower's).
    first_songs: int = 40
    #: songs played in each later round (the network's).
    songs: int = 20
    #: bars per song.
    bars: int = 300
    #: hidden layer widths.
    hidden: tuple[int, ...] = (512, 256)
    #: minibatches trained after each round, on everything gathered so far.
    steps: int = 2000
    #: examples per minibatch.
    batch_size: int = 256
    #: Adam's learning rate.
    learning_rate: float = 1e-3
    #: the probability the follower presses in round 1, halved each round after.
    beta: float = 0.5
    #: seeds the network's initial weights, the batches and the follower's share of presses.
    seed: int = 0
    #: the corpus .npz the env plays (default: the env's own); the weights only play that corpus.
    corpus: str | None = None
    #: the walk head chooses among the new bars in the key the observation shows (the heard bar and the bars
    #: played recently: agents.planners.keys), as the follower prefers; --no-keep-key: among all new bars.
    keep_key: bool = True
    #: the weights (.safetensors); the description (.json) goes beside it.
    out: Path = weights.SHIPPED_DIR / "dj.safetensors"


def make_dj_env(args: Arguments) -> gym.Env:
    """The env the dj agent learns to play: LaunchpadDJ-v0 on ``args.corpus`` (None: its own)."""
    return gym.make(DJ) if args.corpus is None else gym.make(DJ, corpus=args.corpus)


def network_sizes(env: gym.Env, args: Arguments) -> tuple[int, ...]:
    """Layer widths: the walk head reads the heard bar's toggles and the ages and has an output per corpus bar;
    the press head reads the whole observation and has an output per action."""
    unwrapped = env.unwrapped
    n_bars = len(unwrapped.corpus)
    if args.head == "walk":
        inputs = walk_inputs(env)
        return (inputs.stop - inputs.start, *args.hidden, n_bars)
    return (env.observation_space.shape[0], *args.hidden, env.action_space.n)


def walk_inputs(env: gym.Env) -> slice:
    """The part of the DJ observation the walk head reads: the heard bar's toggles, then the ages."""
    unwrapped = env.unwrapped
    n_bars = len(unwrapped.corpus)
    n_toggles = (env.observation_space.shape[0] - n_bars - unwrapped.presses_per_bar) // 2
    return slice(n_toggles, 2 * n_toggles + n_bars)


def song_seeds(args: Arguments):
    """``start(env, rng, episode, round_)`` for :class:`agents.imitation.dagger.Task`: the ``episode``-th song of
    ``round_`` starts from its own seed, counted on from :data:`TRAIN_SEED` over the rounds."""
    def start(env, rng, episode: int, round_: int):
        first = 0 if round_ == 0 else args.first_songs + (round_ - 1) * args.songs
        return env.reset(seed=TRAIN_SEED + first + episode)[0]
    return start


def walk_student(choices: learned.BarChoices):
    """The walk head's student in the :class:`~agents.imitation.target_env.TargetWalkEnv`: the largest output among
    the bars ``choices`` allows, as :class:`agents.imitation.dj_policy.DJWalkPolicy` chooses."""
    import torch as th

    def make(network):
        def student(observations):
            with th.no_grad():
                logits = network(th.as_tensor(observations, dtype=th.float32)).numpy()
            return np.where(choices.allowed(np.asarray(observations)), logits, -np.inf).argmax(axis=-1)
        return student
    return make


def configuration(args: Arguments) -> tuple[dagger.Task, dagger.Schedule, dagger.Fit]:
    """The dj agent as a configuration of :func:`agents.imitation.dagger.train`."""
    if args.head not in ("walk", "press"):
        raise ValueError(f"head must be 'walk' or 'press', got {args.head!r}")
    walk = args.head == "walk"
    presses = itertools.count()
    unwrapped = make_dj_env(args).unwrapped
    # One table of every bar's best rendering, shared by the envs' walks and the student's choices.
    table = TargetTable(unwrapped.corpus, 1 << 30) if walk else None

    def make_env():
        env = make_dj_env(args)
        if not walk:
            return PackedObservations(env)
        return TargetWalkEnv(env, table, env.unwrapped.presses_per_bar, walk_inputs(env))

    def make_teacher(env):
        return dj_teacher.TargetTeacher(env) if walk else dj_teacher.PressTeacher(env, [args.seed, next(presses)])

    steps_a_song = args.bars if walk else args.bars * unwrapped.presses_per_bar
    student = walk_student(learned.BarChoices(unwrapped.corpus, table, args.keep_key, unwrapped.memory,
                                              unwrapped.arrival_radius, unwrapped.presses_per_bar)) if walk else None
    task = dagger.Task(make_env=make_env, make_teacher=make_teacher, start=song_seeds(args),
                       budget=lambda teacher: steps_a_song, student=student)
    schedule = dagger.Schedule(demos=args.first_songs, rounds=args.rounds, episodes=args.songs,
                               beta=args.beta, beta_decay=0.5)
    fitting = dagger.Fit(epochs=1, batch_size=args.batch_size, learning_rate=args.learning_rate, decay="constant",
                         steps=args.steps, action_weight=1.0 if walk else 0.0)
    return task, schedule, fitting


class PackedObservations(gym.ObservationWrapper):
    """The press head's observations as uint8 hundredths (exact for the DJ observation: toggles and the phase
    are 0 or 1, an age a whole number of bars over the memory of 100), so a song of 7,200 presses is gathered
    in 15 MB rather than 58. The network being trained reads them through :func:`unpacking` first; the layers
    saved (:func:`agents.imitation.dj_policy.numpy_layers`) read the env's own observation."""

    SCALE = 100

    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Box(0, 255, env.observation_space.shape, dtype=np.uint8)

    def observation(self, observation):
        return np.rint(np.asarray(observation, dtype=np.float32) * self.SCALE).astype(np.uint8)


def unpacking():
    """A torch module that reads :class:`PackedObservations` back as the env's observation (no weights)."""
    import torch as th

    class Unpack(th.nn.Module):
        def forward(self, x):
            return x / PackedObservations.SCALE
    return Unpack()


def train(args: Arguments) -> Path:
    import torch as th

    th.manual_seed(args.seed)
    th.set_num_threads(1)
    task, schedule, fitting = configuration(args)
    env = make_dj_env(args)
    unwrapped = env.unwrapped
    unpack = [] if args.head == "walk" else [unpacking()]
    model = th.nn.Sequential(*unpack, *learned.mlp_layers(network_sizes(env, args)))
    started = time.perf_counter()
    trained = dagger.train(task, model, schedule, fitting, args.seed, report=lambda line: print(line, flush=True))
    description = {
        "corpus_hash": unwrapped.corpus.hash, "spec": unwrapped.corpus.spec.as_dict(),
        "env": DJ, "presses_per_bar": unwrapped.presses_per_bar, "memory": unwrapped.memory,
        "arrival_radius": unwrapped.arrival_radius,
        "keep_key": args.keep_key and args.head == "walk",
        "teacher": "agents.planners.follower.Follower", "head": args.head,
        "method": ("DAgger (agents.imitation.dagger: behaviour cloning of the follower's target at each bar line, "
                   "then rounds it labels; the presses are the shortest walk to the chosen bar)" if args.head == "walk"
                   else "DAgger (agents.imitation.dagger: behaviour cloning of the follower's walk presses, then "
                        "rounds it labels)"),
        "arguments": {k: v for k, v in asdict(args).items() if k != "out"},
        "dagger": dagger.settings(schedule, fitting),
        "labels": trained["examples"], "training_seconds": round(time.perf_counter() - started),
        "log": trained["log"],
    }
    path = learned.save(learned.numpy_layers(model), args.out, description)
    print(f"wrote {path} ({path.stat().st_size} bytes) and {path.with_suffix('.json').name}")
    return path


def main(argv=None) -> int:
    train(parse_dataclass(Arguments, argv, "python -m agents dj-train"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
