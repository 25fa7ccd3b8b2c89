"""Distances from a bar to the bars of a corpus: the reward, its incremental update, and its ceiling.

The paper's reward is ``R(s) = -min_i sum_j (m_ij - roll(s)_j)**2``; on binary bars that is minus the
smallest Hamming distance. The distance is a sum over pitch rows, and an action changes one row, so the
distance to every corpus bar is kept up to date with one XOR and one popcount per bar and step
(:class:`DistanceTracker`). The same decomposition makes the best reward reachable from any state
computable exactly (:func:`best_reachable_distance`): every row can be chosen on its own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState, rotate_words

REWARD_MODES = ("nearest", "sampled")

#: The paper's K: bars drawn from the corpus on every step in ``"sampled"`` mode.
DEFAULT_SAMPLE_SIZE = 1000

# A distance is at most N * 64 <= 128 * 64 = 8192, so int16 holds every one and halves the bytes touched.
DISTANCE_DTYPE = np.int16


def bar_distances(corpus_bars: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Hamming distance from the bar ``words`` (N,) to every corpus bar ``(K, N)`` -> ``(K,)`` int."""
    return np.bitwise_count(np.asarray(corpus_bars) ^ np.asarray(words, dtype=np.uint64)).sum(axis=-1,
                                                                                              dtype=np.int64)


def naive_distance(corpus_rolls: np.ndarray, roll: np.ndarray) -> tuple[float, int]:
    """The paper's formula on float piano rolls, kept as the reference the fast kernels are tested against.

    Returns ``(min_i sum_j (m_ij - roll_j)**2, argmin_i)``.
    """
    diff = np.asarray(corpus_rolls, dtype=np.float64) - np.asarray(roll, dtype=np.float64)[None]
    squared = (diff**2).reshape(len(diff), -1).sum(axis=1)
    i = int(np.argmin(squared))
    return float(squared[i]), i


class DistanceTracker:
    """Distances from one evolving bar to every corpus bar, updated one row at a time.

    ``row_counts[n, i]`` is the Hamming distance of row ``n`` to row ``n`` of corpus bar ``i``; their sum
    over rows is ``distances[i]``. Changing row ``n`` recomputes one ``(K,)`` row of counts and moves the
    sums by the difference, so a step touches ``K`` words whatever ``N`` is.
    """

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        # Row-major by pitch so an update reads one contiguous (K,) slice.
        self.columns = np.ascontiguousarray(corpus.bars.T)
        n, k = self.columns.shape
        self.row_counts = np.zeros((n, k), dtype=np.uint8)
        self.distances = np.zeros(k, dtype=DISTANCE_DTYPE)
        self._xor = np.empty(k, dtype=np.uint64)
        self._count = np.empty(k, dtype=np.uint8)
        self.cumulative_counts = np.cumsum(corpus.counts)

    def reset(self, words: np.ndarray):
        """Recompute every distance for the bar ``words`` (N,)."""
        np.bitwise_count(self.columns ^ np.asarray(words, dtype=np.uint64)[:, None], out=self.row_counts)
        self.row_counts.sum(axis=0, dtype=DISTANCE_DTYPE, out=self.distances)

    def update(self, row: int, word) -> None:
        """Row ``row`` of the bar is now ``word``."""
        np.bitwise_xor(self.columns[row], np.uint64(word), out=self._xor)
        np.bitwise_count(self._xor, out=self._count)
        self.distances -= self.row_counts[row]
        self.distances += self._count
        self.row_counts[row] = self._count

    def nearest(self) -> tuple[int, int]:
        """(smallest distance, index of the first corpus bar at it)."""
        i = int(np.argmin(self.distances))
        return int(self.distances[i]), i

    def sampled(self, rng: np.random.Generator, sample_size: int) -> tuple[int, int]:
        """(smallest distance, its bar) over ``sample_size`` bars drawn without replacement.

        Bars are drawn from the corpus with its repeats (as the authors drew from their un-deduplicated
        bar list), so a bar that occurred ``c`` times is ``c`` times as likely to be drawn.
        """
        total = int(self.cumulative_counts[-1])
        if sample_size >= total:
            return self.nearest()
        positions = rng.choice(total, size=sample_size, replace=False)
        drawn = np.searchsorted(self.cumulative_counts, positions, side="right")
        j = int(np.argmin(self.distances[drawn]))
        return int(self.distances[drawn[j]]), int(drawn[j])


