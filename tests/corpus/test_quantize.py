"""Notes in ticks to bar words: folding, the step rounding rule, bar lines from time signatures."""

import pytest

from gym_launchpad.corpus.quantize import bar_grid, fold_pitches, quantize_bars
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi.read import MidiReadError

SPEC = LaunchpadSpec()


def test_fold_moves_pitches_by_octaves_into_the_range_or_drops_them():
    pitches = [20, 35, 46, 47, 70, 71, 83, 127]
    assert fold_pitches(pitches, SPEC, fold=True).tolist() == [
        p - 47 for p in (56, 47, 58, 47, 70, 59, 59, 67)]
    assert fold_pitches(pitches, SPEC, fold=False).tolist() == [-1, -1, -1, 0, 23, -1, -1, -1]
    narrow = LaunchpadSpec(n_notes=5, bar_bits=6, low_note=60)  # C..E: an F cannot fold in
    assert fold_pitches([48, 53, 76], narrow).tolist() == [0, -1, 4]


def test_a_note_fills_every_step_it_sounds_and_splits_at_bar_lines():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)  # 4 steps a bar, 120 ticks a step here
    words, onsets = quantize_bars(spec, starts=[240], ends=[600], pitches=[60],
                                  bar_starts=[0, 480], bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0b1100, 0b0001]
    assert onsets[:, 0].tolist() == [0b0100, 0]


def test_rounding_is_half_up_and_a_note_lasts_at_least_one_step():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, _ = quantize_bars(spec, starts=[59, 60, 300], ends=[61, 61, 301], pitches=[60, 60, 60],
                             bar_starts=[0], bar_ticks=[480])
    # 120 ticks a step: 59 -> step 0 (0.49); 60 -> step 1 (0.5 rounds up); 300 -> step 3 (2.5 rounds up);
    # each note is shorter than a step and still fills one.
    assert int(words[0, 0]) == 0b1011


def test_a_note_rounding_onto_the_next_downbeat_belongs_to_the_next_bar():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, onsets = quantize_bars(spec, starts=[475], ends=[478], pitches=[60], bar_starts=[0, 480],
                                  bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0, 1]
    assert onsets[:, 0].tolist() == [0, 1]


def test_bars_left_out_of_the_grid_are_not_filled():
    spec = LaunchpadSpec(n_notes=1, bar_bits=2, low_note=60)
    words, _ = quantize_bars(spec, starts=[0], ends=[1440], pitches=[60], bar_starts=[0, 960], bar_ticks=[480, 480])
    assert words[:, 0].tolist() == [0b1111, 0b1111]


def test_bar_lines_come_from_the_time_signatures():
    grid = bar_grid(480, [(0, 4, 4), (2400, 3, 4), (9000, 4, 4)], end_tick=8000)
    # A 3/4 signature 480 ticks into bar 1 cuts that bar short; the one after the last note adds nothing.
    assert grid.starts.tolist() == [0, 1920, 2400, 3840, 5280, 6720]
    assert grid.lengths.tolist() == [1920, 480, 1440, 1440, 1440, 1440]
    assert grid.complete.tolist() == [True, False, True, True, True, True]
    assert grid.is_4_4.tolist() == [True, False, False, False, False, False]
    no_signature = bar_grid(480, [], end_tick=1921)
    assert no_signature.starts.tolist() == [0, 1920] and no_signature.is_4_4.all()


def test_a_meter_that_cannot_place_bar_lines_is_refused():
    with pytest.raises(MidiReadError, match="bad time signature"):
        bar_grid(480, [(0, 0, 4)], end_tick=100)

