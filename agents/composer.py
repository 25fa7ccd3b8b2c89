"""``python -m agents.composer``: the composer, a Q-network that imitates the navigator from the observation alone.

    python -m agents.composer --out agents/pretrained/composer.safetensors      # the shipped weights

The teacher is the navigator (:mod:`agents.planners.navigator`): it walks to the corpus bar at the ceiling
that is fewest presses away, and its choice is a function of the state alone that holds along its own
walk, so it never contradicts itself. The student is the ``mlp`` preset's Q-network (fc 1024 - relu -
fc 512 - relu - fc 313 on the ``toggles`` observation), trained as a classifier: cross-entropy over the
313 actions, the teacher's action the label, so the argmax of its "Q-values" is the action and
:func:`agents.pretrained.load` reads the weights as any DQN's, with no simulator at act time.

Training is behaviour cloning then DAgger (Ross, Gordon and Bagnell 2011):
1. *Demonstrations*: the teacher walks from starts drawn from every start distribution the env has
   (triads, random and empty launchpads) and from the ceiling's own bars with a few random presses; with
   probability ``noise`` a step presses a random button instead of the teacher's (its label is still the
   teacher's), so the data holds states off the teacher's path and the way back from them (DART).
2. *DAgger rounds*: the student plays from fresh starts; the teacher labels every state it visits; the
   student trains again on everything gathered. Its own mistakes become its training data.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

#: Where each demonstration or DAgger episode starts, and how often: the env's three start distributions,
#: and "ceiling", a bar of the ceiling with a few random presses (the teacher's last steps, and staying).
START_MIX = {"triad": 0.6, "random": 0.15, "empty": 0.1, "ceiling": 0.15}

#: The random presses that knock a "ceiling" start off its bar.
CEILING_KNOCKS = 6

#: An episode ends one step after the teacher stops, or when it has taken twice the teacher's walk from its
#: start plus this many presses: long enough to wander and be brought back, short enough that a student's
#: dithering does not fill the data.
SLACK_PRESSES = 8

PRESET_NAME = "mlp"


@dataclass
class ComposerArgs:
    """The arguments of ``python -m agents.composer``."""

    out: str = field(default="agents/pretrained/composer.safetensors",
                     metadata={"help": "the weights (.safetensors); the description (.json) goes beside it"})
    seed: int = field(default=0, metadata={"help": "seeds the starts, the noise, the student's initial weights"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (default: the shipped Bach chorales)"})
    demos: int = field(default=3000, metadata={"help": "teacher episodes for behaviour cloning"})
    noise: float = field(default=0.1, metadata={"help": "probability that a demonstration step presses at random"})
    rounds: int = field(default=3, metadata={"help": "DAgger rounds after behaviour cloning"})
    dagger_episodes: int = field(default=500, metadata={"help": "student episodes labelled by the teacher a round"})
    epochs: int = field(default=6, metadata={"help": "passes over the data after behaviour cloning and each round"})
    batch_size: int = field(default=256, metadata={"help": "examples per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate, decayed to 1/10 each fit"})
    threads: int = field(default=1, metadata={"help": "torch threads"})


class Teacher:
    """The navigator on an env of its own, labelling any state: ``label(state) -> action``."""

    def __init__(self, corpus):
        import gymnasium as gym

        from agents.planners.navigator import Navigator

        spec = corpus.spec
        self.env = gym.make("gym_launchpad/Launchpad-v0", corpus=corpus, n_notes=spec.n_notes,
                            bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty").unwrapped
        self.navigator = Navigator(self.env)

    def label(self, state) -> int:
        self.env.reset(options={"state": state})
        return self.navigator.act()

    def walk_length(self, state) -> int:
        """Presses the teacher needs from ``state`` to its target."""
        return int(self.navigator.walk_lengths(state).min())


def draw_start(env, rng: np.random.Generator, ceiling_states) -> np.ndarray:
    """Reset ``env`` to a start drawn from :data:`START_MIX`; returns the observation."""
    kinds = list(START_MIX)
    kind = kinds[rng.choice(len(kinds), p=list(START_MIX.values()))]
    seed = int(rng.integers(2**31))
    if kind != "ceiling":
        return env.reset(seed=seed, options={"init": kind})[0]
    state = ceiling_states[rng.integers(len(ceiling_states))].copy()
    for action in rng.integers(env.action_space.n, size=rng.integers(1, CEILING_KNOCKS + 1)):
        state.apply(int(action))
    return env.reset(seed=seed, options={"state": state})[0]


def play(env, teacher: Teacher, rng: np.random.Generator, ceiling_states, act, noise: float = 0.0):
    """One episode from a drawn start: ``act(obs)`` presses (or with probability ``noise`` a random button),
    the teacher labels every state; see :data:`SLACK_PRESSES` for its end. Returns the observations and labels."""
    unwrapped = env.unwrapped
    obs = draw_start(env, rng, ceiling_states)
    observations, labels = [], []
    for _ in range(2 * teacher.walk_length(unwrapped.state) + SLACK_PRESSES):
        label = teacher.label(unwrapped.state)
        observations.append(obs)
        labels.append(label)
        if label == unwrapped.launchpad.noop_action:
            break
        action = int(rng.integers(env.action_space.n)) if rng.random() < noise else act(obs, label)
        obs = env.step(action)[0]
    return observations, labels


def gather(env, teacher, rng, ceiling_states, episodes: int, act, noise: float = 0.0):
    """``episodes`` episodes of :func:`play`, stacked: ``(observations int8 (M, D), labels int64 (M,))``."""
    observations, labels = [], []
    for _ in range(episodes):
        o, a = play(env, teacher, rng, ceiling_states, act, noise)
        observations += o
        labels += a
    return np.asarray(observations, dtype=np.int8).reshape(len(labels), -1), np.asarray(labels, dtype=np.int64)


def fit(q_net, observations, labels, args: ComposerArgs, rng: np.random.Generator) -> float:
    """Train ``q_net`` as a classifier for ``args.epochs`` passes; returns the final training accuracy."""
    import torch as th
    from torch.nn import functional as F

    optimizer = th.optim.Adam(q_net.parameters(), lr=args.learning_rate)
    n_batches = max(1, len(labels) // args.batch_size)
    schedule = th.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * n_batches,
                                                       eta_min=args.learning_rate / 10)
    x, y = th.as_tensor(observations, dtype=th.float32), th.as_tensor(labels)
    q_net.train()
    for _ in range(args.epochs):
        for batch in np.array_split(rng.permutation(len(y)), n_batches):
            loss = F.cross_entropy(q_net(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    q_net.eval()
    with th.no_grad():
        return float((q_net(x).argmax(dim=1) == y).float().mean())


def train(args: ComposerArgs) -> Path:
    """Behaviour cloning then DAgger, as the module says; writes the weights and their description."""
    import torch as th

    from agents.networks import build_policy
    from agents.planners.navigator import ceiling_bars
    from agents.presets import get_preset
    from agents.pretrained import export

    th.set_num_threads(args.threads)
    th.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    preset = get_preset(PRESET_NAME)
    corpus = preset.load_corpus(args.corpus)
    env = preset.make_env(corpus)
    teacher = Teacher(corpus)
    policy = build_policy(preset, env.observation_space, env.action_space)
    q_net = policy.q_net
    ceiling_states = [_fitted_state(corpus, i) for i in ceiling_bars(corpus)]

    def student(obs, _label):
        with th.no_grad():
            return int(q_net(th.as_tensor(obs, dtype=th.float32).reshape(1, -1)).argmax())

    observations, labels = gather(env, teacher, rng, ceiling_states, args.demos, lambda _obs, label: label,
                                  args.noise)
    log = [{"stage": "demonstrations", "examples": len(labels)}]
    log[-1]["accuracy"] = fit(q_net, observations, labels, args, rng)
    _report(log[-1], started)
    for round_ in range(args.rounds):
        new_observations, new_labels = gather(env, teacher, rng, ceiling_states, args.dagger_episodes, student)
        # How often the student already agreed with the teacher on its own states, before this round's fit.
        agreement = float(np.mean([student(o, None) == a
                                   for o, a in zip(new_observations, new_labels, strict=True)]))
        observations = np.concatenate([observations, new_observations])
        labels = np.concatenate([labels, new_labels])
        log.append({"stage": f"dagger {round_ + 1}", "examples": len(labels), "student_agreement": agreement})
        log[-1]["accuracy"] = fit(q_net, observations, labels, args, rng)
        _report(log[-1], started)
    wall_clock, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    env.close()
    return export(policy, PRESET_NAME, preset, corpus, args.out, extra={
        "source": "agents.composer: behaviour cloning + DAgger of the navigator",
        "command": "python -m agents.composer " + " ".join(_flags(args)),
        "seed": args.seed,
        "training": {**asdict(args), "wall_clock_s": round(wall_clock, 1),
                     "cpu_s": round(cpu, 1), "log": log},
    })


def _fitted_state(corpus, bar: int):
    """The launchpad state that plays the nearest rows to corpus bar ``bar``."""
    from gym_launchpad.launchpad import LaunchpadState
    from gym_launchpad.reward import best_row_fits

    _, masks, offsets = best_row_fits(corpus.spec, corpus.bars[bar])
    return LaunchpadState(corpus.spec, masks.astype(np.int64), offsets.astype(np.int64))


def _report(entry: dict, started: float):
    print(json.dumps({**entry, "elapsed_s": round(time.perf_counter() - started, 1)}), flush=True)


def _flags(args: ComposerArgs) -> list[str]:
    return [f"--{name.replace('_', '-')} {value}" for name, value in asdict(args).items() if value is not None]


def main(argv=None) -> int:
    from agents.train import dataclass_parser

    parser = dataclass_parser(ComposerArgs, "python -m agents.composer", __doc__.split("\n\n")[0])
    args = ComposerArgs(**vars(parser.parse_args(argv)))
    path = train(args)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
