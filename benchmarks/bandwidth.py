"""How close is the incremental kernel to the memory-bandwidth floor of a step?

A step must read the changed row of all ``K`` corpus bars (``K`` uint64 words, one column) and read and
write the ``K`` int16 distances: ``12 K`` bytes, counted here (``8 K`` without the distances is printed
too). The floor is those bytes over this machine's read bandwidth, measured in the same run as the best
of ``numpy.sum`` over a 256 MB array. The kernel's time is ``DistanceTracker.update`` of a random row then
``nearest()``, at 100k bars (columns of 800 kB: one column fits in cache, the 24 of them only in L3), for the
numba kernel and the numpy reference. Target: the kernel within 2x of the floor.

The vector step's floor: a step of ``E`` envs that read whole columns reads ``E`` columns and reads and
writes ``E`` rows of distances, ``12 K E`` bytes, out of a working set (all ``N`` columns and the ``(E, K)``
distances, 1.3 MB for the shipped corpus at 64 envs) that stays in the caches; so its floor is those bytes
over the read bandwidth of ``numpy.sum`` (one core) over an array of the working set's size, in the same
run. Against it: the vector env's press of 64 envs (the compiled kernel: rows, distances, nearest bars and
observation rows of all envs, on one thread or on numba's, as ``AdaptivePress`` chose). The compiled press
reads less than a whole column for most presses (a byte a bar for a toggle of a dense pattern, two bytes
for each 16-bit plane a press flips), so it can run below this floor; with both cores reading, the floor
of whole columns would be about half.

    python benchmarks/bandwidth.py [--quick]
"""

from __future__ import annotations

import sys
import time

import gymnasium as gym
import numpy as np
from _common import Row, best_of, check, quick_main, synthetic_corpus
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.reward import KERNELS, DistanceTracker

TARGET = "<= 2x"


def read_bandwidth(megabytes: int, rounds: int) -> float:
    """Bytes per second of ``numpy.sum`` over a ``megabytes`` float64 array, best of ``rounds``."""
    data = np.ones(megabytes * (1 << 20) // 8)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        data.sum()
        best = min(best, time.perf_counter() - start)
    return data.nbytes / best


def press_seconds(envs, actions: np.ndarray) -> float:
    """Seconds per press of every env (the kernel of a vector step), over ``actions`` ``(steps, E)``."""
    start = time.perf_counter()
    for batch in actions:
        envs._press(envs._all, batch)
    return (time.perf_counter() - start) / len(actions)


def vector_floor(quick: bool, num_envs: int = 64) -> Row:
    envs = gym.make_vec("gym_launchpad/Launchpad-v0", num_envs=num_envs)
    envs.reset(seed=0)
    n, k = envs._tracker.columns.shape
    working_set = envs._tracker.columns.nbytes + envs._tracker.distances.nbytes
    cache_megabytes = max(1, round(working_set / (1 << 20)))
    rounds = 3 if quick else 40
    rng = np.random.default_rng(0)
    actions = rng.integers(0, envs.single_action_space.n, (10, num_envs))
    best = best_of({"press": lambda: press_seconds(envs, actions),
                    "cache": lambda: 1.0 / read_bandwidth(cache_megabytes, 20)}, rounds)
    bandwidth = 1.0 / best["cache"]
    floor = 12 * k * num_envs / bandwidth
    ratio = best["press"] / floor
    threads = envs._tracker.kernel.threads if getattr(envs._compiled_press, "parallel", False) else 1
    figures = (f"{num_envs} envs x {k} bars: {12 * k * num_envs / 1e6:.1f} MB a step of whole columns from a "
               f"{working_set / 1e6:.1f} MB working set; one core's read bandwidth over {cache_megabytes} MB "
               f"{bandwidth / 1e9:.1f} GB/s, floor {floor * 1e6:.1f} us a step ({num_envs / floor:,.0f} env-steps/s); "
               f"press ({envs.kernel}, {threads} thread{'s' if threads > 1 else ''} last) "
               f"{best['press'] * 1e6:.1f} us ({num_envs / best['press']:,.0f} env-steps/s)")
    return Row(f"vector step kernel / cache floor, {num_envs} envs, shipped corpus", figures, ratio, "")


def kernel_step(tracker: DistanceTracker, rows: list, words: list) -> float:
    start = time.perf_counter()
    for row, word in zip(rows, words, strict=True):
        tracker.update(row, word)
        tracker.nearest()
    return (time.perf_counter() - start) / len(rows)


def run(quick: bool = False) -> list[Row]:
    k, steps, rounds, megabytes = (10_000, 50, 2, 32) if quick else (100_000, 1000, 7, 256)
    corpus = synthetic_corpus(k)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, corpus.spec.n_notes, steps).tolist()
    words = [np.uint64(w) for w in corpus.bars[rng.integers(0, k, steps), rows]]
    trackers = {}
    for backend in KERNELS:
        try:
            trackers[backend] = DistanceTracker(corpus, backend=backend)
        except DependencyNotInstalled:  # numba missing: the numpy reference alone
            continue
        trackers[backend].reset(corpus.bars[0])
        kernel_step(trackers[backend], rows[:2], words[:2])  # compile / warm up
    runs = {name: (lambda t=tracker: kernel_step(t, rows, words)) for name, tracker in trackers.items()}
    runs["bandwidth"] = lambda: 1.0 / read_bandwidth(megabytes, 3)
    best = best_of(runs, rounds)
    bandwidth = 1.0 / best["bandwidth"]
    floor, floor_words = 12 * k / bandwidth, 8 * k / bandwidth
    main = next(iter(trackers))
    ratio = best[main] / floor
    kernels = ", ".join(f"{name} {best[name] * 1e6:.1f} us ({best[name] / floor:.2f}x)" for name in trackers)
    figures = (f"{k} bars: read bandwidth {bandwidth / 1e9:.1f} GB/s; floor {floor * 1e6:.1f} us for 12K bytes "
               f"({floor_words * 1e6:.1f} us for the 8K bytes of words alone); update+nearest {kernels}")
    return [Row(f"kernel time / bandwidth floor, {main}", figures, ratio, TARGET, check(ratio, TARGET)),
            vector_floor(quick)]


def main(argv=None) -> int:
    return quick_main(__doc__.splitlines()[0], run, "a smoke size: 10k bars, a 32 MB array", argv)


if __name__ == "__main__":
    sys.exit(main())
