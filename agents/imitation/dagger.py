"""One behaviour cloning + DAgger loop (Ross, Gordon and Bagnell 2011) for any teacher, task and start distribution.

A configuration (:class:`Task`) names the envs the student plays, the teacher that labels every state they reach
(a planner reading the env's state: :class:`Teacher`), where an episode starts and how long it may run; a
:class:`Schedule` says how many episodes the teacher plays first and how the student takes over; :class:`Fit`
how the network is trained on everything gathered. The composer (:mod:`agents.imitation.composer`, the navigator
on ``Launchpad-v0``) and the dj agent (:mod:`agents.imitation.dj`, the follower on ``LaunchpadDJ-v0``, its
``"walk"`` head a bar a step: :mod:`agents.imitation.target_env`) are two configurations of :func:`train`.

1. *Demonstrations*: the teacher plays ``demos`` episodes; with probability ``noise`` a press is random instead
   (its label is still the teacher's), so the data holds states off the teacher's path and the way back (DART).
2. *DAgger rounds*: the student plays ``episodes`` fresh episodes a round; the teacher labels every state it
   reaches; the student trains again on everything gathered, its own mistakes included. The teacher presses
   instead with probability ``beta`` (multiplied by ``beta_decay`` each round), and, with ``take_over``, wherever
   the student comes back to a state it has already been in during the episode: a student caught in a loop
   (one toggle on and off) is walked on, so the rest of the way is labelled too, and the loop's states are
   kept once, not once a lap (without ``take_over`` every state reached is kept, repeats too).

A teacher labels a state with its press and, where it knows them, every press that is as good (``allowed``:
on a shortest walk); the student is trained to put its mass on the allowed set and, weighted by
``action_weight``, on the teacher's own press.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Protocol

import numpy as np
import torch as th
from torch.nn import functional as F


class Teacher(Protocol):
    """Labels the state of the env it was made for."""

    def label(self, need_action: bool = True) -> tuple[int, np.ndarray | None]:
        """The teacher's press in its env's current state (without ``need_action``: any allowed one, drawn at
        random) and the allowed presses (bool, one per action), or None where only its own press is known."""

    def length(self) -> int | None:
        """Presses the teacher needs from its env's state to its goal; None where it has no goal."""


@dataclass
class Task:
    """What the student learns: ``make_env()`` (one env per episode played side by side), ``make_teacher(env)``
    (one :class:`Teacher` per env), ``start(env, rng, episode, round_) -> obs`` (the start distribution: the
    ``episode``-th episode of ``round_``, 0 the demonstrations), ``budget(teacher) -> int`` (steps an
    episode may take) and ``stop_action``: an episode ends one step after the teacher labels it (None: at the
    budget or the env's end); ``stop(teacher, label) -> bool``, where given, says instead when the teacher is
    done (a walk head's teacher labels a target, not a press: it is done at the target).
    ``student(network) -> (observations -> actions)`` makes the student that plays the DAgger rounds from the
    network being trained (None: :func:`act`, its largest output)."""

    make_env: Callable
    make_teacher: Callable
    start: Callable
    budget: Callable
    stop_action: int | None = None
    student: Callable | None = None
    stop: Callable | None = None

    def done(self, teacher, label: int) -> bool:
        """Whether the teacher is done where it labelled ``label``: the episode ends after this state."""
        return self.stop(teacher, label) if self.stop is not None else label == self.stop_action


@dataclass
class Schedule:
    """How many episodes the teacher and then the student play, and how they share the presses."""

    demos: int
    rounds: int
    episodes: int
    envs: int = 1
    noise: float = 0.0
    beta: float = 0.0
    beta_decay: float = 1.0
    take_over: bool = False


@dataclass
class Fit:
    """How the network trains on everything gathered, after the demonstrations and each round: ``epochs`` passes
    over it, or, with ``steps``, that many minibatches drawn from it at random (a fit that costs the same every
    round however much has been gathered)."""

    epochs: int
    batch_size: int
    learning_rate: float
    #: "cosine": decayed to 1/10 over each fit; "constant".
    decay: str = "cosine"
    #: weight of the cross-entropy of the teacher's own press
    action_weight: float = 1.0
    #: weight of minus the log of the probability of the allowed presses (where the teacher gives them)
    allowed_weight: float = 1.0
    #: minibatches a fit, drawn with replacement (None: ``epochs`` passes)
    steps: int | None = None


