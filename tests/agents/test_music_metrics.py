import numpy as np
import pytest

from agents import music_metrics
from gym_launchpad import LaunchpadSpec

SPEC = LaunchpadSpec()


def _bar(pitches, steps=range(64)):
    """A bar of the default spec with the MIDI ``pitches`` sounding on ``steps``."""
    roll = np.zeros((SPEC.n_notes, SPEC.steps), dtype=bool)
    for p in pitches:
        roll[p - SPEC.low_note, list(steps)] = True
    return SPEC.roll_to_words(roll)


def test_music_metrics_on_known_bars():
    c_major = np.stack([_bar([60, 64, 67], range(0, 64, 16))])  # C E G on the four beats
    assert music_metrics.notes_per_bar(c_major) == 12
    assert music_metrics.in_scale_ratio(SPEC, c_major) == (1.0, "C major")
    assert music_metrics.pitch_class_entropy(SPEC, c_major) == pytest.approx(np.log2(3))
    chromatic = np.stack([_bar(range(59, 71), [0])])
    assert music_metrics.pitch_class_entropy(SPEC, chromatic) == pytest.approx(np.log2(12))
    assert music_metrics.in_scale_ratio(SPEC, chromatic)[0] == pytest.approx(7 / 12)
    assert music_metrics.in_scale_ratio(SPEC, np.zeros((1, 24), np.uint64)) == (1.0, "none")
    a_minor_chord = np.stack([_bar([57, 60, 64, 69])])
    assert music_metrics.in_scale_ratio(SPEC, a_minor_chord)[0] == 1.0
    moves = np.stack([_bar([60], [0]), _bar([60], [0, 1]), _bar([62], [0])])
    assert music_metrics.bar_to_bar_change(moves) == pytest.approx((1 + 3) / 2)
    assert music_metrics.distinct([3, 3, 5]) == 2


def test_the_front_of_a_song():
    from agents.music_metrics import front_metrics, heard_change_fraction, onsets_per_bar

    a = np.zeros(24, dtype=np.uint64)
    a[0] = 0b1111  # four onsets, or one note held four steps
    b = a.copy()
    b[3] = 1 << 40
    bars = np.array([a, a, b, a])
    assert onsets_per_bar(bars, "onsets") == (4 + 4 + 5 + 4) / 4
    assert onsets_per_bar(bars, "sounding") == (1 + 1 + 2 + 1) / 4
    assert heard_change_fraction(bars) == 2 / 3
    assert heard_change_fraction(bars, start_bar=b) == 3 / 4
    front = front_metrics(bars, [9, 1, 2, 3], [5, 5, 6, 5], "onsets")
    assert front == {"mean_distance": 15 / 4, "onsets_per_bar": 17 / 4, "heard_change_fraction": 2 / 3,
                     "distinct_nearest_per_100_bars": 50.0}
    # After 30 bars only the settled part of a song counts.
    assert front_metrics(np.repeat(bars, 10, axis=0), [100] * 30 + [2] * 10, [0] * 40, "onsets")["mean_distance"] == 2
