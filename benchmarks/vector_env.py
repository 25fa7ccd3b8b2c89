"""How many env-steps/s does the native vector env give, over a SyncVectorEnv of single envs, and where do they go?

``gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=64)`` (the native :class:`LaunchpadVectorEnv`)
against ``gym.make_vec(..., vectorization_mode="sync")`` (64 ``gym.make`` envs in a ``SyncVectorEnv``),
both on the shipped corpus, stepping random actions (autoresets included), in interleaved rounds, best
round kept; then the same at 256 envs, and the native env on a corpus of 100k bars mixed from the shipped
bars' rows (:func:`_common.mixed_corpus`; its SyncVectorEnv would hold 64 copies of the corpus).
Targets: >= 10x the SyncVectorEnv's env-steps/s and 1,000,000 env-steps/s at 64 envs on the shipped corpus.

The breakdown times each part of the native step as ``step`` runs it (the env's own methods, wrapped in a
clock): the actions' check, the compiled press (the kernel: each env's row, bar, distances and
observation row, its last action and elapsed steps), the search for each env's nearest bar (argmin: a
second vectorised pass over the distances just written; the press's time less that of a twin env whose
press skips it), the observation and the info handed out, and the autoreset (the check every step, and the
resets of ended envs); "rest" is what the step spends outside them (rewards, truncations).

The native env's press runs on one thread, or on numba's threads when that has been faster lately
(``_numba_kernels.AdaptivePress``); the 64-env row says which it settled on and how many threads it may use.

    python benchmarks/vector_env.py [--quick] [--num-envs 64]
"""

from __future__ import annotations

import argparse
import sys
import time

import gymnasium as gym
import numpy as np
from _common import Row, best_of, check, mixed_corpus, table

import gym_launchpad  # noqa: F401  (registers the ids)

TARGET = ">= 10x"
RATE_TARGET = ">= 1x"
MILLION = 1_000_000
ENV_ID = "gym_launchpad/Launchpad-v0"
PARTS = ("actions", "kernel", "argmin", "observation", "info", "autoreset", "rest")


def seconds_per_env_step(envs, actions: np.ndarray) -> float:
    """Seconds per env-step of stepping ``actions`` ``(steps, num_envs)`` (the envs keep their state)."""
    start = time.perf_counter()
    for batch in actions:
        envs.step(batch)
    return (time.perf_counter() - start) / actions.size


def random_actions(envs, steps: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, envs.single_action_space.n, (steps, envs.num_envs))


def press_in_use(envs) -> str:
    """Which press the native env ran last: serial, or shared among how many threads."""
    chooser = envs._compiled_press
    if not getattr(chooser, "parallel", False):
        return "one thread" + (f" (of {envs._tracker.kernel.threads} it may use)" if chooser is not None and
                               envs._tracker.kernel.threads > 1 else "")
    return f"{envs._tracker.kernel.threads} threads"


def native_and_sync(num_envs: int, vector_steps: int, sync_steps: int, rounds: int) -> tuple[float, float, str]:
    """Best seconds per env-step of the native vector env and of a SyncVectorEnv, and the native's kernel
    and press."""
    native = gym.make_vec(ENV_ID, num_envs=num_envs)
    sync = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="sync")
    native.reset(seed=0)
    sync.reset(seed=0)
    # Short rounds, many of them: on a shared machine the best round is the one nobody interrupted.
    best = best_of({
        "native": lambda: seconds_per_env_step(native, random_actions(native, vector_steps, 0)),
        "sync": lambda: seconds_per_env_step(sync, random_actions(sync, sync_steps, 0)),
    }, rounds)
    return best["native"], best["sync"], f"{native.kernel} kernel, press on {press_in_use(native)}"


class PartClock:
    """Wraps methods of one env so that each call adds its seconds to :attr:`seconds` under a part name."""

    def __init__(self, envs):
        self.seconds = dict.fromkeys(PARTS, 0.0)
        for part, method in (("actions", "_checked_actions"), ("kernel", "_press"), ("observation", "_observation"),
                             ("info", "_infos"), ("autoreset", "_reset_ended")):
            self._wrap(envs, part, method)

    def _wrap(self, envs, part: str, name: str):
        inner = getattr(envs, name)
        clock = time.perf_counter

        def timed(*args, **kwargs):
            start = clock()
            result = inner(*args, **kwargs)
            self.seconds[part] += clock() - start
            return result

        setattr(envs, name, timed)