@dataclass
class Gathered:
    """Labelled states: observations ``(M, D)``, the teacher's presses ``(M,)``, the allowed presses bool
    ``(M, A)`` (None: not known), and the presses made (the student's where it played)."""

    observations: np.ndarray
    labels: np.ndarray
    allowed: np.ndarray | None
    played: np.ndarray

    def __add__(self, other: Gathered) -> Gathered:
        return Gathered(*(None if getattr(self, f.name) is None else
                          np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)))

    def __len__(self) -> int:
        return len(self.labels)


def gather(envs, teachers, task: Task, rng: np.random.Generator, episodes: int, round_: int, student=None,
           noise: float = 0.0, beta: float = 0.0, take_over: bool = False, need_action: bool = True) -> Gathered:
    """``episodes`` episodes played side by side on ``envs``, each state labelled by its env's teacher;
    ``student(observations) -> actions`` (a batch) presses, or the teacher when None (see the module for
    ``noise``, ``beta`` and ``take_over``). Without ``need_action`` (a fit whose ``action_weight`` is 0) the
    label, and the teacher's press, is any allowed press, drawn by the teacher: a random shortest walk."""
    observations, labels, allowed, played = [], [], [], []
    obs: list = [None] * len(envs)
    budget, visited = [0] * len(envs), [set() for _ in envs]
    started = 0
    n_actions = envs[0].action_space.n

    def start(i: int) -> bool:
        nonlocal started
        if started == episodes:
            return False
        obs[i] = task.start(envs[i], rng, started, round_)
        started += 1
        budget[i] = task.budget(teachers[i])
        visited[i] = set()
        return True

    active = [i for i in range(len(envs)) if start(i)]
    while active:
        seen = np.zeros(len(active), dtype=bool)
        if take_over:
            for j, i in enumerate(active):
                key = obs[i].tobytes()
                seen[j] = key in visited[i]
                visited[i].add(key)
        takes = np.ones(len(active), dtype=bool) if student is None else rng.random(len(active)) < beta
        if student is not None and take_over:
            takes |= seen
        step_labels = []
        for j, i in enumerate(active):
            label, ok = teachers[i].label(need_action=need_action)
            if not seen[j]:
                observations.append(obs[i])
                labels.append(label)
                allowed.append(ok)
            step_labels.append(label)
        actions = np.array(step_labels)
        if student is not None:
            actions = np.where(takes, actions, np.asarray(student(np.stack([obs[i] for i in active]))))
        noisy = rng.random(len(active)) < noise
        actions = np.where(noisy, rng.integers(n_actions, size=len(active)), actions)
        played += [int(a) for a, s in zip(actions, seen, strict=True) if not s]
        still = []
        for i, label, action in zip(active, step_labels, actions, strict=True):
            budget[i] -= 1
            ended = True
            if not task.done(teachers[i], label) and budget[i] > 0:
                obs[i], _, terminated, truncated, _ = envs[i].step(int(action))
                ended = terminated or truncated
            if not ended or start(i):
                still.append(i)
        active = still
    n = len(labels)
    known = n > 0 and allowed[0] is not None
    return Gathered(np.asarray(observations).reshape(n, -1), np.asarray(labels, dtype=np.int64),
                    np.asarray(allowed, dtype=bool).reshape(n, -1) if known else None,
                    np.asarray(played, dtype=np.int64))


def fit(network, data: Gathered, fit: Fit, rng: np.random.Generator) -> dict:
    """Train ``network`` on ``data`` (see :class:`Fit`); returns its training accuracy: the teacher's press, and
    (where known) an allowed one."""
    optimizer = th.optim.Adam(network.parameters(), lr=fit.learning_rate)
    # Observations stay as gathered (the dj agent's press head keeps them as uint8) and become float32 a batch at
    # a time: a song of 7,200 DJ observations is 58 MB as float32.
    x, y = data.observations, th.as_tensor(data.labels)
    ok = None if data.allowed is None else th.as_tensor(data.allowed)
    batches = list(_batches(len(y), fit, rng))
    schedule = (th.optim.lr_scheduler.CosineAnnealingLR(optimizer, len(batches), eta_min=fit.learning_rate / 10)
                if fit.decay == "cosine" else None)
    network.train()
    for batch in batches:
        loss = imitation_loss(network(th.as_tensor(x[batch], dtype=th.float32)), y[batch],
                              None if ok is None else ok[batch], fit)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
    network.eval()
    with th.no_grad():
        chosen = th.cat([network(th.as_tensor(x[i:i + 8192], dtype=th.float32)).argmax(dim=1)
                         for i in range(0, len(y), 8192)])
    result = {"accuracy": float((chosen == y).float().mean())}
    if ok is not None:
        result["allowed_accuracy"] = float(ok[th.arange(len(y)), chosen].float().mean())
    return result


