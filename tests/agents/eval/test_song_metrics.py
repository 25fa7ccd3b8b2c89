"""Song measures read back from real MIDI files written at test time, on songs whose measures are known."""

import sys

import numpy as np
import pytest
from gymnasium.error import DependencyNotInstalled

from agents.eval import song_metrics as sm
from gym_launchpad.corpus import Corpus
from gym_launchpad.launchpad import LaunchpadSpec
from gym_launchpad.midi import spans_to_midi, write_midi

SPEC = LaunchpadSpec()  # rows are MIDI 47..70: row = pitch - 47


@pytest.fixture(scope="module")
def corpus():
    return Corpus.onsets()


def held(pitches, n_bars, tmp_path, name="song.mid"):
    """A song of ``pitches`` each held through every bar (struck again on each downbeat)."""
    spans = [(pitch - SPEC.low_note, bar * 64, (bar + 1) * 64) for bar in range(n_bars) for pitch in pitches]
    path = tmp_path / name
    spans_to_midi(spans, n_bars, SPEC).write(str(path))
    return path


def test_a_held_c_major_triad_is_three_voices_in_one_scale_with_no_clash(tmp_path, corpus):
    result = sm.song_metrics(held([60, 64, 67], 8, tmp_path), corpus, skip=0, with_muspy=False)
    assert result["bars"] == 8
    assert result["polyphony"] == 3.0
    assert result["semitone_clashes"] == 0.0
    assert result["in_one_scale"] == 1.0
    assert result["quarter_notes"] == 1.0
    assert result["onsets_per_bar"] == 3.0
    assert result["heard_change_fraction"] == 0.0
    assert result["harmony_change_fraction"] == 0.0
    assert result["aba_fraction"] == 0.0
    assert result["distinct_nearest_per_100_bars"] == 100 / 8  # one nearest bar for all eight


@pytest.mark.parametrize("pitches, clashes, in_scale", [
    ([60, 61, 62], 2.0, 0.0),  # C C# D: two semitone pairs, and no major scale holds all three
    ([59, 60], 1.0, 1.0),      # B C: the pair across the octave's end counts; C major holds it
    ([48, 61], 1.0, 1.0),      # C and C# an octave apart still clash; D-flat major holds both
    ([60, 64, 68], 0.0, 0.0),  # C E G#: an augmented triad, no clash, and no major scale holds it
])
def test_clashes_count_pairs_of_pitch_classes_a_semitone_apart(tmp_path, corpus, pitches, clashes, in_scale):
    result = sm.song_metrics(held(pitches, 2, tmp_path), corpus, skip=0, with_muspy=False)
    assert result["semitone_clashes"] == clashes
    assert result["in_one_scale"] == in_scale
    assert result["polyphony"] == len(pitches)


def test_an_a_b_a_song_loops_every_bar_and_changes_harmony_every_bar(tmp_path, corpus):
    a = np.zeros(SPEC.n_notes, dtype=np.uint64)
    b = np.zeros(SPEC.n_notes, dtype=np.uint64)
    a[60 - 47] = a[64 - 47] = (1 << 0) | (1 << 32)
    b[62 - 47] = b[65 - 47] = 1 << 16
    path = write_midi(np.stack([a, b] * 5), tmp_path / "aba.mid", SPEC, cells="onsets")
    result = sm.song_metrics(path, corpus, skip=0, with_muspy=False)
    assert result["aba_fraction"] == 1.0
    assert result["heard_change_fraction"] == 1.0
    assert result["harmony_change_fraction"] == 1.0
    assert result["onsets_per_bar"] == 3.0


def test_corpus_bars_are_at_distance_zero_and_each_is_its_own_nearest(tmp_path, corpus):
    bars = corpus.bars[:40]
    path = write_midi(bars, tmp_path / "corpus.mid", SPEC, cells="onsets")
    result = sm.song_metrics(path, corpus, with_muspy=False)
    assert result["bars"] == 10  # the first 30 are skipped
    assert result["mean_distance"] == 0.0
    assert result["distinct_nearest_per_100_bars"] == 100.0
    assert result["onsets_per_bar"] == np.bitwise_count(bars[30:]).sum(axis=1).mean()
    assert result["aba_fraction"] == 0.0


