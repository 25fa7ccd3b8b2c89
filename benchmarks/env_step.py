"""Is a Launchpad-v0 step as cheap as a CartPole-v1 step?

Times ``env.step`` of ``gym.make("gym_launchpad/Launchpad-v0")`` (wrappers included, random actions) with
the shipped corpus and with a synthetic corpus of 10k bars (1k with ``--quick``), against
``gym.make("CartPole-v1")``, in interleaved rounds, best round kept. Only the steps are timed: resets
happen outside the clock.
Targets: <= 1.5x CartPole with the shipped corpus, <= 3x with 10k bars.

    python benchmarks/env_step.py [--quick]
"""

from __future__ import annotations

import sys
import time

import gymnasium as gym
import numpy as np
from _common import Row, best_of, check, quick_main, synthetic_corpus

import gym_launchpad  # noqa: F401  (registers the ids)

TARGETS = {"shipped": "<= 1.5x", "synthetic": "<= 3x"}


def seconds_per_step(env: gym.Env, steps: int, seed: int = 0) -> float:
    """Mean seconds of ``env.step`` over ``steps`` random actions; the clock stops for resets."""
    actions = np.random.default_rng(seed).integers(0, env.action_space.n, steps).tolist()
    env.reset(seed=seed)
    clock = time.perf_counter
    total = 0.0
    for action in actions:
        start = clock()
        _, _, terminated, truncated, _ = env.step(action)
        total += clock() - start
        if terminated or truncated:
            env.reset()
    return total / steps


def run(quick: bool = False) -> list[Row]:
    # The smoke size keeps the synthetic corpus small: gym.make computes its ceiling, costly for random bars.
    steps, rounds, k = (500, 2, 1_000) if quick else (20_000, 7, 10_000)
    envs = {
        "CartPole-v1": gym.make("CartPole-v1"),
        "shipped": gym.make("gym_launchpad/Launchpad-v0"),
        "synthetic": gym.make("gym_launchpad/Launchpad-v0", corpus=synthetic_corpus(k)),
    }
    best = best_of({name: (lambda env=env: seconds_per_step(env, steps)) for name, env in envs.items()}, rounds)
    rows = []
    for name, target in TARGETS.items():
        bars = len(envs[name].unwrapped.corpus)
        ratio = best[name] / best["CartPole-v1"]
        figures = (f"Launchpad-v0 ({bars} bars) {best[name] * 1e6:.2f} us/step, "
                   f"CartPole-v1 {best['CartPole-v1'] * 1e6:.2f} us/step")
        label = "shipped" if name == "shipped" else f"{bars // 1000}k-bar"
        rows.append(Row(f"env step, {label} corpus, vs CartPole", figures, ratio, target, check(ratio, target)))
    return rows


def main(argv=None) -> int:
    return quick_main(__doc__.splitlines()[0], run, "a smoke size: a few hundred steps", argv)


if __name__ == "__main__":
    sys.exit(main())
