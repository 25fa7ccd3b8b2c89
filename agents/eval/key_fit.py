"""Does a song stay in a key? The fraction of the notes it strikes that lie in the key's scale.

The jam (:mod:`agents.eval.jam`, :mod:`agents.eval.jam_dj`) gives a person's triad in each of the 24 keys and
asks this of the bars the agent plays next (issue #22: "at least 80% of their struck notes in K's scale").
"""

from __future__ import annotations

import math

import numpy as np

from agents import starts

#: A key fits when at least this fraction of the struck notes are in its scale.
KEY_FIT = 0.8


def fit_of_key(spec, words: np.ndarray, cells: str, key: int) -> dict:
    """The key fit of bars ``words`` ``(T, N)``: how many notes they strike (onsets; a run of sounding cells
    strikes at its first), the fraction of them in ``key``'s scale, and whether that fits (:data:`KEY_FIT`)."""
    struck = words if cells == "onsets" else words & ~(words << np.uint64(1))
    per_row = np.bitwise_count(struck).sum(axis=0)
    total = int(per_row.sum())
    inside = int(per_row[starts.key_scale(key)[spec.pitches % 12]].sum())
    fraction = inside / total if total else math.nan
    return {"key": starts.key_name(key), "struck": total, "in_scale": fraction,
            "fits": bool(total and fraction >= KEY_FIT)}
