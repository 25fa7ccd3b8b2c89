"""How many env-steps/s does the native vector env give over a SyncVectorEnv of single envs?

``gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=64)`` (the native :class:`LaunchpadVectorEnv`)
against ``gym.make_vec(..., vectorization_mode="sync")`` (64 ``gym.make`` envs in a ``SyncVectorEnv``),
both on the shipped corpus, stepping random actions (autoresets included), in interleaved rounds, best
round kept. Target: >= 5x the env-steps/s.

    python benchmarks/vector_env.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym
import numpy as np
from _common import Row, best_of, check, table

import gym_launchpad  # noqa: F401  (registers the ids)

TARGET = ">= 5x"
ENV_ID = "gym_launchpad/Launchpad-v0"


def seconds_per_env_step(envs, steps: int, seed: int = 0) -> float:
    actions = np.random.default_rng(seed).integers(0, envs.single_action_space.n, (steps, envs.num_envs))
    envs.reset(seed=seed)
    start = time.perf_counter()
    for batch in actions:
        envs.step(batch)
    return (time.perf_counter() - start) / (steps * envs.num_envs)


def run(quick: bool = False, num_envs: int = 64) -> list[Row]:
    vector_steps, sync_steps, rounds = (20, 2, 2) if quick else (1000, 100, 5)
    native = gym.make_vec(ENV_ID, num_envs=num_envs)
    sync = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="sync")
    best = best_of({
        "native": lambda: seconds_per_env_step(native, vector_steps),
        "sync": lambda: seconds_per_env_step(sync, sync_steps),
    }, rounds)
    ratio = best["sync"] / best["native"]
    figures = (f"{num_envs} envs: {type(native).__name__} {1 / best['native']:,.0f} env-steps/s, "
               f"SyncVectorEnv {1 / best['sync']:,.0f} env-steps/s")
    return [Row(f"vector env, {num_envs} envs, native / sync", figures, ratio, TARGET, check(ratio, TARGET))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke size: a few steps")
    parser.add_argument("--num-envs", type=int, default=64)
    args = parser.parse_args(argv)
    print(table(run(args.quick, args.num_envs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
