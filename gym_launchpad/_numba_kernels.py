"""The incremental distance kernel compiled with numba: one fused pass over the ``K`` words of a column.

Imported only through :func:`gym_launchpad.reward.kernel`, when numba is installed (the ``[fast]`` extra).
:class:`gym_launchpad.reward.NumpyKernel` is the reference these functions are tested against.

numpy needs five passes over ``K`` elements for an update (two XORs, two popcounts, an add) and writes
each intermediate out; here one loop reads a corpus word, XORs and popcounts it twice in registers, and
updates the ``int16`` distance in place, so a step touches the ``K`` column words and the ``K`` distances once.
The minimum stays with numpy: its ``argmin`` is already vectorised, and an argmin loop here would not be.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def _popcount(typingctx, word):
    """LLVM's ``ctpop``: one instruction (vectorised with AVX-512 VPOPCNTQ where the CPU has it)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@njit(cache=True, nogil=True, boundscheck=False)
def update_row(column, distances, old, new):
    """``distances += popcount(column ^ new) - popcount(column ^ old)``, in place."""
    for k in range(column.shape[0]):
        # Both counts are <= 64, so the difference and the sum stay in int16 and the loop vectorises.
        delta = np.int16(_popcount(column[k] ^ new)) - np.int16(_popcount(column[k] ^ old))
        distances[k] = np.int16(distances[k] + delta)


@njit(cache=True, nogil=True, boundscheck=False)
def update_rows(columns, distances, envs, rows, old, new):
    """For each ``m``: env ``envs[m]`` changed row ``rows[m]`` from word ``old[m]`` to ``new[m]``."""
    for m in range(envs.shape[0]):
        update_row(columns[rows[m]], distances[envs[m]], old[m], new[m])



def warm_up():
    """Load (or compile) both kernels for the argument types the trackers pass, before the first step needs them."""
    columns = np.zeros((1, 1), dtype=np.uint64)
    distances = np.zeros((1, 1), dtype=np.int16)
    update_row(columns[0], distances[0], np.uint64(0), np.uint64(0))
    index = np.zeros(1, dtype=np.int64)
    update_rows(columns, distances, index, index, np.zeros(1, dtype=np.uint64), np.zeros(1, dtype=np.uint64))
