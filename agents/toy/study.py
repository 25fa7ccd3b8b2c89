"""``python -m agents toy-study --out DIR``: the paper's section 5.2 on ``LaunchpadToy-v0``.

Draws the paper's three figures and writes their numbers:

- ``fig8_reward.png``: tabular Q-learning with GLIE epsilon = 1/t for 5000 steps, the state replaced
  by a random one every 500 steps (the env's time limit, then a reset to a random state);
- ``fig9_qtable.png``: the Q-table after that run; the entries still at their initial 0;
- ``fig10_beta.png``: the greedy score after MCMC exploration against beta, for several numbers
  of sweeps, with standard errors over the repeats;
- ``toy_study.json``: every number the figures show, and the checks the paper's claims become.

See ``docs/toy_study.md`` for the protocol and the results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

import gym_launchpad  # noqa: F401  (registers the envs)
from agents.arguments import parse_dataclass
from agents.toy.mcmc import GREEDY_STEPS, REPEATS, BetaCurve, beta_curve
from agents.toy.tabular import QLearningRun, TransitionTable, q_learning
from gym_launchpad.launchpad import LaunchpadState

TOY_ID = "gym_launchpad/LaunchpadToy-v0"

#: beta = 0, then three values a decade from 1e-3 to 1e3.
DEFAULT_BETAS = np.r_[0.0, np.logspace(-3, 3, 19)]


@dataclass
class QLearningTrial:
    """One Q-learning run and what it shows.

    ``learned_step``: the first step after which the greedy policy of the current Q, followed from the
    agent's current state, reaches the best reward and stays there (None if never).
    ``recovery_steps[i]``: steps from the i-th random replacement (0: the random start) until the agent's
    reward is the best (None if not before the next replacement).
    ``zeros_are_true_zeros``: whether the entries of Q still at 0 are exactly those whose true value is 0.
    """

    run: QLearningRun
    learned_step: int | None
    recovery_steps: list[int | None]
    zeros_are_true_zeros: bool
    greedy_holds_from: int

    def as_dict(self) -> dict:
        return {"learned_step": self.learned_step, "recovery_steps": self.recovery_steps,
                "zeros_are_true_zeros": self.zeros_are_true_zeros, "zero_entries": int((self.run.q == 0).sum()),
                "greedy_holds_best_from_states": self.greedy_holds_from,
                "fraction_of_steps_at_best": float((self.run.rewards == self.run.rewards.max()).mean())}


def q_learning_trial(env, table: TransitionTable, n_steps: int, seed: int) -> QLearningTrial:
    """Run :func:`agents.toy.tabular.q_learning` on ``env`` and measure it against ``table`` (the same env's)."""
    learned = []

    def watch(t, q, state):
        if not learned and table.greedy_holds_best(q, state):
            learned.append(t)

    run = q_learning(env, n_steps, seed=seed, callback=watch)
    best = table.reward.max()
    recovery = []
    bounds = [0] + [r for r in run.resets if r < n_steps] + [n_steps]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        hits = np.flatnonzero(run.rewards[start:end] == best)
        recovery.append(int(hits[0]) + 1 if len(hits) else None)
    true_zeros = table.optimal_q() == 0
    holds = sum(table.greedy_holds_best(run.q, s) for s in range(table.n_states))
    return QLearningTrial(run, learned[0] if learned else None, recovery,
                          bool(np.array_equal(run.q == 0, true_zeros)), int(holds))


def interior_peak(curve: BetaCurve) -> dict:
    """Whether the best beta beats both ``betas[0]`` and ``betas[-1]`` by more than their joint standard error."""
    mean, sem = curve.mean, curve.sem
    best = int(np.argmax(mean))
    margins = {end: float(mean[best] - mean[end] - (sem[best] + sem[end])) for end in (0, len(mean) - 1)}
    return {"best_beta": float(curve.betas[best]), "best_mean": float(mean[best]), "best_sem": float(sem[best]),
            "margin_over_first": margins[0], "margin_over_last": margins[len(mean) - 1],
            "interior": bool(min(margins.values()) > 0)}


def state_labels(env) -> list[str]:
    """Each state as the bar it plays, rows joined by ``|`` (e.g. ``1011``)."""
    spec = env.unwrapped.launchpad
    labels = []
    for s in range(spec.n_states):
        roll = LaunchpadState.from_index(spec, s).roll().astype(int)
        labels.append(f"{s:>2} " + "|".join("".join(map(str, row)) for row in roll))
    return labels


def action_labels(env) -> list[str]:
    spec = env.unwrapped.launchpad
    labels = []
    for a in range(spec.n_actions):
        kind, note, arg = spec.decode_action(a)
        row = f"n{note} " if spec.n_notes > 1 else ""
        if kind == "toggle":
            labels.append(f"{row}pattern {arg}")
        elif kind == "offset":
            labels.append(f"{row}offset +{1 << arg}")
        else:
            labels.append("no-op")
    return labels


def plot_reward(trials: list[QLearningTrial], best: float, path: str):
    import matplotlib.pyplot as plt  # an optional dependency (gym_launchpad[agents]): only the figures need it

    run = trials[0].run
    steps = np.arange(1, len(run.rewards) + 1)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(steps, run.rewards, lw=0.9, label="seed 0")
    ax.plot(steps, np.mean([t.run.rewards for t in trials], axis=0), color="k", lw=0.7, alpha=0.6,
            label=f"mean over {len(trials)} seeds")
    for i, r in enumerate(r for r in run.resets if r < len(steps)):
        ax.axvline(r + 0.5, color="tab:red", ls="--", lw=0.8, label="random state" if i == 0 else None)
    if trials[0].learned_step:
        ax.axvline(trials[0].learned_step, color="tab:green", lw=1.2, label=f"learned (step {trials[0].learned_step})")
    ax.axhline(best, color="k", lw=0.6, ls=":")
    ax.set(xlabel="step", ylabel="reward", xlim=(0, len(steps)),
           title="Tabular Q-learning, GLIE epsilon = 1/t; the state is replaced every 500 steps")
    ax.legend(loc="lower right", fontsize=8, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_qtable(q: np.ndarray, steps: int, env, path: str):
    import matplotlib.pyplot as plt  # an optional dependency (gym_launchpad[agents]): only the figures need it

    fig, ax = plt.subplots(figsize=(6, 0.22 * len(q) + 1.6))
    image = ax.imshow(q, aspect="auto", cmap="viridis", interpolation="nearest")
    zero_s, zero_a = np.nonzero(q == 0)
    ax.scatter(zero_a, zero_s, marker="s", s=60, facecolors="none", edgecolors="red")
    ax.set_xticks(range(q.shape[1]), action_labels(env), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(q.shape[0]), state_labels(env), fontsize=7, family="monospace")
    ax.set(xlabel="action", ylabel="state (index, bar)",
           title=f"Q-table after {steps} steps (red: still at the initial 0)")
    fig.colorbar(image, ax=ax, label="Q(s, a)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_beta(curves: list[BetaCurve], ceiling: float, path: str):
    import matplotlib.pyplot as plt  # an optional dependency (gym_launchpad[agents]): only the figures need it

    fig, ax = plt.subplots(figsize=(7, 4.2))
    for curve in curves:
        ax.errorbar(curve.betas, curve.mean, yerr=curve.sem, marker="o", ms=3, capsize=2,
                    label=f"{curve.n_sweeps} sweeps")
    ax.axhline(ceiling, color="k", lw=0.6, ls=":", label="optimal greedy policy")
    positive = curves[0].betas[curves[0].betas > 0]
    ax.set_xscale("symlog", linthresh=positive.min())
    ax.set_xlim(-0.3 * positive.min(), 2 * positive.max())
    ax.set(xlabel="beta (symlog: 0 at the left)", ylabel=f"mean reward of {GREEDY_STEPS} greedy steps",
           title=f"Greedy reward after MCMC exploration ({curves[0].scores.shape[1]} repeats, mean and SEM)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


@dataclass
class StudyArgs:
    """The paper's section 5.2 on LaunchpadToy-v0: tabular Q-learning and MCMC exploration, three figures."""

    out: str = field(default=os.path.join("agents", "results", "toy"), metadata={
        "help": "folder for the PNGs and toy_study.json (created)"})
    seeds: int = field(default=20, metadata={"type": _at_least(1), "help": "Q-learning runs, seeds 0..SEEDS-1"})
    steps: int = field(default=5000, metadata={"type": _at_least(1), "help": "steps of each Q-learning run"})
    replace_every: int = field(default=500, metadata={
        "type": _at_least(1), "help": "steps between random state replacements"})
    sweeps: tuple[int, ...] = field(default=(100, 400, 1600), metadata={
        "type": _at_least(1), "help": "MCMC sweeps of the action space before the greedy phase, one curve each"})
    repeats: int = field(default=REPEATS, metadata={
        "type": _at_least(2), "help": "MCMC runs per beta (>= 2, for a standard error)"})
    seed: int = field(default=0, metadata={"help": "seed of the MCMC streams"})


def main(argv: list[str] | None = None) -> int:
    args = parse_dataclass(StudyArgs, argv, "python -m agents toy-study", description=__doc__.split("\n\n")[0])
    import matplotlib  # an optional dependency (gym_launchpad[agents]): only the figures need it

    matplotlib.use("Agg")
    started = time.perf_counter()
    os.makedirs(args.out, exist_ok=True)
    env = gym.make(TOY_ID, max_episode_steps=args.replace_every)
    table = TransitionTable.from_env(env)
    best = float(table.reward.max())

    trials = [q_learning_trial(env, table, args.steps, seed) for seed in range(args.seeds)]
    curves = [beta_curve(table, DEFAULT_BETAS, n_sweeps, args.repeats, args.seed) for n_sweeps in args.sweeps]
    ceiling = float(table.greedy_rewards(table.optimal_q(), 0, GREEDY_STEPS).mean())

    plot_reward(trials, best, os.path.join(args.out, "fig8_reward.png"))
    plot_qtable(trials[0].run.q, args.steps, env, os.path.join(args.out, "fig9_qtable.png"))
    plot_beta(curves, ceiling, os.path.join(args.out, "fig10_beta.png"))

    learned = [t.learned_step for t in trials]
    # recovery_steps[0] is from the random start, before anything was learnt.
    recoveries = [r for t in trials for r in t.recovery_steps[1:]]
    summary = {
        "command": "python -m agents toy-study " + " ".join(argv if argv is not None else sys.argv[1:]),
        "env": TOY_ID,
        "spec": env.unwrapped.launchpad.as_dict(),
        "n_states": table.n_states,
        "n_actions": table.n_actions,
        "best_reward": best,
        "q_learning": {
            "steps": args.steps, "replace_every": args.replace_every, "seeds": args.seeds,
            "learned_within_1000": sum(s is not None and s <= 1000 for s in learned),
            "learned_step_median": float(np.median([s for s in learned if s is not None])) if any(learned) else None,
            "recovered_within_200": sum(r is not None and r <= 200 for r in recoveries),
            "replacements": len(recoveries),
            "recovery_steps_median": float(np.median([r for r in recoveries if r is not None])) if recoveries else None,
            "zeros_are_true_zeros": sum(t.zeros_are_true_zeros for t in trials),
                "runs": [t.as_dict() for t in trials],
        },
        "mcmc": {
            "start_state": 0, "greedy_steps": GREEDY_STEPS, "repeats": args.repeats,
            "optimal_greedy_score": ceiling,
            "curves": [{**c.as_dict(), "peak": interior_peak(c)} for c in curves],
        },
    }
    summary["seconds"] = round(time.perf_counter() - started, 1)
    with open(os.path.join(args.out, "toy_study.json"), "w") as f:
        json.dump(summary, f, indent=1)
    _print_summary(summary)
    return 0


def _print_summary(summary: dict):
    q = summary["q_learning"]
    print(f"Q-learning: learned within 1000 steps in {q['learned_within_1000']}/{q['seeds']} seeds "
          f"(median step {q['learned_step_median']}); back at the best reward within 200 steps after "
          f"{q['recovered_within_200']}/{q['replacements']} replacements (median {q['recovery_steps_median']} "
          f"steps); zero entries are exactly the true zeros in {q['zeros_are_true_zeros']}/{q['seeds']} seeds")
    holds = [run["greedy_holds_best_from_states"] for run in q["runs"]]
    at_best = [run["fraction_of_steps_at_best"] for run in q["runs"]]
    print(f"  at the best reward in {min(at_best):.1%}..{max(at_best):.1%} of the steps; the final Q's greedy policy "
          f"holds the best reward from {min(holds)}..{max(holds)} of {summary['n_states']} states")
    m = summary["mcmc"]
    print(f"MCMC: optimal greedy score {m['optimal_greedy_score']:.3f}")
    for curve in m["curves"]:
        peak = curve["peak"]
        print(f"  {curve['n_sweeps']:>5} sweeps: beta=0 {curve['mean'][0]:.3f} +- {curve['sem'][0]:.3f}, "
              f"best beta {peak['best_beta']:.3g} {peak['best_mean']:.3f} +- {peak['best_sem']:.3f}, "
              f"beta={curve['betas'][-1]:.3g} {curve['mean'][-1]:.3f} +- {curve['sem'][-1]:.3f}; "
              f"interior peak: {peak['interior']}")
        explored = dict(zip(curve["betas"], curve["explored_states_mean"], strict=True))
        print(f"           states explored (mean): beta=0 {explored[0.0]:.1f}, best beta "
              f"{explored[peak['best_beta']]:.1f}, beta={curve['betas'][-1]:.3g} {explored[curve['betas'][-1]]:.1f}")
    print(f"{summary['seconds']} s")
