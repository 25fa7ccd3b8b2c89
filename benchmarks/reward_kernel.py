"""How much faster is the incremental reward than the authors' per-step computation?

The authors' way, every step: draw 1000 corpus bars without replacement, and take the smallest float squared
distance from the bar to them, over ``(1000, N, 2**B)`` float64 piano rolls (pretty_midi's type, which they
kept). Ours: the one changed row moves every distance by a popcount
difference (``DistanceTracker.update``), then the smallest over *all* ``K`` bars (``nearest``). Both run on
the same sequence of random single-row changes, on the shipped corpus and on synthetic corpora of 10k and
100k bars. Target: >= 100x.

    python benchmarks/reward_kernel.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _common import Row, best_of, check, quick_main, synthetic_corpus

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState
from gym_launchpad.reward import DEFAULT_SAMPLE_SIZE, DistanceTracker

TARGET = ">= 100x"


def random_changes(spec: LaunchpadSpec, steps: int, seed: int = 0):
    """``steps`` (row, word, roll) triples: a random walk of single-row edits, as an agent makes them."""
    rng = np.random.default_rng(seed)
    state = LaunchpadState.empty(spec)
    changes = []
    while len(changes) < steps:
        row = state.apply(int(rng.integers(spec.noop_action)))
        words = state.words()
        changes.append((row, words[row], spec.words_to_roll(words).astype(np.float64)))
    return changes


class AuthorsReward:
    """The float squared distance to ``sample_size`` bars drawn afresh each step."""

    def __init__(self, corpus: Corpus, sample_size: int = DEFAULT_SAMPLE_SIZE, seed: int = 0):
        self.rolls = corpus.rolls().astype(np.float64)
        self.sample_size = min(sample_size, len(corpus))
        self.rng = np.random.default_rng(seed)

    def __call__(self, roll: np.ndarray) -> float:
        drawn = self.rng.choice(len(self.rolls), size=self.sample_size, replace=False)
        squared = ((self.rolls[drawn] - roll) ** 2).reshape(self.sample_size, -1).sum(axis=1)
        return -float(squared.min())


def incremental_steps(tracker: DistanceTracker, changes) -> float:
    start = time.perf_counter()
    for row, word, _ in changes:
        tracker.update(row, word)
        tracker.nearest()
    return (time.perf_counter() - start) / len(changes)


def authors_steps(authors: AuthorsReward, changes) -> float:
    start = time.perf_counter()
    for _, _, roll in changes:
        authors(roll)
    return (time.perf_counter() - start) / len(changes)


def run(quick: bool = False) -> list[Row]:
    sizes = {"shipped": None, "10k": 10_000} if quick else {"shipped": None, "10k": 10_000, "100k": 100_000}
    authors_count, ours_count, rounds = (10, 200, 2) if quick else (200, 5000, 5)
    spec = LaunchpadSpec()
    changes = random_changes(spec, ours_count)
    rows = []
    for name, k in sizes.items():
        corpus = Corpus.default() if k is None else synthetic_corpus(k)
        tracker = DistanceTracker(corpus)
        tracker.reset(LaunchpadState.empty(spec).words())
        authors = AuthorsReward(corpus)
        ours_changes = changes[: max(50, ours_count * 4_000 // len(corpus))]  # about the same time per round
        best = best_of({
            "ours": lambda t=tracker, c=ours_changes: incremental_steps(t, c),
            "authors": lambda a=authors: authors_steps(a, changes[:authors_count]),
        }, rounds)
        ratio = best["authors"] / best["ours"]
        figures = (f"{len(corpus)} bars: incremental ({tracker.kernel.name}) {best['ours'] * 1e6:.2f} us/step over all "
                   f"bars, authors' {best['authors'] * 1e6:.0f} us/step over {authors.sample_size}")
        rows.append(Row(f"reward, {name} corpus, authors' / incremental", figures, ratio, TARGET,
                        check(ratio, TARGET)))
        del authors
    return rows


def main(argv=None) -> int:
    return quick_main(__doc__.splitlines()[0], run, "a smoke size: no 100k corpus, a few steps", argv)


if __name__ == "__main__":
    sys.exit(main())
