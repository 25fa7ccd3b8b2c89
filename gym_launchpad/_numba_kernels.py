"""The incremental distance kernel compiled with numba, and the vector env's press built around it.

Imported only through :func:`gym_launchpad.reward.make_kernel`. numba is a dependency of the package; when
it is missing (an install made with ``--no-deps``), :class:`gym_launchpad.reward.NumpyKernel` runs, the
reference these functions are tested against.

Changing a row from word ``old`` to ``new`` flips the bits ``x = old ^ new``; the distance to a corpus bar
whose row is ``c`` moves by ``popcount(x) - 2 * popcount((c ^ old) & x)`` (each flipped bit either starts or
stops matching). numpy needs five passes over the ``K`` words for it, writing each intermediate out; here
one loop reads a corpus word, popcounts it once in registers, updates the ``int16`` distance in place and
keeps the running minimum, so a step reads the ``K`` column words and the ``K`` distances once. The first
bar at that minimum is then found by scanning the distances just written (still in L1) up to it.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from gym_launchpad.launchpad import NOOP, TOGGLE

#: Larger than any distance (at most 128 rows * 64 steps).
_NO_DISTANCE = np.int16(32767)


@intrinsic
def _popcount(typingctx, word):
    """LLVM's ``ctpop``: one instruction (vectorised with AVX-512 VPOPCNTQ, or AVX2 nibble lookups)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@njit(cache=True, nogil=True, boundscheck=False)
def update_row(column, distances, old, new, nearest):
    """Row ``old`` -> ``new`` against ``column``: update ``distances`` in place.

    With ``nearest``, returns ``(smallest distance, first bar at it)`` from the same pass; else ``(-1, -1)``.
    """
    flipped = old ^ new
    if flipped == 0:  # e.g. an offset moved on a silent row: nothing changes, the minimum included
        if not nearest:
            return -1, -1
        return _first_min(distances)
    base = np.int16(_popcount(flipped))
    best = _NO_DISTANCE
    for k in range(column.shape[0]):
        # Counts are <= 64 and distances <= 8192, so int16 holds every value and the loop vectorises.
        value = np.int16(distances[k] + base - np.int16(2 * np.int16(_popcount((column[k] ^ old) & flipped))))
        distances[k] = value
        best = min(best, value)
    if not nearest:
        return -1, -1
    at = 0
    while distances[at] != best:
        at += 1
    return int(best), at


@njit(cache=True, nogil=True, boundscheck=False)
def _first_min(distances):
    best = _NO_DISTANCE
    for k in range(distances.shape[0]):
        best = min(best, distances[k])
    at = 0
    while distances[at] != best:
        at += 1
    return int(best), at


@njit(cache=True, nogil=True, boundscheck=False)
def update_rows(columns, distances, envs, rows, old, new, nearest, mins, argmins):
    """For each ``m``: env ``envs[m]`` changed row ``rows[m]`` from ``old[m]`` to ``new[m]``; with ``nearest``
    its smallest distance and first bar at it go to ``mins[envs[m]]``, ``argmins[envs[m]]``."""
    for m in range(envs.shape[0]):
        e = envs[m]
        best, at = update_row(columns[rows[m]], distances[e], old[m], new[m], nearest)
        if nearest:
            mins[e], argmins[e] = best, at


@njit(cache=True, nogil=True, boundscheck=False)
def first_mins(distances, envs, mins, argmins):
    """The smallest distance of each env ``envs[m]`` and its first bar, into ``mins``, ``argmins``."""
    for m in range(envs.shape[0]):
        mins[envs[m]], argmins[envs[m]] = _first_min(distances[envs[m]])


@njit(cache=True, nogil=True, boundscheck=False)
def press(actions, envs, action_kind, action_note, action_arg, steps, row_table, masks, offsets, words,
          columns, distances, nearest, mins, argmins, obs, obs_positions, obs_values):
    """Each env ``envs[m]`` presses ``actions[m]``, everything a press changes done in one call.

    The row's mask or offset (:meth:`LaunchpadState.apply`), its word (``row_table``), the env's distances
    and, with ``nearest``, its nearest bar (:func:`update_row`), and the row's cells of the observation
    (``obs.reshape(-1)[obs_positions[n]] = obs_values[mask, offset]``, :func:`observation_table`). A no-op
    changes nothing; its env keeps its ``mins`` and ``argmins``.
    """
    for m in range(envs.shape[0]):
        action = actions[m]
        kind = action_kind[action]
        if kind == NOOP:
            continue
        e, n = envs[m], action_note[action]
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
        best, at = update_row(columns[n], distances[e], old, new, nearest)
        if nearest:
            mins[e], argmins[e] = best, at


def warm_up(batch: bool):
    """Load (or compile) the kernels a tracker calls, for the argument types it passes, now rather than in the
    first step: :func:`update_row` for one env, else those of a batch and the vector env's :func:`press`
    (the launchpad's tables are read-only arrays, a type of their own). Each costs a cache load."""
    columns = np.zeros((1, 1), dtype=np.uint64)
    distances = np.zeros((1, 1), dtype=np.int16)
    if not batch:
        update_row(columns[0], distances[0], np.uint64(0), np.uint64(1), True)
        return
    words = np.zeros(1, dtype=np.uint64)
    index = np.zeros(1, dtype=np.int64)
    update_rows(columns, distances, index, index, words, words, True, index.copy(), index.copy())
    first_mins(distances, index, index.copy(), index.copy())
    state = np.zeros((1, 1), dtype=np.int64)
    tables = (np.full(1, NOOP, dtype=np.int8), index.copy(), index.copy(), np.zeros((1, 1), dtype=np.uint64),
              state.copy(), np.zeros((1, 1, 1), dtype=np.int8))
    for table in tables:
        table.setflags(write=False)
    kind, note, arg, row_table, positions, values = tables
    press(index, index, kind, note, arg, 1, row_table, state, state.copy(), np.zeros((1, 1), dtype=np.uint64),
          columns, distances, True, index.copy(), index.copy(), np.zeros((1, 1), dtype=np.int8), positions, values)
