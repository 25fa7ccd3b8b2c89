"""Corpora of onsets: the builder stores struck notes when asked, says so in the metadata, and a merge
refuses to mix them with sounding cells; the shipped onset corpus is the Bach chorales' busy bars."""

import argparse

import numpy as np
import pytest
from midi_song import SPEC, bar_words
from test_chorales import built_twice_alike

from gym_launchpad.corpus import Corpus, CorpusError, cli
from gym_launchpad.corpus.build import from_midi, read_midi_bars
from gym_launchpad.corpus.quantize import BarOptions

#: The onsets of song.mid's bars (see midi_song.SONG_BARS for the sounding cells).
SONG_ONSETS = {
    0: bar_words({57: [(0, 1)], 60: [(0, 1)], 64: [(0, 1)], 67: [(0, 1)]}),
    # E4 struck at the downbeat; D4 at beat 4 (its tail in bar 2 is no onset).
    1: bar_words({64: [(0, 1)], 62: [(48, 49)]}),
    # Both F4 notes, at steps 0 and 8; the A4 at step 40.
    2: bar_words({65: [(0, 1), (8, 9)], 69: [(40, 41)]}),
    5: bar_words({47: [(0, 1)], 48: [(0, 1)], 60: [(32, 33)]}),
}


def test_a_bar_of_onsets_holds_the_step_each_note_starts(fixtures):
    bars = read_midi_bars(fixtures["song"], SPEC, cells="onsets", parser="pretty_midi")
    found = dict(zip(bars.bar_number.tolist(), bars.words, strict=True))
    for number, words in SONG_ONSETS.items():
        np.testing.assert_array_equal(found[number], words)


def test_min_onsets_keeps_its_meaning_whatever_the_cells(fixtures):
    # Bar 0 has 4 onsets, bars 2 and 5 have 3: with at least 4 only bar 0 is kept, whichever cells are stored.
    sounding = read_midi_bars(fixtures["song"], SPEC, min_onsets=4, parser="pretty_midi")
    onsets = read_midi_bars(fixtures["song"], SPEC, min_onsets=4, cells="onsets", parser="pretty_midi")
    assert sounding.bar_number.tolist() == onsets.bar_number.tolist() == [0]


def test_cells_are_checked():
    with pytest.raises(ValueError, match="cells must be one of 'sounding', 'onsets'"):
        BarOptions(cells="attacks")


def test_the_build_stores_its_cells_in_the_metadata(fixtures):
    corpus = from_midi([fixtures["song"]], SPEC, cells="onsets", min_cells=0, min_pitches=2, workers=1)
    assert corpus.cells == "onsets" and corpus.metadata["options"]["cells"] == "onsets"
    assert from_midi([fixtures["song"]], SPEC, workers=1).cells == "sounding"


def test_a_corpus_that_says_nothing_holds_sounding_cells():
    assert Corpus.from_bars(SPEC, np.array([SONG_ONSETS[0]])).cells == "sounding"
    assert Corpus.default().cells == "sounding"


def test_merge_refuses_onsets_with_sounding_cells_and_keeps_the_cells(tmp_path):
    onsets = Corpus.from_bars(SPEC, np.array([SONG_ONSETS[0]]), metadata={"cells": "onsets"})
    sounding = Corpus.from_bars(SPEC, np.array([SONG_ONSETS[1]]))
    with pytest.raises(CorpusError, match="different cells .*onsets and sounding"):
        Corpus.merge([onsets, sounding])
    assert Corpus.merge([onsets, onsets]).cells == "onsets"
    onsets.save(tmp_path / "a.npz")
    sounding.save(tmp_path / "b.npz")
    parser = argparse.ArgumentParser()
    cli.add_cli(parser.add_subparsers())
    args = parser.parse_args(["corpus", "merge", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "-o",
                              str(tmp_path / "c.npz")])
    assert args.run(args) == 2
    assert not (tmp_path / "c.npz").exists()


def test_cli_build_with_cells_onsets(fixtures, tmp_path):
    parser = argparse.ArgumentParser()
    cli.add_cli(parser.add_subparsers())
    output = tmp_path / "onsets.npz"
    args = parser.parse_args(["corpus", "build", str(fixtures["song"]), "-o", str(output), "--cells", "onsets",
                              "--min-cells", "0", "--min-onsets", "3", "--workers", "1", "-q"])
    assert args.run(args) == 0
    corpus = Corpus.load(output)
    assert corpus.cells == "onsets"
    assert corpus.bar_number.tolist() == [0, 2, 5]
    np.testing.assert_array_equal(corpus.bars, [SONG_ONSETS[0], SONG_ONSETS[2], SONG_ONSETS[5]])


def test_the_shipped_onset_corpus_is_the_busy_bars_of_the_chorales_as_onsets():
    corpus = Corpus.onsets()
    assert corpus.cells == "onsets" and corpus.spec == SPEC
    onsets = np.bitwise_count(corpus.bars).sum(axis=1)
    assert len(corpus) == 1370 and onsets.min() >= 20
    assert 22 < np.average(onsets, weights=corpus.counts) < 23
    assert corpus.metadata["options"]["min_onsets"] == 20
    # Its bars are onsets of the sounding corpus's music: every source is a chorale of the default corpus.
    assert set(corpus.sources) <= set(Corpus.default().sources)


@pytest.mark.slow
def test_the_script_rebuilds_a_subset_of_the_onset_corpus_byte_for_byte(tmp_path):
    subset, shipped = Corpus.load(built_twice_alike(tmp_path, "--cells", "onsets")), Corpus.onsets()
    assert subset.cells == "onsets" and subset.metadata == {**shipped.metadata, **{
        key: subset.metadata[key] for key in ("files", "bars", "bars_4_4", "bars_other_meter", "bars_kept")}}
    shipped_bars = {bar.tobytes() for bar in shipped.bars}
    assert all(bar.tobytes() in shipped_bars for bar in subset.bars)
