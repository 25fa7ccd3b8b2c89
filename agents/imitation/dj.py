"""``python -m agents dj-train``: the learned dj agent, the follower imitated from the observation alone (DAgger).

Round 0 plays the follower planner (:mod:`agents.planners.follower`) on LaunchpadDJ-v0 (24 presses a bar) and
records (observation, the follower's set of right presses: :mod:`agents.imitation.dj_teacher`). Every later
round plays the network being trained (the follower takes over a press with probability ``beta``, halved each
round), and the follower labels every state the network reached; the network is trained on everything
gathered so far, ``steps`` minibatches a round. The follower's target is a function of what the observation
shows (the heard bar's state, the ages, the phase), so the network can learn it. The songs are seeded apart
from the evaluation's (seeds 0-19 and 100-104).

    python -m agents dj-train                       # writes agents/shipped/dj.safetensors + dj.json
"""

from __future__ import annotations

import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents import weights
from agents.arguments import parse_dataclass
from agents.imitation import dj_policy as learned
from agents.imitation import dj_teacher
from agents.planners.follower import Follower

#: Training songs start from reset(seed=TRAIN_SEED + i), away from the evaluation's seeds.
TRAIN_SEED = 10_000


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
    #: the weights (.safetensors); the description (.json) goes beside it.
    out: Path = weights.SHIPPED_DIR / "dj.safetensors"


def fit(model, observations, labels, args: Arguments, optimizer, rng) -> float:
    """``args.steps`` minibatches: of :func:`~agents.imitation.dj_teacher.set_loss` (labels are sets of presses)
    or of the cross-entropy (labels are targets); returns how many of (up to 20,000 of) the labels the
    network's choice matches."""
    import torch as th

    sets = labels.ndim == 2
    loss_of = dj_teacher.set_loss if sets else th.nn.functional.cross_entropy
    for _ in range(args.steps):
        batch = rng.integers(len(labels), size=args.batch_size)
        x = th.from_numpy(dj_teacher.unpack(observations[batch]))
        loss = loss_of(model(x), th.from_numpy(labels[batch]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    sample = rng.choice(len(labels), size=min(len(labels), 20_000), replace=False)
    with th.no_grad():
        chosen = model(th.from_numpy(dj_teacher.unpack(observations[sample]))).argmax(dim=1).numpy()
    return float((labels[sample, chosen] if sets else labels[sample] == chosen).mean())


def numpy_layers(model) -> list[tuple[np.ndarray, np.ndarray]]:
    import torch as th

    return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
            for layer in model if isinstance(layer, th.nn.Linear)]


def train(args: Arguments) -> Path:
    import torch as th

    th.manual_seed(args.seed)
    th.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    if args.head not in ("walk", "press"):
        raise ValueError(f"head must be 'walk' or 'press', got {args.head!r}")
    env = gym.make("gym_launchpad/LaunchpadDJ-v0")
    teacher = Follower(env)
    unwrapped = env.unwrapped
    n_bars = len(unwrapped.corpus)
    n_toggles = (env.observation_space.shape[0] - n_bars - unwrapped.presses_per_bar) // 2
    walk = args.head == "walk"
    sizes = ((n_toggles + n_bars, *args.hidden, n_bars) if walk
             else (env.observation_space.shape[0], *args.hidden, env.action_space.n))
    play = dj_teacher.play_bars if walk else dj_teacher.play_round
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(th.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(th.nn.ReLU())
    model = th.nn.Sequential(*layers)
    optimizer = th.optim.Adam(model.parameters(), lr=args.learning_rate)
    observations = np.zeros((0, sizes[0]), dtype=np.uint8)
    labels = np.zeros(0, dtype=np.int64) if walk else np.zeros((0, sizes[-1]), dtype=bool)
    started = time.perf_counter()
    network, beta, seed = None, args.beta, TRAIN_SEED
    for round_ in range(args.rounds + 1):
        n_songs = args.first_songs if network is None else args.songs
        seeds = seed + np.arange(n_songs)
        seed += n_songs
        new_obs, new_labels = play(env, teacher, network, beta if network else 1.0, seeds, args.bars, rng)
        if network is not None:
            chosen = network.logits(dj_teacher.unpack(new_obs)).argmax(axis=1)
            agreement = float((new_labels[np.arange(len(chosen)), chosen] if new_labels.ndim == 2
                               else new_labels == chosen).mean())
            beta /= 2
        else:
            agreement = float("nan")
        observations = np.concatenate([observations, new_obs])
        labels = np.concatenate([labels, new_labels])
        accuracy = fit(model, observations, labels, args, optimizer, rng)
        network = (learned.DJWalkPolicy(numpy_layers(model), {}, unwrapped.corpus) if walk
                   else learned.DJPolicy(numpy_layers(model), {}))
        print(f"round {round_}: {len(new_labels)} {'bars' if walk else 'presses'} labelled (the network chose as "
              f"the follower on {agreement:.3f} of those it reached), {len(labels)} in all, training accuracy "
              f"{accuracy:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
    description = {
        "corpus_hash": unwrapped.corpus.hash, "spec": unwrapped.corpus.spec.as_dict(),
        "env": "gym_launchpad/LaunchpadDJ-v0", "presses_per_bar": unwrapped.presses_per_bar,
        "teacher": "agents.planners.follower.Follower", "head": args.head,
        "method": ("DAgger (behaviour cloning of the follower's target at each bar line, then rounds it labels; "
                   "the presses are the shortest walk to the chosen bar)" if walk else
                   "DAgger (behaviour cloning of the follower's walk presses, then rounds it labels)"),
        "arguments": {k: v for k, v in asdict(args).items() if k != "out"},
        "labels": len(labels), "training_seconds": round(time.perf_counter() - started),
    }
    path = learned.save(numpy_layers(model), args.out, description)
    print(f"wrote {path} ({path.stat().st_size} bytes) and {path.with_suffix('.json').name}")
    return path


def main(argv=None) -> int:
    train(parse_dataclass(Arguments, argv, "python -m agents dj-train"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
