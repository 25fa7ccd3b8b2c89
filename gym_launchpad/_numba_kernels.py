"""The incremental distance kernel compiled with numba, and the vector env's press built around it.

Imported only through :func:`gym_launchpad.reward.make_kernel`. numba is a dependency of the package; when
it is missing (an install made with ``--no-deps``), :class:`gym_launchpad.reward.NumpyKernel` runs, the
reference these functions are tested against.

Changing a row from word ``old`` to ``new`` flips the bits ``x = old ^ new``; the distance to a corpus bar
whose row is ``c`` moves by ``popcount(x) - 2 * popcount((c ^ old) & x)`` (each flipped bit either starts or
stops matching). The kernel reads each corpus row as four 16-bit planes (:func:`planes`), so that every
step of the loop, the popcount included, is 16-bit arithmetic, which LLVM vectorises to 16 lanes (a 64-bit
popcount would leave the int16 distances in 4-lane arithmetic and cost twice as much); a plane where ``x``
flips no bit is not read at all (a toggle of the sparser patterns flips one or two planes). One pass reads
the planes, updates the ``int16`` distances in place and keeps the minimum of each chunk of 64 bars; the
first bar at the smallest distance is then found in the first chunk that holds it.

The vector env's press may run its envs on numba's threads (:func:`press_parallel`) when the batch is big
enough to pay for waking them (:func:`parallel_possible`), and does when that has been faster lately
(:class:`AdaptivePress`); ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads`` bound the threads.
"""

from __future__ import annotations

from time import perf_counter

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

from gym_launchpad.launchpad import NOOP, TOGGLE

#: Larger than any distance (at most 128 rows * 64 steps).
_NO_DISTANCE = np.int16(32767)
#: A 64-bit row as four 16-bit planes: plane ``p`` holds steps ``16p .. 16p + 15``.
N_PLANES = 4
_PLANE_MASK = np.uint64(0xFFFF)
#: Bars per chunk whose minimum the pass keeps, so the first bar at the minimum is found in one chunk.
_CHUNK = 256
#: Distance updates (envs x corpus bars) a press must do before numba's threads may pay for waking.
PARALLEL_MIN_WORK = 65_536

_I16 = ir.IntType(16)


def _as_i16(builder, value, numba_type):
    return builder.trunc(value, _I16) if numba_type.bitwidth > 16 else value


@intrinsic
def _plane_count(typingctx, plane_word, old, flipped):
    """``popcount((plane_word ^ old) & flipped)`` on the low 16 bits of each, in 16-bit arithmetic.

    numba widens integer arithmetic to 64 bits; done in 16 bits here, the loop vectorises to 16 lanes
    (AVX2's popcount is nibble lookups either way)."""

    def codegen(context, builder, signature, args):
        a, o, f = (_as_i16(builder, v, t) for v, t in zip(args, signature.args, strict=True))
        return builder.ctpop(builder.and_(builder.xor(a, o), f))

    return types.int16(plane_word, old, flipped), codegen


@intrinsic
def _add16(typingctx, a, b):
    """``a + b`` in 16-bit arithmetic (no overflow: distances are at most 8192)."""

    def codegen(context, builder, signature, args):
        x, y = (_as_i16(builder, v, t) for v, t in zip(args, signature.args, strict=True))
        return builder.add(x, y)

    return types.int16(a, b), codegen


@intrinsic
def _moved(typingctx, distance, base, count):
    """``distance + base - 2 * count`` in 16-bit arithmetic: the distance after the row changed."""

    def codegen(context, builder, signature, args):
        d, b, c = (_as_i16(builder, v, t) for v, t in zip(args, signature.args, strict=True))
        return builder.sub(builder.add(d, b), builder.add(c, c))

    return types.int16(distance, base, count), codegen


