"""Distances from a bar to the bars of a corpus: the reward, its incremental update, and its ceiling.

The paper's reward is ``R(s) = -min_i sum_j (m_ij - roll(s)_j)**2``; on binary bars that is minus the
smallest Hamming distance. The distance is a sum over pitch rows, and an action changes one row, so the
distance to every corpus bar is kept up to date with a popcount difference per bar and step, the nearest
bar found in the same pass (:class:`DistanceTracker`; :class:`BatchDistanceTracker` for many bars at once).
The kernel is compiled with numba (a dependency of the package); where numba is missing, the numpy
reference runs. The same decomposition makes the best
reward reachable from any state computable exactly (:func:`best_reachable_distance`): every row can be
chosen on its own; and the distance after every possible action a matter of one row each
(:func:`lookahead_distances`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
from gymnasium.error import DependencyNotInstalled

from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import NOOP, LaunchpadSpec, LaunchpadState, press_rows, rotate_words

REWARD_MODES = ("nearest", "sampled")

#: The paper's K: bars drawn from the corpus on every step in ``"sampled"`` mode.
DEFAULT_SAMPLE_SIZE = 1000

# A distance is at most N * 64 <= 128 * 64 = 8192, so int16 holds every one and halves the bytes touched.
DISTANCE_DTYPE = np.int16


def bar_distances(corpus_bars: np.ndarray, words: np.ndarray) -> np.ndarray:
    """Hamming distance from the bar ``words`` (N,) to every corpus bar ``(K, N)`` -> ``(K,)`` int."""
    return np.bitwise_count(np.asarray(corpus_bars) ^ np.asarray(words, dtype=np.uint64)).sum(axis=-1,
                                                                                              dtype=np.int64)


def silence_distance(corpus: Corpus) -> int:
    """Distance of the silent bar to the corpus: the fewest notes of any corpus bar."""
    return int(bar_distances(corpus.bars, np.zeros(corpus.spec.n_notes, dtype=np.uint64)).min())


def lookahead_distances(spec: LaunchpadSpec, columns: np.ndarray, distances: np.ndarray, masks, offsets) -> np.ndarray:
    """The ``"nearest"`` distance the bar would have after each action: ``(..., n_actions)`` int64.

    ``columns`` ``(N, K)`` holds row ``n`` of every corpus bar (a tracker's ``columns``); ``distances``
    ``(..., K)`` are the state's distances to every corpus bar and ``masks``, ``offsets`` ``(..., N)`` the
    state (leading axes: one per env). An action changes one row, so its distances are the state's, less
    that row's old count, plus its new one; nothing is changed.
    """
    masks, offsets, distances = np.asarray(masks), np.asarray(offsets), np.asarray(distances)
    if masks.ndim > 1:
        return np.stack([lookahead_distances(spec, columns, d, m, o)
                         for d, m, o in zip(distances, masks, offsets, strict=True)])
    result = np.empty(spec.n_actions, dtype=np.int64)
    result[spec.action_kind == NOOP] = distances.min()
    # One row at a time: its 2B+1 actions cost a (2B+1, K) block, never the (n_actions, K) of all at once.
    for row, actions in enumerate(spec.row_actions):
        column = columns[row]
        others = distances - np.bitwise_count(column ^ spec.row_table[masks[row], offsets[row]])
        masks_after, offsets_after = press_rows(spec, actions, masks[row], offsets[row])
        words_after = spec.row_table[masks_after, offsets_after]
        result[actions] = (others + np.bitwise_count(column ^ words_after[:, None])).min(axis=1)
    return result


def naive_distance(corpus_rolls: np.ndarray, roll: np.ndarray) -> tuple[float, int]:
    """The paper's formula on float piano rolls, kept as the reference the fast kernels are tested against.

    Returns ``(min_i sum_j (m_ij - roll_j)**2, argmin_i)``.
    """
    diff = np.asarray(corpus_rolls, dtype=np.float64) - np.asarray(roll, dtype=np.float64)[None]
    squared = (diff**2).reshape(len(diff), -1).sum(axis=1)
    i = int(np.argmin(squared))
    return float(squared[i]), i


#: The implementations of the incremental kernel; ``$GYM_LAUNCHPAD_KERNEL`` picks one, else the first installed.
KERNELS = ("numba", "numpy")


class NumpyKernel:
    """The incremental distance update in numpy ufuncs: the reference, and the fallback without numba.

    Changing row ``n`` of a bar from word ``old`` to ``new`` moves the distance to every corpus bar by
    ``popcount(column ^ new) - popcount(column ^ old)``, where ``column`` holds row ``n`` of every corpus
    bar. Recomputing the old count instead of storing ``(N, K)`` counts keeps a batch of envs at ``(E, K)``.
    Every update can also give the smallest distance and the first bar at it (``nearest``), as the
    compiled kernel does in the same pass; here that is numpy's ``argmin`` after it.
    """

    name = "numpy"
    #: No compiled press: :class:`~gym_launchpad.envs.LaunchpadVectorEnv` presses with numpy.
    press = None

    def __init__(self, k: int):
        self.threads = 1
        self._xor = np.empty(k, dtype=np.uint64)
        self._new = np.empty(k, dtype=np.uint8)
        self._old = np.empty(k, dtype=np.uint8)
        self._delta = np.empty(k, dtype=np.int8)
        # Bound the (rows, K) temporaries of a batched update to about 32 MB of words.
        self._chunk = max(1, (1 << 22) // k)

    @staticmethod
    def layout(columns: np.ndarray) -> np.ndarray:
        """The corpus columns as this kernel reads them: ``(N, K)`` uint64, as they are."""
        return columns

    def update_row(self, column, distances, old, new, nearest: bool) -> tuple[int, int]:
        np.bitwise_xor(column, new, out=self._xor)
        np.bitwise_count(self._xor, out=self._new)
        np.bitwise_xor(column, old, out=self._xor)
        np.bitwise_count(self._xor, out=self._old)
        # Counts are <= 64, so their difference fits int8, the narrowest array to add into the distances.
        np.subtract(self._new.view(np.int8), self._old.view(np.int8), out=self._delta)
        distances += self._delta
        if not nearest:
            return -1, -1
        i = int(distances.argmin())
        return int(distances[i]), i

    def update_rows(self, columns, distances, envs, rows, old, new, nearest: bool, mins, argmins):
        for start in range(0, len(envs), self._chunk):
            part = slice(start, start + self._chunk)
            block = columns[rows[part]]
            gained = np.bitwise_count(block ^ new[part, None]).view(np.int8)
            lost = np.bitwise_count(block ^ old[part, None]).view(np.int8)
            distances[envs[part]] += gained - lost
        if nearest:
            self.first_mins(distances, envs, mins, argmins)

    def first_mins(self, distances, envs, mins, argmins):
        if len(envs):
            rows = distances[envs]
            at = rows.argmin(axis=1)
            argmins[envs] = at
            mins[envs] = np.take_along_axis(rows, at[:, None], axis=1)[:, 0]


class NumbaKernel:
    """The same contract compiled by numba (``gym_launchpad._numba_kernels``): one fused pass per update
    over the row's corpus column as 16-bit planes (``layout``), the minimum taken in it, and the vector
    env's whole press in one call (``press``, which reads rows of ``pattern_counts`` instead), which a batch
    big enough may share among numba's threads (:class:`~gym_launchpad._numba_kernels.AdaptivePress`)."""

    name = "numba"

    def __init__(self, k: int, batch: bool = False, num_envs: int = 1):
        from gym_launchpad import _numba_kernels  # numba is a dependency, but an install may lack it

        # Load the compiled code (from numba's cache, else compiling it) now, not in the env's first step;
        # only what a single env, or a batch, calls: each function is a cache load of its own.
        _numba_kernels.warm_up(batch)
        self.update_row = _numba_kernels.update_row
        self.update_rows = _numba_kernels.update_rows
        self.first_mins = _numba_kernels.first_mins
        self.layout = _numba_kernels.planes
        self.pattern_counts = _numba_kernels.pattern_counts
        parallel = batch and _numba_kernels.parallel_possible(num_envs, k)
        self.press = _numba_kernels.AdaptivePress() if parallel else _numba_kernels.press
        #: The threads a press may use (numba's, bounded by ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``).
        self.threads = _numba_kernels.numba.get_num_threads() if parallel else 1


def make_kernel(k: int, backend: str | None = None, batch: bool = False, num_envs: int = 1):
    """The kernel for a corpus of ``k`` bars: ``backend``, else ``$GYM_LAUNCHPAD_KERNEL``, else numba if installed.

    ``batch``: for a :class:`BatchDistanceTracker` of ``num_envs`` envs (the compiled kernel loads what a
    batch calls, and decides whether its press is worth sharing among threads)."""
    backend = backend or os.environ.get("GYM_LAUNCHPAD_KERNEL") or None
    if backend not in (None, *KERNELS):
        raise ValueError(f"unknown distance kernel {backend!r}; choose one of {', '.join(map(repr, KERNELS))} "
                         "(or unset GYM_LAUNCHPAD_KERNEL)")
    if backend in (None, "numba"):
        try:
            return NumbaKernel(k, batch, num_envs)
        except ImportError:
            if backend == "numba":
                raise DependencyNotInstalled(
                    'the "numba" distance kernel needs numba, which pip install gym_launchpad installs; this '
                    'environment lacks it (installed with --no-deps?): pip install numba, or pip install '
                    '"gym_launchpad[fast]"'
                ) from None
    return NumpyKernel(k)


def _draw_bars(rng: np.random.Generator, cumulative_counts: np.ndarray, sample_size: int) -> np.ndarray:
    """``sample_size`` bar indices drawn without replacement from the corpus with its repeats."""
    positions = rng.choice(int(cumulative_counts[-1]), size=sample_size, replace=False)
    return np.searchsorted(cumulative_counts, positions, side="right")


class DistanceTracker:
    """Distances from one evolving bar to every corpus bar, updated one row at a time.

    ``distances[i]`` is the Hamming distance from the bar ``words`` to corpus bar ``i``. Changing row
    ``n`` moves every distance by the change in row ``n``'s own distance (see :class:`NumpyKernel`), so a
    step reads the ``K`` words of one column whatever ``N`` is. ``backend`` picks the kernel
    (:func:`make_kernel`).
    """

    def __init__(self, corpus: Corpus, backend: str | None = None):
        self.corpus = corpus
        # Row-major by pitch so an update reads one contiguous (K,) slice.
        self.columns = _columns(corpus)
        n, k = self.columns.shape
        self.words = np.zeros(n, dtype=np.uint64)
        self.distances = np.zeros(k, dtype=DISTANCE_DTYPE)
        self.kernel = make_kernel(k, backend)
        # One view per row of the columns as the kernel reads them, made once rather than on every step.
        self._column_rows = list(self.kernel.layout(self.columns))
        self.cumulative_counts = np.cumsum(corpus.counts)
        self._nearest = (0, 0)

    def reset(self, words: np.ndarray):
        """Recompute every distance for the bar ``words`` (N,)."""
        self.words[:] = words
        np.bitwise_count(self.columns ^ self.words[:, None]).sum(axis=0, dtype=DISTANCE_DTYPE, out=self.distances)
        i = int(self.distances.argmin())
        self._nearest = (int(self.distances[i]), i)

    def update(self, row: int, word) -> None:
        """Row ``row`` of the bar is now ``word``; the nearest bar is found in the same pass."""
        word = np.uint64(word)
        self._nearest = self.kernel.update_row(self._column_rows[row], self.distances, self.words[row], word, True)
        self.words[row] = word

    @property
    def row_counts(self) -> np.ndarray:
        """``(N, K)`` uint8: the distance of each row of the bar to that row of each corpus bar."""
        return np.bitwise_count(self.columns ^ self.words[:, None])

    def nearest(self) -> tuple[int, int]:
        """(smallest distance, index of the first corpus bar at it)."""
        return self._nearest

    def sampled(self, rng: np.random.Generator, sample_size: int) -> tuple[int, int]:
        """(smallest distance, its bar) over ``sample_size`` bars drawn without replacement.

        Bars are drawn from the corpus with its repeats (as the authors drew from their un-deduplicated
        bar list), so a bar that occurred ``c`` times is ``c`` times as likely to be drawn.
        """
        if sample_size >= self.cumulative_counts[-1]:
            return self.nearest()
        drawn = _draw_bars(rng, self.cumulative_counts, sample_size)
        j = int(np.argmin(self.distances[drawn]))
        return int(self.distances[drawn[j]]), int(drawn[j])


class BatchDistanceTracker:
    """:class:`DistanceTracker` for ``E`` bars at once: ``distances`` is ``(E, K)``, ``words`` is ``(E, N)``.

    Every method takes the envs it acts on as an index array and works on all of them in one kernel call.
    ``mins`` and ``argmins`` ``(E,)`` hold each env's smallest distance and first bar at it, kept up to date
    by every reset and by every update made with ``nearest``.
    """

    def __init__(self, corpus: Corpus, num_envs: int, backend: str | None = None):
        self.corpus = corpus
        self.columns = _columns(corpus)
        n, k = self.columns.shape
        self.words = np.zeros((num_envs, n), dtype=np.uint64)
        self.distances = np.zeros((num_envs, k), dtype=DISTANCE_DTYPE)
        self.kernel = make_kernel(k, backend, batch=True, num_envs=num_envs)
        #: The columns as the kernel reads them (:meth:`NumbaKernel.layout`); ``columns`` stay ``(N, K)`` words.
        self.kernel_columns = self.kernel.layout(self.columns)
        self.cumulative_counts = np.cumsum(corpus.counts)
        self.mins = np.zeros(num_envs, dtype=np.int64)
        self.argmins = np.zeros(num_envs, dtype=np.int64)

    def reset(self, envs: np.ndarray, words: np.ndarray):
        """Envs ``envs`` (M,) now play the bars ``words`` (M, N): recompute their distances."""
        envs = np.asarray(envs, dtype=np.int64)
        self.words[envs] = words
        for e in envs:  # once an episode; one (N, K) pass each keeps the temporaries small
            np.bitwise_count(self.columns ^ self.words[e][:, None]).sum(axis=0, dtype=DISTANCE_DTYPE,
                                                                         out=self.distances[e])
        self.kernel.first_mins(self.distances, envs, self.mins, self.argmins)

    def update(self, envs: np.ndarray, rows: np.ndarray, words: np.ndarray, nearest: bool = True):
        """Env ``envs[m]`` changed its row ``rows[m]`` to the word ``words[m]``; ``envs`` are distinct.

        With ``nearest`` their ``mins`` and ``argmins`` are updated in the same pass."""
        old = self.words[envs, rows]
        new = np.asarray(words, dtype=np.uint64)
        self.kernel.update_rows(self.kernel_columns, self.distances, envs, rows, old, new, nearest, self.mins,
                                self.argmins)
        self.words[envs, rows] = new

    def nearest(self) -> tuple[np.ndarray, np.ndarray]:
        """``(E,)`` smallest distances and ``(E,)`` index of the first corpus bar at each (copies)."""
        return self.mins.copy(), self.argmins.copy()

    def sampled(self, envs: np.ndarray, rngs, sample_size: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`DistanceTracker.sampled` for envs ``envs`` (M,), env ``envs[m]`` drawing from ``rngs[m]``."""
        envs = np.asarray(envs, dtype=np.int64)
        if sample_size >= self.cumulative_counts[-1] or not len(envs):
            mins, argmins = self.nearest()
            return mins[envs], argmins[envs]
        # Each env draws from its own generator, so it draws exactly what a single env seeded alike would.
        drawn = np.stack([_draw_bars(rng, self.cumulative_counts, sample_size) for rng in rngs])
        distances = self.distances[envs[:, None], drawn]
        bars = np.take_along_axis(drawn, distances.argmin(axis=1)[:, None], axis=1)[:, 0]
        return distances.min(axis=1).astype(np.int64), bars


def _columns(corpus: Corpus) -> np.ndarray:
    """``(N, K)``: row ``n`` of every corpus bar, contiguous so an update reads one slice; always a writable
    copy, so the compiled kernels see one array type whatever the corpus arrays are."""
    return np.array(corpus.bars.T, order="C")


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