@dataclass(frozen=True)
class Ceiling:
    """The best reward reachable anywhere in the state space, and a state that reaches it."""

    distance: int
    bar_index: int
    state: LaunchpadState

    @property
    def reward(self) -> float:
        return -float(self.distance)


def best_row_fits(spec: LaunchpadSpec, words: np.ndarray):
    """For each target row word, the closest row a launchpad row can play.

    Returns ``(distance, mask, offset)`` arrays shaped like ``words``. A row is the rotation by ``offset`` of
    a union of disjoint basis patterns, so once the offset is fixed each pattern is chosen on its own: it
    is worth turning on exactly when it covers more target cells than it misses.
    """
    words = np.asarray(words, dtype=np.uint64)
    flat = words.reshape(-1)
    offsets = np.arange(spec.steps)
    # Undo each possible offset: the target as it would look before the row's rotation.
    unrotated = rotate_words(flat[:, None], (spec.steps - offsets)[None, :], spec.bar_bits)  # (U, steps)
    patterns = spec.pattern_words
    sizes = np.bitwise_count(patterns).astype(np.int64)
    covered = np.bitwise_count(unrotated[..., None] & patterns).astype(np.int64)  # (U, steps, B+1)
    cost = np.minimum(covered, sizes - covered).sum(axis=-1)  # (U, steps)
    best_offset = np.argmin(cost, axis=1)
    rows = np.arange(len(flat))
    best_cost = cost[rows, best_offset]
    on = covered[rows, best_offset] * 2 > sizes
    mask = (on * (1 << np.arange(spec.n_patterns))).sum(axis=1)
    shape = words.shape
    return best_cost.reshape(shape), mask.reshape(shape), best_offset.reshape(shape)


def best_reachable_distance(corpus: Corpus, spec: LaunchpadSpec | None = None) -> Ceiling:
    """The exact minimum of the distance over the whole state space, and a state that attains it.

    The distance to bar ``i`` is a sum of independent per-row terms, so its minimum over states is the
    sum of per-row minima (:func:`best_row_fits`); the ceiling is the smallest such sum over bars.
    """
    spec = corpus.spec if spec is None else spec
    corpus.check_spec(spec, what="best_reachable_distance")
    return _ceiling_cached(corpus.hash, corpus)


@functools.lru_cache(maxsize=32)
def _ceiling_cached(_hash: str, corpus: Corpus) -> Ceiling:
    spec = corpus.spec
    # Many corpus rows repeat (silent rows above all); fit each distinct word once.
    values, inverse = np.unique(corpus.bars, return_inverse=True)
    cost, mask, offset = best_row_fits(spec, values)
    inverse = inverse.reshape(corpus.bars.shape)
    per_bar = cost[inverse].sum(axis=1)
    i = int(np.argmin(per_bar))
    state = LaunchpadState(spec, mask[inverse[i]].astype(np.int64), offset[inverse[i]].astype(np.int64))
    return Ceiling(int(per_bar[i]), i, state)


def brute_force_best_distance(corpus: Corpus) -> int:
    """The ceiling by enumerating every state; only for tiny specs (tests)."""
    spec = corpus.spec
    row_words = np.unique(spec.row_table)
    n_states = len(row_words) ** spec.n_notes
    if n_states > 2_000_000:
        raise ValueError(f"brute force over {n_states} distinct bars is too large; use best_reachable_distance")
    grids = np.meshgrid(*[row_words] * spec.n_notes, indexing="ij")
    bars = np.stack([g.reshape(-1) for g in grids], axis=1)  # (states, N)
    return int(np.bitwise_count(bars[:, None, :] ^ corpus.bars[None]).sum(axis=-1).min())
