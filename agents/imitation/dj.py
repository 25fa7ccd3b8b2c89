"""``python -m agents dj-train``: the learned dj agent, the hopper imitated from the observation alone (DAgger).

    python -m agents dj-train                       # writes agents/shipped/dj.safetensors + dj.json

A configuration of the one imitation loop (:mod:`agents.imitation.dagger`): the demonstrations are the hopper's
own songs (``--songs`` of ``--bars`` bars); every later round plays the network being trained (the hopper takes
over a bar with probability ``--beta``, halved each round), and the hopper labels every bar the network
reached with the press it would make there; the network is trained on everything gathered so far. The songs
are seeded apart from the evaluation's (seeds 0-19): round ``r``'s song ``i`` from ``TRAIN_SEED + r * songs + i``.
The network is a numpy MLP (:mod:`agents.imitation.dj_policy`), written in the one weights format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch as th

from agents import weights
from agents.arguments import parse_dataclass
from agents.imitation import dagger
from agents.imitation import dj_policy as learned
from agents.planners.hopper import Hopper

#: Training songs start from reset(seed=TRAIN_SEED + i), away from the evaluation's seeds.
TRAIN_SEED = 10_000
DJ = "gym_launchpad/LaunchpadDJ-v0"


@dataclass
class DJArgs:
    """The arguments of ``python -m agents dj-train``."""

    #: DAgger rounds after the first (the hopper's own songs).
    rounds: int = 2
    #: songs played per round.
    songs: int = 6
    #: bars per song.
    bars: int = 300
    #: hidden layer widths.
    hidden: tuple[int, ...] = (512, 256)
    #: epochs over everything gathered, after each round.
    epochs: int = 60
    #: examples per gradient step.
    batch_size: int = 128
    #: Adam's learning rate (constant).
    learning_rate: float = 3e-3
    #: the probability the hopper plays a bar in round 1, halved each round after.
    beta: float = 0.5
    #: seeds the network's initial weights, the batches and the hopper's share of bars.
    seed: int = 0
    #: the weights (.safetensors); the description (.json) goes beside it.
    out: str = str(weights.SHIPPED_DIR / "dj.safetensors")
    #: corpus of onsets (.npz; default: the DJ env's shipped one).
    corpus: str | None = None
    #: torch threads.
    threads: int = 1


class HopperTeacher:
    """The hopper on one DJ env (:class:`agents.imitation.dagger.Teacher`): its press, no allowed set."""

    def __init__(self, env):
        self.hopper = Hopper(env)

    def label(self, need_action: bool = True):
        return int(self.hopper.act()), None

    def length(self) -> None:
        return None


def make_network(n_inputs: int, hidden: tuple[int, ...], n_actions: int) -> th.nn.Sequential:
    """Linear layers ``n_inputs -> *hidden -> n_actions`` with a ReLU between each."""
    sizes = (n_inputs, *hidden, n_actions)
    layers: list[th.nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(th.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(th.nn.ReLU())
    return th.nn.Sequential(*layers)


def numpy_layers(model) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
            for layer in model if isinstance(layer, th.nn.Linear)]


def configuration(args: DJArgs) -> tuple[dagger.Task, dagger.Schedule, dagger.Fit]:
    """The dj agent as a configuration of :func:`agents.imitation.dagger.train`."""
    import gymnasium as gym

    corpus = {} if args.corpus is None else {"corpus": args.corpus}

    def start(env, rng, episode: int, round_: int):
        return env.reset(seed=TRAIN_SEED + round_ * args.songs + episode)[0]

    task = dagger.Task(make_env=lambda: gym.make(DJ, max_episode_steps=args.bars, **corpus),
                       make_teacher=HopperTeacher, start=start, budget=lambda teacher: args.bars)
    schedule = dagger.Schedule(demos=args.songs, rounds=args.rounds, episodes=args.songs, beta=args.beta,
                               beta_decay=0.5)
    fitting = dagger.Fit(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
                         decay="constant", allowed_weight=0.0)
    return task, schedule, fitting


def train(args: DJArgs):
    th.set_num_threads(args.threads)
    task, schedule, fitting = configuration(args)
    env = task.make_env()
    th.manual_seed(args.seed)
    model = make_network(env.observation_space.shape[0], args.hidden, env.action_space.n)
    trained = dagger.train(task, model, schedule, fitting, args.seed, report=lambda line: print(line, flush=True))
    corpus = env.unwrapped.corpus
    env.close()
    description = {
        "corpus_hash": corpus.hash, "spec": corpus.spec.as_dict(), "env": DJ,
        "teacher": "agents.planners.hopper.Hopper",
        "method": "DAgger (behaviour cloning + rounds labelled by the hopper; agents.imitation.dagger)",
        "command": "python -m agents dj-train " + " ".join(_flags(args)),
        "arguments": {k: v for k, v in asdict(args).items() if k != "out"},
        "bars_labelled": trained["examples"], "training_seconds": round(trained["wall_clock_s"]),
        "training": {"wall_clock_s": trained["wall_clock_s"], "cpu_s": trained["cpu_s"], "log": trained["log"]},
    }
    path = learned.save(numpy_layers(model), args.out, description)
    print(f"wrote {path} ({path.stat().st_size} bytes) and {path.with_suffix('.json').name}")
    return path


def _flags(args: DJArgs) -> list[str]:
    flags = []
    for name, value in asdict(args).items():
        if value is None:
            continue
        text = " ".join(map(str, value)) if isinstance(value, tuple) else str(value)
        flags.append(f"--{name.replace('_', '-')} {text}")
    return flags


def main(argv=None) -> int:
    train(parse_dataclass(DJArgs, argv, "python -m agents dj-train"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
