"""Musical statistics of a sequence of bars, each bar ``(N,)`` uint64 row words of one launchpad spec.

These describe what an agent plays beyond its reward: how dense the bars are, which pitch classes they
use and how tonal that is, how much one bar changes into the next, and how many different corpus bars
the agent comes near; and the front of a song (:func:`front_metrics`): how close it stays against how much
it moves, as a listener hears it. All take ``(T, N)`` word arrays (one bar per step) and return floats.
"""

from __future__ import annotations

import numpy as np

from gym_launchpad.launchpad import LaunchpadSpec

#: Semitones of the major scale from its tonic; the natural minor scale is its rotation (relative minor).
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


def notes_per_bar(bars: np.ndarray) -> float:
    """Mean number of sounding cells (pitch x step) per bar."""
    bars = np.asarray(bars, dtype=np.uint64)
    return float(np.bitwise_count(bars).sum(axis=-1).mean())


def pitch_class_histogram(spec: LaunchpadSpec, bars: np.ndarray) -> np.ndarray:
    """``(12,)`` sounding cells per pitch class (C = 0), summed over all bars."""
    cells = np.bitwise_count(np.asarray(bars, dtype=np.uint64)).reshape(-1, spec.n_notes).sum(axis=0)
    histogram = np.zeros(12, dtype=np.int64)
    np.add.at(histogram, spec.pitches % 12, cells.astype(np.int64))
    return histogram


def pitch_class_entropy(spec: LaunchpadSpec, bars: np.ndarray) -> float:
    """Shannon entropy in bits of the pitch-class distribution of all sounding cells (0 when silent).

    0 is one pitch class only, log2(12) = 3.58 all twelve equally.
    """
    histogram = pitch_class_histogram(spec, bars)
    total = histogram.sum()
    if total == 0:
        return 0.0
    p = histogram[histogram > 0] / total
    return float(-(p * np.log2(p)).sum())


def in_scale_ratio(spec: LaunchpadSpec, bars: np.ndarray) -> tuple[float, str]:
    """Fraction of sounding cells inside the best-fitting major or natural-minor key, and that key's name.

    Every bar together: the key is the one of the 24 that holds the most cells (1.0 when silent).
    """
    histogram = pitch_class_histogram(spec, bars)
    total = histogram.sum()
    if total == 0:
        return 1.0, "none"
    best, best_name = -1, ""
    for mode, scale in (("major", MAJOR_SCALE), ("minor", NATURAL_MINOR_SCALE)):
        for tonic in range(12):
            inside = histogram[(tonic + np.array(scale)) % 12].sum()
            if inside > best:
                best, best_name = inside, f"{_NAMES[tonic]} {mode}"
    return float(best / total), best_name


def bar_to_bar_change(bars: np.ndarray) -> float:
    """Mean Hamming distance between consecutive bars (0 for a single bar)."""
    bars = np.asarray(bars, dtype=np.uint64)
    if len(bars) < 2:
        return 0.0
    return float(np.bitwise_count(bars[1:] ^ bars[:-1]).sum(axis=-1).mean())


def distinct(values) -> int:
    """How many different values (e.g. nearest corpus bars) a sequence holds."""
    return int(len(np.unique(np.asarray(values))))


_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


# --- the front: how close a song stays to the corpus against how much it moves ---------------------------
#: Bars a song may take to settle before its distance counts (:func:`front_metrics`).
SETTLE_BARS = 30
#: The keys of :func:`front_metrics`.
FRONT_METRICS = ("mean_distance", "onsets_per_bar", "heard_change_fraction", "distinct_nearest_per_100_bars")


def onsets_per_bar(bars: np.ndarray, cells: str) -> float:
    """Mean struck notes per bar: every cell of a bar of onsets; a run of sounding cells of one pitch is one
    note struck at its first cell (a note held over a bar line is struck again, as the writer plays it)."""
    bars = np.asarray(bars, dtype=np.uint64)
    if cells == "onsets":
        return float(np.bitwise_count(bars).sum(axis=-1).mean())
    starts = bars & ~(bars << np.uint64(1))  # a sounding cell whose step before is silent
    return float(np.bitwise_count(starts).sum(axis=-1).mean())


def heard_change_fraction(bars: np.ndarray, start_bar=None) -> float:
    """Fraction of bars that a listener hears differ from the bar before (the first from ``start_bar``, or
    left out without one)."""
    bars = np.asarray(bars, dtype=np.uint64)
    if start_bar is not None:
        bars = np.concatenate([np.asarray(start_bar, dtype=np.uint64)[None], bars])
    if len(bars) < 2:
        return 0.0
    return float((bars[1:] != bars[:-1]).any(axis=-1).mean())


def distinct_per_100_bars(nearest) -> float:
    """Distinct nearest corpus bars of a whole song, per 100 of its bars (a song that returns to the same
    few bars scores low however often its nearest bar changes)."""
    nearest = np.asarray(nearest)
    return 100.0 * distinct(nearest) / max(len(nearest), 1)


def front_metrics(bars: np.ndarray, distances, nearest, cells: str, start_bar=None) -> dict:
    """The reward-vs-variety front of one song: its mean distance to the corpus after :data:`SETTLE_BARS`
    bars (all of them for a shorter song), onsets per bar, the fraction of bars that change audibly, and
    distinct nearest corpus bars per 100 bars."""
    distances = np.asarray(distances)
    settled = distances[SETTLE_BARS:] if len(distances) > SETTLE_BARS else distances
    values = (float(settled.mean()), onsets_per_bar(bars, cells), heard_change_fraction(bars, start_bar),
              distinct_per_100_bars(nearest))
    return dict(zip(FRONT_METRICS, values, strict=True))
