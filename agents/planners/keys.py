"""The key a DJ song is in, as its observation shows it: the heard bar and the corpus bars played recently.

The follower (:mod:`agents.planners.follower`) keeps the key it hears: after a person's triad in key K it plays on
in K. It reads the key from a pitch-class histogram of what a listener has just heard, as the DJ observation shows
it (so the learned dj agent can imitate the choice):

- the pitch classes struck in the heard bar, weighted :data:`HEARD_WEIGHT`;
- those of each corpus bar played since the last bar line that played none (a person's bar, or the start: the
  youngest age no corpus bar has), weighted ``DECAY ** age`` (the bar just played, age 0, weighs 1). So a
  person's bar starts the key afresh: the bars before it are not heard as the key any more.

A bar counts each of its pitch classes once, however often it is struck: a pattern of 32 onsets and one of 1 are
one note to the key, so a triad of any patterns reads as its chord. A key's score (:func:`scores`) is the share
of the histogram in the key's scale (major; minor with its 7th raised or not, the chorales' minor), plus
:data:`PROFILE_WEIGHT` times the histogram's correlation with the key's Krumhansl-Kessler profile (Krumhansl and
Schmuckler's estimate), which decides between the keys whose scales hold the notes alike: a major triad's own key
over its IV, its V and its relative minor, a minor triad's over its relative major. The best score is the key
(:meth:`KeyTracker.key`); every triad of :func:`agents.starts.triad_in_key` reads as its key.

:attr:`KeyTracker.shares` is each corpus bar's share of struck notes in each key's scale as
:func:`agents.starts.key_scale` defines it (major, or harmonic minor: the scale ``python -m agents jam`` and
``dj_key_fit.py`` judge a key by), the follower's test of a bar being in the key; :meth:`KeyTracker.keys_after`
the key read at the next bar line after a candidate bar, its test of a bar keeping the key.
"""

from __future__ import annotations

import numpy as np

from agents import starts

#: Krumhansl and Kessler's (1982) probe-tone ratings of the 12 pitch classes from the tonic, major and minor.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
#: The heard bar's weight in the histogram, against 1 for the corpus bar just played (age 0).
HEARD_WEIGHT = 2.0
#: A corpus bar played ``age`` bars ago weighs ``DECAY ** age``. Measured with the follower's replays
#: (``dj_key_fit.py``, five triad draws): 0.7 fit 19-21 keys, 0.85 20-21 (the key a person sets drifts less to
#: its neighbours: C# major to Ab major, F minor to C minor); 0.85 is kept.
DECAY = 0.85


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


def estimate_scales() -> np.ndarray:
    """``(24, 12)`` bool: the scales the estimate weighs: :func:`scales`, a minor key's with its 7th lowered as
    well as raised (natural and harmonic minor: the chorales' minor bars hold either, and a bar of the natural
    minor should not read as the relative major for that alone)."""
    inside = scales()
    inside[12 + np.arange(12), (np.arange(12) + 10) % 12] = True
    return inside


#: :func:`profiles` and :func:`estimate_scales`, computed once.
PROFILES = profiles()
ESTIMATE_SCALES = estimate_scales().astype(np.float64)
#: The weight of the profile's correlation against the share of the histogram in the key's scale. Measured
#: (``dj_key_fit.py``, the shipped onsets): 0.05, 0.2 and 0.5 fit 16, 17 and 17 of 24 keys before the
#: person's-bar rules of the follower; 0.2 is kept.
PROFILE_WEIGHT = 0.2


def scores(histograms: np.ndarray) -> np.ndarray:
    """``(..., 24)``: each key's score of pitch-class histograms ``(..., 12)``: the share of the histogram in the
    key's scale, plus :data:`PROFILE_WEIGHT` times its correlation with the key's profile (which decides between
    the keys whose scales hold it alike)."""
    histograms = np.asarray(histograms, dtype=np.float64)
    total = np.maximum(histograms.sum(axis=-1, keepdims=True), 1e-12)
    centred = histograms - histograms.mean(axis=-1, keepdims=True)
    norm = np.maximum(np.linalg.norm(centred, axis=-1, keepdims=True), 1e-12)
    return histograms @ ESTIMATE_SCALES.T / total + PROFILE_WEIGHT * (centred / norm) @ PROFILES.T


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
        """``(12,)``: the pitch classes of each corpus bar played since the last bar line that played none (a
        person's bar, the start: the youngest age no bar has), weighted ``decay ** age``."""
        recent = ages[ages < self.memory]
        seen = np.zeros(self.memory + 1, dtype=bool)
        seen[recent] = True
        played = np.flatnonzero(ages < np.argmin(seen))
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
        """``(len(bars),)``: the key :meth:`key` reads at the next bar line if corpus bar ``bars[i]`` (one not
        played in the memory) is heard at it, rendered exactly, and played: that bar, heard and of age 0, then the
        bars :meth:`played` holds now, a bar older."""
        histograms = (self.heard_weight + 1) * self.classes[bars] + self.decay * self.played(ages)
        return np.argmax(scores(histograms), axis=1)

    def key_after_heard(self, heard: np.ndarray, bar: int, ages: np.ndarray) -> int:
        """The key :meth:`key` reads at the next bar line if words ``heard`` (``(N,)``) are heard at it and corpus bar
        ``bar`` (their nearest) is played: ``heard`` weighted ``heard_weight``, ``bar`` of age 0, and the bars
        :meth:`played` holds now, a bar older (``bar`` itself left out when it is one of them: a replay)."""
        heard_classes = pitch_class_counts(self.spec, np.asarray(heard)[None])[0] > 0
        ages = ages.copy()
        ages[bar] = np.iinfo(ages.dtype).max  # not among the bars played before
        return estimate(self.heard_weight * heard_classes + self.classes[bar] + self.decay * self.played(ages))
