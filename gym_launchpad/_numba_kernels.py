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
the planes, updates the ``int16`` distances in place and keeps their minimum; the first bar at it is then
found by a second, vectorised pass over the distances just written (:func:`_nearest`).

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
#: Distances per block of the search for the first bar at the minimum: its positions fit 16 bits.
_BLOCK = np.int16(1024)
#: Distance updates (envs x corpus bars) a press must do before numba's threads may pay for waking.
PARALLEL_MIN_WORK = 65_536

#: The dense patterns, 1..4 (32, 16, 8 and 4 steps of a 64-step bar): :func:`pattern_counts` holds how
#: many of their steps each corpus row plays; the others (0, 5, 6: one or two steps) it holds step by step.
N_DENSE = 4
DENSE_PATTERNS = 0b11110
#: Rows of :func:`pattern_counts`: the rotations of the dense patterns (2 + 4 + 8 + 16), then one a step,
#: then a row of zeros (what pads a pass of four rows).
_STEP_ROWS = 30
_ZERO_ROW = _STEP_ROWS + 64
PATTERN_COUNT_ROWS = _ZERO_ROW + 1
#: The largest :func:`pattern_counts` made (64 MiB: 29k bars at 24 rows; the shipped corpus takes 9 MB).
MAX_PATTERN_COUNT_BYTES = 64 << 20
#: Terms a press can leave: each dense pattern out and in, and each step of the others out and in.
_MAX_TERMS = 2 * N_DENSE + 8

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
def _scaled(typingctx, distance, base, scale, count):
    """``distance + base + scale * count`` in 16-bit arithmetic, ``count`` a uint8."""

    def codegen(context, builder, signature, args):
        d, b, s = (_as_i16(builder, v, t) for v, t in zip(args[:3], signature.args[:3], strict=True))
        c = builder.zext(args[3], _I16) if signature.args[3].bitwidth < 16 else _as_i16(builder, args[3],
                                                                                          signature.args[3])
        return builder.add(builder.add(d, b), builder.mul(s, c))

    return types.int16(distance, base, scale, count), codegen


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


def pattern_counts(columns: np.ndarray, row_table: np.ndarray) -> np.ndarray:
    """``(N, 95, K)`` uint8: how many steps of each dense pattern, at each of its rotations, every corpus row
    plays (rows ``arg - 2 + r % arg`` for pattern ``p``, ``arg = 2**p``, at offset ``r``: its steps
    ``row_table[arg, r]`` are the same for every ``r`` of one residue mod ``arg``), then whether it plays each
    step (row ``30 + b``), then zeros; or an empty ``(N, 0, K)`` array when that would take more than
    :data:`MAX_PATTERN_COUNT_BYTES`.

    A step added to a row moves the distance to a corpus row by ``+1`` where that row is silent, ``-1`` where
    it plays: ``1 - 2 * plays``; removed, the other way round. So a press reads one byte a bar for each
    dense pattern it switches or moves and each other step it changes, rather than four 16-bit planes.
    """
    n, k = columns.shape
    if n * PATTERN_COUNT_ROWS * k > MAX_PATTERN_COUNT_BYTES:
        return np.zeros((n, 0, k), dtype=np.uint8)
    table = np.zeros((n, PATTERN_COUNT_ROWS, k), dtype=np.uint8)
    for pattern in range(1, N_DENSE + 1):
        arg = 1 << pattern
        if arg < row_table.shape[0]:  # the launchpad has this pattern
            for r in range(arg):
                table[:, arg - 2 + r] = np.bitwise_count(columns & row_table[arg, r])
    for step in range(row_table.shape[1]):
        table[:, _STEP_ROWS + step] = (columns >> np.uint64(step)) & np.uint64(1)
    return table


