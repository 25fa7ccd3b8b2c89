"""``python -m agents.imitation.dj``: the learned dj agent, the hopper imitated from the observation alone (DAgger).

Round 0 plays the hopper and records (observation, the hopper's press). Every later round plays the
network being trained (the hopper takes over a bar with probability ``beta``, halved each round), and the
hopper labels every bar the network reached with the press it would make there; the network is trained
on everything gathered so far. The songs are seeded apart from the evaluation's (seeds 0-19).

    python -m agents.imitation.dj                       # writes agents/shipped/dj.safetensors + dj.json
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents import weights
from agents.imitation import dj_policy as learned
from agents.planners.hopper import Hopper

#: Training songs start from reset(seed=TRAIN_SEED + i), away from the evaluation's seeds.
TRAIN_SEED = 10_000


@dataclass
class Arguments:
    """The training command's arguments."""

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
    batch_size: int = 128
    learning_rate: float = 3e-3
    #: the probability the hopper plays a bar in round 1, halved each round after.
    beta: float = 0.5
    seed: int = 0
    out: Path = weights.SHIPPED_DIR / "dj.safetensors"


def play_round(env, hopper: Hopper, network, beta: float, seeds, rng) -> tuple[np.ndarray, np.ndarray]:
    """Observations of songs from ``seeds`` and the hopper's press at each; the network plays (None: the
    hopper plays), except where the hopper takes a bar with probability ``beta``."""
    observations, labels = [], []
    for seed in seeds:
        obs, _ = env.reset(seed=int(seed))
        for _ in range(env.spec.max_episode_steps if env.spec.max_episode_steps else 300):
            expert = int(hopper.act())
            observations.append(obs)
            labels.append(expert)
            action = expert if network is None or rng.random() < beta else int(network.predict(obs)[0])
            obs, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                break
    return np.array(observations, dtype=np.float32), np.array(labels, dtype=np.int64)


def fit(model, observations, labels, args: Arguments, torch_rng):
    import torch as th

    optimizer = th.optim.Adam(model.parameters(), lr=args.learning_rate)
    x, y = th.from_numpy(observations), th.from_numpy(labels)
    for _ in range(args.epochs):
        order = th.randperm(len(x), generator=torch_rng)
        for start in range(0, len(x), args.batch_size):
            batch = order[start:start + args.batch_size]
            loss = th.nn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with th.no_grad():
        accuracy = float((model(x).argmax(dim=1) == y).float().mean())
    return accuracy


def numpy_layers(model) -> list[tuple[np.ndarray, np.ndarray]]:
    import torch as th

    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
            for layer in model if isinstance(layer, th.nn.Linear)]


def train(args: Arguments) -> Path:
    import torch as th

    th.manual_seed(args.seed)
    torch_rng = th.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    env = gym.make("gym_launchpad/LaunchpadDJ-v0", max_episode_steps=args.bars)
    hopper = Hopper(env)
    sizes = (env.observation_space.shape[0], *args.hidden, env.action_space.n)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(th.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(th.nn.ReLU())
    model = th.nn.Sequential(*layers)
    observations, labels = np.zeros((0, sizes[0]), dtype=np.float32), np.zeros(0, dtype=np.int64)
    started = time.perf_counter()
    network, beta = None, args.beta
    for round_ in range(args.rounds + 1):
        seeds = TRAIN_SEED + round_ * args.songs + np.arange(args.songs)
        new_obs, new_labels = play_round(env, hopper, network, beta if network else 1.0, seeds, rng)
        if network is not None:
            agreement = float(np.mean([network.predict(o)[0] == a for o, a in zip(new_obs, new_labels, strict=True)]))
            beta /= 2
        else:
            agreement = float("nan")
        observations = np.concatenate([observations, new_obs])
        labels = np.concatenate([labels, new_labels])
        accuracy = fit(model, observations, labels, args, torch_rng)
        network = learned.DJPolicy(numpy_layers(model), {})
        print(f"round {round_}: {len(new_labels)} bars labelled (network agreed with the hopper on "
              f"{agreement:.2f} of the bars it reached), {len(labels)} in all, training accuracy {accuracy:.3f} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    corpus = env.unwrapped.corpus
    description = {
        "corpus_hash": corpus.hash, "spec": corpus.spec.as_dict(), "env": "gym_launchpad/LaunchpadDJ-v0",
        "teacher": "agents.planners.hopper.Hopper",
        "method": "DAgger (behaviour cloning + rounds labelled by the hopper)",
        "arguments": {k: v for k, v in asdict(args).items() if k != "out"},
        "bars_labelled": len(labels), "training_seconds": round(time.perf_counter() - started),
    }
    path = learned.save(numpy_layers(model), args.out, description)
    print(f"wrote {path} ({path.stat().st_size} bytes) and {path.with_suffix('.json').name}")
    return path


def main(argv=None) -> int:
    defaults = Arguments()
    parser = argparse.ArgumentParser(prog="python -m agents.imitation.dj", description=__doc__.splitlines()[0])
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, tuple):
            parser.add_argument(flag, type=int, nargs="+", default=list(value))
        else:
            parser.add_argument(flag, type=type(value), default=value)
    parsed = vars(parser.parse_args(argv))
    parsed["hidden"] = tuple(parsed["hidden"])
    train(Arguments(**parsed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
