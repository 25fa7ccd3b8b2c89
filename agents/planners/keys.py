"""The key a DJ song is in, as its observation shows it: the heard bar and the corpus bars played recently.

A key's estimate is Krumhansl and Schmuckler's: the correlation of a pitch-class histogram with each of the 24
keys' Krumhansl-Kessler profiles, the largest winning. The histogram is what a listener has just heard, as the
DJ observation shows it: the pitch classes struck in the heard bar (weighted :data:`HEARD_WEIGHT`), plus those of
each corpus bar played in the env's memory, weighted ``DECAY ** age`` (the bar just played, age 0, weighs 1;
older bars fade). A bar counts its pitch classes once each (struck or not, not how often): a pattern of 32
onsets and one of 1 are one note to the key, so a person's triad of any patterns in key K reads as K (its
major or minor profile is the best fit of the three notes, over the keys whose scales also hold them: the
relative minor and the IV and V major keys), and the heard bar, weighted most, sets the key a person plays.

The scales are :func:`agents.starts.key_scale` (major, or harmonic minor); :meth:`KeyTracker.shares` gives each
corpus bar's share of struck notes in each key's scale, the follower's test of a bar being in the key
(:mod:`agents.planners.follower`).
"""

from __future__ import annotations

import numpy as np

from agents import starts

#: Krumhansl and Kessler's (1982) probe-tone ratings of the 12 pitch classes from the tonic, major and minor.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
#: The heard bar's weight in the histogram, against 1 for the corpus bar just played (age 0).
HEARD_WEIGHT = 2.0
#: A corpus bar played ``age`` bars ago weighs ``DECAY ** age``.
DECAY = 0.7


def profiles() -> np.ndarray:
    """``(24, 12)``: each key's profile (keys as :data:`agents.starts.N_KEYS` counts them: 0-11 major on C..B,
    12-23 minor), centred and of unit norm, so a product with a centred histogram is proportional to their
    correlation."""
    rows = np.array([np.roll(MAJOR_PROFILE, k) for k in range(12)] + [np.roll(MINOR_PROFILE, k) for k in range(12)])
    rows -= rows.mean(axis=1, keepdims=True)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def scales() -> np.ndarray:
    """``(24, 12)`` bool: each key's scale (:func:`agents.starts.key_scale`)."""
    return np.array([starts.key_scale(key) for key in range(starts.N_KEYS)])


def pitch_class_counts(spec, bars: np.ndarray) -> np.ndarray:
    """``(K, 12)``: each bar's struck notes (its onsets, row words ``(K, N)``) per pitch class, C = 0."""
    counts = np.zeros((len(bars), 12), dtype=np.int64)
    per_row = np.bitwise_count(np.asarray(bars, dtype=np.uint64)).astype(np.int64)
    for row, pitch in enumerate(spec.pitches):
        counts[:, int(pitch) % 12] += per_row[:, row]
    return counts


#: :func:`profiles`, computed once.
PROFILES = profiles()


#: The scales the estimate weighs (minor: harmonic and natural, the 7th raised or not).
MINOR_SEVENTHS = (10, 11)


def estimate_scales() -> np.ndarray:
    inside = scales()
    for seventh in MINOR_SEVENTHS:
        inside[12 + np.arange(12), (np.arange(12) + seventh) % 12] = True
    return inside


SCALES = estimate_scales().astype(np.float64)
#: The weight of the profile's correlation against the share of the histogram in the key's scale.
PROFILE_WEIGHT = 0.2


def scores(histograms: np.ndarray) -> np.ndarray:
    """``(..., 24)``: each key's score of pitch-class histograms ``(..., 12)``: the share of the histogram in the
    key's scale, plus :data:`PROFILE_WEIGHT` times its correlation with the key's profile (which decides between
    the keys whose scales hold it alike)."""
    histograms = np.asarray(histograms, dtype=np.float64)
    total = np.maximum(histograms.sum(axis=-1, keepdims=True), 1e-12)
    centred = histograms - histograms.mean(axis=-1, keepdims=True)
    norm = np.maximum(np.linalg.norm(centred, axis=-1, keepdims=True), 1e-12)
    return histograms @ SCALES.T / total + PROFILE_WEIGHT * (centred / norm) @ PROFILES.T


def estimate(histogram: np.ndarray) -> int:
    """The key (0-23) of a pitch-class histogram ``(12,)``: the best of :func:`scores` (the lowest key on a tie;
    C major for an empty histogram)."""
    return int(np.argmax(scores(histogram)))


class KeyTracker:
    """The key of a DJ song from its observation: :meth:`key` from the heard bar's words and the corpus bars'
    ages (the module docstring's histogram)."""

    def __init__(self, spec, corpus_bars: np.ndarray, memory: int, heard_weight: float = HEARD_WEIGHT,
                 decay: float = DECAY):
        self.spec, self.memory = spec, int(memory)
        self.heard_weight, self.decay = float(heard_weight), float(decay)
        counts = pitch_class_counts(spec, corpus_bars)
        self.classes = (counts > 0).astype(np.float64)  # (K, 12): each corpus bar's pitch classes
        struck = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        #: ``(K, 24)``: each corpus bar's share of struck notes in each key's scale.
        self.shares = counts @ scales().T.astype(np.float64) / struck

    def played(self, ages: np.ndarray) -> np.ndarray:
        """``(12,)``: the pitch classes of each corpus bar played within the memory (``ages`` below it), weighted
        ``decay ** age``."""
        played = np.flatnonzero(ages < self.memory)
        return (self.decay ** ages[played]) @ self.classes[played]

    def histogram(self, heard: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """``(12,)``: the heard bar's pitch classes (words ``heard``, ``(N,)``) weighted ``heard_weight``, plus
        :meth:`played`."""
        heard_classes = pitch_class_counts(self.spec, np.asarray(heard)[None])[0] > 0
        return self.heard_weight * heard_classes + self.played(ages)

    def key(self, heard: np.ndarray, ages: np.ndarray) -> int:
        """The key (0-23) the heard bar and the bars played recently are in."""
        return estimate(self.histogram(heard, ages))

    def keys_after(self, bars: np.ndarray, ages: np.ndarray) -> np.ndarray:
        """``(len(bars),)``: the key :meth:`key` reads at the next bar line if corpus bar ``bars[i]`` (not played
        in the memory) is heard at it and played: that bar, heard and of age 0, then the bars of ``ages``, a
        bar older."""
        histograms = (self.heard_weight + 1) * self.classes[bars] + self.decay * self.played(ages)
        return np.argmax(scores(histograms), axis=1)