def breakdown(num_envs: int, steps: int, rounds: int) -> tuple[dict[str, float], float, str]:
    """Seconds per step of each part of the native step, and of the whole step, best rounds."""
    envs = gym.make_vec(ENV_ID, num_envs=num_envs)
    twin = gym.make_vec(ENV_ID, num_envs=num_envs)
    # The twin's press skips the nearest bar: its press time is the kernel's, the difference the argmin's.
    twin._track_nearest = False
    if twin._compiled_press is not None:  # the compiled press takes it as an argument
        twin._press_arguments = twin._press_arguments[:11] + (False,) + twin._press_arguments[12:]
    clocks = {"envs": PartClock(envs), "twin": PartClock(twin)}
    best = dict.fromkeys(PARTS, float("inf"))
    for env in (envs, twin):
        env.reset(seed=0)
    for r in range(rounds):
        actions = random_actions(envs, steps, r)
        for clock in clocks.values():
            clock.seconds = dict.fromkeys(PARTS, 0.0)
        start = time.perf_counter()
        for batch in actions:
            envs.step(batch)
        total = time.perf_counter() - start
        for batch in actions:
            twin.step(batch)
        parts = dict(clocks["envs"].seconds)
        parts["argmin"] = max(parts["kernel"] - clocks["twin"].seconds["kernel"], 0.0)
        parts["kernel"] -= parts["argmin"]
        parts["rest"] = max(total - sum(parts.values()), 0.0)
        for part in PARTS:
            best[part] = min(best[part], parts[part] / steps)
    # Each part's best round, so the whole is their sum: a step as no interruption would have it.
    return best, sum(best.values()), envs.kernel


def run(quick: bool = False, num_envs: int = 64) -> list[Row]:
    # Rounds of about the same length on both sides (a few ms), many of them: on a shared machine the best
    # round is the one nobody interrupted, and a long round is seldom one.
    vector_steps, sync_steps, rounds = (10, 1, 2) if quick else (20, 4, 60)
    if quick:  # a smoke size: making 4 * 64 single envs for the SyncVectorEnv alone takes a while
        num_envs = min(num_envs, 8)
    native, sync, kernel = native_and_sync(num_envs, vector_steps, sync_steps, rounds)
    rows = []
    ratio = sync / native
    figures = (f"{num_envs} envs, {kernel}: LaunchpadVectorEnv {1 / native:,.0f} env-steps/s, "
               f"SyncVectorEnv {1 / sync:,.0f} env-steps/s")
    rows.append(Row(f"vector env, {num_envs} envs, native / sync", figures, ratio, TARGET, check(ratio, TARGET)))
    rate = 1 / native / MILLION
    rows.append(Row(f"vector env, {num_envs} envs, env-steps/s / 1M", f"{1 / native:,.0f} env-steps/s (best round)",
                    rate, RATE_TARGET, check(rate, RATE_TARGET)))

    big_native, big_sync, _ = native_and_sync(4 * num_envs, max(vector_steps // 4, 2), 1, max(rounds // 2, 2))
    rows.append(Row(f"vector env, {4 * num_envs} envs, native / sync",
                    f"LaunchpadVectorEnv {1 / big_native:,.0f} env-steps/s, SyncVectorEnv {1 / big_sync:,.0f}",
                    big_sync / big_native, ""))

    k = 10_000 if quick else 100_000
    wide = gym.make_vec(ENV_ID, num_envs=num_envs, corpus=mixed_corpus(k))
    wide.reset(seed=0)
    best = best_of({"wide": lambda: seconds_per_env_step(wide, random_actions(wide, 2, 1))}, rounds)["wide"]
    rows.append(Row(f"vector env, {num_envs} envs, {k // 1000}k-bar / shipped corpus, time per env-step",
                    f"{k} bars: {1 / best:,.0f} env-steps/s; shipped {1 / native:,.0f}", best / native, ""))

    parts, whole, _ = breakdown(num_envs, vector_steps, rounds)
    for part in PARTS:
        rows.append(Row(f"vector step, {num_envs} envs: {part}, share",
                        f"{parts[part] * 1e6:.1f} us of a {whole * 1e6:.1f} us step (each part's best round)",
                        parts[part] / whole, ""))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke size: a few steps")
    parser.add_argument("--num-envs", type=int, default=64)
    args = parser.parse_args(argv)
    print(table(run(args.quick, args.num_envs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
