"""``python -m agents imitate``: the composer, a Q-network that imitates the navigator from the observation alone.

    python -m agents imitate --out agents/shipped/composer.safetensors      # the shipped weights

The teacher is the navigator (:mod:`agents.planners.navigator`): it walks to the corpus bar at the ceiling
that is fewest presses away, and its choice is a function of the state alone that holds along its own
walk, so it never contradicts itself. The student is the ``mlp`` preset's Q-network (fc 1024 - relu -
fc 512 - relu - fc 313 on the ``toggles`` observation), trained as a classifier over the 313 actions: the
cross-entropy of the teacher's action plus that of the set of presses on any shortest walk to the ceiling
(:class:`Teacher`), so the argmax of its "Q-values" is the action and :func:`agents.dqn.export.load`
reads the weights as any DQN's, with no simulator at act time.

Training is behaviour cloning then DAgger (Ross, Gordon and Bagnell 2011):
1. *Demonstrations*: the teacher walks from starts drawn from every start distribution the env has
   (triads, random and empty launchpads) and from the ceiling's own bars with a few random presses; with
   probability ``noise`` a step presses a random button instead of the teacher's (its label is still the
   teacher's), so the data holds states off the teacher's path and the way back from them (DART).
2. *DAgger rounds*: the student plays from fresh starts; the teacher labels every state it visits; the
   student trains again on everything gathered. Its own mistakes become its training data.

Episodes are played side by side on ``--envs`` envs, so the student acts on a batch of observations.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch as th
from torch.nn import functional as F

from agents.arguments import dataclass_parser
from agents.dqn.export import export
from agents.dqn.networks import build_policy
from agents.dqn.presets import get_preset
from agents.planners.navigator import Navigator, ceiling_bars
from agents.planners.walk import next_press, row_press_costs
from gym_launchpad.launchpad import LaunchpadState
from gym_launchpad.reward import best_row_fits

#: Where each demonstration or DAgger episode starts, and how often: the env's three start distributions,
#: and "ceiling", a bar of the ceiling with a few random presses (the teacher's last steps, and staying).
#: Random launchpads get a large share: their walks are three times as long as a triad's and cross states no
#: triad start comes near, so a student trained mostly on triads gets lost from them.
START_MIX = {"triad": 0.4, "random": 0.35, "empty": 0.1, "ceiling": 0.15}

#: The random presses that knock a "ceiling" start off its bar.
CEILING_KNOCKS = 6

#: An episode ends one step after the teacher stops, or when it has taken twice the teacher's walk from its
#: start plus this many presses: long enough to wander and be brought back, short enough that a student's
#: dithering does not fill the data.
SLACK_PRESSES = 8

PRESET_NAME = "mlp"


@dataclass
class ComposerArgs:
    """The arguments of ``python -m agents imitate``."""

    out: str = field(default="agents/shipped/composer.safetensors",
                     metadata={"help": "the weights (.safetensors); the description (.json) goes beside it"})
    seed: int = field(default=0, metadata={"help": "seeds the starts, the noise, the student's initial weights"})
    corpus: str | None = field(default=None, metadata={"help": "corpus .npz (default: the shipped Bach chorales)"})
    demos: int = field(default=800, metadata={"help": "teacher episodes for behaviour cloning"})
    noise: float = field(default=0.1, metadata={"help": "probability that a demonstration step presses at random"})
    rounds: int = field(default=6, metadata={"help": "DAgger rounds after behaviour cloning"})
    dagger_episodes: int = field(default=200, metadata={"help": "student episodes labelled by the teacher a round"})
    envs: int = field(default=32, metadata={"help": "episodes played side by side (the student acts on a batch)"})
    epochs: int = field(default=4, metadata={"help": "passes over the data after behaviour cloning and each round"})
    batch_size: int = field(default=256, metadata={"help": "examples per gradient step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam's learning rate, decayed to 1/10 each fit"})
    threads: int = field(default=1, metadata={"help": "torch threads"})


class Teacher:
    """The navigator on an env of its own, labelling any state: ``label(state) -> (action, allowed)``.

    ``action`` is the navigator's press; ``allowed`` (bool, one per action) marks every press of a shortest
    walk to any nearest target (the no-op alone at a target). The navigator orders its walk by the
    simulator's distance, which the observation does not show; any allowed press reaches the ceiling in
    as few presses, so the student is trained to put its mass on the allowed set and, within it, on the
    navigator's choice: where it cannot tell the order, it still walks straight.
    """

    def __init__(self, corpus):
        spec = corpus.spec
        self.env = gym.make("gym_launchpad/Launchpad-v0", corpus=corpus, n_notes=spec.n_notes,
                            bar_bits=spec.bar_bits, low_note=spec.low_note, init="empty").unwrapped
        self.navigator = Navigator(self.env)
        self.noop_action = spec.noop_action

    def label(self, state) -> tuple[int, np.ndarray]:
        navigator = self.navigator
        costs = row_press_costs(navigator.spec, state.masks, state.offsets)
        lengths = navigator.walk_lengths(state, costs)
        allowed = np.zeros(navigator.spec.n_actions, dtype=bool)
        if lengths.min() == 0:
            allowed[self.noop_action] = True
            return self.noop_action, allowed
        for target in np.flatnonzero(lengths == lengths.min()):
            allowed[navigator.walks[target].presses(state.masks, state.offsets, costs)] = True
        presses = navigator.walks[int(np.argmin(lengths))].presses(state.masks, state.offsets, costs)
        return next_press(navigator.lookahead, state, presses), allowed

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


@dataclass
class Gathered:
    """Labelled states: observations int8 ``(M, D)``, the teacher's actions ``(M,)``, the allowed presses
    bool ``(M, A)``, and the student's own actions where a student played (else the teacher's)."""

    observations: np.ndarray
    labels: np.ndarray
    allowed: np.ndarray
    played: np.ndarray

    def __add__(self, other: Gathered) -> Gathered:
        return Gathered(*(np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))


def gather(envs, teacher: Teacher, rng: np.random.Generator, ceiling_states, episodes: int, student=None,
           noise: float = 0.0) -> Gathered:
    """``episodes`` episodes from drawn starts, played side by side on ``envs``: the teacher labels every
    state; ``student(observations) -> actions`` (a batch) presses, or the teacher when None; with probability
    ``noise`` a step presses a random button instead. An episode ends one step after the teacher stops, or
    after twice its walk from the start plus :data:`SLACK_PRESSES` presses."""
    observations, labels, allowed, played = [], [], [], []
    obs: list = [None] * len(envs)
    budget = [0] * len(envs)
    started = 0

    def start(i: int) -> bool:
        nonlocal started
        if started == episodes:
            return False
        started += 1
        obs[i] = draw_start(envs[i], rng, ceiling_states)
        budget[i] = 2 * teacher.walk_length(envs[i].unwrapped.state) + SLACK_PRESSES
        return True

    active = [i for i in range(len(envs)) if start(i)]
    while active:
        step_labels = []
        for i in active:
            label, ok = teacher.label(envs[i].unwrapped.state)
            observations.append(obs[i])
            labels.append(label)
            allowed.append(ok)
            step_labels.append(label)
        actions = (np.array(step_labels) if student is None else
                   student(np.stack([obs[i] for i in active])))
        noisy = rng.random(len(active)) < noise
        actions = np.where(noisy, rng.integers(teacher.navigator.spec.n_actions, size=len(active)), actions)
        played += [int(a) for a in actions]
        still = []
        for i, label, action in zip(active, step_labels, actions, strict=True):
            budget[i] -= 1
            if label != teacher.noop_action and budget[i] > 0:
                obs[i] = envs[i].step(int(action))[0]
                still.append(i)
            elif start(i):
                still.append(i)
        active = still
    n = len(labels)
    return Gathered(np.asarray(observations, dtype=np.int8).reshape(n, -1), np.asarray(labels, dtype=np.int64),
                    np.asarray(allowed, dtype=bool).reshape(n, -1), np.asarray(played, dtype=np.int64))


def fit(q_net, data: Gathered, args: ComposerArgs, rng: np.random.Generator) -> dict:
    """Train ``q_net`` for ``args.epochs`` passes: cross-entropy of the teacher's action plus the negative log
    of the probability of the allowed set. Returns its training accuracy: the teacher's action, and an
    allowed one."""
    optimizer = th.optim.Adam(q_net.parameters(), lr=args.learning_rate)
    n_batches = max(1, len(data.labels) // args.batch_size)
    schedule = th.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * n_batches,
                                                       eta_min=args.learning_rate / 10)
    x, y = th.as_tensor(data.observations, dtype=th.float32), th.as_tensor(data.labels)
    ok = th.as_tensor(data.allowed)
    q_net.train()
    for _ in range(args.epochs):
        for batch in np.array_split(rng.permutation(len(y)), n_batches):
            log_p = F.log_softmax(q_net(x[batch]), dim=1)
            allowed_log_p = th.logsumexp(log_p.masked_fill(~ok[batch], -th.inf), dim=1)
            loss = F.nll_loss(log_p, y[batch]) - allowed_log_p.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    q_net.eval()
    with th.no_grad():
        chosen = q_net(x).argmax(dim=1)
        return {"accuracy": float((chosen == y).float().mean()),
                "allowed_accuracy": float(ok[th.arange(len(y)), chosen].float().mean())}


def train(args: ComposerArgs) -> Path:
    """Behaviour cloning then DAgger, as the module says; writes the weights and their description."""
    th.set_num_threads(args.threads)
    th.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    preset = get_preset(PRESET_NAME)
    corpus = preset.load_corpus(args.corpus)
    envs = [preset.make_env(corpus) for _ in range(args.envs)]
    teacher = Teacher(corpus)
    policy = build_policy(preset, envs[0].observation_space, envs[0].action_space)
    q_net = policy.q_net
    ceiling_states = [_fitted_state(corpus, i) for i in ceiling_bars(corpus)]

    def student(observations):
        with th.no_grad():
            return q_net(th.as_tensor(observations, dtype=th.float32)).argmax(dim=1).numpy()

    data = gather(envs, teacher, rng, ceiling_states, args.demos, noise=args.noise)
    log = [{"stage": "demonstrations", "examples": len(data.labels), **fit(q_net, data, args, rng)}]
    _report(log[-1], started)
    for round_ in range(args.rounds):
        new = gather(envs, teacher, rng, ceiling_states, args.dagger_episodes, student)
        # How often the student already agreed with the teacher on its own states, before this round's fit.
        agreement = float(np.mean(new.played == new.labels))
        allowed = float(np.mean(new.allowed[np.arange(len(new.played)), new.played]))
        data = data + new
        log.append({"stage": f"dagger {round_ + 1}", "examples": len(data.labels), "student_agreement": agreement,
                    "student_allowed": allowed})
        log[-1].update(fit(q_net, data, args, rng))
        _report(log[-1], started)
    wall_clock, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    for env in envs:
        env.close()
    return export(policy, PRESET_NAME, preset, corpus, args.out, extra={
        "source": "agents.imitation.composer: behaviour cloning + DAgger of the navigator",
        "command": "python -m agents imitate " + " ".join(_flags(args)),
        "seed": args.seed,
        "training": {**asdict(args), "wall_clock_s": round(wall_clock, 1),
                     "cpu_s": round(cpu, 1), "log": log},
    })


def _fitted_state(corpus, bar: int):
    """The launchpad state that plays the nearest rows to corpus bar ``bar``."""
    _, masks, offsets = best_row_fits(corpus.spec, corpus.bars[bar])
    return LaunchpadState(corpus.spec, masks.astype(np.int64), offsets.astype(np.int64))


def _report(entry: dict, started: float):
    print(json.dumps({**entry, "elapsed_s": round(time.perf_counter() - started, 1)}), flush=True)


def _flags(args: ComposerArgs) -> list[str]:
    return [f"--{name.replace('_', '-')} {value}" for name, value in asdict(args).items() if value is not None]


def main(argv=None) -> int:
    parser = dataclass_parser(ComposerArgs, "python -m agents imitate", __doc__.split("\n\n")[0])
    args = ComposerArgs(**vars(parser.parse_args(argv)))
    path = train(args)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and {path.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
