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
