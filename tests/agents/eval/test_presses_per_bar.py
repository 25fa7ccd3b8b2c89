"""Presses between bars in the launchpad's action space, and the greedy DJ that must move the harmony."""

import numpy as np

from agents.eval import presses_per_bar as ppb
from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec, LaunchpadState

SPEC = LaunchpadSpec()


def test_an_offset_takes_one_press_per_set_bit():
    presses = ppb.offset_presses(SPEC)
    assert presses.tolist() == [bin(amount).count("1") for amount in range(SPEC.steps)]


def test_presses_between_playable_bars_count_toggles_and_offset_increments():
    rng = np.random.default_rng(0)
    toggles = rng.random((SPEC.n_notes, SPEC.n_patterns)) < 0.2
    offsets = rng.integers(0, SPEC.steps, SPEC.n_notes)
    start = LaunchpadState.from_toggles(SPEC, toggles, offsets)
    after = start.copy()
    after.apply(SPEC.toggle_action(5, 3))  # one toggle on a row ...
    after.apply(SPEC.offset_action(9, 2))  # ... and one offset increment on another
    front = ppb.pair_presses(SPEC, start.words(), after.words(), max_presses=4)
    assert front[0] == np.bitwise_count(start.words() ^ after.words()).sum()
    assert front[2] == 0 and front[4] == 0
    assert ppb.pair_presses(SPEC, start.words(), start.words(), max_presses=2).tolist() == [0, 0, 0]


def test_pitch_classes_of_a_bar_fold_octaves():
    bar = np.zeros(SPEC.n_notes, dtype=np.uint64)
    bar[48 - 47] = bar[60 - 47] = 1  # C3 and C4: one pitch class
    bar[59 - 47] = 1 << 5  # B3
    assert ppb.pitch_classes(SPEC, bar) == (1 << 0) | (1 << 11)


def test_the_greedy_dj_moves_the_harmony_as_often_as_it_must():
    result = ppb.greedy_dj(Corpus.onsets(), presses=1, seed=0, bars=40, skip=0)
    assert result["harmony_change_fraction"] >= ppb.HARMONY_TARGET - 0.05
    assert result["aba_fraction"] == 0.0