def imitation_loss(logits, labels, allowed, fit: Fit):
    """The loss of a batch (torch tensors): ``fit.action_weight`` times the cross-entropy of the teacher's press
    plus ``fit.allowed_weight`` times minus the log of the probability of the allowed set (where known)."""
    log_p = F.log_softmax(logits, dim=1)
    loss = fit.action_weight * F.nll_loss(log_p, labels)
    if allowed is not None and fit.allowed_weight:
        loss = loss - fit.allowed_weight * th.logsumexp(log_p.masked_fill(~allowed, -th.inf), dim=1).mean()
    return loss


def _batches(n: int, fit: Fit, rng: np.random.Generator):
    """The minibatches of one fit: ``fit.epochs`` shuffled passes over ``n`` examples, or ``fit.steps`` drawn
    with replacement."""
    if fit.steps is not None:
        for _ in range(fit.steps):
            yield rng.integers(n, size=fit.batch_size)
        return
    for _ in range(fit.epochs):
        order = rng.permutation(n)
        for first in range(0, n, fit.batch_size):
            yield order[first:first + fit.batch_size]


def act(network) -> Callable[[np.ndarray], np.ndarray]:
    """The student: a batch of observations to the network's largest outputs."""
    def student(observations):
        with th.no_grad():
            return network(th.as_tensor(observations, dtype=th.float32)).argmax(dim=1).numpy()
    return student


def train(task: Task, network, schedule: Schedule, fitting: Fit, seed: int, report=print,
          demonstrations: Gathered | None = None) -> dict:
    """Behaviour cloning, then ``schedule.rounds`` DAgger rounds, as the module says; trains ``network`` in place
    and returns its log (one entry a stage), the examples gathered and the wall clock and CPU seconds.
    ``demonstrations`` (e.g. read from a Minari dataset, :mod:`agents.imitation.demonstrations`) replace the
    teacher's walks that behaviour cloning would otherwise play."""
    rng = np.random.default_rng(seed)
    started, cpu_started = time.perf_counter(), time.process_time()
    envs = [task.make_env() for _ in range(schedule.envs)]
    teachers = [task.make_teacher(env) for env in envs]

    def log_stage(entry: dict):
        log.append({**entry, "elapsed_s": round(time.perf_counter() - started, 1)})
        report(json.dumps(log[-1]))

    log: list[dict] = []
    need_action = fitting.action_weight > 0
    data = demonstrations if demonstrations is not None else gather(
        envs, teachers, task, rng, schedule.demos, 0, noise=schedule.noise, need_action=need_action)
    log_stage({"stage": "demonstrations", "examples": len(data), **fit(network, data, fitting, rng)})
    beta = schedule.beta
    student = task.student or act
    for round_ in range(1, schedule.rounds + 1):
        new = gather(envs, teachers, task, rng, schedule.episodes, round_, student(network), beta=beta,
                     take_over=schedule.take_over, need_action=need_action)
        # How often the student already agreed with the teacher on the states it reached, before this round's fit.
        chosen = student(network)(new.observations) if len(new) else np.zeros(0, dtype=np.int64)
        entry = {"stage": f"dagger {round_}", "new_examples": len(new),
                 "student_agreement": float(np.mean(chosen == new.labels)) if len(new) else 0.0}
        if new.allowed is not None and len(new):
            entry["student_allowed"] = float(np.mean(new.allowed[np.arange(len(new)), chosen]))
        data = data + new
        entry["examples"] = len(data)
        log_stage({**entry, **fit(network, data, fitting, rng)})
        beta *= schedule.beta_decay
    for env in envs:
        env.close()
    return {"log": log, "examples": len(data), "wall_clock_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(time.process_time() - cpu_started, 1)}


def settings(*parts) -> dict:
    """The dataclasses of a configuration as one JSON-ready dict (for the weights' description)."""
    return {type(part).__name__.lower(): asdict(part) for part in parts}