@intrinsic
def _popcount(typingctx, word):
    """LLVM's ``ctpop`` of a uint64 word."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


def planes(columns: np.ndarray) -> np.ndarray:
    """``(N, K)`` uint64 columns as the ``(N, 4, K)`` uint16 planes the kernel reads."""
    shifts = (16 * np.arange(N_PLANES, dtype=np.uint64))[None, :, None]
    return np.ascontiguousarray((columns[:, None, :] >> shifts) & _PLANE_MASK, dtype=np.uint16)


# The three sweeps differ only in how many planes the count adds; each is one vectorised loop per chunk.
# Each returns the smallest new distance and the start of the first chunk holding it. (The inner loop runs
# over a slice of the chunk: written as ``range(start, min(start + 64, k))`` LLVM does not vectorise it.)
@njit(cache=True, nogil=True, boundscheck=False)
def _sweep1(distances, base, a, oa, fa):
    best, at, k = _NO_DISTANCE, 0, distances.shape[0]
    for start in range(0, k, _CHUNK):
        low, stop = _NO_DISTANCE, min(start + _CHUNK, k)
        chunk, pa = distances[start:stop], a[start:stop]
        for i in range(stop - start):
            value = _moved(chunk[i], base, _plane_count(pa[i], oa, fa))
            chunk[i] = value
            low = min(low, value)
        if low < best:
            best, at = low, start
    return best, at


@njit(cache=True, nogil=True, boundscheck=False)
def _sweep2(distances, base, a, oa, fa, b, ob, fb):
    best, at, k = _NO_DISTANCE, 0, distances.shape[0]
    for start in range(0, k, _CHUNK):
        low, stop = _NO_DISTANCE, min(start + _CHUNK, k)
        chunk, pa, pb = distances[start:stop], a[start:stop], b[start:stop]
        for i in range(stop - start):
            count = _add16(_plane_count(pa[i], oa, fa), _plane_count(pb[i], ob, fb))
            value = _moved(chunk[i], base, count)
            chunk[i] = value
            low = min(low, value)
        if low < best:
            best, at = low, start
    return best, at


@njit(cache=True, nogil=True, boundscheck=False)
def _sweep4(distances, base, a, b, c, d, old, flipped):
    oa, ob, oc, od = old & _PLANE_MASK, (old >> 16) & _PLANE_MASK, (old >> 32) & _PLANE_MASK, old >> 48
    fa, fb, fc, fd = (flipped & _PLANE_MASK, (flipped >> 16) & _PLANE_MASK, (flipped >> 32) & _PLANE_MASK,
                      flipped >> 48)
    best, at, k = _NO_DISTANCE, 0, distances.shape[0]
    for start in range(0, k, _CHUNK):
        low, stop = _NO_DISTANCE, min(start + _CHUNK, k)
        chunk, pa, pb, pc, pd = distances[start:stop], a[start:stop], b[start:stop], c[start:stop], d[start:stop]
        for i in range(stop - start):
            count = _add16(_add16(_plane_count(pa[i], oa, fa), _plane_count(pb[i], ob, fb)),
                           _add16(_plane_count(pc[i], oc, fc), _plane_count(pd[i], od, fd)))
            value = _moved(chunk[i], base, count)
            chunk[i] = value
            low = min(low, value)
        if low < best:
            best, at = low, start
    return best, at


@njit(cache=True, nogil=True, boundscheck=False)
def update_row(planes, distances, old, new, nearest):
    """Row ``old`` -> ``new`` against the row's planes ``(4, K)``: update ``distances`` in place.

    With ``nearest``, returns ``(smallest distance, first bar at it)`` from the same pass; else ``(-1, -1)``.
    """
    flipped = old ^ new
    if flipped == 0:  # e.g. an offset moved on a silent row: nothing changes, the minimum included
        if not nearest:
            return -1, -1
        return _first_min(distances)
    base = np.int16(_popcount(flipped))
    first, second, touched = -1, -1, 0
    for p in range(N_PLANES):
        if (flipped >> (16 * p)) & _PLANE_MASK:
            touched += 1
            if first < 0:
                first = p
            else:
                second = p
    if touched == 1:
        shift = 16 * first
        best, at = _sweep1(distances, base, planes[first], (old >> shift) & _PLANE_MASK,
                           (flipped >> shift) & _PLANE_MASK)
    elif touched == 2:
        s, t = 16 * first, 16 * second
        best, at = _sweep2(distances, base, planes[first], (old >> s) & _PLANE_MASK, (flipped >> s) & _PLANE_MASK,
                           planes[second], (old >> t) & _PLANE_MASK, (flipped >> t) & _PLANE_MASK)
    else:  # three planes cost as much as four: the fourth's flipped bits are zero and count nothing
        best, at = _sweep4(distances, base, planes[0], planes[1], planes[2], planes[3], old, flipped)
    if not nearest:
        return -1, -1
    while distances[at] != best:
        at += 1
    return int(best), at


@njit(cache=True, nogil=True, boundscheck=False)
def _first_min(distances):
    best, at, k = _NO_DISTANCE, 0, distances.shape[0]
    for start in range(0, k, _CHUNK):
        low, chunk = _NO_DISTANCE, distances[start:start + _CHUNK]
        for i in range(chunk.shape[0]):
            low = min(low, chunk[i])
        if low < best:
            best, at = low, start
    while distances[at] != best:
        at += 1
    return int(best), at


@njit(cache=True, nogil=True, boundscheck=False)
def update_rows(planes, distances, envs, rows, old, new, nearest, mins, argmins):
    """For each ``m``: env ``envs[m]`` changed row ``rows[m]`` from ``old[m]`` to ``new[m]``; with ``nearest``
    its smallest distance and first bar at it go to ``mins[envs[m]]``, ``argmins[envs[m]]``."""
    for m in range(envs.shape[0]):
        e = envs[m]
        best, at = update_row(planes[rows[m]], distances[e], old[m], new[m], nearest)
        if nearest:
            mins[e], argmins[e] = best, at


@njit(cache=True, nogil=True, boundscheck=False)
def first_mins(distances, envs, mins, argmins):
    """The smallest distance of each env ``envs[m]`` and its first bar, into ``mins``, ``argmins``."""
    for m in range(envs.shape[0]):
        mins[envs[m]], argmins[envs[m]] = _first_min(distances[envs[m]])


@njit(cache=True, nogil=True, boundscheck=False)
def _press_one(m, actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
               planes, distances, nearest, mins, argmins, obs, obs_positions, obs_values, last_actions, elapsed,
               limit):
    """Env ``envs[m]`` presses ``actions[m]`` (see :func:`press`); returns 1 if its episode reached ``limit``."""
    action, e = actions[m], envs[m]
    last_actions[e] = action
    elapsed[e] += 1
    at_limit = 1 if limit > 0 and elapsed[e] >= limit else 0
    kind = action_kind[action]
    if kind == NOOP:
        return at_limit
    n = action_note[action]
    mask, offset = masks[e, n], offsets[e, n]
    if kind == TOGGLE:
        mask ^= action_arg[action]
    else:
        offset = (offset + action_arg[action]) % steps
    masks[e, n], offsets[e, n] = mask, offset
    old, new = words[e, n], row_table[mask, offset]
    words[e, n] = new
    for p in range(obs_positions.shape[1]):
        obs[e, obs_positions[n, p]] = obs_values[mask, offset, p]
    best, at = update_row(planes[n], distances[e], old, new, nearest)
    if nearest:
        mins[e], argmins[e] = best, at
    return at_limit


@njit(cache=True, nogil=True, boundscheck=False)
def _first_outside(actions, n_actions):
    """The first ``m`` whose action is no button, or -1."""
    for m in range(actions.shape[0]):
        if actions[m] < 0 or actions[m] >= n_actions:
            return m
    return -1


@njit(cache=True, nogil=True, boundscheck=False)
def press(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
          planes, distances, nearest, mins, argmins, obs, obs_positions, obs_values, last_actions, elapsed, limit):
    """Each env ``envs[m]`` (distinct) presses ``actions[m]``, everything a press changes done in one call.

    The row's mask or offset (:meth:`LaunchpadState.apply`), its word (``row_table``), the env's distances
    and, with ``nearest``, its nearest bar (:func:`update_row`), the row's cells of the observation
    (``obs.reshape(-1)[obs_positions[n]] = obs_values[mask, offset]``, :func:`observation_table`), the env's
    last action and its elapsed steps. A no-op changes no row; its env keeps its ``mins`` and ``argmins``.

    Returns how many envs reached ``limit`` elapsed steps (0: no limit), or ``-1 - m`` if ``actions[m]`` is
    no button, having changed nothing.
    """
    bad = _first_outside(actions, action_kind.shape[0])
    if bad >= 0:
        return -1 - bad
    at_limit = 0
    for m in range(envs.shape[0]):
        at_limit += _press_one(m, actions, envs, action_kind, action_note, action_arg, steps, row_table, masks,
                               offsets, words, planes, distances, nearest, mins, argmins, obs, obs_positions,
                               obs_values, last_actions, elapsed, limit)
    return at_limit


@njit(cache=True, nogil=True, boundscheck=False, parallel=True)
def press_parallel(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
                   planes, distances, nearest, mins, argmins, obs, obs_positions, obs_values, last_actions, elapsed,
                   limit):
    """:func:`press` with the envs shared among numba's threads: each env's press writes only that env's
    rows of every array (envs are distinct), so no two threads touch the same element."""
    bad = _first_outside(actions, action_kind.shape[0])
    if bad >= 0:
        return -1 - bad
    at_limit = 0
    for m in prange(envs.shape[0]):
        at_limit += _press_one(m, actions, envs, action_kind, action_note, action_arg, steps, row_table, masks,
                               offsets, words, planes, distances, nearest, mins, argmins, obs, obs_positions,
                               obs_values, last_actions, elapsed, limit)
    return at_limit


def parallel_possible(num_envs: int, k: int) -> bool:
    """Whether a press of ``num_envs`` envs over ``k`` bars may be shared among numba's threads.

    Only a batch of at least :data:`PARALLEL_MIN_WORK` distance updates (below it, the ~12 us a parallel
    call costs to wake the threads, measured here, outweighs half the press), with more than one thread and
    a threading layer that wakes them in microseconds: OpenMP (numba's default where libgomp is installed)
    or TBB; numba's fallback ``workqueue`` took about 60 us a call here, more than the press it would share."""
    if num_envs < 2 or num_envs * k < PARALLEL_MIN_WORK or numba.get_num_threads() < 2:
        return False
    return numba.threading_layer() in ("omp", "tbb")


class AdaptivePress:
    """The vector env's press: :func:`press` or :func:`press_parallel`, whichever has been faster lately.

    Both give the same result; which is faster depends on the machine's load as much as on the batch. On
    an idle machine the threads share the press; where another process keeps a core busy, the thread numba
    wakes shares that core and the parallel press is slower than the serial one (measured here with one of
    two cores busy: 64 envs in 83 us against 70 us). So every :attr:`PROBE` -th press runs the other one;
    each keeps a moving average of its time per press, and the faster one runs the rest.
    """

    #: One press in PROBE tries the variant not in use.
    PROBE = 32
    #: Weight of the newest time in each average.
    WEIGHT = 0.25

    def __init__(self):
        self._variants = (press, press_parallel)
        self._seconds = [0.0, 0.0]  # 0: not timed yet
        self._current, self._calls = 0, 0

    @property
    def parallel(self) -> bool:
        """Whether the parallel press is the one in use."""
        return self._current == 1

    def __call__(self, *arguments):
        self._calls += 1
        variant = 1 - self._current if self._calls % self.PROBE == 0 else self._current
        start = perf_counter()
        result = self._variants[variant](*arguments)
        seconds = (perf_counter() - start) / max(len(arguments[0]), 1)  # per env: batches vary with autoresets
        previous = self._seconds[variant]
        self._seconds[variant] = seconds if previous == 0.0 else previous + self.WEIGHT * (seconds - previous)
        other = self._seconds[1 - self._current]
        if other and other < self._seconds[self._current]:
            self._current = 1 - self._current
        return result


def warm_up(batch: bool):
    """Load (or compile) the kernels a tracker calls, for the argument types it passes, now rather than in the
    first step: :func:`update_row` for one env, else those of a batch and the vector env's :func:`press`
    and :func:`press_parallel` (the launchpad's tables are read-only arrays, a type of their own). Each costs
    a cache load; the parallel press also starts numba's threading layer."""
    kernel_planes = np.zeros((1, N_PLANES, 1), dtype=np.uint16)
    distances = np.zeros((1, 1), dtype=np.int16)
    if not batch:
        update_row(kernel_planes[0], distances[0], np.uint64(0), np.uint64(1), True)
        return
    words = np.zeros(1, dtype=np.uint64)
    index = np.zeros(1, dtype=np.int64)
    update_rows(kernel_planes, distances, index, index, words, words, True, index.copy(), index.copy())
    first_mins(distances, index, index.copy(), index.copy())
    state = np.zeros((1, 1), dtype=np.int64)
    tables = (np.full(1, NOOP, dtype=np.int8), index.copy(), index.copy(), np.zeros((1, 1), dtype=np.uint64),
              state.copy(), np.zeros((1, 1, 1), dtype=np.int8))
    for table in tables:
        table.setflags(write=False)
    kind, note, arg, row_table, positions, values = tables
    for compiled in (press, press_parallel):
        compiled(index, index, kind, note, arg, 1, row_table, state, state.copy(), np.zeros((1, 1), dtype=np.uint64),
                 kernel_planes, distances, True, index.copy(), index.copy(), np.zeros((1, 1), dtype=np.int8),
                 positions, values, index.copy(), index.copy(), 0)