def test_skip_leaves_out_the_first_bars_and_a_short_song_is_measured_whole(tmp_path, corpus):
    spans = [(13, 0, 64), (13, 64, 128), (14, 128, 192)]  # C C then C#: only the last bar's onsets differ
    path = tmp_path / "three.mid"
    spans_to_midi(spans, 3, SPEC).write(str(path))
    assert sm.song_metrics(path, corpus, skip=1, with_muspy=False)["heard_change_fraction"] == 0.5
    assert sm.song_metrics(path, corpus, skip=2, with_muspy=False)["heard_change_fraction"] == 1.0
    assert sm.song_metrics(path, corpus, with_muspy=False)["bars"] == 3  # shorter than the skip: all of it


def test_quarter_notes_count_notes_of_16_steps_or_more(tmp_path, corpus):
    spans = [(13, 0, 16), (14, 16, 31), (15, 32, 64), (16, 64, 65)]
    path = tmp_path / "lengths.mid"
    spans_to_midi(spans, 2, SPEC).write(str(path))
    assert sm.song_metrics(path, corpus, skip=0, with_muspy=False)["quarter_notes"] == 0.5


def test_the_trailing_rest_of_a_written_song_counts_as_bars(tmp_path, corpus):
    bars = np.zeros((4, SPEC.n_notes), dtype=np.uint64)
    bars[0, 13] = 1
    path = write_midi(bars, tmp_path / "rest.mid", SPEC, cells="onsets")
    assert sm.song_metrics(path, corpus, skip=0, with_muspy=False)["bars"] == 4


def test_check_reads_each_targets_side():
    good = {"mean_distance": 5.0, "onsets_per_bar": 15.0, "heard_change_fraction": 1.0,
            "distinct_nearest_per_100_bars": 10.0, "polyphony": 3.0, "semitone_clashes": 0.2, "in_one_scale": 0.95,
            "harmony_change_fraction": 0.6, "aba_fraction": 0.2, "quarter_notes": 0.3}
    assert sm.check(good) == dict.fromkeys(sm.TARGETS, True)
    bad = dict(good, mean_distance=6.5, polyphony=7.8, aba_fraction=0.5)
    assert [k for k, met in sm.check(bad).items() if not met] == ["mean_distance", "polyphony", "aba_fraction"]
    assert sm.check({"polyphony": 2.4}) == {"polyphony": False}


def test_muspy_statistics_come_from_the_same_file(tmp_path, corpus):
    pytest.importorskip("muspy")
    result = sm.song_metrics(held([60, 64, 67], 4, tmp_path), corpus, skip=0, with_muspy=True)
    assert result["muspy_polyphony"] == pytest.approx(3.0)
    assert result["muspy_scale_consistency"] == pytest.approx(1.0)
    assert result["muspy_empty_beat_rate"] == 0.0
    assert result["muspy_pitch_class_entropy"] == pytest.approx(np.log2(3))


def test_without_muspy_its_statistics_say_which_package_to_install(tmp_path, corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "muspy", None)  # import muspy now raises ImportError
    path = held([60], 1, tmp_path)
    assert "muspy_polyphony" not in sm.song_metrics(path, corpus, skip=0)
    with pytest.raises(DependencyNotInstalled, match="pip install muspy"):
        sm.song_metrics(path, corpus, skip=0, with_muspy=True)


def test_the_skipped_bars_are_not_empty_beats_to_muspy(tmp_path, corpus):
    pytest.importorskip("muspy")
    result = sm.song_metrics(held([60, 64, 67], 4, tmp_path), corpus, skip=2, with_muspy=True)
    assert result["muspy_empty_beat_rate"] == 0.0
    assert result["muspy_polyphony"] == pytest.approx(3.0)