# Each sweep is one vectorised loop that updates the distances and returns the smallest of them; the four
# differ only in what a bar's change is computed from.
@njit(cache=True, nogil=True, boundscheck=False)
def _sweep1(distances, base, a, oa, fa):
    best = _NO_DISTANCE
    for i in range(distances.shape[0]):
        value = _moved(distances[i], base, _plane_count(a[i], oa, fa))
        distances[i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _sweep2(distances, base, a, oa, fa, b, ob, fb):
    best = _NO_DISTANCE
    for i in range(distances.shape[0]):
        value = _moved(distances[i], base, _add16(_plane_count(a[i], oa, fa), _plane_count(b[i], ob, fb)))
        distances[i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _sweep4(distances, base, a, b, c, d, old, flipped):
    oa, ob, oc, od = old & _PLANE_MASK, (old >> 16) & _PLANE_MASK, (old >> 32) & _PLANE_MASK, old >> 48
    fa, fb, fc, fd = (flipped & _PLANE_MASK, (flipped >> 16) & _PLANE_MASK, (flipped >> 32) & _PLANE_MASK,
                      flipped >> 48)
    best = _NO_DISTANCE
    for i in range(distances.shape[0]):
        count = _add16(_add16(_plane_count(a[i], oa, fa), _plane_count(b[i], ob, fb)),
                       _add16(_plane_count(c[i], oc, fc), _plane_count(d[i], od, fd)))
        value = _moved(distances[i], base, count)
        distances[i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _nearest(distances, best, nearest):
    """``(best, first bar at it)``, or ``(-1, -1)`` without ``nearest``.

    The first position is a minimum over positions (those not at ``best`` count as the block's size), taken
    in blocks whose positions fit 16 bits, so that it vectorises as the sweeps do; a loop that stops at the
    first match does not, and cost more than the sweep."""
    if not nearest:
        return -1, -1
    for start in range(0, distances.shape[0], _BLOCK):
        block = distances[start:start + _BLOCK]
        first = _BLOCK
        for i in range(block.shape[0]):
            first = min(first, np.int16(i) if block[i] == best else _BLOCK)
        if first < _BLOCK:
            return int(best), start + int(first)
    return int(best), -1  # not reached: best is one of the distances


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
        best = _sweep1(distances, base, planes[first], (old >> shift) & _PLANE_MASK,
                           (flipped >> shift) & _PLANE_MASK)
    elif touched == 2:
        s, t = 16 * first, 16 * second
        best = _sweep2(distances, base, planes[first], (old >> s) & _PLANE_MASK, (flipped >> s) & _PLANE_MASK,
                           planes[second], (old >> t) & _PLANE_MASK, (flipped >> t) & _PLANE_MASK)
    else:  # three planes cost as much as four: the fourth's flipped bits are zero and count nothing
        best = _sweep4(distances, base, planes[0], planes[1], planes[2], planes[3], old, flipped)
    return _nearest(distances, best, nearest)


@njit(cache=True, nogil=True, boundscheck=False)
def _first_min(distances):
    best = _NO_DISTANCE
    for i in range(distances.shape[0]):
        best = min(best, distances[i])
    return _nearest(distances, best, True)


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
def _press_buttons(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
                   obs, obs_positions, obs_values, last_actions, elapsed, with_counts, rows, old, new, removed,
                   n_removed, added, n_added):
    """The cheap part of :func:`press`, for every env: the button, row, word, observation, last action and
    elapsed steps. Leaves what each env's distances need (:func:`_update_env`): its changed row ``rows[m]``
    (-1: none), its words ``old[m]`` -> ``new[m]``, and ``with_counts`` the rows of :func:`pattern_counts`
    that the press removes, ``removed[m, :n_removed[m]]``, and adds, ``added[m, :n_added[m]]``: a dense
    pattern switched off or on or moved to another rotation, and each other step it changes."""
    dense = DENSE_PATTERNS if with_counts else 0
    for m in range(envs.shape[0]):
        action, e = actions[m], envs[m]
        last_actions[e] = action
        elapsed[e] += 1
        kind, arg = action_kind[action], action_arg[action]
        rows[m] = -1
        if kind == NOOP:
            continue
        n = action_note[action]
        was, before = masks[e, n], offsets[e, n]
        mask, offset = was, before
        if kind == TOGGLE:
            mask ^= arg
        else:
            offset = (offset + arg) & (steps - 1)
        masks[e, n], offsets[e, n] = mask, offset
        rows[m], old[m], new[m] = n, words[e, n], row_table[mask, offset]
        words[e, n] = new[m]
        for p in range(obs_positions.shape[1]):
            obs[e, obs_positions[n, p]] = obs_values[mask, offset, p]
        gone, come = 0, 0
        if dense:
            for pattern in range(1, N_DENSE + 1):
                bit = 1 << pattern
                out, into = bit - 2 + (before & (bit - 1)), bit - 2 + (offset & (bit - 1))
                if was & bit and not (mask & bit and out == into):
                    removed[m, gone], gone = out, gone + 1
                if mask & bit and not (was & bit and out == into):
                    added[m, come], come = into, come + 1
            before_steps, after_steps = row_table[was & ~dense, before], row_table[mask & ~dense, offset]
            changed = before_steps ^ after_steps
            while changed:
                lowest = changed & (~changed + np.uint64(1))
                step = _STEP_ROWS + np.int64(_popcount(lowest - np.uint64(1)))
                if after_steps & lowest:
                    added[m, come], come = step, come + 1
                else:
                    removed[m, gone], gone = step, gone + 1
                changed ^= lowest
        n_removed[m], n_added[m] = gone, come


# The press's passes index the whole arrays (env e, row n) rather than take views of them: a view costs a
# reference count taken and dropped, which for 64 envs a press cost more than their passes on a small corpus.
@njit(cache=True, nogil=True, boundscheck=False)
def _pass1(distances, e, base, scale, counts, n, row):
    best = _NO_DISTANCE
    for i in range(distances.shape[1]):
        value = _scaled(distances[e, i], base, scale, counts[n, row, i])
        distances[e, i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _pass2(distances, e, base, counts, n, a, scale_a, b, scale_b):
    best = _NO_DISTANCE
    for i in range(distances.shape[1]):
        value = _scaled(_scaled(distances[e, i], base, scale_a, counts[n, a, i]), 0, scale_b, counts[n, b, i])
        distances[e, i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _pass4(distances, e, base, counts, n, a, b, c, d):
    """Four rows of counts in one pass: ``a``, ``b`` count steps removed (+2 each), ``c``, ``d`` added (-2)."""
    best = _NO_DISTANCE
    two = np.int16(2)
    for i in range(distances.shape[1]):
        count = _add16(counts[n, a, i], counts[n, b, i]) - _add16(counts[n, c, i], counts[n, d, i])
        value = _scaled(distances[e, i], base, two, count)
        distances[e, i] = value
        best = min(best, value)
    return best


@njit(cache=True, nogil=True, boundscheck=False)
def _update_env(planes, counts, distances, n, e, old, new, removed, n_removed, added, n_added, m, nearest):
    """Env ``e``'s distances after a press on row ``n``, ``old`` -> ``new`` (:func:`_press_buttons` says how):
    passes over them that add up to four rows of counts each (the last keeps the minimum), or, without
    counts, the planes' popcount update."""
    if counts.shape[1] == 0 or n_removed[m] + n_added[m] == 0:
        return update_row(planes[n], distances[e], old, new, nearest)
    # Each step added moves a bar by 1 - 2 * plays, removed by 2 * plays - 1; the +-1s sum to the change in
    # the row's popcount, added in the first pass.
    base = np.int16(np.int64(_popcount(new)) - np.int64(_popcount(old)))
    gone, come = n_removed[m], n_added[m]
    if gone + come == 1:
        if come:
            best = _pass1(distances, e, base, np.int16(-2), counts, n, added[m, 0])
        else:
            best = _pass1(distances, e, base, np.int16(2), counts, n, removed[m, 0])
    elif gone + come == 2:  # e.g. a dense pattern moved, or a two-step pattern toggled
        first, first_scale = (removed[m, 0], np.int16(2)) if gone else (added[m, 0], np.int16(-2))
        second, second_scale = (added[m, come - 1], np.int16(-2)) if come else (removed[m, 1], np.int16(2))
        best = _pass2(distances, e, base, counts, n, first, first_scale, second, second_scale)
    else:
        i, j = 0, 0
        best = _NO_DISTANCE
        while i < gone or j < come:
            best = _pass4(distances, e, base, counts, n, removed[m, i] if i < gone else _ZERO_ROW,
                          removed[m, i + 1] if i + 1 < gone else _ZERO_ROW, added[m, j] if j < come else _ZERO_ROW,
                          added[m, j + 1] if j + 1 < come else _ZERO_ROW)
            i, j, base = i + 2, j + 2, np.int16(0)
    return _nearest(distances[e], best, nearest)


@njit(cache=True, nogil=True, boundscheck=False)
def _at_limit(envs, elapsed, limit):
    """How many of ``envs`` have run ``limit`` steps (0: no limit)."""
    count = 0
    if limit > 0:
        for m in range(envs.shape[0]):
            if elapsed[envs[m]] >= limit:
                count += 1
    return count


@njit(cache=True, nogil=True, boundscheck=False)
def _first_outside(actions, n_actions):
    """The first ``m`` whose action is no button, or -1."""
    for m in range(actions.shape[0]):
        if actions[m] < 0 or actions[m] >= n_actions:
            return m
    return -1


@njit(cache=True, nogil=True, boundscheck=False)
def press(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
          planes, counts, distances, nearest, mins, argmins, obs, obs_positions, obs_values, last_actions, elapsed,
          limit):
    """Each env ``envs[m]`` (distinct) presses ``actions[m]``, everything a press changes done in one call.

    The row's mask or offset (:meth:`LaunchpadState.apply`), its word (``row_table``), the row's cells of
    the observation (``obs.reshape(-1)[obs_positions[n]] = obs_values[mask, offset]``,
    :func:`observation_table`), the env's last action and elapsed steps, then its distances and, with
    ``nearest``, its nearest bar (:func:`update_row`; a dense toggle reads its row of ``counts``,
    :func:`pattern_counts`). A no-op changes no row; its env keeps its ``mins`` and ``argmins``.

    Returns how many envs reached ``limit`` elapsed steps (0: no limit), or ``-1 - m`` if ``actions[m]`` is
    no button, having changed nothing.
    """
    bad = _first_outside(actions, action_kind.shape[0])
    if bad >= 0:
        return -1 - bad
    size = envs.shape[0]
    rows, old, new = np.empty(size, np.int64), np.empty(size, np.uint64), np.empty(size, np.uint64)
    removed, added = np.empty((size, _MAX_TERMS), np.int64), np.empty((size, _MAX_TERMS), np.int64)
    n_removed, n_added = np.empty(size, np.int64), np.empty(size, np.int64)
    _press_buttons(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
                   obs, obs_positions, obs_values, last_actions, elapsed, counts.shape[1] > 0, rows, old, new,
                   removed, n_removed, added, n_added)
    for m in range(size):
        n, e = rows[m], envs[m]
        if n >= 0:
            best, at = _update_env(planes, counts, distances, n, e, old[m], new[m], removed, n_removed, added,
                                   n_added, m, nearest)
            if nearest:
                mins[e], argmins[e] = best, at
    return _at_limit(envs, elapsed, limit)


@njit(cache=True, nogil=True, boundscheck=False, parallel=True)
def press_parallel(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
                   planes, counts, distances, nearest, mins, argmins, obs, obs_positions, obs_values, last_actions,
                   elapsed, limit):
    """:func:`press` with the envs' distances shared among numba's threads: each env's update writes only
    that env's row of ``distances``, ``mins`` and ``argmins`` (envs are distinct), so no two threads touch
    the same element.

    Its body is :func:`press`'s with ``prange``, written out twice on purpose: one Python function compiled
    both with and without ``parallel=True`` would share one on-disk cache entry (numba keys ``cache=True``
    by the function and its signature, not by the flags), and the second would load the first's code."""
    bad = _first_outside(actions, action_kind.shape[0])
    if bad >= 0:
        return -1 - bad
    size = envs.shape[0]
    rows, old, new = np.empty(size, np.int64), np.empty(size, np.uint64), np.empty(size, np.uint64)
    removed, added = np.empty((size, _MAX_TERMS), np.int64), np.empty((size, _MAX_TERMS), np.int64)
    n_removed, n_added = np.empty(size, np.int64), np.empty(size, np.int64)
    _press_buttons(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
                   obs, obs_positions, obs_values, last_actions, elapsed, counts.shape[1] > 0, rows, old, new,
                   removed, n_removed, added, n_added)
    for m in prange(size):
        n, e = rows[m], envs[m]
        if n >= 0:
            best, at = _update_env(planes, counts, distances, n, e, old[m], new[m], removed, n_removed, added,
                                   n_added, m, nearest)
            if nearest:
                mins[e], argmins[e] = best, at
    return _at_limit(envs, elapsed, limit)


def parallel_possible(num_envs: int, k: int) -> bool:
    """Whether a press of ``num_envs`` envs over ``k`` bars may be shared among numba's threads.

    Only a batch of at least :data:`PARALLEL_MIN_WORK` distance updates (below it, the ~12 us a parallel
    call costs to wake the threads, measured here, outweighs half the press), with more than one thread and
    a threading layer that wakes them in microseconds: OpenMP (numba's default where libgomp is installed)
    or TBB; numba's fallback ``workqueue`` took about 60 us a call here, more than the press it would share."""
    if num_envs < 2 or num_envs * k < PARALLEL_MIN_WORK or numba.get_num_threads() < 2:
        return False
    _press_nothing(press_parallel)  # loads it, and starts the threading layer numba then names
    return numba.threading_layer() in ("omp", "tbb")


class AdaptivePress:
    """The vector env's press: :func:`press` or :func:`press_parallel`, whichever has been faster lately.

    Both give the same result; which is faster depends on the machine's load as much as on the batch. On
    an idle machine the threads share the press. Where another process keeps a core busy, the thread numba
    wakes must wait for that core: measured here with one of two cores busy, a parallel press of 64 envs
    took 12 us more than the serial one at best and 4 to 8 ms (a scheduler tick) at worst. So one call in
    :attr:`TIMED` of the press in use is timed (a moving average per env), and the other one is tried now
    and then: first after :attr:`PROBE` calls, then, each time it loses, after twice as many, up to
    :attr:`MAX_PROBE` (a lost try every 4096 calls costs at worst ~3% of a 64-env step); when it wins it
    takes over.
    """

    #: Calls before the first try of the variant not in use (and again after a switch).
    PROBE = 32
    #: The longest wait between two tries.
    MAX_PROBE = 4096
    #: One call in TIMED of the variant in use is timed (a power of 2).
    TIMED = 8
    #: Weight of the newest time in each average.
    WEIGHT = 0.25

    def __init__(self):
        self._variants = (press, press_parallel)
        self._seconds = [0.0, 0.0]  # 0: not timed yet
        self._current, self._calls, self._next_probe, self._interval = 0, 0, self.PROBE, self.PROBE

    @property
    def parallel(self) -> bool:
        """Whether the parallel press is the one in use."""
        return self._current == 1

    def __call__(self, *arguments):
        self._calls += 1
        probing = self._calls == self._next_probe
        if self._calls & (self.TIMED - 1) and not probing:
            return self._variants[self._current](*arguments)
        variant = 1 - self._current if probing else self._current
        start = perf_counter()
        result = self._variants[variant](*arguments)
        seconds = (perf_counter() - start) / max(len(arguments[0]), 1)  # per env: batches vary with autoresets
        previous = self._seconds[variant]
        self._seconds[variant] = seconds if previous == 0.0 else previous + self.WEIGHT * (seconds - previous)
        if probing:
            if self._seconds[variant] < self._seconds[self._current]:
                self._current, self._interval = variant, self.PROBE
            else:
                self._interval = min(2 * self._interval, self.MAX_PROBE)
            self._next_probe = self._calls + self._interval
        return result


def warm_up(batch: bool):
    """Load (or compile) the kernels a tracker calls, for the argument types it passes, now rather than in the
    first step: :func:`update_row` for one env, else those of a batch and the vector env's :func:`press`
    (:func:`parallel_possible` loads :func:`press_parallel` where it may run). Each costs a cache load."""
    kernel_planes = np.zeros((1, N_PLANES, 1), dtype=np.uint16)
    distances = np.zeros((1, 1), dtype=np.int16)
    if not batch:
        update_row(kernel_planes[0], distances[0], np.uint64(0), np.uint64(1), True)
        return
    words = np.zeros(1, dtype=np.uint64)
    index = np.zeros(1, dtype=np.int64)
    update_rows(kernel_planes, distances, index, index, words, words, True, index.copy(), index.copy())
    first_mins(distances, index, index.copy(), index.copy())
    _press_nothing(press)


def _press_nothing(compiled):
    """A no-op press of one env, with the argument types the vector env passes (the launchpad's tables are
    read-only arrays, a type of their own)."""
    index = np.zeros(1, dtype=np.int64)
    state = np.zeros((1, 1), dtype=np.int64)
    tables = (np.full(1, NOOP, dtype=np.int8), index.copy(), index.copy(), np.zeros((1, 1), dtype=np.uint64),
              state.copy(), np.zeros((1, 1, 1), dtype=np.int8))
    for table in tables:
        table.setflags(write=False)
    kind, note, arg, row_table, positions, values = tables
    compiled(index, index, kind, note, arg, 1, row_table, state, state.copy(), np.zeros((1, 1), dtype=np.uint64),
             np.zeros((1, N_PLANES, 1), dtype=np.uint16), np.zeros((1, 0, 1), dtype=np.uint8),
             np.zeros((1, 1), dtype=np.int16), True, index.copy(), index.copy(), np.zeros((1, 1), dtype=np.int8),
             positions, values, index.copy(), index.copy(), 0)
